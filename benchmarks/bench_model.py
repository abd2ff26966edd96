"""Benchmark: the LaoLink match model against the plain Splink model, on the same demo data.

Builds a store from the demo generator (demo-data, ingest, standardize; not timed with the
model) unless ``--db`` and ``--truth`` are given, then trains, predicts and clusters with the
LaoLink model, measures pairwise F1 after the production clustering (linkage/clusters/clustering.py, with
the consistency rules the nightly takes from the model file, ``consistency_for_model_file``: the store's
learned birth-year and district rules; and B-cubed), and runs
benchmarks/bench_plain_splink.py on the same store in a subprocess. Prints one JSON line
per model, then one line with both side by side.

    .venv/bin/python benchmarks/bench_model.py --persons 8000 --seed 2024
    .venv/bin/python benchmarks/bench_model.py --persons 400000 --seed 99   # about 1,000,000 records
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import add_model_scores  # noqa: E402
from linkage.clusters.clustering import DEFAULT_LINK_THRESHOLD  # noqa: E402


def build_store(workdir: Path, persons: int, seed: int) -> tuple[Path, Path, dict]:
    """Demo data -> ingest -> standardize, each as the CLI runs it; returns (db, truth, step seconds)."""
    demo, db = workdir / "demo", workdir / "bench.duckdb"
    laolink = str(BIN / "laolink")
    seconds = {}
    for step in ("demo_data", "ingest", "standardize"):
        if step == "demo_data":
            cmd = [laolink, "demo-data", "--out", str(demo), "--persons", str(persons), "--seed", str(seed)]
        elif step == "ingest":
            files = sorted(str(p) for p in demo.iterdir() if p.name.startswith("night"))
            cmd = [laolink, "ingest", *files, "--db", str(db)]
        else:
            cmd = [laolink, "standardize", "--db", str(db)]
        start = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        seconds[f"{step}_s"] = round(time.perf_counter() - start, 2)
    return db, demo / "truth.csv", seconds


def run_laolink(db: Path, truth: Path, *, threshold: float, model: Path | None, seed: int) -> dict:
    from linkage.clusters.clustering import cluster_records
    from linkage.model.consistency_evidence import consistency_for_model_file
    from linkage.model.evaluation import cluster_scores, load_truth, pairwise_scores, record_cluster_scores
    from linkage.model.model_input import tune_connection
    from linkage.model.prediction import predict
    from linkage.model.training import train
    from linkage.paths import store_paths
    from linkage.service.decisions import load_decisions_into
    from linkage.service.service_db import connect_service
    from linkage.store import connect

    paths = store_paths(db)
    con = connect(db)
    tune_connection(con, paths.work_dir)
    figures: dict = {"model": "laolink", "threshold": threshold}
    try:
        start = time.perf_counter()
        if model is None:
            model = paths.work_dir / "bench_model.json"
            train(con, model, seed=seed, work_dir=paths.work_dir, data_description="benchmark")
            figures["train_s"] = round(time.perf_counter() - start, 2)
        else:
            figures["train_s"] = 0.0
            figures["model_file"] = str(model)
        start = time.perf_counter()
        report = predict(con, model, run_id=1, work_dir=paths.work_dir)
        figures["predict_s"] = round(time.perf_counter() - start, 2)
        figures["records"] = report.records
        figures["pairs_scored_estimate"] = report.pairs_estimated
        figures["pairs_stored"] = report.pairs_stored

        start = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:  # no steward decisions yet
            service = connect_service(Path(tmp) / "bench.service.sqlite")
            load_decisions_into(con, service, "bench_decisions")
            service.close()
        rules = consistency_for_model_file(model)  # as the nightly clusters a store this model scored
        clusters = cluster_records(con, threshold=threshold, run_id=1, decisions_table="bench_decisions",
                                   consistency=rules)
        figures["consistency"] = rules.as_dict()
        figures["cluster_s"] = round(time.perf_counter() - start, 2)
        figures["n_clusters"] = clusters.clusters
        figures["consistency_pairs_cut"] = clusters.consistency_pairs_cut

        load_truth(con, truth)
        pairwise = pairwise_scores(con, "eval_truth", threshold)
        pairwise.pop("_curve")
        scores = record_cluster_scores(con, "eval_truth")  # production clusters, consistency cuts applied
        best = pairwise.get("best_threshold", {}).get("match_probability")
        at_best = cluster_scores(con, "eval_truth", best) if best else None
    finally:
        con.close()
    return add_model_scores(figures, scores, pairwise, at_best)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="Existing standardized store (with --truth); else one is built.")
    parser.add_argument("--truth", type=Path)
    parser.add_argument("--persons", type=int, default=8000)
    parser.add_argument("--seed", type=int, default=2024, help="Demo-data seed (use one not used in tuning).")
    parser.add_argument("--threshold", type=float, default=DEFAULT_LINK_THRESHOLD, help="The nightly's link threshold.")
    parser.add_argument("--model", type=Path, help="Score with this model instead of training one.")
    parser.add_argument("--skip-plain", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="laolink-bench-") as tmp:
        build: dict = {}
        if args.db is None:
            db, truth, build = build_store(Path(tmp), args.persons, args.seed)
        else:
            db, truth = args.db, args.truth
        plain = None
        if not args.skip_plain:  # first, so its peak memory is not inflated by ours (RSS carries over a fork)
            out = subprocess.run(
                [sys.executable, str(ROOT / "benchmarks" / "bench_plain_splink.py"), "--db", str(db), "--truth",
                 str(truth), "--threshold", str(args.threshold)],
                check=True, capture_output=True, text=True,
            )  # fmt: skip
            plain = json.loads(out.stdout.strip().splitlines()[-1])
        ours = run_laolink(db, truth, threshold=args.threshold, model=args.model, seed=42) | build
        print(json.dumps(ours), flush=True)
        if plain is None:
            return
        print(json.dumps(plain), flush=True)
        keys = ("records", "pairwise_f1_after_clustering", "pairwise_f1_after_clustering_at_best_threshold",
                "bcubed_precision", "bcubed_recall", "train_s", "predict_s", "cluster_s", "total_s",
                "peak_rss_mb")  # fmt: skip
        print(json.dumps({"side_by_side": {k: {"laolink": ours.get(k), "plain": plain.get(k)} for k in keys}}))


if __name__ == "__main__":
    main()
