"""The record columns answered by the API, and turning result rows into plain dicts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb

from linkage.sources.exchange_format import EXCHANGE_COLUMNS
from linkage.store import STANDARDIZED_COLUMNS

STD_FIELDS: tuple[str, ...] = tuple(c for c in STANDARDIZED_COLUMNS if c != "std_version")
RECORD_FIELDS: tuple[str, ...] = ("rid", *EXCHANGE_COLUMNS, *STD_FIELDS, "version", "updated_at")
RECORD_SELECT = ", ".join(f"r.{c}" for c in RECORD_FIELDS)
POINT_READS = 64  # up to this many records are read one rid at a time


def plain(value: Any) -> Any:
    """JSON-friendly scalars: dates and times as ISO text."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def rows_as_dicts(cur: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    names = [d[0] for d in cur.description]
    return [{n: plain(v) for n, v in zip(names, row, strict=True)} for row in cur.fetchall()]


def records_by_rid(con: duckdb.DuckDBPyConnection, rids: list[int]) -> dict[int, dict[str, Any]]:
    """The full records (raw and standardized fields) with these rids."""
    if not rids:
        return {}
    if len(rids) <= POINT_READS:
        # One equality per rid: each reads one row group of the rid-ordered snapshot (an IN list or a
        # semi-join would scan the whole table).
        sql = " UNION ALL ".join(f"SELECT {RECORD_SELECT} FROM records r WHERE r.rid = ?" for _ in rids)
        cur = con.execute(sql, list(rids))
    else:
        cur = con.execute(f"SELECT {RECORD_SELECT} FROM records r WHERE r.rid IN (SELECT unnest(?::BIGINT[]))",
                          [rids])
    return {row["rid"]: row for row in rows_as_dicts(cur)}
