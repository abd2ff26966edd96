"""Benchmark: would recordlinkage's SortedNeighbourhood index find true pairs the blocking rules miss (issue #17)?

For each store built by ``benchmarks/shift_dev.py build`` (DEV variants, never the held-out ones) or any store
with a truth file, sorts the records by a name key (recordlinkage ``SortedNeighbourhood``, one window per run)
and counts the candidate pairs it adds to the predict blocking rules, the true pairs among them that no rule
finds, and, of those, how many the store's model would link (scored with the store's own Splink model at the
nightly threshold). A candidate source is worth keeping only if it adds linked true pairs at a bearable cost.

    .venv/bin/python benchmarks/bench_sorted_neighbourhood.py /tmp/shift-dev/dev-all /tmp/shift-dev/dev-missing
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import recordlinkage  # noqa: E402

from linkage.clusters.clustering import DEFAULT_LINK_THRESHOLD  # noqa: E402
from linkage.model.blocking import load_rules  # noqa: E402
from linkage.model.evaluation import load_truth  # noqa: E402
from linkage.model.model_input import MODEL_INPUT_TABLE, splink_workspace  # noqa: E402
from linkage.store import open_store  # noqa: E402

# Sorting keys: the name's skeleton given name first, and family name first (a typo early in one part
# moves the record far away in one order, not in the other).
KEYS = {
    "given_family_skeleton": "coalesce(given_skeleton, '') || ' ' || coalesce(family_skeleton, '')",
    "family_given_skeleton": "coalesce(family_skeleton, '') || ' ' || coalesce(given_skeleton, '')",
}


def measure(work: Path, windows: list[int]) -> list[dict]:
    """One row per sorting key and window: candidates, pairs added to the rules, true ones, true ones linked."""
    out = []
    with open_store(work / "store.duckdb") as con:
        load_truth(con, work / "demo" / "truth.csv")
        model_file = json.loads(con.execute(
            "SELECT settings_json FROM models ORDER BY first_used_run_id DESC LIMIT 1").fetchall()[0][0])
        for key, sql in KEYS.items():
            for window in windows:
                out.append({"store": work.name, "key": key, "window": window,
                            **_one_window(con, model_file, sql, window)})
    return out


def _one_window(con, model_file: dict, sql: str, window: int) -> dict:  # noqa: ANN001 (a DuckDB connection)
    from linkage.model.engines import predict_pairs
    from linkage.model.model_file import settings_for_store

    with splink_workspace(con) as ws:  # one Splink linker per workspace
        n = ws.create_model_input()
        # recordlinkage's SortedNeighbourhood pairs records whose keys are at most (window - 1) / 2 apart in the
        # sorted unique keys: the same pairs as a Splink rule on the key's dense rank
        con.execute(f"CREATE OR REPLACE TABLE sn_input AS SELECT *, dense_rank() OVER (ORDER BY {sql}) AS sn_rank, "
                    f"{sql} AS sort_key FROM {MODEL_INPUT_TABLE}")
        con.execute(f"DROP TABLE {MODEL_INPUT_TABLE}")
        con.execute(f"ALTER TABLE sn_input RENAME TO {MODEL_INPUT_TABLE.split('.')[-1]}")
        records = con.execute(f"SELECT rid, sort_key FROM {MODEL_INPUT_TABLE}").df().set_index("rid")
        index = recordlinkage.Index()
        index.add(recordlinkage.index.SortedNeighbourhood("sort_key", window=window))
        candidates = len(index.index(records))
        blocked = " OR ".join(f"({r.sql})" for r in load_rules())
        model = settings_for_store(model_file, n)
        rule = f"abs(l.sn_rank - r.sn_rank) <= {(window - 1) // 2} AND NOT coalesce(({blocked}), false)"
        model["blocking_rules_to_generate_predictions"] = [{"blocking_rule": rule, "sql_dialect": "duckdb"}]
        scored, _ = predict_pairs(ws, model, -40.0, "duckdb")
        added, true_pairs, linked = con.execute(f"""
            SELECT count(*), count(*) FILTER (WHERE a.person_id = b.person_id),
                   count(*) FILTER (WHERE a.person_id = b.person_id AND s.match_probability >= {DEFAULT_LINK_THRESHOLD})
            FROM {scored} s JOIN eval_truth a ON a.rid = s.rid_l JOIN eval_truth b ON b.rid = s.rid_r
            """).fetchall()[0]
    return {"records": n, "candidates": candidates, "added_pairs": added, "added_true_pairs": true_pairs,
            "added_true_pairs_linked": linked}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stores", type=Path, nargs="+", help="Directories with store.duckdb and demo/truth.csv.")
    parser.add_argument("--window", type=int, action="append", help="SortedNeighbourhood windows (odd).")
    args = parser.parse_args()
    for work in args.stores:
        for row in measure(work, args.window or [3, 7, 11]):
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
