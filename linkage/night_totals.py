"""A resumed night's report counts the whole run, the killed attempt's work included, from what the store holds.

A night killed after ingesting (or after assigning IDs) and run again finds its files "already ingested" and
nothing left to score or to give an ID to, so the resumed process alone would report 0 rows read, 0 pairs and no
new persons for a night that did all of it. The run's files (ingested since the run started), its stored pairs
(``predictions.run_id``) and its ID events (``id_history.run_id``, decisions aside) say what the run did.
"""

from __future__ import annotations

from typing import Any

import duckdb

ROW_COUNTS = ("read", "stored", "updated", "unchanged", "quarantined")


def whole_run_counts(con: duckdb.DuckDBPyConnection, run_id: int) -> dict[str, Any]:
    """The rows, stored pairs and person changes of run ``run_id`` so far, as its report states them."""
    rows = con.execute(
        f"SELECT {', '.join(f'coalesce(sum(rows_{c}), 0)' for c in ROW_COUNTS)} FROM ingested_files"
        " WHERE status = 'ingested' AND ingested_at >= (SELECT started_at FROM runs WHERE run_id = ?)",
        [run_id]).fetchall()[0]
    pairs = con.execute("SELECT count(*) FROM predictions WHERE run_id = ?", [run_id]).fetchall()[0][0]
    created, split, merged = con.execute(
        "SELECT count(*) FILTER (WHERE event = 'created'),"
        " count(DISTINCT person_id) FILTER (WHERE event = 'split-from'),"
        " count(*) FILTER (WHERE event = 'merged-into') FROM id_history"
        " WHERE run_id = ? AND (detail->>'cause') IS DISTINCT FROM 'decision'", [run_id]).fetchall()[0]
    retired = con.execute("SELECT count(*) FROM persons WHERE status = 'retired' AND updated_run_id = ?",
                          [run_id]).fetchall()[0][0]
    return {"rows": dict(zip(ROW_COUNTS, (int(v) for v in rows), strict=True)), "pairs_scored": int(pairs),
            "persons": {"created": int(created), "merged": int(merged), "split": int(split), "retired": int(retired)}}


def count_whole_run(con: duckdb.DuckDBPyConnection, report: Any) -> None:
    """Set a resumed run's report (``linkage.nightly.RunReport``) to the whole run's counts."""
    whole = whole_run_counts(con, report.run_id)
    report.rows = {**report.rows, **whole["rows"]}
    report.pairs_scored = whole["pairs_scored"]
    report.persons = {**report.persons, **whole["persons"]}
