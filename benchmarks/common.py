"""Shared by the benchmark scripts: peak memory, one JSON line of figures, demo data in a temp dir."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAOLINK = str(Path(sys.executable).parent / "laolink")
RECORDS_PER_PERSON = 2.5  # the demo generator's night 1 average


def peak_rss_mb() -> dict[str, int]:
    """Peak resident memory of this process and of its largest finished child (e.g. a Spark JVM), in MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
    return {"peak_rss_mb": max(own, children), "peak_rss_self_mb": own, "peak_rss_children_mb": children}


def add_model_scores(figures: dict, scores: dict, pairwise: dict, at_best: dict | None) -> dict:
    """Add a model's scores, total seconds and peak memory to its ``figures``, under the keys that
    bench_model.py sets side by side for the LaoLink and the plain Splink model.

    ``scores``: cluster scores at the run's threshold; ``pairwise``: pairwise scores of the predictions
    before clustering; ``at_best``: cluster scores at the model's own best pairwise threshold (a plain
    model's probabilities are less well calibrated, and a fixed threshold alone would flatter the comparison).
    """
    figures["pairwise_f1_after_clustering"] = round(scores["pairwise_f1"], 4)
    figures["pairwise_precision_after_clustering"] = round(scores["pairwise_precision"], 4)
    figures["pairwise_recall_after_clustering"] = round(scores["pairwise_recall"], 4)
    figures["bcubed_precision"] = round(scores["bcubed_precision"], 4)
    figures["bcubed_recall"] = round(scores["bcubed_recall"], 4)
    figures["pairwise_f1_before_clustering"] = round(pairwise["f1"], 4)
    figures["best_threshold"] = {k: round(v, 4) for k, v in pairwise.get("best_threshold", {}).items()}
    figures["pairwise_f1_after_clustering_at_best_threshold"] = round(at_best["pairwise_f1"], 4) if at_best else None
    figures["total_s"] = round(figures["train_s"] + figures["predict_s"] + figures["cluster_s"], 2)
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return figures


def machine() -> dict:
    """What the figures were measured on; the load average matters on a shared machine."""
    mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal"))
    return {"cpus": os.cpu_count(), "memory_gb": round(mem_kb / 1024 / 1024, 1),
            "load_avg_1m": round(os.getloadavg()[0], 2)}


def emit(figures: dict) -> None:
    print(json.dumps(figures), flush=True)


def generate_demo(out: Path, records: int, seed: int, night: int = 1) -> tuple[Path, float]:
    """Night ``night`` of the demo generator for about ``records`` records; returns (folder, seconds)."""
    persons = max(1, round(records / RECORDS_PER_PERSON))
    start = time.perf_counter()
    subprocess.run([LAOLINK, "demo-data", "--out", str(out), "--persons", str(persons), "--seed", str(seed),
                    "--night", str(night)], check=True, stdout=subprocess.DEVNULL)  # fmt: skip
    return out, round(time.perf_counter() - start, 2)


def source_files(demo: Path, night: int = 1) -> list[Path]:
    return sorted(p for p in demo.iterdir() if p.name.startswith(f"night{night}_"))


def last_json_line(stdout: str) -> dict:
    return json.loads(stdout.strip().splitlines()[-1])


def run_worker(cmd: list[str]) -> dict:
    """Run a benchmark worker process; its JSON line, or an error carrying the end of its stderr."""
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"worker failed ({proc.returncode}): " + "\n".join(proc.stderr.strip().splitlines()[-15:]))
    return last_json_line(proc.stdout)


@contextmanager
def ingested_demo_store(tmp: Path, persons: int, seed: int) -> Iterator:
    """A store of the demo's night 1 (``persons`` persons), ingested, not standardized, with ``truth`` loaded."""
    from linkage.demo_data.generate import generate
    from linkage.sources.ingest import ingest_files
    from linkage.store import open_store

    out = Path(tmp) / "demo"
    generate(out, persons, seed=seed)
    with open_store(Path(tmp) / "bench.duckdb") as con:
        ingest_files(con, sorted(out.glob("night1_*")))
        con.execute("CREATE TABLE truth AS SELECT * FROM read_csv(?, all_varchar=true)", [str(out / "truth.csv")])
        yield con
