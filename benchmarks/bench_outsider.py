"""The outsider benchmark: a corpus written by a team outside the linker's, linked by the default nightly.

    .venv/bin/python benchmarks/bench_outsider.py --persons 4000 --seed 7 --work /tmp/outsider

generates ``benchmarks/outsider``'s corpus (six offices, each in its own file shape, read through the deployment
mappings in ``benchmarks/outsider/mappings/``), runs ``laolink nightly --inbox ... --db ... --mappings ...`` as a
subprocess (the default nightly: the model learned from the store), and prints one JSON line: seed, persons,
records, quarantined rows, pairwise F1 / precision / recall of the published clusters, blocking recall, true
pairs and the nightly's seconds (scored by ``bench_shift.measure``, as the shifted variants are).
``--diagnose`` also writes to stderr the commonest kinds of missed true pairs and the values the standardizer
could not read.

Seeds: 7 is DEV (look at it as much as you like). Seeds 101, 102 and 103 are HELD OUT: their figures are
reported, never used to tune the linker (no rule, weight, threshold or table chosen by looking at them).
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
sys.path.insert(0, str(ROOT))

from benchmarks.bench_shift import measure  # noqa: E402
from benchmarks.common import LAOLINK, machine  # noqa: E402
from benchmarks.outsider.corpus import MAPPINGS_DIR, generate  # noqa: E402

DEV_SEED = 7
HELD_OUT_SEEDS = (101, 102, 103)


def ingest_counts(db: Path) -> dict[str, int]:
    """Rows read, stored and quarantined over every file the nightly ingested."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        read, stored, quarantined = con.execute(
            "SELECT sum(rows_read), sum(rows_stored), sum(rows_quarantined) FROM ingested_files").fetchone()
    finally:
        con.close()
    return {"rows_read": int(read or 0), "rows_stored": int(stored or 0), "quarantined": int(quarantined or 0)}


def run(work: Path, persons: int, seed: int, diagnose: bool = False) -> dict:
    written = generate(work, persons, seed)
    db = work / "outsider.duckdb"
    started = time.perf_counter()
    with open(work / "nightly.log", "wb") as log:
        subprocess.run([LAOLINK, "nightly", "--inbox", str(work / "inbox"), "--db", str(db),
                        "--mappings", str(MAPPINGS_DIR)], check=True, stdout=log, stderr=subprocess.STDOUT)
    seconds = time.perf_counter() - started
    scores = measure(db, written.truth)
    figures = {
        "benchmark": "outsider", "seed": seed, "held_out": seed in HELD_OUT_SEEDS, "persons": persons,
        "records": written.records, **ingest_counts(db),
        "pairwise_f1": scores["pairwise_f1"], "pairwise_precision": scores["pairwise_precision"],
        "pairwise_recall": scores["pairwise_recall"], "blocking_recall": scores["blocking_recall"],
        "true_pairs": scores["true_pairs"], "true_pairs_never_scored": scores["true_pairs_never_scored"],
        "nightly_s": round(seconds, 1), "records_by_source": written.rows, "machine": machine(),
    }
    if diagnose:
        from benchmarks.outsider.missed_pairs import report

        print(report(db, written.truth), file=sys.stderr)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=DEV_SEED, help="7 is DEV; 101-103 are held out")
    parser.add_argument("--work", type=Path, help="folder for the corpus and the store (default: a temp dir)")
    parser.add_argument("--diagnose", action="store_true", help="missed true pairs and unread values to stderr")
    args = parser.parse_args()
    if args.work is None:
        with tempfile.TemporaryDirectory(prefix="outsider-") as tmp:
            figures = run(Path(tmp), args.persons, args.seed, args.diagnose)
    else:
        if (args.work / "outsider.duckdb").exists():
            parser.error(f"{args.work} already holds a store: give an empty --work folder")
        args.work.mkdir(parents=True, exist_ok=True)
        figures = run(args.work, args.persons, args.seed, args.diagnose)
    print(json.dumps(figures, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
