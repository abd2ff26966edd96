"""Build small real stores for clustering, ID and review-queue tests: records, predictions, decisions."""

from __future__ import annotations

import duckdb

from linkage.service.decisions import load_decisions_into, record_decision
from linkage.service.service_db import connect_service
from linkage.store import MIGRATIONS, connect


def store_at_migration(path, version: int) -> duckdb.DuckDBPyConnection:
    """A store as an earlier version left it: the first ``version`` migrations applied (``migrate`` brings it up)."""
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    for number, sql in enumerate(MIGRATIONS[:version], start=1):
        con.execute(sql)
        con.execute("INSERT INTO schema_version VALUES (?)", [number])
    return con


def open_stores(tmp_path):
    """A migrated pipeline store and service DB in ``tmp_path``."""
    return connect(tmp_path / "store.duckdb"), connect_service(tmp_path / "store.service.sqlite")


def linked_store(tmp_path, rids, predictions: dict[tuple[int, int], float], *, dob_years=None, negatives=()):
    """``open_stores`` with records ``rids`` (birth years by rid), ``predictions`` {(rid_a, rid_b): probability}
    and "not the same" decisions on the ``negatives`` pairs."""
    con, svc = open_stores(tmp_path)
    add_records(con, rids, dob_years=dob_years)
    set_predictions(con, predictions)
    for a, b in negatives:
        decide(svc, a, b, "negative")
    return con, svc


def add_records(con: duckdb.DuckDBPyConnection, rids, *, source: str = "S", dob_years=None) -> None:
    """Store records ``rid`` with record_id ``r<rid>`` of ``source``; optional birth years by rid."""
    dob_years = dob_years or {}
    for rid in rids:
        con.execute(
            "INSERT INTO records (rid, source, record_id, row_hash, file_id, line_no, dob_year,"
            " updated_at) VALUES (?, ?, ?, 'h', 1, ?, ?, TIMESTAMP '2026-01-01 00:00:00')",
            [rid, source, f"r{rid}", rid, dob_years.get(rid)],
        )


def create_predictions(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "CREATE TABLE IF NOT EXISTS predictions (rid_l BIGINT, rid_r BIGINT, match_weight DOUBLE,"
        " match_probability DOUBLE, model_version VARCHAR, run_id BIGINT)"
    )


def set_predictions(con: duckdb.DuckDBPyConnection, pairs: dict[tuple[int, int], float], model: str = "m1") -> None:
    """Replace all predictions by ``{(rid_a, rid_b): match_probability}``; weight = log2 odds."""
    create_predictions(con)
    con.execute("DELETE FROM predictions")
    for (a, b), p in pairs.items():
        con.execute(
            "INSERT INTO predictions VALUES (least(?, ?), greatest(?, ?), log2(? / (1 - ?)), ?, ?, 1)",
            [a, b, a, b, p, p, p, model],
        )


def decide(svc, a: int, b: int, judgement: str, who: str = "steward1", **kwargs):
    return record_decision(svc, "S", f"r{a}", "S", f"r{b}", judgement, who, **kwargs)


def load(con, svc) -> str:
    return load_decisions_into(con, svc, "current_decisions").table


def clusters(con: duckdb.DuckDBPyConnection) -> set[frozenset[int]]:
    """This run's clusters as sets of rids."""
    rows = con.execute("SELECT list(rid ORDER BY rid) FROM record_cluster GROUP BY cluster_key").fetchall()
    return {frozenset(r[0]) for r in rows}


def persons_of(con: duckdb.DuckDBPyConnection) -> dict[int, str]:
    return dict(con.execute("SELECT rid, person_id FROM record_person").fetchall())
