"""The in-memory copy of a snapshot that real-time matching reads, and the way it queries it.

``mi`` holds the model input of every published record with its source, record_id and person;
``bk`` one hash per record and key rule (``blocking_sql.KeyRule``), sorted. A lookup there costs about
a millisecond, where scanning the compressed snapshot file for the same keys costs tens.
"""

from __future__ import annotations

import threading
from typing import Any

import duckdb
import numpy as np

from linkage.model.blocking_sql import KeyRule, filter_params
from linkage.model.model_input import model_input_sql

_parsed = threading.local()  # per thread: SQL text -> its parsed statement
MAX_PARSED = 32


def build_mirror(con: duckdb.DuckDBPyConnection, rules: list[KeyRule]) -> duckdb.DuckDBPyConnection:
    """Copy the model input of every published record (with source, record_id, person) into memory,
    and one hash per record and key rule, sorted so a lookup reads one row group."""
    table = con.sql(
        f"""SELECT m.*, r.source AS _source, r.record_id AS _record_id, rp.person_id AS _person_id
            FROM ({model_input_sql('records', 'std_version IS NOT NULL')}) m
            JOIN records r USING (rid) LEFT JOIN record_person rp USING (rid)"""
    ).to_arrow_reader(100_000)  # streamed in batches
    mirror = duckdb.connect()
    mirror.register("mi_arrow", table)
    mirror.execute("CREATE TABLE mi AS SELECT * FROM mi_arrow ORDER BY rid")
    mirror.unregister("mi_arrow")
    hashes = []
    for r in rules:
        columns = ", ".join(f'"{c}"' for c in r.right)
        not_null = " AND ".join(f'"{c}" IS NOT NULL' for c in r.right)
        hashes.append(f"SELECT hash({r.number}, {columns}) AS h, rid FROM mi WHERE {not_null}")
    union = " UNION ALL ".join(hashes) or "SELECT 0::UBIGINT AS h, 0::BIGINT AS rid LIMIT 0"
    mirror.execute(f"CREATE TABLE bk AS SELECT * FROM ({union}) ORDER BY h")
    # ART indexes turn the point lookups into index scans (about 0.2 s to build per million rows).
    mirror.execute("CREATE UNIQUE INDEX mi_rid ON mi (rid)")
    mirror.execute("CREATE INDEX bk_h ON bk (h)")
    return mirror


def sorted_key_hashes(mirror: duckdb.DuckDBPyConnection) -> dict[str, np.ndarray]:
    """``bk`` as two numpy arrays ordered by hash (about 16 bytes per record and key rule)."""
    arrays = mirror.execute("SELECT h, rid FROM bk ORDER BY h").fetchnumpy()
    return {"bk_hash": np.asarray(arrays["h"], dtype=np.uint64), "bk_rid": np.asarray(arrays["rid"], dtype=np.int64)}


def term_frequencies(con: duckdb.DuckDBPyConnection, columns: list[str]) -> dict[str, dict[str, float]]:
    """Each value's share of the non-null values of a column, as Splink's term-frequency tables hold it."""
    out: dict[str, dict[str, float]] = {}
    for col in columns:
        rows = con.execute(
            f"""SELECT "{col}", count(*) / sum(count(*)) OVER () FROM mi WHERE "{col}" IS NOT NULL GROUP BY "{col}" """
        ).fetchall()
        out[col] = dict(rows)
    return out


def run_query(cur: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]) -> list[tuple]:
    """Execute with only the parameters the SQL names (DuckDB refuses extra ones)."""
    used = set(filter_params(sql))
    return execute_parsed(cur, sql, {k: v for k, v in params.items() if k in used}).fetchall()


def execute_parsed(cur: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]) -> duckdb.DuckDBPyConnection:
    """``cur.execute(sql, params)``, the SQL parsed once per thread: the scoring queries are the same text each
    time (their values are list parameters), and parsing them is about a third of their cost."""
    cache: dict[str, Any] | None = getattr(_parsed, "statements", None)
    if cache is None or len(cache) >= MAX_PARSED:
        cache = _parsed.statements = {}
    statement = cache.get(sql)
    if statement is None:
        statement = cache[sql] = cur.extract_statements(sql)[0]
    return cur.execute(statement, params)
