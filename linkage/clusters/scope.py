"""A night's clustering over the components it touched, not the whole store (issue #19).

A component's clusters, links and flags depend only on its own links, its decisions and the columns its
records' consistency rules read, and on settings every component shares (threshold, size cap, consistency
rules, sources that list each person once, the decisions' classifier, the code). The last clustering leaves,
per record, the component it was in before any cut and a hash of those columns (``record_component``), the
decisions it used (``clustering_decisions``), its settings and the last file read before it
(``clustering_state``). A night with the same settings clusters again only the components that hold a record
a later file added or changed, a record scored again since (``scored_since_clustering``: its old pairs are
gone), a record whose consistency columns differ, an end of a pair scored since, or an end of a decision that
changed; with ``check_persons`` (a decision snapshot's persons were adopted), also a record whose person is not
exactly its cluster. Every other record keeps its cluster, links, flags and person. Without that state, with
other settings, after a clustering whose person IDs were not assigned (a resumed night), every
``MAX_SCOPED_NIGHTS``-th night or after a night that scored every pair, every component is clustered.
``tests/test_incremental_clustering.py`` compares both ways on the same nights.
"""

from __future__ import annotations

import hashlib

import duckdb

from linkage.clusters.consistency import ConsistencyRules, member_columns_sql
from linkage.store import has_table

SCOPE_TABLE = "_cluster_scope"
STATE_TABLE = "clustering_state"
# 1: components, member hashes and decisions as below. A change to how components are cut or persons numbered
# is a new version (the whole store is clustered once with it).
# 2: a sure direct link keeps two districts together (``consistency.DIRECT_LINK_KEEPS_DISTRICTS``).
SCOPE_VERSION = 2
# Every this many nights the whole store is clustered: the cut cache is pruned then, and nothing can drift for long.
MAX_SCOPED_NIGHTS = 30


def settings_signature(*parts: object) -> str:
    """A digest of what every component's clustering depends on (``repr`` of each part)."""
    return hashlib.sha256(repr((SCOPE_VERSION, *parts)).encode()).hexdigest()


def _member_hashes_sql(con: duckdb.DuckDBPyConnection, consistency: ConsistencyRules | None, only: str = "") -> str:
    """SQL of (rid, h): each record's hash of the columns the consistency rules read (0 without rules);
    ``only``: a join that restricts ``records r``."""
    if consistency is None or not consistency.conditions():
        return f"SELECT r.rid, CAST(0 AS UBIGINT) AS h FROM records r{only}"
    return f"SELECT m.rid, hash(m) AS h FROM (SELECT {member_columns_sql(con, consistency)} FROM records r{only}) m"


def create_scope(con: duckdb.DuckDBPyConnection, *, decisions_table: str, signature: str,
                 consistency: ConsistencyRules | None, check_persons: bool) -> int | None:
    """``_cluster_scope(rid)``: the records of every component the night touched, closed under links. Returns
    the run whose clustering the other records keep (its flags carry over), or None: cluster every record."""
    if not has_table(con, STATE_TABLE):
        return None
    state = con.execute(f"SELECT run_id, signature, last_file_id, scoped_nights, ids_assigned FROM {STATE_TABLE}"
                        ).fetchall()
    if len(state) != 1 or state[0][1] != signature or state[0][3] + 1 >= MAX_SCOPED_NIGHTS or not state[0][4]:
        return None
    last_run, _, last_file, _, _ = state[0]
    persons = f"UNION {_PERSON_NOT_CLUSTER_SQL}" if check_persons else ""
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _touched AS
        WITH decided AS ({_decisions_changed_sql(decisions_table)})
        SELECT rid FROM records WHERE file_id > $last_file
        UNION SELECT rid FROM scored_since_clustering {persons}
        UNION SELECT unnest([rid_l, rid_r]) FROM predictions WHERE run_id > $last_run
        UNION SELECT m.rid FROM ({_member_hashes_sql(con, consistency)}) m
              LEFT JOIN record_component c USING (rid) WHERE c.member_hash IS DISTINCT FROM m.h
        UNION SELECT rid_l FROM decided UNION SELECT rid_r FROM decided
        """,
        {"last_file": last_file, "last_run": last_run},
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {SCOPE_TABLE} AS
        SELECT rid FROM _touched
        UNION SELECT c.rid FROM record_component c
              SEMI JOIN (SELECT component_key FROM record_component SEMI JOIN _touched USING (rid)) k
              USING (component_key);
        DROP TABLE _touched;
        """
    )
    return last_run


# Records whose person is not exactly their cluster: none, one spread over clusters, or a cluster of several.
_PERSON_NOT_CLUSTER_SQL = """
    SELECT rid FROM (
        WITH rc AS (SELECT rc.rid, rc.cluster_key, rp.person_id FROM record_cluster rc LEFT JOIN record_person rp
                    USING (rid)),
             spread AS (SELECT person_id FROM rc WHERE person_id IS NOT NULL GROUP BY person_id
                        HAVING min(cluster_key) <> max(cluster_key)),
             mixed AS (SELECT cluster_key FROM rc GROUP BY cluster_key
                       HAVING count(person_id) < count(*) OR min(person_id) <> max(person_id))
        SELECT rid FROM rc WHERE person_id IS NULL OR person_id IN (SELECT person_id FROM spread)
                           OR cluster_key IN (SELECT cluster_key FROM mixed))"""


def _decisions_changed_sql(decisions_table: str) -> str:
    """The pairs whose clustering decision (positive or negative, and which one) differs from the last clustering's."""
    now = (f"SELECT rid_l, rid_r, judgement, decision_id FROM {decisions_table} "
           "WHERE judgement IN ('positive', 'negative')")
    return (f"SELECT rid_l, rid_r FROM (({now}) EXCEPT (SELECT * FROM clustering_decisions)) "
            f"UNION SELECT rid_l, rid_r FROM ((SELECT * FROM clustering_decisions) EXCEPT ({now}))")


def write_state(con: duckdb.DuckDBPyConnection, *, scoped: bool, decisions_table: str, signature: str,
                consistency: ConsistencyRules | None, run_id: int) -> None:
    """Remember this clustering (inside the caller's transaction): each record's component before cuts
    (``_components``) and member hash, for the scope's records only when ``scoped``; the decisions; the settings
    and the last file read."""
    if not has_table(con, STATE_TABLE):  # a snapshot (the decision publisher's): nothing to remember
        return
    only = f" SEMI JOIN {SCOPE_TABLE} s ON s.rid = r.rid" if scoped else ""
    con.execute(
        f"""
        DELETE FROM record_component {f'WHERE rid IN (SELECT rid FROM {SCOPE_TABLE})' if scoped else ''};
        INSERT INTO record_component
        SELECT m.rid, coalesce(c.label, m.rid), m.h
        FROM ({_member_hashes_sql(con, consistency, only)}) m LEFT JOIN _components c ON c.node = m.rid;
        DELETE FROM clustering_decisions;
        INSERT INTO clustering_decisions SELECT rid_l, rid_r, judgement, decision_id FROM {decisions_table}
        WHERE judgement IN ('positive', 'negative');
        DELETE FROM scored_since_clustering;
        """
    )
    nights = con.execute(f"SELECT max(scoped_nights) FROM {STATE_TABLE}").fetchall()[0][0] if scoped else None
    con.execute(f"DELETE FROM {STATE_TABLE}")
    con.execute(f"INSERT INTO {STATE_TABLE} SELECT ?, ?, coalesce(max(file_id), 0), ?, false FROM ingested_files",
                [run_id, signature, (nights or 0) + 1 if scoped else 0])


def mark_ids_assigned(con: duckdb.DuckDBPyConnection) -> None:
    """The clustering's person IDs are assigned (inside the assignment's transaction): the next night may
    cluster some components only."""
    if has_table(con, STATE_TABLE):
        con.execute(f"UPDATE {STATE_TABLE} SET ids_assigned = true")
