"""The review queue's items for clustering's flags: decisions clustering could not all honour, and clusters a
decision or a consistency rule cut apart (``clustering_flags`` of the run): one item per flag, in the larger
cluster of its two records.

A consistency cut asks about the strongest link it cut, not about the two records the rule keeps apart (the rule
has answered for them), in the cluster of that link's records, unless a pair item asks already whether the two
persons it joined are one; and only when the model was sure of that link (over the band's top): a link the model
was unsure of, which a contradiction then cut, is settled (on the 100,000-record demo 9 % of those links were one
person, against 28 % over the band).

Each step is its own statement over plain tables (see ``review_queue.build_review_queue`` on DuckDB 2.0.0).
"""

from __future__ import annotations

import duckdb

from linkage.clusters.queue_sql import reason_sql


def insert_flag_items(con: duckdb.DuckDBPyConnection, run_id: int, high: float) -> None:
    """Add the flags' items of run ``run_id`` to ``_items``; ``_band_pairs`` holds the uncertain pair items and
    ``_cut_links`` the links consistency rules cut."""
    params = {"run_id": run_id}
    # the two persons each uncertain pair item asks about (``_band_pairs``: one row per item)
    con.execute("CREATE OR REPLACE TEMP TABLE _pair_persons AS SELECT DISTINCT key_a, key_b FROM _band_pairs")
    # per consistency cut (its two records): the strongest link it cut (``_cut_links``), at the probability
    # clustering gave it (a one-to-one assignment may have raised it over the pair's own), and the two persons that
    # link joined
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _cut_asks AS
        WITH s AS MATERIALIZED (
            SELECT * FROM _cut_links
            QUALIFY row_number() OVER (PARTITION BY flag_l, flag_r ORDER BY p DESC NULLS LAST, rid_l, rid_r) = 1),
        -- the clusters of the asked links' records first: joined whole, with the queue's joins kept as planned
        -- (build_review_queue), record_cluster built a hash table over the whole store
        ca AS MATERIALIZED (SELECT rid, cluster_key FROM record_cluster WHERE rid IN (SELECT rid_l FROM s)),
        cb AS MATERIALIZED (SELECT rid, cluster_key FROM record_cluster WHERE rid IN (SELECT rid_r FROM s))
        SELECT s.flag_l AS rid_l, s.flag_r AS rid_r, s.rid_l AS ask_l, s.rid_r AS ask_r, s.p AS ask_p,
               least(ca.cluster_key, cb.cluster_key) AS key_a, greatest(ca.cluster_key, cb.cluster_key) AS key_b
        FROM s JOIN ca ON ca.rid = s.rid_l JOIN cb ON cb.rid = s.rid_r""")
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _flag_asks AS
        SELECT g.kind, g.rid_l, g.rid_r, g.links_cut, g.detail, x.ask_l, x.ask_r, x.ask_p
        FROM clustering_flags g
        LEFT JOIN _cut_asks x ON g.kind = 'consistency-cut' AND x.rid_l = g.rid_l AND x.rid_r = g.rid_r
        WHERE g.run_id = $run_id
          AND (g.kind <> 'consistency-cut' OR coalesce(x.ask_p, 1) > $high)
          AND NOT EXISTS (SELECT 1 FROM _pair_persons q WHERE q.key_a = x.key_a AND q.key_b = x.key_b)""",
                params | {"high": high})
    reason = f"""CASE f.kind
                 WHEN 'decision-conflict' THEN {reason_sql(
                     "decision_conflict", records="CAST(f.detail->'$.joined_by_positive_decisions' AS BIGINT[])")}
                 WHEN 'oversized-cluster' THEN {reason_sql(
                     "oversized_cluster", records="CAST(f.detail->>'$.records' AS BIGINT)",
                     max_records="CAST(f.detail->>'$.max_records' AS BIGINT)",
                     threshold="CAST(f.detail->>'$.threshold' AS DOUBLE)", links_cut="f.links_cut")}
                 WHEN 'consistency-cut' THEN {reason_sql(
                     "consistency_cut", rule="coalesce(f.detail->>'$.reason', 'contradicting fields')",
                     links_cut="f.links_cut", rid_l="f.rid_l", rid_r="f.rid_r")}
                 ELSE {reason_sql("negative_cut", links_cut="f.links_cut", rid_l="f.rid_l", rid_r="f.rid_r")}
               END"""
    con.execute(f"""
        INSERT INTO _items
        SELECT 'cluster', coalesce(f.ask_l, f.rid_l), coalesce(f.ask_r, f.rid_r), c.cluster_key,
               CASE f.kind WHEN 'decision-conflict' THEN 3.0 ELSE 2.0 END + least(i.size, 100) / 1000,
               {reason}, f.ask_p
        FROM (SELECT *, unnest(list_distinct([coalesce(ask_l, rid_l), coalesce(ask_r, rid_r)])) AS end_rid
              FROM _flag_asks) f  -- each end's cluster, by equality (an IN join scans every record per flag)
        JOIN record_cluster c ON c.rid = f.end_rid
        JOIN _cluster_info i ON i.cluster_key = c.cluster_key
        QUALIFY row_number() OVER (PARTITION BY f.kind, f.rid_l, f.rid_r ORDER BY i.size DESC, c.cluster_key) = 1""")
    con.execute("DROP TABLE _pair_persons; DROP TABLE _cut_asks; DROP TABLE _flag_asks")
