"""The review queue's uncertain pairs between two persons, kept from one queue to the next: a night measures those
of the clusters it clustered only (issue #19, as ``linkage.clusters.queue_cache`` does for the clusters' parts).

A pair of records whose stored probability is in the band and whose clusters differ is a candidate: it asks about
its two persons. Whether two persons may be asked about at all depends on them alone: their records contradict by
the consistency rules (a yes would join records that cannot be one person), or their records taken all together
barely look alike (``linkage.clusters.queue_persons``). Both are measured once per two persons, for every
candidate, and kept with it (``dropped``) in ``queue_band_pairs``. A night that clustered some components keeps the
candidates between two clusters it did not touch (their records, pairs and columns are as they were) and measures
those with a record it clustered; decisions, cuts and the choice of one pair per person are applied to all of them
every time (``linkage.clusters.review_queue``).
"""

from __future__ import annotations

import duckdb

from linkage.clusters.consistency import ConsistencyRules, contradiction_sql, member_columns_sql
from linkage.clusters.queue_cache import STATE_TABLE
from linkage.clusters.queue_persons import PERSON_EVIDENCE_MIN
from linkage.store import has_table

BAND_TABLE = "queue_band_pairs"
NEW_CANDIDATES = "_q_band_new"


def pattern_sql(con: duckdb.DuckDBPyConnection) -> str:
    """SQL of a prediction's comparison pattern: its level of every comparison (``gamma_*``), as text."""
    gammas = [r[0] for r in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = 'predictions' AND column_name LIKE 'gamma_%'"
        " AND database_name = current_database() ORDER BY column_name").fetchall()]
    return "concat_ws(',', " + ", ".join(f'"{g}"' for g in gammas) + ")" if gammas else "''"


def create_candidates(con: duckdb.DuckDBPyConnection, scope: str | None, params: dict,
                      consistency: ConsistencyRules | None) -> str:
    """The candidates measured now (every one, or those with a record of ``scope``), kept in the store when it has
    the table; the table to read every candidate from (``rid_l, rid_r, match_probability, pattern, key_l, key_r,
    dropped``)."""
    only = "" if scope is None else (
        f" AND (rid_l IN (SELECT rid FROM {scope}) OR rid_r IN (SELECT rid FROM {scope}))")
    # Only the pairs with a row in the band are grouped (with all their rows: the same maximum), and only those
    # in the band are joined to their clusters: 1.1 s -> 0.4 s at 1M records, the same pairs. The clusters of their
    # records first (materialized): the queue's joins are kept as planned (``build_review_queue``).
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {NEW_CANDIDATES} AS
        WITH scored AS MATERIALIZED (
            SELECT rid_l, rid_r, max(match_probability) AS match_probability,
                   arg_max({pattern_sql(con)}, match_probability) AS pattern
            FROM predictions SEMI JOIN (SELECT DISTINCT rid_l, rid_r FROM predictions
                                        WHERE match_probability BETWEEN $low AND $high{only}) b USING (rid_l, rid_r)
            GROUP BY rid_l, rid_r HAVING max(match_probability) BETWEEN $low AND $high),
        cl AS MATERIALIZED (SELECT rid, cluster_key FROM record_cluster WHERE rid IN (SELECT rid_l FROM scored)),
        cr AS MATERIALIZED (SELECT rid, cluster_key FROM record_cluster WHERE rid IN (SELECT rid_r FROM scored))
        SELECT s.*, cl.cluster_key AS key_l, cr.cluster_key AS key_r
        FROM scored s JOIN cl ON cl.rid = s.rid_l JOIN cr ON cr.rid = s.rid_r
        WHERE cl.cluster_key <> cr.cluster_key
        """,
        {"low": params["low"], "high": params["high"]},
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE _q_keys AS SELECT DISTINCT least(key_l, key_r) AS key_a,"
                f" greatest(key_l, key_r) AS key_b FROM {NEW_CANDIDATES}")
    _create_contradicting(con, consistency)
    _create_weak_persons(con)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {NEW_CANDIDATES} AS
        SELECT c.*, EXISTS (SELECT 1 FROM _q_dropped d WHERE d.key_a = least(c.key_l, c.key_r)
                                                         AND d.key_b = greatest(c.key_l, c.key_r)) AS dropped
        FROM {NEW_CANDIDATES} c;
        DROP TABLE _q_keys; DROP TABLE _q_dropped""")
    if not has_table(con, STATE_TABLE):
        return NEW_CANDIDATES
    where = "" if scope is None else (
        f" WHERE key_l IN (SELECT rid FROM {scope}) OR key_r IN (SELECT rid FROM {scope})")
    con.execute(f"DELETE FROM {BAND_TABLE}{where}; INSERT INTO {BAND_TABLE} SELECT * FROM {NEW_CANDIDATES};"
                f" DROP TABLE {NEW_CANDIDATES}")
    return BAND_TABLE


def _create_contradicting(con: duckdb.DuckDBPyConnection, consistency: ConsistencyRules | None) -> None:
    """``_q_dropped``: the two persons of ``_q_keys`` whose records contradict by the clustering's consistency rules:
    "the same person" would join records that cannot be one, and clustering would then cut that person elsewhere
    (on the 100,000-record demo such pairs were one person 4.5 % of the time, the others 38 %)."""
    if consistency is None or not consistency.conditions():
        con.execute("CREATE OR REPLACE TEMP TABLE _q_dropped (key_a BIGINT, key_b BIGINT)")
        return
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _q_dropped AS
        WITH keys AS (SELECT key_a AS k FROM _q_keys UNION SELECT key_b FROM _q_keys),
        -- the persons' records first (materialized): joined to every record as planned, not the other way round
        rc AS MATERIALIZED (SELECT rid, cluster_key FROM record_cluster WHERE cluster_key IN (SELECT k FROM keys)),
        members AS MATERIALIZED (
            SELECT rc.cluster_key, {member_columns_sql(con, consistency)}
            FROM records r JOIN rc ON rc.rid = r.rid)
        SELECT DISTINCT x.key_a, x.key_b FROM _q_keys x
        JOIN members a ON a.cluster_key = x.key_a JOIN members b ON b.cluster_key = x.key_b
        WHERE {contradiction_sql(consistency)}
        """
    )


def _create_weak_persons(con: duckdb.DuckDBPyConnection) -> None:
    """Add to ``_q_dropped`` the two persons of ``_q_keys`` (of more than two records together) whose records' pairs
    have a mean stored probability under ``PERSON_EVIDENCE_MIN`` (``linkage.clusters.queue_persons``);
    ``_cluster_info`` gives each person's size."""
    con.execute(
        """
        INSERT INTO _q_dropped
        WITH members AS (
            SELECT rc.rid, rc.cluster_key FROM record_cluster rc
            WHERE rc.cluster_key IN (SELECT key_a FROM _q_keys UNION SELECT key_b FROM _q_keys)),
        scored AS (
            SELECT p.rid_l, p.rid_r, max(coalesce(p.match_probability, 0)) AS p FROM predictions p
            SEMI JOIN members a ON a.rid = p.rid_l SEMI JOIN members b ON b.rid = p.rid_r
            GROUP BY p.rid_l, p.rid_r),
        summed AS (
            SELECT least(a.cluster_key, b.cluster_key) AS key_a, greatest(a.cluster_key, b.cluster_key) AS key_b,
                   sum(s.p) AS total
            FROM scored s JOIN members a ON a.rid = s.rid_l JOIN members b ON b.rid = s.rid_r
            WHERE a.cluster_key <> b.cluster_key
            GROUP BY ALL)
        SELECT k.key_a, k.key_b FROM _q_keys k
        JOIN summed s ON s.key_a = k.key_a AND s.key_b = k.key_b
        JOIN _cluster_info ia ON ia.cluster_key = k.key_a
        JOIN _cluster_info ib ON ib.cluster_key = k.key_b
        WHERE ia.size * ib.size > 1 AND s.total < $minimum * ia.size * ib.size
        """,
        {"minimum": PERSON_EVIDENCE_MIN},
    )
