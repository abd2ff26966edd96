"""Benchmark: a simulated steward teaches the model (issue #17).

Shifted demo data the model was not tuned on goes through the default nightly (it learns its model from the
store). A real ``laolink serve`` then serves it, and a steward (logged in, one-time password changed first)
answers the review queue's items that name two records (pair items, and cluster items asking about a link; with
``--pair-items-only`` pair items alone, as before session 7) in the queue's order through ``POST /api/v1/decisions``,
with the truth as oracle, until 0 / 100 / 300 / 1,000 are decided; after each step the nightly runs and the benchmark
prints pairwise F1, precision, recall, the queue's size and steward hours (10 s an item), beside the F1 the
decided pairs alone give (the step-0 store with the same decisions, scored by the step-0 model without the
decisions' classifier). Baselines: recordlinkage's ECM (unsupervised) and logistic regression (fitted on the
decided pairs) on the same comparison vectors (the stored levels, one-hot), pairwise over the stored pairs.
Curves go to a PNG.

    .venv/bin/python benchmarks/bench_steward.py                      # 4,500 persons (about 11,000 records)
    .venv/bin/python benchmarks/bench_steward.py --persons 2000 --steps 0,100,300
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from api_server import start_api_server  # noqa: E402

from linkage.clusters.clustering import DEFAULT_LINK_THRESHOLD  # noqa: E402
from linkage.demo_data.shift import Shift  # noqa: E402
from linkage.nightly import NightlyConfig, RunReport, run_nightly  # noqa: E402
from linkage.paths import store_paths  # noqa: E402
from linkage.store import open_store  # noqa: E402

SECONDS_PER_ITEM = 10
MIN_TRAINING = 2_000  # the benchmark's small runs learn from their store too (deployed default: 5,000)
SEED = 83  # not used in tuning
SHIFT = Shift(missing=0.15, latin=0.2, thai=0.1, given_only=0.08, typo=1.5, event_place=0.5, per_event_ids=0.4,
              placeholder_dates=0.2, second_phone=0.3, name_change=0.2)


def night(inbox: Path, db: Path, **kwargs) -> RunReport:
    report = run_nightly(NightlyConfig(inbox=inbox, db=db, **{"min_training_records": MIN_TRAINING, **kwargs}))
    if report.error:
        raise SystemExit(f"nightly on {db} ended {report.status}: {report.error}")
    return report


def cluster_scores(db: Path, truth: Path) -> dict:
    from linkage.model.evaluation import load_truth, record_cluster_scores

    with open_store(db) as con:
        load_truth(con, truth)
        s = record_cluster_scores(con, "eval_truth")
    return {k: round(s[f"pairwise_{k}"], 4) for k in ("f1", "precision", "recall")}


def decide(client, truth: dict[tuple[str, str], str], done: set, quota: int, pair_items_only: bool = False) -> int:
    """Answer up to ``quota`` items that name two records (pair items only: ``pair_items_only``), in the queue's
    order (re-read as decisions republish it)."""
    made, page = 0, 1
    while made < quota:
        params = {"page": page, "page_size": 100} | ({"kind": "pair"} if pair_items_only else {})
        items = client.get("/api/v1/review/queue", params=params).json()
        fresh = [it for it in items["items"] if it["record_l"] and (it["record_l"]["source"], it["record_l"][
            "record_id"], it["record_r"]["source"], it["record_r"]["record_id"]) not in done]
        if not items["items"]:
            break
        if not fresh:
            page += 1
            continue
        page = 1
        for it in fresh[: quota - made]:
            pair = (it["record_l"]["source"], it["record_l"]["record_id"], it["record_r"]["source"],
                    it["record_r"]["record_id"])
            same = truth[pair[:2]] == truth[pair[2:]]
            r = client.post("/api/v1/decisions", json={"source_l": pair[0], "record_id_l": pair[1],
                                                       "source_r": pair[2], "record_id_r": pair[3],
                                                       "judgement": "same" if same else "not_same"})
            done.add(pair)
            made += r.status_code == 201
    return made


def decided_alone(frozen: Path, model: Path, live_service: Path, step: int, work: Path, inbox: Path,
                  truth: Path) -> dict:
    """The step-0 store and model with the live decisions: what the decided pairs give by themselves."""
    copy = work / f"alone-{step}"
    shutil.copytree(frozen, copy)
    db = copy / "store.duckdb"
    with sqlite3.connect(live_service) as src, sqlite3.connect(store_paths(db).service_db) as dst:
        src.backup(dst)
    night(inbox, db, model=model, learn_from_decisions=False)
    scores = cluster_scores(db, truth)
    shutil.rmtree(copy)
    return scores


def pair_baselines(db: Path, truth_csv: Path, service_db: Path) -> dict:
    """recordlinkage ECM and logistic regression on the stored pairs' one-hot levels; our clusters' pairs too."""
    import recordlinkage as rl

    with open_store(db) as con:
        gammas = [c for (c,) in con.execute("SELECT column_name FROM duckdb_columns() WHERE table_name = "
                                            "'predictions' AND column_name LIKE 'gamma_%'").fetchall()]
        pairs = con.execute(f"SELECT p.rid_l, p.rid_r, p.match_probability, {', '.join(gammas)}, "
                            "a.source AS sl, a.record_id AS il, b.source AS sr, b.record_id AS ir FROM predictions p "
                            "JOIN records a ON a.rid = p.rid_l JOIN records b ON b.rid = p.rid_r").df()
    truth = pd.read_csv(truth_csv, dtype=str)
    person = dict(zip(zip(truth["source"], truth["record_id"], strict=True), truth["person_id"], strict=True))
    true_pairs = int(sum(k * (k - 1) // 2 for k in truth.groupby("person_id").size()))
    same = pd.Series([person.get((a, b)) == person.get((c, d)) and person.get((a, b)) is not None
                      for a, b, c, d in zip(pairs.sl, pairs.il, pairs.sr, pairs.ir, strict=True)])
    index = pd.MultiIndex.from_frame(pairs[["rid_l", "rid_r"]])
    x = pd.get_dummies(pairs[gammas].astype("Int64").astype(str), prefix_sep="=", dtype=int).set_index(index)

    def scored(predicted: pd.Series) -> dict:
        tp = int((predicted.to_numpy() & same.to_numpy()).sum())
        p, r = tp / max(int(predicted.sum()), 1), tp / true_pairs
        return {"f1": round(2 * p * r / (p + r), 4) if p + r else 0.0, "precision": round(p, 4), "recall": round(r, 4)}

    # ECM's start ("jaro") reads a 1 as agreement: give it the agreeing levels only (gamma > 0), not the "else" and
    # "missing" columns of the one-hot, on which it labelled no pair a match at all
    agreeing = [c for c in x.columns if int(c.split("=")[1]) > 0]
    ecm_matches = rl.ECMClassifier(binarize=None).fit_predict(x[agreeing])
    with sqlite3.connect(service_db) as sconn:
        decided = {tuple(r) for r in sconn.execute("SELECT source_l, record_id_l, source_r, record_id_r "
                                                   "FROM decisions")}
    keys = list(zip(pairs.sl, pairs.il, pairs.sr, pairs.ir, strict=True))
    labelled = pd.Series([k in decided or (k[2], k[3], k[0], k[1]) in decided for k in keys])
    lr = rl.LogisticRegressionClassifier()
    lr.fit(x[labelled.to_numpy()], index[(labelled & same).to_numpy()])
    return {
        "stored_pairs": len(pairs), "true_pairs": true_pairs, "labelled_pairs_used": int(labelled.sum()),
        "ecm": scored(pd.Series(index.isin(ecm_matches))),
        "logistic_regression_on_decisions": scored(pd.Series(index.isin(lr.predict(x)))),
        "laolink_pairs_at_threshold": scored(pairs["match_probability"] >= DEFAULT_LINK_THRESHOLD),
    }


def draw(rows: list[dict], png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = [r["decisions"] for r in rows]
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(12, 4.5))
    ax.plot(steps, [r["f1"] for r in rows], "o-", label="F1, model learns from decisions")
    ax.plot(steps, [r["f1_decided_pairs_alone"] for r in rows], "s--", label="F1, decided pairs alone")
    ax.plot(steps, [r["precision"] for r in rows], ":", label="precision (learning)")
    ax.plot(steps, [r["recall"] for r in rows], ":", label="recall (learning)")
    ax.set_xlabel("queue items decided")
    ax.set_ylabel("pairwise score")
    ax.legend()
    ax.grid(alpha=0.3)
    bx.plot(steps, [r["queue"] for r in rows], "o-", color="#d8583b", label="queue items")
    bx.set_xlabel("queue items decided")
    bx.set_ylabel("queue items left")
    twin = bx.twinx()
    twin.plot(steps, [r["steward_hours"] for r in rows], "s--", color="#777", label="steward hours spent")
    twin.set_ylabel("steward hours (10 s an item)")
    bx.grid(alpha=0.3)
    fig.suptitle("Stewards teach the model (bench_steward)")
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    from linkage.demo_data.generate import generate

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=4500)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--steps", default="0,100,300,1000")
    parser.add_argument("--png", type=Path, default=Path("var/bench/bench_steward.png"))
    parser.add_argument("--pair-items-only", action="store_true", help="answer pair items only (before session 7)")
    args = parser.parse_args(argv)
    steps = [int(s) for s in args.steps.split(",")]
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="laolink-steward-") as tmp:
        work = Path(tmp)
        demo, inbox, empty = work / "demo", work / "inbox", work / "empty"
        generate(demo, args.persons, args.seed, shift=SHIFT)
        inbox.mkdir()
        empty.mkdir()
        for f in demo.glob("night1_*"):
            f.rename(inbox / f.name)
        truth_csv = demo / "truth.csv"
        t = pd.read_csv(truth_csv, dtype=str)
        truth = dict(zip(zip(t["source"], t["record_id"], strict=True), t["person_id"], strict=True))
        db = work / "live" / "store.duckdb"
        report = night(inbox, db)
        shutil.copytree(db.parent, work / "frozen")
        frozen_model = work / "frozen-model" / Path(report.model["path"]).name  # step 0's model, same version
        frozen_model.parent.mkdir()
        shutil.copy2(report.model["path"], frozen_model)
        done: set = set()
        with start_api_server(db) as server:
            steward = server.first_login("steward")
            decided = 0
            for step in steps:
                started = time.perf_counter()
                decided += decide(steward, truth, done, step - decided, args.pair_items_only)
                if step:
                    report = night(empty, db)
                live = cluster_scores(db, truth_csv)
                alone = decided_alone(work / "frozen", frozen_model, store_paths(db).service_db, step, work, empty,
                                      truth_csv)
                row = {"decisions": decided, **live, "f1_decided_pairs_alone": alone["f1"],
                       "precision_alone": alone["precision"], "recall_alone": alone["recall"],
                       "queue": report.review_queue, "steward_hours": round(decided * SECONDS_PER_ITEM / 3600, 2),
                       "records": report.model.get("store_records"),
                       "classifier": {k: report.model.get("decision_classifier", {}).get(k) for k in
                                      ("used", "positives", "negatives", "log_loss_model", "log_loss_combined")},
                       "seconds": round(time.perf_counter() - started, 1)}
                rows.append(row)
                print(json.dumps(row), flush=True)
        baselines = pair_baselines(db, truth_csv, store_paths(db).service_db)
        print(json.dumps({"baselines": baselines}), flush=True)
    args.png.parent.mkdir(parents=True, exist_ok=True)
    draw(rows, args.png)
    base = rows[0]
    print("\n| decisions | F1 | precision | recall | F1 decided pairs alone | queue | steward hours |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['decisions']:,} | {r['f1']} | {r['precision']} | {r['recall']} | {r['f1_decided_pairs_alone']} "
              f"| {r['queue']:,} | {r['steward_hours']} |")
    for r in rows[1:]:
        gain, alone = r["f1"] - base["f1"], r["f1_decided_pairs_alone"] - base["f1_decided_pairs_alone"]
        print(f"after {r['decisions']:,}: F1 gain {gain:+.4f} learning vs {alone:+.4f} decided pairs alone "
              f"({gain - alone:+.4f})")
    print(f"curves: {args.png}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
