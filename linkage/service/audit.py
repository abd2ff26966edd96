"""The audit log: who read or wrote whose records, when, from where, and whether it was allowed.

Rows are only ever appended (triggers in the service database abort any UPDATE or
DELETE of the ``audit`` table), and there is no function here to change them: the log
can be written and exported, nothing else.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO

from linkage.errors import LaoLinkError

OUTCOMES: frozenset[str] = frozenset({"ok", "denied", "error"})
AUDIT_COLUMNS: tuple[str, ...] = (
    "audit_id",
    "at",
    "actor",
    "actor_kind",
    "role",
    "action",
    "method",
    "path",
    "person_ids",
    "outcome",
    "status",
    "client",
    "detail",
)


def record_audit(
    con: sqlite3.Connection,
    *,
    action: str,
    outcome: str,
    actor: str | None,
    actor_kind: str,
    role: str | None = None,
    person_ids: Iterable[str] = (),
    method: str | None = None,
    path: str | None = None,
    status: int | None = None,
    client: str | None = None,
    detail: dict | None = None,
) -> int:
    """Append one audit row; returns its id."""
    if outcome not in OUTCOMES:
        raise LaoLinkError(f"audit outcome must be one of {sorted(OUTCOMES)}, not {outcome!r}")
    cur = con.execute(
        """
        INSERT INTO audit (actor, actor_kind, role, action, method, path, person_ids, outcome, status, client, detail)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        (
            actor,
            actor_kind,
            role,
            action,
            method,
            path,
            json.dumps(sorted(set(person_ids))),
            outcome,
            status,
            client,
            json.dumps(detail, sort_keys=True) if detail else None,
        ),
    )
    return cur.lastrowid


def iter_audit(con: sqlite3.Connection, since: date | datetime) -> Iterator[dict]:
    """Audit rows at or after ``since`` (a date means its midnight UTC; a naive time is UTC), oldest first."""
    if isinstance(since, datetime):
        at = since.astimezone(UTC) if since.tzinfo else since
        start = at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"
    else:
        start = f"{since.isoformat()}T00:00:00.000Z"
    cur = con.execute(f"SELECT {', '.join(AUDIT_COLUMNS)} FROM audit WHERE at >= ? ORDER BY audit_id", (start,))
    for row in cur:
        item = dict(zip(AUDIT_COLUMNS, row, strict=True))
        item["person_ids"] = json.loads(item["person_ids"])
        yield item


def export_audit(con: sqlite3.Connection, since: date | datetime, out: IO[str], fmt: str) -> int:
    """Write audit rows as ``csv`` or ``jsonl`` to ``out``; returns how many were written.

    CSV cells that a spreadsheet would run as a formula are prefixed with an apostrophe.
    """
    if fmt not in ("csv", "jsonl"):
        raise LaoLinkError(f"audit export format must be csv or jsonl, not {fmt!r}")
    count = 0
    writer = csv.DictWriter(out, fieldnames=AUDIT_COLUMNS) if fmt == "csv" else None
    if writer:
        writer.writeheader()
    for item in iter_audit(con, since):
        if writer:
            item["person_ids"] = ";".join(item["person_ids"])
            writer.writerow({k: _spreadsheet_safe(v) for k, v in item.items()})
        else:
            out.write(json.dumps(item, ensure_ascii=False) + "\n")
        count += 1
    return count


def _spreadsheet_safe(value: object) -> object:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def export_audit_file(con: sqlite3.Connection, since: date | datetime, path: Path) -> int:
    """Export to ``path``; the format follows its suffix (.csv, else JSON lines)."""
    fmt = "csv" if path.suffix.lower() == ".csv" else "jsonl"
    with path.open("w", encoding="utf-8", newline="") as out:
        return export_audit(con, since, out, fmt)
