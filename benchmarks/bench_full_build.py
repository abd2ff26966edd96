"""Benchmark: a full build from the demo generator, end to end, and plain Splink on the same data.

Demo data at about 2.5 records per person (not timed), then in a fresh worker process:
ingest, standardize and train as the CLI runs them, then the real nightly job
(``run_nightly``) with the trained model and an empty inbox, which predicts, clusters with
decisions, assigns person IDs, builds the review queue and publishes. Then
benchmarks/bench_plain_splink.py on the same store, and plain Splink end to end from the same demo files
(benchmarks/plain_splink_files.py: register, prior, u, EM, predict, cluster), each in its own process;
both whole times and their ratio go to stderr. Prints one JSON line:
records, seconds per step, peak memory (getrusage of the worker and its children), pairs
compared (blocked) and stored, pairs compared per second of predict, and the ratio to plain Splink.

    .venv/bin/python benchmarks/bench_full_build.py --size 100000
    .venv/bin/python benchmarks/bench_full_build.py --size 1000000 --memory-limit 2GB   # spills
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import (  # noqa: E402
    ROOT,
    emit,
    generate_demo,
    last_json_line,
    machine,
    peak_rss_mb,
    run_worker,
    source_files,
)


def build(db: Path, demo: Path, *, engine: str, memory_limit: str, threads: int | None, seed: int) -> dict:
    """Ingest, standardize, train, then the nightly job: the worker's figures."""
    from linkage.fields.standardize import standardize
    from linkage.model.model_input import tune_connection
    from linkage.model.training import train
    from linkage.nightly import NightlyConfig, run_nightly
    from linkage.paths import store_paths
    from linkage.sources.ingest import ingest_files
    from linkage.store import connect

    paths = store_paths(db)
    seconds: dict[str, float] = {}
    con = connect(db)
    try:
        tune_connection(con, paths.work_dir, memory_limit=memory_limit, threads=threads)
        mark = time.perf_counter()
        ingested = ingest_files(con, source_files(demo))
        seconds["ingest"] = round(time.perf_counter() - mark, 2)
        mark = time.perf_counter()
        standardize(con)
        seconds["standardize"] = round(time.perf_counter() - mark, 2)
        mark = time.perf_counter()
        model = paths.work_dir / "bench_model.json"
        train(con, model, seed=seed, work_dir=paths.work_dir, data_description="benchmark", **_engine_kwargs(engine))
        seconds["train"] = round(time.perf_counter() - mark, 2)
        records = con.execute("SELECT count(*) FROM records").fetchall()[0][0]
    finally:
        con.close()
    empty_inbox = paths.work_dir / "empty-inbox"
    empty_inbox.mkdir(parents=True, exist_ok=True)
    cfg = NightlyConfig(inbox=empty_inbox, db=db, model=model, memory_limit=memory_limit, threads=threads,
                        **_engine_kwargs(engine))  # fmt: skip
    mark = time.perf_counter()
    report = run_nightly(cfg)
    nightly_s = round(time.perf_counter() - mark, 2)
    for step in ("predict", "cluster", "publish"):
        seconds[step] = report.seconds.get(step, 0.0)
    total = round(sum(seconds.values()), 2)
    compared = pairs_compared(db, model)
    figures = {
        "benchmark": "full_build", "engine": engine, "records": records,
        "rows_read": ingested.totals().get("read"), "seconds": seconds, "nightly_s": nightly_s, "total_s": total,
        "pairs_compared": compared, "pairs_per_s": round(compared / max(seconds["predict"], 1e-9)),
        "pairs_stored": report.pairs_scored,
        "persons": report.persons.get("created"), "memory_limit": memory_limit,
    }  # fmt: skip
    return figures | peak_rss_mb()


def pairs_compared(db: Path, model: Path) -> int:
    """Pairs the model's blocking rules generate (Splink's count, sampled above 200,000 records as predict does)."""
    import json

    from splink.blocking_analysis import count_comparisons_from_blocking_rules

    from linkage.model.model_input import splink_workspace
    from linkage.model.prediction import load_rules_from_model
    from linkage.store import connect

    rules = [r.rule for r in load_rules_from_model(json.loads(model.read_text(encoding="utf-8")))]
    con = connect(db)
    try:
        with splink_workspace(con) as ws:
            n = ws.create_model_input()
            counts = count_comparisons_from_blocking_rules(
                ws.register_model_input(), blocking_rules=rules, link_type="dedupe_only",
                unique_id_column_name="rid", record_sample_proportion=min(1.0, 200_000 / n),
            )  # fmt: skip
    finally:
        con.close()
    return int(counts[-1]["cumulative_comparison_count"])


def _engine_kwargs(engine: str) -> dict:
    return {} if engine == "duckdb" else {"engine": engine}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=20000, help="About this many records (2.5 per person).")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb")
    parser.add_argument("--memory-limit", default="6GB", help="DuckDB memory limit; a low one shows spilling.")
    parser.add_argument("--threads", type=int)
    parser.add_argument("--skip-plain", action="store_true", help="Do not run the plain-Splink baseline.")
    parser.add_argument("--worker", nargs=2, metavar=("DB", "DEMO"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        db, demo = map(Path, args.worker)
        emit(build(db, demo, engine=args.engine, memory_limit=args.memory_limit, threads=args.threads, seed=42))
        return

    with tempfile.TemporaryDirectory(prefix="laolink-bench-full-") as tmp:
        demo, demo_s = generate_demo(Path(tmp) / "demo", args.size, args.seed)
        db = Path(tmp) / "bench.duckdb"
        load_before = machine()
        cmd = [sys.executable, __file__, "--worker", str(db), str(demo), "--engine", args.engine,
               "--memory-limit", args.memory_limit]  # fmt: skip
        cmd += ["--threads", str(args.threads)] if args.threads else []
        ours = run_worker(cmd)
        ours["demo_data_s"] = demo_s
        ours["machine"] = load_before
        if not args.skip_plain:
            out = subprocess.run(
                [sys.executable, str(ROOT / "benchmarks" / "bench_plain_splink.py"), "--db", str(db),
                 "--truth", str(demo / "truth.csv")],
                check=True, capture_output=True, text=True,
            )  # fmt: skip
            plain = last_json_line(out.stdout)
            ours["plain_splink"] = {k: plain.get(k) for k in ("train_s", "predict_s", "cluster_s", "total_s",
                                                               "pairs_stored", "peak_rss_mb")}  # fmt: skip
            # Plain Splink starts from ingested records and skips standardization and publishing:
            # compare the same span (train, predict, cluster) and the whole build.
            ours_span = ours["seconds"]["train"] + ours["seconds"]["predict"] + ours["seconds"]["cluster"]
            ours["ratio_to_plain_same_steps"] = round(ours_span / max(plain["total_s"], 1e-9), 2)
            ours["ratio_to_plain_whole_build"] = round(ours["total_s"] / max(plain["total_s"], 1e-9), 2)
            # Plain Splink end to end from the same demo files, in its own process: the build it would replace.
            out = subprocess.run(
                [sys.executable, str(ROOT / "benchmarks" / "plain_splink_files.py"), str(demo)],
                check=True, capture_output=True, text=True,
            )  # fmt: skip
            ours["plain_splink_from_files"] = last_json_line(out.stdout)
            plain_e2e = ours["plain_splink_from_files"]["total_s"]
            ours["ratio_to_plain_end_to_end"] = round(ours["total_s"] / max(plain_e2e, 1e-9), 2)
            print(f"LaoLink whole build {ours['total_s']:.1f} s, plain Splink end to end from the files "
                  f"{plain_e2e:.1f} s: ratio {ours['ratio_to_plain_end_to_end']:.2f}", file=sys.stderr)
        ours["machine_after"] = machine()
        emit(ours)


if __name__ == "__main__":
    main()
