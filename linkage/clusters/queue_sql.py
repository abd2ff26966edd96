"""SQL pieces the review queue's item queries share: a reason as stored, and the pairs already decided."""

from __future__ import annotations

import duckdb

# Temp table of the pairs whose current decision still holds (neither record changed since it was made).
DECIDED = "_decided"


def reason_sql(code: str, **params: str) -> str:
    """SQL of one reason: ``{"code": code, "params": {name: SQL value, ...}}`` (JSON)."""
    values = ", ".join(f"'{name}', {sql}" for name, sql in params.items())
    return f"json_object('code', '{code}', 'params', json_object({values}))"


def create_decided(con: duckdb.DuckDBPyConnection, decisions_table: str) -> None:
    """``_decided``: each decided pair (rid_l, rid_r) neither of whose records changed after the decision."""
    # The decided records first (materialized): with the queue's joins kept as planned (``build_review_queue``), a
    # join to records whole built its hash table over every record (0.2 s at 1M records, for no decision at all).
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {DECIDED} AS
        WITH a AS MATERIALIZED (SELECT rid, updated_at FROM records WHERE rid IN (SELECT rid_l FROM {decisions_table})),
             b AS MATERIALIZED (SELECT rid, updated_at FROM records WHERE rid IN (SELECT rid_r FROM {decisions_table}))
        SELECT d.rid_l, d.rid_r FROM {decisions_table} d
        JOIN a ON a.rid = d.rid_l JOIN b ON b.rid = d.rid_r
        WHERE a.updated_at <= d.decided_at AND b.updated_at <= d.decided_at""")


def not_decided(alias: str) -> str:
    """SQL condition: pair ``alias`` has no current decision, or a record changed since (``_decided``)."""
    return f"NOT EXISTS (SELECT 1 FROM {DECIDED} _d WHERE _d.rid_l = {alias}.rid_l AND _d.rid_r = {alias}.rid_r)"
