"""The review queue's per-cluster parts, kept from one queue to the next: a night builds them for the clusters it
clustered only (issue #19).

A cluster's size and person, its bridge links, its link density and the birth years of its records depend on the
cluster alone. The last queue built in the store leaves them per cluster (``queue_clusters``: size, person, the
signature of its links that ``queue_bridge_cache`` knows it by; ``queue_cluster_items``: its bridge, sparse and
birth-year items before decided pairs are left out) and the settings they were built with (``queue_state``: the
run and a digest of the settings). A night that clustered only the components it touched
(``linkage.clusters.scope``) passes those records: every other record kept its cluster, its links, its
consistency columns and its person, so every cluster whose key is not one of those records is as the last queue
saw it, and only the others are measured again (the uncertain pairs between two clusters likewise:
``linkage.clusters.queue_band``). The decisions, the choice of one pair per person and clustering's flags are
applied whole every time. Without the tables (a snapshot), without the records (a whole clustering, persons
adopted from a decision snapshot), after a queue of another run than the clustering the night kept, or with other
settings, every cluster is measured, and the tables are written whole. ``tests/test_incremental_queue.py``
compares both ways on the same nights.
"""

from __future__ import annotations

import hashlib

import duckdb

from linkage.clusters.queue_sql import reason_sql
from linkage.store import has_table

CLUSTERS_TABLE = "queue_clusters"
ITEMS_TABLE = "queue_cluster_items"
STATE_TABLE = "queue_state"
# Part of the settings' digest: a change to what a cluster's parts are (their items, their SQL) is a new version,
# and the next queue measures every cluster once.
# 2: the uncertain pairs between two clusters too (``linkage.clusters.queue_band``).
QUEUE_CACHE_VERSION = 2
# The per-cluster items' temporary table: this queue's, for the clusters measured now.
NEW_ITEMS = "_q_items"


def settings_signature(*parts: object) -> str:
    """A digest of what a cluster's parts depend on besides the cluster (``repr`` of each part)."""
    return hashlib.sha256(repr((QUEUE_CACHE_VERSION, *parts)).encode()).hexdigest()


def scoped(con: duckdb.DuckDBPyConnection, scope: str | None, since_run: int | None, signature: str) -> bool:
    """Whether the queue may measure only the clusters of the records in ``scope`` (those a night clustered after
    the clustering of run ``since_run``): the store keeps the last queue's parts, built by that run with these
    settings on the clustering just before this one (:func:`clustered`). The state is cleared either way: the
    parts are being rewritten, until this queue is stored."""
    if not has_table(con, STATE_TABLE):
        return False
    state = con.execute(f"SELECT run_id, signature FROM {STATE_TABLE}").fetchall()
    con.execute(f"DELETE FROM {STATE_TABLE}")
    return scope is not None and since_run is not None and state == [(since_run, AFTER + signature)]


# The queue state's signature once a clustering followed its queue: the parts are those of the clustering before.
AFTER = "clustered-after:"


def clustered(con: duckdb.DuckDBPyConnection, kept_from: int | None) -> None:
    """A clustering was written (inside its transaction), keeping the clusters of run ``kept_from``'s clustering
    outside its scope (None: it clustered every record). The parts of a queue built on that clustering stay of use
    to the next queue, which measures the scope's clusters; after any other clustering (a second one with no queue
    between, as a night resumed after its person IDs runs), they are of no use."""
    if not has_table(con, STATE_TABLE):
        return
    con.execute(f"DELETE FROM {STATE_TABLE} WHERE run_id IS DISTINCT FROM ? OR starts_with(signature, ?)",
                [kept_from, AFTER])
    con.execute(f"UPDATE {STATE_TABLE} SET signature = ? || signature", [AFTER])


def create_cluster_info(con: duckdb.DuckDBPyConnection, scope: str | None) -> None:
    """``_cluster_info``: each cluster's size and (any) person; ``_q_measured``: those of the clusters measured
    now (every cluster, or the clusters of the records in ``scope``, with the others taken from the store), with
    ``_q_rc``/``_q_links``/``_q_records``: the clusters', links' and records' rows they read."""
    if scope is None:
        con.execute("CREATE OR REPLACE TEMP VIEW _q_rc AS SELECT rid, cluster_key FROM record_cluster;"
                    " CREATE OR REPLACE TEMP VIEW _q_links AS SELECT * FROM cluster_links;"
                    " CREATE OR REPLACE TEMP VIEW _q_records AS SELECT * FROM records")
    else:  # the rows of the scope's records first: the queue's joins are kept as planned (build_review_queue)
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE _q_rc AS SELECT rid, cluster_key FROM record_cluster
            WHERE rid IN (SELECT rid FROM {scope});
            CREATE OR REPLACE TEMP TABLE _q_links AS SELECT * FROM cluster_links
            WHERE rid_l IN (SELECT rid FROM {scope});
            CREATE OR REPLACE TEMP TABLE _q_records AS SELECT rid, dob_year, dob_year_min, dob_year_max FROM records
            WHERE rid IN (SELECT rid FROM {scope})""")
    persons = "record_person" if scope is None else (
        f"(SELECT rid, person_id FROM record_person WHERE rid IN (SELECT rid FROM {scope}))")
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _q_measured AS
        SELECT rc.cluster_key, count(*) AS size, min(rp.person_id) AS person_id
        FROM _q_rc rc LEFT JOIN {persons} rp USING (rid)
        GROUP BY rc.cluster_key
        """
    )
    if scope is None:
        con.execute("CREATE OR REPLACE TEMP TABLE _cluster_info AS SELECT * FROM _q_measured")
        return
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _q_old_signatures AS SELECT signature FROM {CLUSTERS_TABLE}
        WHERE cluster_key IN (SELECT rid FROM {scope}) AND signature IS NOT NULL;
        CREATE OR REPLACE TEMP TABLE _cluster_info AS
        SELECT cluster_key, size, person_id FROM {CLUSTERS_TABLE} WHERE cluster_key NOT IN (SELECT rid FROM {scope})
        UNION ALL SELECT * FROM _q_measured""")


def create_cluster_items(con: duckdb.DuckDBPyConnection, params: dict) -> None:
    """``_q_items``: the bridge, sparse and birth-year items of the clusters measured now (``_q_measured``),
    decided pairs among them; ``_bridge_links`` holds those clusters' bridges."""
    # bridge links between two groups of at least two records; the rows of the bridges' records first
    # (materialized): joined whole, with the queue's joins kept as planned (build_review_queue), links, clusters
    # and their sizes built hash tables over the whole store (0.17 s at 1M)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {NEW_ITEMS} AS
        WITH links AS MATERIALIZED (
            SELECT rid_l, rid_r, match_probability FROM cluster_links WHERE rid_l IN (SELECT rid_l FROM _bridge_links)),
        clusters AS MATERIALIZED (
            SELECT rid, cluster_key FROM record_cluster WHERE rid IN (SELECT rid_l FROM _bridge_links)),
        sizes AS MATERIALIZED (
            SELECT cluster_key, size FROM _cluster_info WHERE cluster_key IN (SELECT cluster_key FROM clusters))
        SELECT c.cluster_key, l.rid_l, l.rid_r,
               1.5 + (1 - l.match_probability) + least(i.size, 100) / 1000 AS priority,
               {reason_sql("bridge_link", p="l.match_probability", size="i.size")} AS reason,
               l.match_probability
        FROM _bridge_links b
        JOIN links l USING (rid_l, rid_r)
        JOIN clusters c ON c.rid = l.rid_l
        JOIN sizes i ON i.cluster_key = c.cluster_key""")
    # clusters of ``$min_size`` records or more with a link density under ``$density``
    con.execute(f"""
        INSERT INTO {NEW_ITEMS}
        SELECT i.cluster_key, NULL, NULL, 1.2 + least(i.size, 100) / 1000,
               {reason_sql("sparse_cluster", links="k.n", size="i.size", density="k.n / (i.size * (i.size - 1) / 2)")},
               NULL
        FROM _q_measured i
        JOIN (SELECT c.cluster_key, count(*) AS n FROM _q_links l JOIN _q_rc c ON c.rid = l.rid_l
              GROUP BY c.cluster_key) k USING (cluster_key)
        WHERE i.size >= $min_size AND k.n / (i.size * (i.size - 1) / 2) < $density""",
                {"min_size": params["min_size"], "density": params["density"]})
    # clusters whose birth years are more than ``$gap`` apart
    con.execute(f"""
        INSERT INTO {NEW_ITEMS}
        SELECT y.cluster_key, least(y.rid_young, y.rid_old), greatest(y.rid_young, y.rid_old),
               1.4 + least(i.size, 100) / 1000,
               {reason_sql("birth_year_gap", year_old="y.year_old", year_young="y.year_young", gap="$gap")},
               NULL
        FROM (SELECT c.cluster_key,
                     arg_min(r.rid, (coalesce(r.dob_year, r.dob_year_max), r.rid)) AS rid_old,
                     min(coalesce(r.dob_year, r.dob_year_max)) AS year_old,
                     arg_max(r.rid, (coalesce(r.dob_year, r.dob_year_min), -r.rid)) AS rid_young,
                     max(coalesce(r.dob_year, r.dob_year_min)) AS year_young
              FROM _q_rc c JOIN _q_records r USING (rid)
              WHERE c.cluster_key IN (SELECT cluster_key FROM _q_measured WHERE size > 1)
              GROUP BY c.cluster_key) y
        JOIN _q_measured i USING (cluster_key)
        WHERE y.year_young - y.year_old > $gap""", {"gap": params["gap"]})


def store_clusters(con: duckdb.DuckDBPyConnection, scope: str | None) -> str:
    """Keep the measured clusters' parts in the store (those of the clusters of ``scope``'s records, or all);
    the table the queue's cluster items are read from (the store's, or this queue's when the store has none)."""
    if not has_table(con, STATE_TABLE):
        return NEW_ITEMS
    where = "" if scope is None else f" WHERE cluster_key IN (SELECT rid FROM {scope})"
    con.execute(f"""
        DELETE FROM {CLUSTERS_TABLE}{where};
        INSERT INTO {CLUSTERS_TABLE} SELECT m.cluster_key, m.size, m.person_id, s.signature
        FROM _q_measured m LEFT JOIN _qb_signatures s USING (cluster_key);
        DELETE FROM {ITEMS_TABLE}{where};
        INSERT INTO {ITEMS_TABLE} SELECT * FROM {NEW_ITEMS}""")
    return ITEMS_TABLE


def remember(con: duckdb.DuckDBPyConnection, run_id: int, signature: str) -> None:
    """The parts in the store are this queue's (inside the transaction that stores the queue)."""
    if has_table(con, STATE_TABLE):
        con.execute(f"INSERT INTO {STATE_TABLE} VALUES (?, ?)", [run_id, signature])


def drop(con: duckdb.DuckDBPyConnection, scope: str | None) -> None:
    """Drop the temporary tables (and views) of :func:`create_cluster_info` and :func:`create_cluster_items`."""
    for name in ("_q_rc", "_q_links", "_q_records"):
        con.execute(f"DROP {'VIEW' if scope is None else 'TABLE'} IF EXISTS {name}")
    for table in ("_q_measured", "_q_old_signatures", "_qb_signatures", NEW_ITEMS):
        con.execute(f"DROP TABLE IF EXISTS {table}")
