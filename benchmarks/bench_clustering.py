"""Benchmark: clustering with decisions, person IDs and the review queue on synthetic records.

Night 1 clusters N records over M random links (every link above the threshold) and
assigns IDs to an empty store; night 2 replaces 1% of the links and assigns again, which
is the nightly case (existing IDs, a few merges and splits). Prints one JSON line.

    .venv/bin/python benchmarks/bench_clustering.py --records 1000000 --links 1500000
    .venv/bin/python benchmarks/bench_clustering.py --local   # links within small groups
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from linkage.clusters.clustering import cluster_records
from linkage.clusters.person_ids import assign_person_ids
from linkage.clusters.review_queue import build_review_queue
from linkage.service.decisions import load_decisions_into, record_decision
from linkage.service.service_db import connect_service
from linkage.store import connect


def make_links(con, n: int, m: int, *, seed: int, local: bool) -> None:
    """``m`` random links among ``n`` records (``local``: each within 8 rids, for realistic clusters)."""
    partner = f"((hash(i * 7 + {seed}) % {n}) + 1)" if not local else f"least({n}, a + (hash(i * 7 + {seed}) % 8) + 1)"
    con.execute(
        f"""
        CREATE OR REPLACE TABLE predictions AS
        SELECT least(a, b) AS rid_l, greatest(a, b) AS rid_r,
               log2(p / (1 - p)) AS match_weight, p AS match_probability,
               'bench' AS model_version, 1::BIGINT AS run_id
        FROM (SELECT a, {partner} AS b, 0.3 + 0.7 * (hash(i + {seed}) % 1000) / 1000.0 AS p
              FROM (SELECT i, (hash(i + {seed} * 31) % {n}) + 1 AS a FROM range({m}) t(i)))
        WHERE a <> b
        QUALIFY row_number() OVER (PARTITION BY least(a, b), greatest(a, b) ORDER BY p) = 1
        """
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--links", type=int, default=1_500_000)
    parser.add_argument("--decisions", type=int, default=1000)
    parser.add_argument("--negatives", type=int, default=0, help="not-same decisions between records 3 apart")
    parser.add_argument("--local", action="store_true")
    parser.add_argument("--threshold", type=float, default=0.3)
    args = parser.parse_args()
    n = args.records
    figures: dict[str, object] = {"records": n, "links": args.links, "local": args.local}
    with tempfile.TemporaryDirectory() as tmp:
        con = connect(Path(tmp) / "bench.duckdb")
        svc = connect_service(Path(tmp) / "bench.service.sqlite")
        con.execute(
            f"""INSERT INTO records (rid, source, record_id, row_hash, file_id, line_no, dob_year)
            SELECT i, 'BENCH', i::VARCHAR, 'h', 1, i, 1960 + hash(i) % 50 FROM range(1, {n} + 1) t(i)"""
        )
        make_links(con, n, args.links, seed=1, local=args.local)
        figures["links_stored"] = con.execute("SELECT count(*) FROM predictions").fetchall()[0][0]
        for k in range(args.decisions):  # same-person decisions between random records
            a, b = 1 + (k * 7919) % n, 1 + (k * 104729 + 13) % n
            if a != b:
                record_decision(svc, "BENCH", str(a), "BENCH", str(b), "positive", "bench")
        for k in range(args.negatives):
            a = 1 + (k * 15485863) % (n - 3)
            record_decision(svc, "BENCH", str(a), "BENCH", str(a + 3), "negative", "bench")

        for night, seed in ((1, 1), (2, 2)):
            if night == 2:  # replace 1% of the links
                keep = args.links - args.links // 100
                con.execute(f"CREATE OR REPLACE TEMP TABLE _kept AS SELECT * FROM predictions LIMIT {keep}")
                make_links(con, n, args.links // 100, seed=seed, local=args.local)
                con.execute("INSERT INTO predictions SELECT * FROM _kept")
            t0 = time.perf_counter()
            table = load_decisions_into(con, svc).table
            t1 = time.perf_counter()
            clusters = cluster_records(con, threshold=args.threshold, run_id=night, decisions_table=table)
            t2 = time.perf_counter()
            ids = assign_person_ids(con, run_id=night)
            t3 = time.perf_counter()
            queued = build_review_queue(con, band=(0.3, 0.5), run_id=night, decisions_table=table)
            t4 = time.perf_counter()
            figures[f"night{night}"] = {
                "load_decisions_s": round(t1 - t0, 2),
                "cluster_s": round(t2 - t1, 2),
                "assign_ids_s": round(t3 - t2, 2),
                "cluster_plus_ids_s": round(t3 - t1, 2),
                "review_queue_s": round(t4 - t3, 2),
                "clusters": clusters.clusters,
                "largest_cluster": clusters.largest_cluster,
                "negative_pairs_cut": clusters.negative_pairs_cut,
                "links_cut": clusters.links_cut,
                "decision_conflicts": clusters.decision_conflicts,
                "ids": {k: v for k, v in ids.as_dict().items() if k not in ("run_id", "seconds")},
                "queued": queued,
            }
        con.close()
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
