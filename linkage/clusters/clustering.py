"""Person clusters: connected components of model links, with steward decisions as constraints.

A "same person" decision is a link whatever the model says. A "not the same" decision
removes the model's link between the pair and, when other links still join the two
records, cuts the weakest set of model links between them (a minimum cut, links weighted
by match weight; decision links are never cut) and flags the clusters for review.

When a "not the same" pair is joined by "same person" decisions alone (A=B, B=C, but
A≠C), the decisions contradict each other and no cut can honour them all: the records
stay together, as the positive decisions say, and the conflict goes to the review queue
(``clustering_flags`` kind ``decision-conflict``) for a steward to settle.

Clusters must also be consistent (``linkage.clusters.consistency``): two records of one cluster that
contradict each other outright (birth years a generation apart) are treated like a "not the
same" decision, after the stewards' own: the weakest links between them are cut and the cluster
is flagged (``consistency-cut``). A pair that "same person" decisions join stays together.

Components are found by scipy's graph search over the links read as arrays
(``linkage.clusters.components``); only the components that hold a "not the same" pair or a
contradiction come into Python, for the cut (``linkage.clusters.cuts``).
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass

import duckdb
import pyarrow as pa

from linkage.clusters import queue_cache
from linkage.clusters.components import connected_components
from linkage.clusters.consistency import DEFAULT_RULES, ConsistencyRules
from linkage.clusters.cut_cache import CUT_VERSION
from linkage.clusters.cuts import MIN_CUT_CAPACITY, cut_contradictions
from linkage.clusters.one_to_one import (
    ASSIGNMENT_TABLE,
    LISTED_ONCE_TABLE,
    create_assignment_probabilities,
    listed_once_sources,
)
from linkage.clusters.partial_names import keep_partial_names_to_one_group
from linkage.clusters.scope import SCOPE_TABLE, create_scope, settings_signature, write_state

# Match probability that links two records, the nightly's default (``--threshold``). Measured on DEV variants
# of the shifted demo data (seeds 1001-1006, 10,000 records each): mean pairwise F1 after clustering 0.917 at
# 0.8, 0.924 at 0.7, 0.928 at 0.6; dev-all at 100,000 records 0.745 / 0.766 / 0.777; the links gained are
# pairs with a name and little else, which a store-trained model scores under-confidently. On the team's own
# demo data (100,000 records, seed 4242) it costs 0.003 (0.962 -> 0.959). Links between 0.6 and 0.81 stay in
# the review band (``linkage.clusters.review_queue.review_band``), where stewards see them first.
DEFAULT_LINK_THRESHOLD = 0.6
# No one person has this many records: a component this large is a chain of namesakes (or a
# placeholder name and date a source uses for "unknown"), not a person. Its model links are held
# to ever stricter thresholds until its parts are smaller, and it is flagged for review. Left
# whole, it would publish one person ID for thousands of people, and its consistency check
# (every pair of its records) would grow with the square of its size.
MAX_CLUSTER_RECORDS = 500
STRICTER_THRESHOLDS = (0.9, 0.95, 0.99, 0.999, 0.9999)


@dataclass
class ClusterReport:
    run_id: int
    threshold: float
    records: int = 0
    clusters: int = 0
    singletons: int = 0
    largest_cluster: int = 0
    model_links: int = 0
    decision_links: int = 0
    negative_pairs_cut: int = 0
    consistency_pairs_cut: int = 0
    links_cut: int = 0
    decision_conflicts: int = 0
    oversized_components: int = 0
    assignment_pairs: int = 0  # pairs between sources that list each person once (linkage.clusters.one_to_one)
    partial_name_links_dropped: int = 0  # links to a second group of a record with a given name only (partial_names)
    records_clustered: int = 0  # the records of the components clustered (all, or those a night touched)
    scope_table: str | None = None  # those records when not all (kept for the person IDs; the caller drops it)
    kept_from: int | None = None  # then the run whose clustering the other records keep
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return asdict(self)


def _break_oversized_components(con: duckdb.DuckDBPyConnection, threshold: float, max_records: int) -> list[dict]:
    """Hold the model links of components over ``max_records`` to stricter thresholds; one flag per component.

    Decision links are never dropped. A part still too large at the strictest threshold
    stays as it is (flagged; its consistency check is skipped).
    """
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _oversized AS SELECT node, label AS origin, NULL::DOUBLE AS threshold "
        "FROM _labels WHERE label IN (SELECT label FROM _labels GROUP BY label HAVING count(*) > ?)",
        [max_records],
    )
    con.execute("CREATE OR REPLACE TEMP TABLE _dropped (rid_l BIGINT, rid_r BIGINT)")
    for stricter in (t for t in STRICTER_THRESHOLDS if t > threshold):
        big = [r[0] for r in con.execute(
            "SELECT label FROM _labels GROUP BY label HAVING count(*) > ?", [max_records]).fetchall()]
        if not big:
            break
        params = {"t": stricter, "big": big}
        con.execute(
            "UPDATE _oversized SET threshold = $t "
            "WHERE node IN (SELECT node FROM _labels WHERE label IN (SELECT unnest($big::BIGINT[])))",
            params,
        )
        con.execute(
            "INSERT INTO _dropped SELECT k.rid_l, k.rid_r FROM _links k JOIN _labels l ON l.node = k.rid_l "
            "WHERE k.origin = 'model' AND k.match_probability < $t AND l.label IN (SELECT unnest($big::BIGINT[]))",
            params,
        )
        con.execute("DELETE FROM _links WHERE (rid_l, rid_r) IN (SELECT (rid_l, rid_r) FROM _dropped)")
        # only the large components lost links: their parts replace them (a record left alone has no label)
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _big_links AS SELECT k.rid_l, k.rid_r FROM _links k"
            " JOIN _labels l ON l.node = k.rid_l WHERE l.label IN (SELECT unnest($big::BIGINT[]))", {"big": big})
        connected_components(con, "_big_links", "_big_parts")
        con.execute("DELETE FROM _labels WHERE label IN (SELECT unnest($big::BIGINT[]))", {"big": big})
        con.execute("INSERT INTO _labels SELECT node, label FROM _big_parts;"
                    " DROP TABLE _big_links; DROP TABLE _big_parts")
    rows = con.execute(
        """
        SELECT o.origin, count(*), max(o.threshold),
               (SELECT count(*) FROM _dropped d JOIN _oversized x ON x.node = d.rid_l WHERE x.origin = o.origin)
        FROM _oversized o GROUP BY o.origin ORDER BY o.origin
        """
    ).fetchall()
    con.execute("DROP TABLE _oversized; DROP TABLE _dropped")
    return [
        {"kind": "oversized-cluster", "rid_l": origin, "rid_r": origin, "links_cut": dropped,
         "detail": {"records": size, "max_records": max_records, "threshold": strictest}}
        for origin, size, strictest, dropped in rows
    ]  # fmt: skip


def cluster_records(
    con: duckdb.DuckDBPyConnection,
    *,
    threshold: float,
    run_id: int,
    decisions_table: str,
    consistency: ConsistencyRules | None = DEFAULT_RULES,
    max_records: int = MAX_CLUSTER_RECORDS,
    incremental: bool = False,
    settings: str = "",
    check_persons: bool = False,
) -> ClusterReport:
    """Rebuild ``record_cluster`` (every record, singletons too) and ``cluster_links`` for a run.

    ``decisions_table`` is the table written by ``linkage.service.decisions.load_decisions_into``;
    ``consistency`` the contradictions that split a cluster (None: no consistency cuts);
    ``max_records`` the size over which a component's model links must pass stricter thresholds;
    ``incremental``: only the components touched since the last clustering are clustered again when its
    settings were the same (``linkage.clusters.scope``), ``settings`` naming any the caller adds (the
    decisions' classifier); ``check_persons``: persons were taken from elsewhere (a decision snapshot).
    """
    started = time.perf_counter()
    report = ClusterReport(run_id=run_id, threshold=threshold)
    listed_once = listed_once_sources(con)
    signature = settings_signature(
        threshold, consistency, max_records, STRICTER_THRESHOLDS, CUT_VERSION, MIN_CUT_CAPACITY, settings,
        sorted(r[0] for r in con.execute(f"SELECT source FROM {LISTED_ONCE_TABLE}").fetchall()))
    # pairs between two sources that list each person once are assigned one to one over all their pairs
    kept_from = create_scope(con, decisions_table=decisions_table, signature=signature, consistency=consistency,
                             check_persons=check_persons) if incremental and listed_once < 2 else None
    report.assignment_pairs = create_assignment_probabilities(con) if listed_once >= 2 else 0
    _create_links(con, threshold, decisions_table, assignment=listed_once >= 2, scoped=kept_from is not None)
    connected_components(con, "_links", "_labels")
    con.execute("CREATE OR REPLACE TEMP TABLE _components AS SELECT node, label FROM _labels")
    if consistency is not None and consistency.partial_name_joins_one:
        report.partial_name_links_dropped = keep_partial_names_to_one_group(con)
    flags: list[dict] = _break_oversized_components(con, threshold, max_records)
    flags += cut_contradictions(con, decisions_table, consistency, max_records, forget_others=kept_from is None)
    con.execute("BEGIN TRANSACTION")
    try:
        _write_clusters(con, run_id, flags, kept_from)
        write_state(con, scoped=kept_from is not None, decisions_table=decisions_table, signature=signature,
                    consistency=consistency, run_id=run_id)
        queue_cache.clustered(con, kept_from)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    _count_clusters(con, report)
    if kept_from is None:
        report.records_clustered = report.records
    else:
        report.records_clustered = con.execute(f"SELECT count(*) FROM {SCOPE_TABLE}").fetchall()[0][0]
        report.scope_table, report.kept_from = SCOPE_TABLE, kept_from
    con.execute("DROP TABLE IF EXISTS _links; DROP TABLE IF EXISTS _labels; DROP TABLE IF EXISTS _cut_components;"
                " DROP TABLE IF EXISTS _components;"
                f" DROP TABLE IF EXISTS {ASSIGNMENT_TABLE}; DROP TABLE IF EXISTS {LISTED_ONCE_TABLE}")
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def _create_links(con: duckdb.DuckDBPyConnection, threshold: float, decisions_table: str, *, assignment: bool,
                  scoped: bool = False) -> None:
    """``_links``: the model's links at ``threshold`` that no decision settled, and every "same person" decision;
    with ``scoped``, those of the records in ``_cluster_scope`` (a link's two records are both in it or neither).

    With ``assignment``, a pair between two sources that list each person once is linked when its one-to-one
    probability (``linkage.clusters.one_to_one``) reaches the threshold, whatever the pairwise one says."""
    scored = "predictions" if not assignment else (
        f"(SELECT rid_l, rid_r, match_weight, match_probability FROM predictions UNION ALL "
        f"SELECT rid_l, rid_r, match_weight, match_probability FROM {ASSIGNMENT_TABLE})")
    def in_scope(rid: str) -> str:
        return f" AND {rid} IN (SELECT rid FROM {SCOPE_TABLE})" if scoped else ""

    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _links AS
        WITH model AS (
            SELECT rid_l, rid_r, max(match_weight) AS match_weight, max(match_probability) AS match_probability
            FROM {scored} WHERE match_probability >= $threshold{in_scope("rid_l")} GROUP BY rid_l, rid_r
        )
        SELECT m.rid_l, m.rid_r, m.match_weight, m.match_probability, 'model' AS origin
        FROM model m ANTI JOIN {decisions_table} d
            ON d.rid_l = m.rid_l AND d.rid_r = m.rid_r AND d.judgement IN ('positive', 'negative')
        UNION ALL
        SELECT d.rid_l, d.rid_r, max(p.match_weight), max(p.match_probability), 'decision'
        FROM {decisions_table} d LEFT JOIN predictions p USING (rid_l, rid_r)
        WHERE d.judgement = 'positive'{in_scope("d.rid_l")}
        GROUP BY d.rid_l, d.rid_r
        """,
        {"threshold": threshold},
    )


def _write_clusters(con: duckdb.DuckDBPyConnection, run_id: int, flags: list[dict], kept_from: int | None) -> None:
    """Replace ``record_cluster``, ``cluster_links`` and ``clustering_flags`` (in the caller's transaction). With
    ``kept_from``, only the rows of the records in ``_cluster_scope``: the other records keep theirs, and the flags of
    run ``kept_from`` that are about them. Only the run's flags stay: an earlier run's are read by nothing (its
    report keeps its counts), and kept they grew by a clustering's flags every night."""
    scope = f"(SELECT rid FROM {SCOPE_TABLE})"
    if kept_from is None:
        con.execute("DELETE FROM record_cluster; DELETE FROM cluster_links; DELETE FROM clustering_flags")
        records = "records r"
    else:  # the kept flags are read before the run's are deleted: a resumed run keeps from itself
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE _kept_flags AS SELECT kind, rid_l, rid_r, links_cut, detail
            FROM clustering_flags WHERE run_id = {int(kept_from)} AND rid_l NOT IN {scope};
            DELETE FROM record_cluster WHERE rid IN {scope};
            DELETE FROM cluster_links WHERE rid_l IN {scope};
            DELETE FROM clustering_flags;
            INSERT INTO clustering_flags SELECT {int(run_id)}, * FROM _kept_flags;
            DROP TABLE _kept_flags;""")
        records = f"records r SEMI JOIN {SCOPE_TABLE} s ON s.rid = r.rid"
    con.execute(
        f"""
        INSERT INTO record_cluster
        SELECT r.rid, coalesce(l.label, r.rid) FROM {records} LEFT JOIN _labels l ON l.node = r.rid;
        INSERT INTO cluster_links SELECT rid_l, rid_r, match_weight, match_probability, origin FROM _links;
        """
    )
    if flags:
        flag_arrow = pa.table(
            {
                "kind": [f["kind"] for f in flags],
                "rid_l": pa.array([f["rid_l"] for f in flags], pa.int64()),
                "rid_r": pa.array([f["rid_r"] for f in flags], pa.int64()),
                "links_cut": pa.array([f["links_cut"] for f in flags], pa.int32()),
                "detail": [json.dumps(f["detail"]) for f in flags],
            }
        )
        con.register("_flag_arrow", flag_arrow)
        con.execute(
            "INSERT INTO clustering_flags SELECT $run_id, kind, rid_l, rid_r, links_cut, detail FROM _flag_arrow",
            {"run_id": run_id},
        )
        con.unregister("_flag_arrow")


def _count_clusters(con: duckdb.DuckDBPyConnection, report: ClusterReport) -> None:
    """Fill the report's record, cluster, link and flag counts from the tables just written."""
    stats = con.execute(
        """
        WITH sizes AS (SELECT cluster_key, count(*) AS n FROM record_cluster GROUP BY cluster_key)
        SELECT sum(n), count(*), count(*) FILTER (WHERE n = 1), max(n) FROM sizes
        """
    ).fetchall()[0]
    report.records, report.clusters, report.singletons, report.largest_cluster = (int(x or 0) for x in stats)
    origins = dict(con.execute("SELECT origin, count(*) FROM cluster_links GROUP BY origin").fetchall())
    report.model_links = origins.get("model", 0)
    report.decision_links = origins.get("decision", 0)
    kinds = dict(con.execute("SELECT kind, count(*) FROM clustering_flags WHERE run_id = ? GROUP BY kind",
                             [report.run_id]).fetchall())
    report.oversized_components = kinds.get("oversized-cluster", 0)
    report.negative_pairs_cut = kinds.get("negative-cut", 0)
    report.consistency_pairs_cut = kinds.get("consistency-cut", 0)
    report.decision_conflicts = kinds.get("decision-conflict", 0)
    report.links_cut = con.execute(
        "SELECT coalesce(sum(links_cut), 0) FROM clustering_flags WHERE run_id = ? "
        "AND kind IN ('negative-cut', 'consistency-cut')", [report.run_id]).fetchall()[0][0]
