"""Benchmark: the plain Splink model a careful engineer without Lao knowledge would write.

Raw columns only (no Lao standardization): Jaro-Winkler on the lower-cased full name,
exact birth date (as written), exact province (as written), exact sex; blocking on the
birth date with the name's first three letters, the name's first six letters with the province
and sex, and the whole name (checked with Splink's blocking analysis to stay near the
LaoLink model's pair count at 1,000,000 records); u by
random sampling, EM on two passes. Scores, clusters (connected components at the
threshold) and prints one JSON line: pairwise F1 after clustering, run times, peak memory.

    .venv/bin/python benchmarks/bench_plain_splink.py --db STORE.duckdb --truth truth.csv
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import splink.comparison_library as cl
from splink import Linker, SettingsCreator, block_on

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import add_model_scores  # noqa: E402
from linkage.model.evaluation import cluster_scores, load_truth, pairwise_scores  # noqa: E402
from linkage.model.model_input import splink_workspace, tune_connection  # noqa: E402
from linkage.paths import store_paths  # noqa: E402
from linkage.store import connect  # noqa: E402

PLAIN_INPUT_SQL = """
    SELECT rid,
           nullif(lower(trim(coalesce(full_name, concat_ws(' ', given_name, family_name)))), '') AS full_name,
           nullif(trim(date_of_birth), '') AS dob,
           nullif(lower(trim(province)), '') AS province,
           nullif(lower(trim(sex)), '') AS sex
    FROM {records}
"""


def plain_settings() -> SettingsCreator:
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="rid",
        comparisons=[
            cl.JaroWinklerAtThresholds("full_name", [0.9, 0.8]),
            cl.ExactMatch("dob"),
            cl.ExactMatch("province"),
            cl.ExactMatch("sex"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("dob", "substr(full_name, 1, 3)"),
            block_on("substr(full_name, 1, 6)", "province", "sex"),
            block_on("full_name"),
        ],
    )


def train_plain(linker: Linker, seed: int) -> None:
    """Prior, u by random sampling, EM on two passes: the plain model's training."""
    linker.training.estimate_probability_two_random_records_match([block_on("full_name", "dob")], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=seed)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"), max_pairs=5e5)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("full_name"), max_pairs=5e5)


def run_plain(db: Path, truth: Path, *, threshold: float = 0.9, seed: int = 42) -> dict:
    paths = store_paths(db)
    con = connect(db)
    tune_connection(con, paths.work_dir)
    figures: dict = {"model": "plain-splink", "threshold": threshold}
    try:
        with splink_workspace(con, paths.work_dir) as ws:
            start = time.perf_counter()
            ws.con.execute(f"CREATE TABLE plain_input AS {PLAIN_INPUT_SQL.format(records=ws.table('records'))}")
            figures["records"] = ws.con.execute("SELECT count(*) FROM plain_input").fetchall()[0][0]
            linker = Linker(ws.db_api.register("plain_input", table_name="plain_records"), plain_settings())
            train_plain(linker, seed)
            figures["train_s"] = round(time.perf_counter() - start, 2)

            start = time.perf_counter()
            scored = linker.inference.predict(threshold_match_weight=-5, warning_mode="never")
            ws.con.execute(
                "CREATE TABLE plain_predictions AS SELECT least(rid_l, rid_r) AS rid_l, "
                "greatest(rid_l, rid_r) AS rid_r, match_weight, match_probability "
                f"FROM {scored.physical_name}"
            )
            figures["predict_s"] = round(time.perf_counter() - start, 2)
            figures["pairs_stored"] = ws.con.execute("SELECT count(*) FROM plain_predictions").fetchall()[0][0]

            start = time.perf_counter()
            clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
                scored, threshold_match_probability=threshold
            )
            figures["n_clusters"] = ws.con.execute(
                f"SELECT count(DISTINCT cluster_id) FROM {clusters.physical_name}"
            ).fetchall()[0][0]
            figures["cluster_s"] = round(time.perf_counter() - start, 2)

            ws.con.execute(f'USE "{ws.store}"')
            load_truth(con, truth)
            ws.con.execute("USE laolink_work")
            scores = cluster_scores(con, "eval_truth", threshold, predictions="plain_predictions")
            pairwise = pairwise_scores(con, "eval_truth", threshold, predictions="plain_predictions")
            pairwise.pop("_curve")
            best = pairwise.get("best_threshold", {}).get("match_probability")
            at_best = cluster_scores(con, "eval_truth", best, predictions="plain_predictions") if best else None
    finally:
        con.close()
    return add_model_scores(figures, scores, pairwise, at_best)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="Store with ingested (and standardized) records.")
    parser.add_argument("--truth", type=Path, required=True, help="CSV source,record_id,person_id.")
    parser.add_argument("--threshold", type=float, default=0.9)
    args = parser.parse_args()
    print(json.dumps(run_plain(args.db, args.truth, threshold=args.threshold)), flush=True)


if __name__ == "__main__":
    main()
