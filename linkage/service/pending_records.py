"""The ``pending_records`` table of the service DB: records posted to ``POST /match?persist=true``.

This module alone reads and writes the table: the API adds a record, the next nightly run takes
the waiting ones and marks them ingested with its run id. A run that was killed and runs again
takes its own run's records again, so none is lost or ingested twice.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from linkage.sources.exchange_format import EXCHANGE_COLUMNS


@dataclass(frozen=True)
class PendingRecord:
    pending_id: int
    received_at: str


def add_pending_record(service_con: sqlite3.Connection, record: Mapping[str, Any], received_by: str) -> PendingRecord:
    """Store an exchange-format record (missing columns empty) for the next nightly run."""
    columns = list(EXCHANGE_COLUMNS)
    row = service_con.execute(
        f"INSERT INTO pending_records ({', '.join(columns)}, received_by) VALUES ({', '.join('?' * len(columns))}, ?)"
        " RETURNING pending_id, received_at",
        [record.get(c) for c in columns] + [received_by],
    ).fetchone()
    return PendingRecord(*row)


def waiting_records(service_con: sqlite3.Connection, run_id: int) -> list[tuple]:
    """(pending_id, *EXCHANGE_COLUMNS) of each record not yet ingested or ingested by ``run_id``, in arrival order."""
    return service_con.execute(
        f"SELECT pending_id, {', '.join(EXCHANGE_COLUMNS)} FROM pending_records"
        " WHERE ingested_run_id IS NULL OR ingested_run_id = ? ORDER BY pending_id",
        (run_id,),
    ).fetchall()


def mark_ingested(service_con: sqlite3.Connection, pending_ids: Sequence[int], run_id: int,
                  superseded: Mapping[int, int] | None = None) -> None:
    """Record that ``run_id`` ingested these records (one transaction), those of ``superseded`` (pending_id -> the
    later post of the same record that the run stored instead) as superseded by it."""
    superseded = superseded or {}
    service_con.execute("BEGIN IMMEDIATE")
    try:
        service_con.executemany(
            "UPDATE pending_records SET ingested_run_id = ?, superseded_by = ? WHERE pending_id = ?",
            [(run_id, superseded.get(i), i) for i in pending_ids])
        service_con.execute("COMMIT")
    except BaseException:
        service_con.execute("ROLLBACK")
        raise
