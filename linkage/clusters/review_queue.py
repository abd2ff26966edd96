"""The review queue: what a steward should look at, most useful first.

Items, with their priority (higher first):

- 3 + …  stewards' decisions that contradict: two stewards disagree on a pair, or a
  "not the same" pair that "same person" decisions join (A=B, B=C, A≠C);
- 2 + …  clusters that a "not the same" decision split by cutting model links, and those a consistency
          rule cut (asked about the strongest link cut, unless a pair item asks about its two persons; only
          when the model was sure of that link, over the band's top);
- 1 + …  clusters held together by a weak chain: a bridge link (removing it splits the
  cluster into two groups of at least two records; weaker links first), birth years
  further apart than ``max_birth_year_gap``, low link density for the size; larger
  clusters first; a cluster with several of these gets one item with every reason;
- 0 … 1  pairs whose match probability is in the uncertain band and whose answer would join two
  persons: one item per two persons (their most likely pair), none for two persons a steward
  said are not the same, or was not sure about while neither person's records changed since (the
  answer is the same through any other pair of theirs), or whose records contradict by the
  consistency rules (a yes would join records that cannot be one person), or whose records taken all
  together barely look alike, none for a link a consistency rule cut (its cut's item asks); each person
  in one pair item at a time, its likeliest (``linkage.clusters.queue_persons``); priority =
  uncertainty (1 at 0.5) x the records the answer would move (log scale), divided by the item's
  rank among the pairs of its comparison pattern (the levels of every comparison), so that the
  first items cover many patterns and labels teach the model.
  A pair inside one person is not asked: links of the cluster already join its records, and a
  weak one that alone holds the person together is a bridge item.

Every pair of records is on the queue at most once. Reasons are stored as codes with their
values (``reasons``: ``[{"code": ..., "params": {...}}]``), rendered in the reader's language
by the API. A pair (or a cluster item's pair) that a steward has decided does not come back
unless one of its records changed after the decision (``records.updated_at`` later than the
decision's time). The queue is rebuilt on every run.
"""

from __future__ import annotations

import contextlib
import math

import duckdb

from linkage.clusters import queue_band, queue_cache
from linkage.clusters.bridges import BRIDGE_VERSION, MIN_CLUSTER_RECORDS, MIN_SIDE, create_bridge_links
from linkage.clusters.consistency import DEFAULT_RULES, ConsistencyRules
from linkage.clusters.queue_flags import insert_flag_items
from linkage.clusters.queue_persons import PERSON_EVIDENCE_MIN, one_question_per_person
from linkage.clusters.queue_sql import DECIDED, create_decided, not_decided, reason_sql
from linkage.store import draw_contiguous, sequence_drawn

# The uncertain band around the link threshold, in match weight (bits) either side: at the threshold 0.6, 0.35 to
# 0.81. It follows the threshold an operator sets (a fixed band below a raised threshold would never ask about
# the pairs just under it).
REVIEW_BAND_BITS = 1.5
# A cluster this small is never "low density": two or three records linked in a chain are normal.
MIN_SIZE_FOR_DENSITY = 5
# An answer that moves this many records or more counts as much as any (pair priority's size factor is 1).
RECORDS_FOR_FULL_IMPACT = 8


def item_ids_given(con: duckdb.DuckDBPyConnection) -> int:
    """The highest queue item id ever given in ``con``'s current database (0: none): its item sequence's last
    number, or the highest item on its queue when that is higher (a snapshot's copied queue has no sequence).

    An item id is never given again to another item: every numbering (a night's, a decision's) starts above the
    highest any earlier one gave, which published snapshots carry as ``snapshot_info.item_ids_through``."""
    drawn = sequence_drawn(con, "review_item_seq") or 0
    return max(drawn, con.execute("SELECT coalesce(max(item_id), 0) FROM review_queue").fetchall()[0][0])


def review_band(threshold: float, bits: float = REVIEW_BAND_BITS) -> tuple[float, float]:
    """The match probabilities ``bits`` of match weight under and over ``threshold`` (0 < threshold < 1)."""
    weight = math.log2(threshold / (1 - threshold))
    low, high = (1 / (1 + 2 ** -(weight + shift)) for shift in (-bits, bits))
    return low, high


def build_review_queue(
    con: duckdb.DuckDBPyConnection,
    *,
    band: tuple[float, float],
    run_id: int,
    decisions_table: str,
    max_birth_year_gap: int = 2,
    min_density: float = 0.4,
    consistency: ConsistencyRules | None = DEFAULT_RULES,
    scope: str | None = None,
    since_run: int | None = None,
) -> int:
    """Rebuild ``review_queue`` for a run from predictions, clusters, decisions and flags; return its size.

    Needs ``record_cluster``/``cluster_links``/``clustering_flags`` from clustering and
    ``record_person`` from ID assignment (cluster items name the person); ``consistency`` are the rules the
    clustering cut by (two persons they keep apart are not asked about as a pair). ``scope``: a table of the
    records clustered again after the clustering of run ``since_run`` (``ClusterReport``), every other record's
    cluster and person as that clustering left them: the clusters' own parts are measured for theirs only
    (``linkage.clusters.queue_cache``), the queue the same.
    """
    low, high = band
    if not 0.0 <= low < high <= 1.0:
        raise ValueError(f"review band must be 0 <= low < high <= 1, got {band}")
    previous_optimizers = con.execute("SELECT current_setting('disabled_optimizers')").fetchall()[0][0]
    # DuckDB 2.0.0's dictionary-surviving hash join fails (a FATAL error that invalidates the database) when a
    # build side is fed by two pipelines it does not recognise, such as an outer join's output (duckdb#24807);
    # keeping outer joins as written (their build side the joined table) and every item query on plain tables
    # avoids those plans. The setting is the database instance's: the nightly and the decision publisher (under
    # its publish lock) each build the queue on an instance of their own.
    con.execute("SET disabled_optimizers = ?", [",".join(filter(None, [previous_optimizers,
                                                                        "build_side_probe_side"]))])
    try:
        size = _build(con, low, high, run_id, decisions_table, max_birth_year_gap, min_density, consistency,
                      (scope, since_run))
    except BaseException:
        with contextlib.suppress(duckdb.Error):  # an invalidated database refuses this too; keep the first error
            con.execute("SET disabled_optimizers = ?", [previous_optimizers])
        raise
    con.execute("SET disabled_optimizers = ?", [previous_optimizers])
    return size


def _build(con: duckdb.DuckDBPyConnection, low: float, high: float, run_id: int, decisions_table: str,
           max_birth_year_gap: int, min_density: float, consistency: ConsistencyRules | None,
           since: tuple[str | None, int | None]) -> int:
    signature = queue_cache.settings_signature(
        low, high, max_birth_year_gap, min_density, MIN_SIZE_FOR_DENSITY, BRIDGE_VERSION, MIN_CLUSTER_RECORDS,
        MIN_SIDE, PERSON_EVIDENCE_MIN, repr(consistency))
    scope = since[0] if queue_cache.scoped(con, since[0], since[1], signature) else None
    queue_cache.create_cluster_info(con, scope)
    create_bridge_links(con, scope)
    create_decided(con, decisions_table)
    # the links consistency rules cut (each with its cut's two records and the probability clustering gave it):
    # asked about through their cut's item (queue_flags), never as uncertain pairs
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _cut_links AS
        SELECT flag_l, flag_r, link[1] AS rid_l, link[2] AS rid_r, p
        FROM (SELECT rid_l AS flag_l, rid_r AS flag_r, unnest(CAST(detail->'$.cut' AS BIGINT[][])) AS link,
                     unnest(CAST(detail->'$.cut_probabilities' AS DOUBLE[])) AS p
              FROM clustering_flags WHERE run_id = $run_id AND kind = 'consistency-cut')""", {"run_id": run_id})
    _create_band_pairs(con, decisions_table, {"low": low, "high": high}, scope, consistency)
    one_question_per_person(con)
    con.execute("CREATE OR REPLACE TEMP TABLE _items (kind VARCHAR, rid_l BIGINT, rid_r BIGINT, cluster_key BIGINT,"
                " priority DOUBLE, reason JSON, match_probability DOUBLE)")
    # a consistency cut between two persons an uncertain pair item asks about is not asked again
    con.execute(f"INSERT INTO _items {_uncertain_pairs_sql()}",
                {"low": low, "high": high, "full_impact": RECORDS_FOR_FULL_IMPACT})
    insert_flag_items(con, run_id, high)
    con.execute(f"INSERT INTO _items {_contested_pairs_sql(decisions_table)}")
    # the clusters' bridge, sparse and birth-year items: measured now for the clusters that changed, kept for others
    queue_cache.create_cluster_items(con, {"min_size": MIN_SIZE_FOR_DENSITY, "density": min_density,
                                           "gap": max_birth_year_gap})
    items = queue_cache.store_clusters(con, scope)
    con.execute(f"INSERT INTO _items SELECT 'cluster', rid_l, rid_r, cluster_key, priority, reason, match_probability"
                f" FROM {items} i WHERE {not_decided('i')}")
    _replace_queue(con, run_id, signature)
    queue_cache.drop(con, scope)
    for table in ("_items", "_cluster_info", "_cut_links", "_band_pairs", "_refused_persons", "_bridge_links",
                  DECIDED):
        con.execute(f"DROP TABLE IF EXISTS {table}")
    return con.execute("SELECT count(*) FROM review_queue").fetchall()[0][0]


def _create_band_pairs(con: duckdb.DuckDBPyConnection, decisions_table: str, params: dict, scope: str | None,
                       consistency: ConsistencyRules | None) -> None:
    """``_band_pairs``: pairs in the band ``$low``..``$high`` between two persons, one per two persons (their most
    likely pair), unless decided, the two persons said not the same, cut by a consistency rule (``_cut_links``:
    its cut's item asks about the strongest link it cut), or the two persons may not be asked about
    (``linkage.clusters.queue_band``: their records contradict or barely look alike)."""
    # two persons a "not the same" keeps apart, or a "not sure" answered for while neither's records changed
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _refused_persons AS
        WITH decided AS MATERIALIZED (
            SELECT rid_l, rid_r, judgement, decided_at FROM {decisions_table}
            WHERE judgement IN ('negative', 'unsure')),
        -- the few rows of the decided records first (materialized): the queue's joins are kept as planned
        -- (build_review_queue), and a join to every record's cluster built its hash table over the whole store
        cluster_l AS MATERIALIZED (
            SELECT rid, cluster_key FROM record_cluster WHERE rid IN (SELECT rid_l FROM decided)),
        cluster_r AS MATERIALIZED (
            SELECT rid, cluster_key FROM record_cluster WHERE rid IN (SELECT rid_r FROM decided)),
        ends AS MATERIALIZED (
            SELECT d.judgement, d.decided_at, least(a.cluster_key, b.cluster_key) AS key_a,
                   greatest(a.cluster_key, b.cluster_key) AS key_b
            FROM decided d JOIN cluster_l a ON a.rid = d.rid_l JOIN cluster_r b ON b.rid = d.rid_r),
        unsure AS MATERIALIZED (SELECT key_a AS cluster_key FROM ends WHERE judgement = 'unsure'
                                UNION SELECT key_b FROM ends WHERE judgement = 'unsure'),
        members AS MATERIALIZED (SELECT rid, cluster_key FROM record_cluster
                                 WHERE cluster_key IN (SELECT cluster_key FROM unsure)),
        updated AS MATERIALIZED (SELECT rid, updated_at FROM records WHERE rid IN (SELECT rid FROM members)),
        changed AS (
            SELECT m.cluster_key, max(r.updated_at) AS last_change
            FROM members m JOIN updated r ON r.rid = m.rid
            GROUP BY m.cluster_key)
        SELECT key_a, key_b FROM ends WHERE judgement = 'negative'
        UNION
        SELECT e.key_a, e.key_b FROM ends e
        JOIN changed ca ON ca.cluster_key = e.key_a JOIN changed cb ON cb.cluster_key = e.key_b
        WHERE e.judgement = 'unsure' AND ca.last_change <= e.decided_at AND cb.last_change <= e.decided_at""")
    candidates = queue_band.create_candidates(con, scope, params, consistency)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _band_pairs AS
        SELECT p.rid_l, p.rid_r, p.match_probability, p.pattern, il.size + ir.size AS records,
               least(p.key_l, p.key_r) AS key_a, greatest(p.key_l, p.key_r) AS key_b
        FROM {candidates} p
        JOIN _cluster_info il ON il.cluster_key = p.key_l
        JOIN _cluster_info ir ON ir.cluster_key = p.key_r
        WHERE NOT p.dropped AND {not_decided("p")}
          AND NOT EXISTS (SELECT 1 FROM _cut_links c WHERE c.rid_l = p.rid_l AND c.rid_r = p.rid_r)
          AND NOT EXISTS (SELECT 1 FROM _refused_persons x WHERE x.key_a = least(p.key_l, p.key_r)
                                                             AND x.key_b = greatest(p.key_l, p.key_r))
        QUALIFY row_number() OVER (
            PARTITION BY least(p.key_l, p.key_r), greatest(p.key_l, p.key_r)
            ORDER BY p.match_probability DESC, p.rid_l, p.rid_r) = 1
        """
    )
    con.execute(f"DROP TABLE IF EXISTS {queue_band.NEW_CANDIDATES}")


def _uncertain_pairs_sql() -> str:
    """The pair items of ``_band_pairs``: priority = uncertainty x records the answer moves, by pattern rank."""
    return f"""
        SELECT 'pair' AS kind, rid_l, rid_r, NULL AS cluster_key,
               impact / row_number() OVER (PARTITION BY pattern ORDER BY impact DESC, rid_l, rid_r) AS priority,
               {reason_sql("uncertain_band", p="match_probability", low="$low", high="$high", records="records")}
                   AS reason,
               match_probability
        FROM (SELECT *, (1 - 2 * abs(match_probability - 0.5))
                        * least(1.0, ln(records) / ln($full_impact)) AS impact
              FROM _band_pairs)
        """


def _contested_pairs_sql(decisions_table: str) -> str:
    """Pairs two stewards decided differently."""
    return f"""
        SELECT 'pair', d.rid_l, d.rid_r, NULL, 3.5, {reason_sql("stewards_disagree", detail="d.conflict_detail")}, NULL
        FROM {decisions_table} d WHERE d.contested
        """


def _replace_queue(con: duckdb.DuckDBPyConnection, run_id: int, signature: str) -> None:
    """Replace ``review_queue`` with one item per pair, and per cluster (its reasons, most urgent first);
    a pair that is both (a flagged cluster's pair) is listed once, at its higher priority.

    An item still in the queue keeps its ``item_id``: a steward's page opened before a decision was published
    (which rebuilds the queue) still finds its item."""
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE _previous_items AS SELECT item_id, kind, rid_l, rid_r, person_id"
                    " FROM review_queue")
        con.execute("DELETE FROM review_queue")
        con.execute(
            """
        CREATE OR REPLACE TEMP TABLE _queue_rows AS
        WITH it AS (SELECT DISTINCT * FROM _items),
        -- the persons of the pair items' records first (materialized): a join to record_person whole built its
        -- hash table over every record, twice
        persons AS MATERIALIZED (
            SELECT rid, person_id FROM record_person
            WHERE rid IN (SELECT unnest([rid_l, rid_r]) FROM _items WHERE kind = 'pair')),
        pairs AS (
            SELECT 'pair' AS kind, it.rid_l, it.rid_r,
                   CASE WHEN any_value(pl.person_id) = any_value(pr.person_id) THEN any_value(pl.person_id) END
                       AS person_id,
                   max(it.priority) AS priority,
                   '[' || string_agg(CAST(it.reason AS VARCHAR), ','
                                     ORDER BY it.priority DESC, CAST(it.reason AS VARCHAR)) || ','
                       || CASE WHEN any_value(pl.person_id) = any_value(pr.person_id)
                               THEN '{"code": "now_same_person"}' ELSE '{"code": "now_different_persons"}' END
                       || ']' AS reasons,
                   max(it.match_probability) AS match_probability
            FROM it LEFT JOIN persons pl ON pl.rid = it.rid_l LEFT JOIN persons pr ON pr.rid = it.rid_r
            WHERE it.kind = 'pair' GROUP BY it.rid_l, it.rid_r),
        clusters AS (
            -- ties broken by the records' ids, so a re-run (a killed night resumed) builds the same items, numbered
            -- alike (``_replace_queue``)
            SELECT 'cluster' AS kind, arg_max(it.rid_l, (it.priority, -it.rid_l, -it.rid_r)) AS rid_l,
                   arg_max(it.rid_r, (it.priority, -it.rid_l, -it.rid_r)) AS rid_r,
                   min(i.person_id) AS person_id, max(it.priority) + (count(*) - 1) * 0.05 AS priority,
                   '[' || string_agg(CAST(it.reason AS VARCHAR), ','
                                     ORDER BY it.priority DESC, it.rid_l, it.rid_r, CAST(it.reason AS VARCHAR))
                       || ']' AS reasons,
                   arg_max(it.match_probability, (it.priority, -it.rid_l, -it.rid_r)) AS match_probability
            FROM it JOIN _cluster_info i USING (cluster_key) WHERE it.kind = 'cluster'
            GROUP BY it.cluster_key)
        SELECT p.item_id AS old_id, n.kind, n.rid_l, n.rid_r, n.person_id, n.priority,
               CAST(n.reasons AS JSON) AS reasons, n.match_probability,
               -- the queue's order, every tie broken (a cluster item's person is its own)
               row_number() OVER (ORDER BY n.priority DESC, n.rid_l, n.rid_r, n.person_id, n.kind) AS position
        FROM (SELECT * FROM (SELECT * FROM pairs UNION ALL SELECT * FROM clusters)
              QUALIFY rid_l IS NULL OR row_number() OVER (PARTITION BY rid_l, rid_r ORDER BY priority DESC, kind) = 1
             ) n
        LEFT JOIN _previous_items p ON p.kind = n.kind AND p.rid_l IS NOT DISTINCT FROM n.rid_l
             AND p.rid_r IS NOT DISTINCT FROM n.rid_r AND (n.rid_l IS NOT NULL OR p.person_id = n.person_id)
        """)
        (new,) = con.execute("SELECT count(*) FROM _queue_rows WHERE old_id IS NULL").fetchall()[0]
        # drawn in one statement and numbered in the queue's order, the same on a re-run (``nextval`` in the insert
        # numbered them in whatever order its parallel scan read them)
        first = draw_contiguous(con, "review_item_seq", new, "queue item ids")
        con.execute(
            """
        INSERT INTO review_queue (item_id, kind, rid_l, rid_r, person_id, priority, reasons, match_probability,
                                  run_id)
        SELECT coalesce(old_id, $first - 1 + row_number() OVER (PARTITION BY old_id IS NULL ORDER BY position)),
               kind, rid_l, rid_r, person_id, priority, reasons, match_probability, $run_id
        FROM _queue_rows ORDER BY position
        """,
            {"run_id": run_id, "first": first},
        )
        con.execute("DROP TABLE _previous_items; DROP TABLE _queue_rows")
        queue_cache.remember(con, run_id, signature)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
