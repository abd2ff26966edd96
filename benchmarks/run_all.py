"""`make bench`: every benchmark at one size, each in its own process; one table of figures at the end.

Each script prints JSON lines; every line is kept, in order, in var/bench/latest.json together with
the machine and its load average (the machine may be shared: the figures are only as good as
the quiet it was measured in). A failing benchmark is reported in the table and the run goes on.

    .venv/bin/python benchmarks/run_all.py --size 20000      # make bench: a few minutes
    .venv/bin/python benchmarks/run_all.py --size 1000000    # make bench SIZE=1000000: the full size
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import RECORDS_PER_PERSON, ROOT, machine  # noqa: E402

BENCH = ROOT / "benchmarks"


def plan(size: int) -> list[tuple[str, list[str]]]:
    """(name, arguments) of each benchmark script at about ``size`` records."""
    persons = str(max(100, round(size / RECORDS_PER_PERSON)))
    new = [n for n in (1000, 10000, 100000) if n <= size // 10] or [max(50, size // 100)]
    return [
        ("bench_ingest.py", ["--rows", str(size)]),
        ("bench_standardize.py", ["--persons", persons]),
        ("bench_full_build.py", ["--size", str(size)]),
        ("bench_incremental.py", ["--size", str(size), "--new", *map(str, new)]),
        ("bench_clustering.py", ["--records", str(size), "--links", str(size * 3 // 2), "--local"]),
        ("bench_model.py", ["--persons", persons, "--skip-plain"]),  # plain Splink runs in the full build
        ("bench_api.py", ["--size", str(min(size, 100_000)), "--seconds", "10"]),
    ]


def _summary(line: dict) -> str:
    """The headline figures of one JSON line, whatever benchmark printed it."""
    keys = ("records", "rows", "total_s", "wall_s", "seconds", "wall_s_by_new_records", "pairs_scored",
            "pairs_compared", "pairs_stored", "pairs_per_s", "rows_per_s", "records_per_s", "peak_rss_mb",
            "ratio_to_plain_same_steps", "pairwise_f1_after_clustering")  # fmt: skip
    shown = {k: line[k] for k in keys if k in line and not isinstance(line[k], list)}
    return json.dumps(shown or line)[:400]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=20000)
    parser.add_argument("--only", nargs="+", help="Run only these scripts (e.g. bench_full_build.py).")
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "bench" / "latest.json")
    args = parser.parse_args()

    results = []
    for script, script_args in plan(args.size):
        if args.only and script not in args.only:
            continue
        print(f"== {script} {' '.join(script_args)}", file=sys.stderr, flush=True)
        load = machine()["load_avg_1m"]
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, str(BENCH / script), *script_args], capture_output=True, text=True)
        lines = []
        for text in proc.stdout.splitlines():
            try:
                lines.append(json.loads(text))
            except json.JSONDecodeError:
                continue
        results.append({
            "script": script, "args": script_args, "ok": proc.returncode == 0,
            "wall_s": round(time.perf_counter() - start, 1), "load_avg_1m_before": load, "lines": lines,
            "error": None if proc.returncode == 0 else (proc.stderr.strip().splitlines() or ["?"])[-1],
        })  # fmt: skip

    report = {"size": args.size, "at": datetime.now(UTC).isoformat(timespec="seconds"),
              "machine": machine() | {"platform": platform.platform(), "python": platform.python_version()},
              "results": results}  # fmt: skip
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")

    print(f"\nbenchmarks at --size {args.size} on {report['machine']['cpus']} cores, "
          f"{report['machine']['memory_gb']} GB (load average now {report['machine']['load_avg_1m']}):")  # fmt: skip
    width = max(len(r["script"]) for r in results) if results else 10
    for r in results:
        status = "ok " if r["ok"] else "FAIL"
        first = True
        for line in r["lines"] or [{"error": r["error"]}]:
            name, state, wall = (r["script"], status, r["wall_s"]) if first else ("", "", "")
            print(f"{name:<{width}}  {state:<4}  {wall:>7}  {_summary(line)}")
            first = False
    print(f"\nwritten to {args.out}")
    sys.exit(0 if all(r["ok"] for r in results) else 1)


if __name__ == "__main__":
    main()
