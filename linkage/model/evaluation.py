"""Measure the stored predictions against a truth file or the stewards' decisions.

Pairwise precision, recall and F1 at a threshold, the threshold that maximises F1, and the
same after clustering (connected components of the pairs at the threshold; production
clustering lives in linkage/clusters/clustering.py) with B-cubed precision and recall. Recall counts
every true pair, including those blocking never generated. Charts: precision-recall and a
match-weight histogram, each as PNG and HTML.
"""

from __future__ import annotations

import base64
import io
import sqlite3
from pathlib import Path

import duckdb
import pandas as pd

from linkage.clusters.clustering import DEFAULT_LINK_THRESHOLD
from linkage.errors import InputFileError, LaoLinkError
from linkage.store import has_table


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def load_truth(con: duckdb.DuckDBPyConnection, truth_path: str | Path, table: str = "eval_truth") -> int:
    """Load ``source,record_id,person_id`` and attach each row to its stored record; return rows matched."""
    path = Path(truth_path)
    if not path.exists():
        raise InputFileError(str(path), "truth file not found")
    columns = con.execute(
        "SELECT column_name FROM (DESCRIBE SELECT * FROM read_csv(?, all_varchar = true, header = true))", [str(path)]
    ).fetchall()
    missing = {"source", "record_id", "person_id"} - {c for (c,) in columns}
    if missing:
        raise InputFileError(str(path), f"truth file needs source,record_id,person_id; missing {sorted(missing)}")
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {table} AS
        SELECT r.rid, t.person_id
        FROM read_csv(?, all_varchar = true, header = true) t
        JOIN records r ON r.source = t.source AND r.record_id = t.record_id
        WHERE r.std_version IS NOT NULL
        """,
        [str(path)],
    )
    return con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]


def connected_components(con: duckdb.DuckDBPyConnection, nodes_sql: str, edges_sql: str, out: str) -> int:
    """Cluster ``nodes_sql`` (column rid) by ``edges_sql`` (rid_l, rid_r) into ``out(rid, cluster)``.

    Label propagation: each record takes the smallest label among itself and its neighbours
    until nothing changes; the number of rounds is the largest cluster's diameter.
    """
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE cc_edges AS SELECT rid_l AS a, rid_r AS b FROM ({edges_sql}) "
        f"UNION ALL SELECT rid_r, rid_l FROM ({edges_sql})"
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE {out} AS SELECT rid, rid AS cluster FROM ({nodes_sql})")
    rounds = 0
    while True:
        rounds += 1
        con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE cc_next AS
            SELECT o.rid, least(o.cluster, coalesce(min(n.cluster), o.cluster)) AS cluster
            FROM {out} o LEFT JOIN cc_edges e ON e.a = o.rid LEFT JOIN {out} n ON n.rid = e.b
            GROUP BY o.rid, o.cluster
            """
        )
        changed = con.execute(
            f"SELECT count(*) FROM cc_next x JOIN {out} o USING (rid) WHERE x.cluster <> o.cluster"
        ).fetchall()[0][0]
        con.execute(f"CREATE OR REPLACE TEMP TABLE {out} AS SELECT * FROM cc_next")
        if changed == 0:
            break
    con.execute("DROP TABLE cc_edges; DROP TABLE cc_next")
    return rounds


def pairwise_scores(
    con: duckdb.DuckDBPyConnection, truth: str, threshold: float, predictions: str = "predictions"
) -> dict:
    """Pairwise P/R/F1 at ``threshold`` and the F1-maximising threshold (over the stored pairs)."""
    true_pairs = con.execute(
        f"SELECT coalesce(sum(n * (n - 1) / 2), 0) FROM (SELECT count(*) n FROM {truth} GROUP BY person_id)"
    ).fetchall()[0][0]
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE eval_pairs AS
        SELECT p.match_weight, p.match_probability, (tl.person_id = tr.person_id) AS is_match
        FROM {predictions} p JOIN {truth} tl ON tl.rid = p.rid_l JOIN {truth} tr ON tr.rid = p.rid_r
        """
    )
    tp, fp = con.execute(
        "SELECT count(*) FILTER (is_match), count(*) FILTER (NOT is_match) FROM eval_pairs "
        "WHERE match_probability >= ?",
        [threshold],
    ).fetchall()[0]
    curve = con.execute(
        """
        SELECT match_weight, match_probability,
               sum(is_match::INT) OVER w AS tp, count(*) OVER w AS predicted
        FROM eval_pairs WINDOW w AS (ORDER BY match_weight DESC ROWS UNBOUNDED PRECEDING)
        """
    ).df()
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / true_pairs if true_pairs else 0.0
    result = {
        "threshold": threshold,
        "true_pairs": int(true_pairs),
        "pairs_stored_between_truth_records": int(len(curve)),
        "precision": precision,
        "recall": recall,
        "f1": _f1(precision, recall),
        "max_recall_of_stored_pairs": int(curve["tp"].max()) / true_pairs if len(curve) and true_pairs else 0.0,
    }
    if len(curve) and true_pairs:
        curve["precision"] = curve["tp"] / curve["predicted"]
        curve["recall"] = curve["tp"] / true_pairs
        curve["f1"] = 2 * curve["precision"] * curve["recall"] / (curve["precision"] + curve["recall"])
        best = curve.loc[curve["f1"].idxmax()]
        result["best_threshold"] = {
            "match_probability": float(best["match_probability"]),
            "match_weight": float(best["match_weight"]),
            "f1": float(best["f1"]),
            "precision": float(best["precision"]),
            "recall": float(best["recall"]),
        }
    return result | {"_curve": curve}


def cluster_scores(
    con: duckdb.DuckDBPyConnection, truth: str, threshold: float, predictions: str = "predictions"
) -> dict:
    """Pairwise and B-cubed precision/recall of connected components at ``threshold``."""
    rounds = connected_components(
        con,
        f"SELECT rid FROM {truth}",
        f"SELECT rid_l, rid_r FROM {predictions} WHERE match_probability >= {float(threshold)}",
        "eval_clusters",
    )
    return _score_clusters(con, truth, "eval_clusters") | {"threshold": threshold, "propagation_rounds": rounds}


def record_cluster_scores(con: duckdb.DuckDBPyConnection, truth: str) -> dict:
    """The same scores for the production clusters in ``record_cluster`` (``linkage.clusters.clustering``:
    decisions and consistency cuts applied), as the nightly run builds them."""
    con.execute(
        "CREATE OR REPLACE TEMP VIEW eval_record_cluster AS SELECT rid, cluster_key AS cluster FROM record_cluster"
    )
    return _score_clusters(con, truth, "eval_record_cluster")


def _score_clusters(con: duckdb.DuckDBPyConnection, truth: str, clusters: str) -> dict:
    """Pairwise and B-cubed precision/recall of ``clusters(rid, cluster)`` against ``truth``."""
    row = con.execute(
        f"""
        WITH cp AS (SELECT c.cluster, t.person_id, count(*) AS n
                    FROM {clusters} c JOIN {truth} t USING (rid) GROUP BY ALL),
             cs AS (SELECT cluster, sum(n) AS n FROM cp GROUP BY cluster),
             ps AS (SELECT person_id, sum(n) AS n FROM cp GROUP BY person_id)
        SELECT (SELECT sum(n * (n - 1) / 2) FROM cp) AS tp,
               (SELECT sum(n * (n - 1) / 2) FROM cs) AS predicted,
               (SELECT sum(n * (n - 1) / 2) FROM ps) AS truth_pairs,
               (SELECT sum(cp.n * cp.n / cs.n) FROM cp JOIN cs USING (cluster)) AS b3_p,
               (SELECT sum(cp.n * cp.n / ps.n) FROM cp JOIN ps USING (person_id)) AS b3_r,
               (SELECT sum(n) FROM cp) AS records,
               (SELECT count(*) FROM cs) AS clusters,
               (SELECT count(*) FROM ps) AS persons
        """
    ).fetchall()[0]
    tp, predicted, truth_pairs, b3_p, b3_r, records, clusters, persons = row
    precision = tp / predicted if predicted else 1.0
    recall = tp / truth_pairs if truth_pairs else 1.0
    return {
        "clusters": int(clusters),
        "persons": int(persons),
        "pairwise_precision": precision,
        "pairwise_recall": recall,
        "pairwise_f1": _f1(precision, recall),
        "bcubed_precision": b3_p / records,
        "bcubed_recall": b3_r / records,
        "bcubed_f1": _f1(b3_p / records, b3_r / records),
    }


def decision_scores(con: duckdb.DuckDBPyConnection, service_db: Path, threshold: float) -> dict | None:
    """Precision/recall on the pairs stewards judged (latest non-superseded, positive or negative)."""
    if not service_db.exists():
        return None
    with sqlite3.connect(service_db) as sconn:
        decisions = pd.read_sql_query(
            """
            SELECT source_l, record_id_l, source_r, record_id_r, judgement FROM decisions d
            WHERE judgement IN ('positive', 'negative')
              AND decision_id NOT IN (SELECT supersedes FROM decisions WHERE supersedes IS NOT NULL)
              AND decision_id = (SELECT max(decision_id) FROM decisions e
                                 WHERE e.source_l = d.source_l AND e.record_id_l = d.record_id_l
                                   AND e.source_r = d.source_r AND e.record_id_r = d.record_id_r)
            """,
            sconn,
        )
    if decisions.empty:
        return None
    con.register("eval_decisions_df", decisions)
    row = con.execute(
        """
        WITH labelled AS (
            SELECT least(a.rid, b.rid) AS rid_l, greatest(a.rid, b.rid) AS rid_r, d.judgement = 'positive' AS is_match
            FROM eval_decisions_df d
            JOIN records a ON a.source = d.source_l AND a.record_id = d.record_id_l
            JOIN records b ON b.source = d.source_r AND b.record_id = d.record_id_r)
        SELECT count(*) FILTER (is_match AND coalesce(p.match_probability, 0) >= ?),
               count(*) FILTER (NOT is_match AND coalesce(p.match_probability, 0) >= ?),
               count(*) FILTER (is_match), count(*)
        FROM labelled l LEFT JOIN predictions p USING (rid_l, rid_r)
        """,
        [threshold, threshold],
    ).fetchall()[0]
    con.unregister("eval_decisions_df")
    tp, fp, positives, labelled = row
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / positives if positives else 0.0
    return {"labelled_pairs": labelled, "precision": precision, "recall": recall, "f1": _f1(precision, recall)}


def _save(fig, out_dir: Path, stem: str, title: str, note: str) -> list[str]:
    import matplotlib.pyplot as plt

    png = out_dir / f"{stem}.png"
    html = out_dir / f"{stem}.html"
    fig.savefig(png, dpi=110)
    buf = io.BytesIO()
    fig.savefig(buf, format="svg")
    plt.close(fig)
    svg = base64.b64encode(buf.getvalue()).decode()
    html.write_text(
        f"<!doctype html><meta charset='utf-8'><title>{title}</title><h1>{title}</h1><p>{note}</p>"
        f"<img alt='{title}' src='data:image/svg+xml;base64,{svg}'>",
        encoding="utf-8",
    )
    return [str(png), str(html)]


def write_charts(con: duckdb.DuckDBPyConnection, curve: pd.DataFrame | None, out_dir: Path) -> list[str]:
    """Precision-recall curve (with truth) and match-weight histogram, as PNG and HTML."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    files = []
    if curve is not None and len(curve):
        fig, ax = plt.subplots(figsize=(7, 5))
        ax.plot(curve["recall"], curve["precision"], color="#3b7dd8")
        ax.set_xlabel("recall")
        ax.set_ylabel("precision")
        ax.set_title("Pairwise precision-recall over the stored pairs")
        ax.grid(alpha=0.3)
        fig.tight_layout()
        files += _save(fig, out_dir, "precision_recall", "Precision-recall", "Each point is a match-weight threshold.")
    weights = con.execute("SELECT match_weight FROM predictions").df()["match_weight"]
    fig, ax = plt.subplots(figsize=(7, 4))
    if curve is not None and len(curve):
        pairs = con.execute("SELECT match_weight, is_match FROM eval_pairs").df()
        ax.hist(
            [pairs.loc[pairs.is_match, "match_weight"], pairs.loc[~pairs.is_match, "match_weight"]],
            bins=60,
            stacked=True,
            label=["same person", "different persons"],
            color=["#3b7dd8", "#d8583b"],
        )
        ax.legend()
    else:
        ax.hist(weights, bins=60, color="#3b7dd8")
    ax.set_xlabel("match weight")
    ax.set_ylabel("pairs")
    ax.set_title("Match weights of the stored pairs")
    fig.tight_layout()
    files += _save(fig, out_dir, "match_weight_histogram", "Match weights", f"{len(weights):,} stored pairs.")
    return files


def evaluate(
    con: duckdb.DuckDBPyConnection,
    *,
    truth_path: str | Path | None = None,
    service_db: Path | None = None,
    threshold: float = DEFAULT_LINK_THRESHOLD,
    out_dir: Path | None = None,
) -> dict:
    """Score the stored predictions against the truth file and/or the stewards' decisions."""
    if not has_table(con, "predictions"):
        raise LaoLinkError("no predictions stored: run `laolink predict` first")
    report: dict = {}
    curve = None
    if truth_path is not None:
        report["truth_records"] = load_truth(con, truth_path)
        pairwise = pairwise_scores(con, "eval_truth", threshold)
        curve = pairwise.pop("_curve")
        report["pairwise"] = pairwise
        report["clusters"] = cluster_scores(con, "eval_truth", threshold)
        if "best_threshold" in pairwise:
            best = pairwise["best_threshold"]["match_probability"]
            report["clusters_at_best_threshold"] = cluster_scores(con, "eval_truth", best)
    if service_db is not None:
        report["decisions"] = decision_scores(con, service_db, threshold)
    if out_dir is not None:
        report["charts"] = write_charts(con, curve, out_dir)
    return report
