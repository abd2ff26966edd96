"""Benchmark: does multiple systems estimation from LaoLink's own linked clusters cover the true total? (issue #15)

For each seed the demo generator invents a population of which the sources record only part, independently and
with source-dependent probabilities (``linkage.demo_data.hidden_population``); the nightly links the files as
deployed (below 5,000 records: the shipped demo model). ``laolink mse``'s estimate over the five national lists
is then computed from the published persons (linkage errors included), from the clusters at match probability
0.5 and 0.95, and from the true persons of truth.csv (no linkage error). The true total is every invented person.
Prints one JSON line per seed, then the coverage of the 95 % interval and the mean relative error of each, side
by side: the difference between linked and true clusters is linkage error's share.

    .venv/bin/python benchmarks/bench_mse.py                     # 20 seeds, 2,000 persons each
    .venv/bin/python benchmarks/bench_mse.py --seeds 3 --persons 500
"""

from __future__ import annotations

import argparse
import csv
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import emit, machine  # noqa: E402
from linkage.demo_data.generate import generate  # noqa: E402
from linkage.demo_data.hidden_population import NATIONAL_SOURCES  # noqa: E402
from linkage.nightly import NightlyConfig, run_nightly  # noqa: E402
from linkage.statistics.capture_table import CaptureTable, capture_table  # noqa: E402
from linkage.statistics.mse import MseEstimate, estimate_population  # noqa: E402
from linkage.statistics.person_lists import (  # noqa: E402
    SENSITIVITY_THRESHOLDS,
    capture_tables,
    open_published_records,
    parse_lists,
    person_facts_at,
)


def true_table(truth: Path) -> CaptureTable:
    """The capture histories of the true persons over the national lists."""
    seen: dict[str, set[str]] = {}
    with truth.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["source"] in NATIONAL_SOURCES:
                seen.setdefault(row["person_id"], set()).add(row["source"])
    rows = [(tuple(int(source in sources) for source in NATIONAL_SOURCES), 1) for sources in seen.values()]
    return capture_table(list(NATIONAL_SOURCES), rows)


def linked_table(db: Path, threshold: float | None = None) -> CaptureTable:
    """The capture histories over the national lists of the published persons (None) or clusters at threshold."""
    with open_published_records(db, None) as published:
        lists = parse_lists(",".join(NATIONAL_SOURCES), published.sources)
        return capture_tables(person_facts_at(published, threshold), lists, None)["all"]


def _figures(estimate: MseEstimate, total: int) -> dict:
    low, high = estimate.ci95
    return {"observed": estimate.observed, "estimate": round(estimate.estimate, 1), "ci95": [round(low), round(high)],
            "covered": low <= total <= high, "relative_error": round(estimate.estimate / total - 1, 4),
            "terms": estimate.terms}


def run_seed(seed: int, persons: int, work: Path) -> dict:
    demo, inbox, db = work / "demo", work / "inbox", work / "laolink.duckdb"
    generate(demo, persons, seed, hidden=True)
    inbox.mkdir()
    for path in demo.glob("night1_*"):
        shutil.move(path, inbox / path.name)
    start = time.perf_counter()
    run_nightly(NightlyConfig(inbox=inbox, db=db, threads=1))  # as deployed: below 5,000 records, the shipped model
    figures = {"seed": seed, "total": persons, "seconds": 0.0}
    for key, threshold in (("linked", None), *((f"linked_at_{t}", t) for t in SENSITIVITY_THRESHOLDS)):
        figures[key] = _figures(estimate_population(linked_table(db, threshold)), persons)
    figures["true_clusters"] = _figures(estimate_population(true_table(demo / "truth.csv")), persons)
    figures["seconds"] = round(time.perf_counter() - start, 1)
    return figures


def _summary(results: list[dict], key: str) -> dict:
    errors = [r[key]["relative_error"] for r in results]
    return {"covered": sum(r[key]["covered"] for r in results), "of": len(results),
            "mean_relative_error": round(sum(errors) / len(errors), 4),
            "mean_absolute_relative_error": round(sum(abs(e) for e in errors) / len(errors), 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--persons", type=int, default=2000)
    args = parser.parse_args()
    results = []
    for seed in range(1, args.seeds + 1):
        with tempfile.TemporaryDirectory(prefix="bench-mse-") as work:
            results.append(run_seed(seed, args.persons, Path(work)))
        emit(results[-1])
    keys = ["linked", *(f"linked_at_{t}" for t in SENSITIVITY_THRESHOLDS), "true_clusters"]
    emit({"summary": True, "persons": args.persons, "lists": list(NATIONAL_SOURCES), **machine(),
          **{key: _summary(results, key) for key in keys}})


if __name__ == "__main__":
    main()
