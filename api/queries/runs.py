"""Nightly runs as published: the list and each run's report."""

from __future__ import annotations

import json
from typing import Any

import duckdb

from api.queries.records import rows_as_dicts


def _decode(row: dict[str, Any]) -> dict[str, Any]:
    if isinstance(row.get("report"), str):
        try:
            row["report"] = json.loads(row["report"])
        except ValueError:
            row["report"] = {"text": row["report"]}
    return row


def list_runs(con: duckdb.DuckDBPyConnection, *, limit: int = 50, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """Runs newest first (without their reports) and how many there are."""
    rows = rows_as_dicts(con.execute(
        "SELECT run_id, started_at, finished_at, status, model_version FROM runs "
        "ORDER BY run_id DESC LIMIT ? OFFSET ?",
        [limit, offset],
    ))
    total = con.execute("SELECT count(*) FROM runs").fetchall()[0][0]
    return rows, total


def get_run(con: duckdb.DuckDBPyConnection, run_id: int) -> dict[str, Any] | None:
    rows = rows_as_dicts(con.execute(
        "SELECT run_id, started_at, finished_at, status, model_version, report FROM runs WHERE run_id = ?", [run_id]
    ))
    return _decode(rows[0]) if rows else None
