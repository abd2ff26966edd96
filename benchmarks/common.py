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
    from linkage.ingest import ingest_files
    from linkage.store import open_store

    out = Path(tmp) / "demo"
    generate(out, persons, seed=seed)
    with open_store(Path(tmp) / "bench.duckdb") as con:
        ingest_files(con, sorted(out.glob("night1_*")))
        con.execute("CREATE TABLE truth AS SELECT * FROM read_csv(?, all_varchar=true)", [str(out / "truth.csv")])
        yield con
