"""Nightly runs as published: the list and each run's report."""

from __future__ import annotations

import json
import re
from pathlib import PurePath
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


def published_counts(con: duckdb.DuckDBPyConnection) -> tuple[int, int, int]:
    """(run id, records, active persons) of the published snapshot."""
    return con.execute(
        "SELECT (SELECT run_id FROM snapshot_info), (SELECT count(*) FROM records), "
        "(SELECT count(*) FROM persons WHERE status = 'active')"
    ).fetchall()[0]


# The folders of an absolute path inside a text ("/srv/laolink/inbox/" of "/srv/laolink/inbox/a.csv: bad header").
_FOLDERS = re.compile(r"(?<![\w.])(?:/[^/\s:'\"]+)+/(?=[^/\s])")


def _file_names_only(report: Any) -> Any:
    """The report with every server path cut to its file name, in file entries and in any text such as a
    refusal's reason (where the inbox is says nothing to a reader)."""
    if isinstance(report, dict):
        out = {k: _file_names_only(v) for k, v in report.items()}
        if isinstance(out.get("path"), str) and out["path"]:
            out["path"] = PurePath(out["path"]).name
        return out
    if isinstance(report, list):
        return [_file_names_only(v) for v in report]
    return _FOLDERS.sub("", report) if isinstance(report, str) else report


def get_run(con: duckdb.DuckDBPyConnection, run_id: int, *, with_paths: bool = False) -> dict[str, Any] | None:
    """One run and its report; file paths on the server only ``with_paths`` (for admins)."""
    rows = rows_as_dicts(con.execute(
        "SELECT run_id, started_at, finished_at, status, model_version, report FROM runs WHERE run_id = ?", [run_id]
    ))
    if not rows:
        return None
    run = _decode(rows[0])
    if not with_paths and isinstance(run.get("report"), dict):
        run["report"] = _file_names_only(run["report"])
    return run
