"""Diagnosis on DEV variants of the shifted demo data (issue #14): never the held-out bench_shift.py seeds.

``build`` writes each DEV variant (bench_shift.py's knobs with seeds 1001-1006, 4,000 persons by default)
and runs the default nightly into ``DIR/<variant>/store.duckdb``; ``diagnose`` splits the true pairs the
published clusters miss into never blocked, scored below the nightly threshold and cut by clustering,
with the commonest comparison-level patterns of the low-scored ones and the field agreement of the
never-blocked ones. Tune on these, report from bench_shift.py.

    .venv/bin/python benchmarks/shift_dev.py build /tmp/shift-dev
    .venv/bin/python benchmarks/shift_dev.py diagnose /tmp/shift-dev [--only dev-missing]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_shift import VARIANTS, Variant, demo_inbox, measure  # noqa: E402
from benchmarks.common import LAOLINK  # noqa: E402
from linkage.clusters.clustering import DEFAULT_LINK_THRESHOLD  # noqa: E402
from linkage.demo_data.shift import Shift  # noqa: E402

DEV_VARIANTS = (*(
    replace(v, name=v.name.replace("shift-", "dev-"), seed=1001 + k)
    for k, v in enumerate(v for v in VARIANTS if not v.febrl and not v.shift.episodes)
), Variant("dev-id-typos", 1007, Shift(id_typo=0.3, missing=0.1)),  # held out for it: FEBRL4's own number slips
    Variant("dev-episodes", 1008, Shift(episodes=0.5, missing=0.15, given_only=0.08)))
THRESHOLD = DEFAULT_LINK_THRESHOLD  # the nightly's


def build(root: Path, persons: int, only: list[str] | None) -> None:
    for variant in DEV_VARIANTS:
        if only and variant.name not in only:
            continue
        work = root / variant.name
        subprocess.run(["rm", "-rf", str(work)], check=True)
        work.mkdir(parents=True)
        inbox, truth = demo_inbox(work, variant, persons)
        start = time.perf_counter()
        proc = subprocess.run([LAOLINK, "nightly", "--inbox", str(inbox), "--db", str(work / "store.duckdb")],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise SystemExit(f"{variant.name}: nightly failed: {proc.stderr.strip().splitlines()[-1:]}")
        figures = measure(work / "store.duckdb", truth)
        figures.pop("by_script_pair")
        print(json.dumps({"variant": variant.name, "seed": variant.seed, **figures,
                          "nightly_s": round(time.perf_counter() - start, 1)}), flush=True)


def diagnose(root: Path, only: list[str] | None, top: int) -> None:
    from linkage.model.blocking import load_rules
    from linkage.model.evaluation import load_truth
    from linkage.model.model_input import MODEL_INPUT_TABLE, splink_workspace
    from linkage.store import open_store

    for variant in DEV_VARIANTS:
        if only and variant.name not in only:
            continue
        work = root / variant.name
        if not (work / "demo" / "truth.csv").exists():
            continue  # not built
        with open_store(work / "store.duckdb") as con:
            load_truth(con, work / "demo" / "truth.csv")
            gammas = [c for (c,) in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE table_name = 'predictions' "
                "AND database_name = current_database() AND column_name LIKE 'gamma_%' ORDER BY column_index"
            ).fetchall()]
            with splink_workspace(con) as ws:
                ws.create_model_input()
                blocked = " OR ".join(f"({r.sql})" for r in load_rules())
                con.execute(f"""
                    CREATE OR REPLACE TEMP TABLE missed AS
                    SELECT a.rid AS rid_l, b.rid AS rid_r, coalesce(({blocked}), false) AS blocked,
                           l.name_key IS NOT DISTINCT FROM r.name_key AS same_name,
                           l.given_key = r.given_key AS same_given, l.family_key = r.family_key AS same_family,
                           l.family_key IS NULL OR r.family_key IS NULL AS given_only,
                           l.province_code IS NULL OR r.province_code IS NULL AS province_missing,
                           l.province_code = r.province_code AS same_province,
                           l.birth_year_min IS NULL OR r.birth_year_min IS NULL AS year_missing,
                           l.birth_year_min = r.birth_year_min AS same_year, l.sex_code AS sex,
                           l.name_key_records AS name_records_l
                    FROM eval_truth a JOIN eval_truth b ON a.person_id = b.person_id AND a.rid < b.rid
                    JOIN {ws.table('record_cluster')} ca ON ca.rid = a.rid
                    JOIN {ws.table('record_cluster')} cb ON cb.rid = b.rid
                    JOIN {MODEL_INPUT_TABLE} l ON l.rid = a.rid JOIN {MODEL_INPUT_TABLE} r ON r.rid = b.rid
                    WHERE ca.cluster_key <> cb.cluster_key
                """)
                true_pairs = con.execute(
                    "SELECT count(*) FROM eval_truth a JOIN eval_truth b ON a.person_id = b.person_id "
                    "AND a.rid < b.rid").fetchall()[0][0]
                split = con.execute(f"""
                    SELECT count(*) FILTER (WHERE NOT blocked), count(*) FILTER (WHERE blocked AND
                           coalesce(p.match_probability, 0) < {THRESHOLD}),
                           count(*) FILTER (WHERE p.match_probability >= {THRESHOLD}), count(*)
                    FROM missed m LEFT JOIN {ws.table('predictions')} p USING (rid_l, rid_r)""").fetchall()[0]
                print(f"== {variant.name}: {true_pairs:,} true pairs, missed {split[3]:,}: never blocked {split[0]:,}, "
                      f"scored below {THRESHOLD} {split[1]:,}, above but cut by clustering {split[2]:,}")
                print("  never blocked (same_name, same_given, same_family, given_only, province_missing, "
                      "same_province, year_missing, same_year, sex):")
                for row in con.execute(
                        "SELECT same_name, same_given, same_family, given_only, province_missing, same_province, "
                        "year_missing, same_year, sex, count(*) n FROM missed WHERE NOT blocked "
                        f"GROUP BY ALL ORDER BY n DESC LIMIT {top}").fetchall():
                    print("   ", row)
                print("  " + _best_possible(con, ws.table("predictions"), gammas, true_pairs))
                print("  " + _evidence_reach(con, true_pairs))
                print("  scored low:", ", ".join(g.removeprefix("gamma_") for g in gammas), "| n | median prob")
                for row in con.execute(
                        f"SELECT {', '.join('p.' + g for g in gammas)}, count(*) n, "
                        "round(median(coalesce(p.match_probability, 0)), 3) FROM missed m "
                        f"LEFT JOIN {ws.table('predictions')} p USING (rid_l, rid_r) "
                        f"WHERE blocked AND coalesce(p.match_probability, 0) < {THRESHOLD} "
                        f"GROUP BY ALL ORDER BY n DESC LIMIT {top}").fetchall():
                    print("   ", row)


def _best_possible(con, predictions: str, gammas: list[str], true_pairs: int) -> str:
    """What the stored comparison vectors allow: pairwise F1 of the model at the threshold, against a classifier
    that knows the truth rate of every comparison pattern (and of every pattern and probability to 0.01, which
    also sees term frequencies) and links a group when most of its pairs are one person. Truth used to measure,
    as an upper bound: no model of these levels, blocks and stored pairs (those over the storage floor) does better
    pair by pair."""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _scored AS
        SELECT {', '.join('p.' + g for g in gammas)}, round(p.match_probability, 2) AS p2,
               p.match_probability >= {THRESHOLD} AS linked, coalesce(a.person_id = b.person_id, false) AS same
        FROM {predictions} p JOIN eval_truth a ON a.rid = p.rid_l JOIN eval_truth b ON b.rid = p.rid_r""")

    def f1(tp: int, fp: int) -> float:
        return 2 * tp / (2 * tp + fp + true_pairs - tp) if tp else 0.0

    model = con.execute("SELECT count(*) FILTER (linked AND same), count(*) FILTER (linked AND NOT same)"
                        " FROM _scored").fetchall()[0]
    best = []
    for groups in (", ".join(gammas), ", ".join([*gammas, "p2"])):
        tp, fp = con.execute(f"""
            SELECT coalesce(sum(t) FILTER (2 * t > n), 0), coalesce(sum(n - t) FILTER (2 * t > n), 0)
            FROM (SELECT count(*) AS n, count(*) FILTER (same) AS t FROM _scored GROUP BY {groups})""").fetchall()[0]
        best.append(f1(tp, fp))
    return (f"pairwise F1 of the stored pairs: model at {THRESHOLD} {f1(*model):.4f}; best by comparison pattern "
            f"{best[0]:.4f}, by pattern and probability {best[1]:.4f} (truth per group, an upper bound)")


# Exact agreements a clerk accepts as "the same person" without reading anything fuzzy (l, r: model input).
EVIDENCE = {
    "whole name": "l.given_key = r.given_key AND l.family_key = r.family_key",
    "given name and birth date": "l.given_key = r.given_key AND l.dob = r.dob",
    "family name and birth date": "l.family_key = r.family_key AND l.dob = r.dob",
    "phone": "l.phone_e164 = r.phone_e164",
    "ID number": "l.id_number_std = r.id_number_std",
    "given name and village": "l.given_key = r.given_key AND l.village_id = r.village_id",
    "family name and village": "l.family_key = r.family_key AND l.village_id = r.village_id",
    "given name, birth year and district": "l.given_key = r.given_key AND l.birth_year_min = r.birth_year_min"
                                           " AND l.district_code = r.district_code",
}


def _evidence_reach(con, true_pairs: int) -> str:
    """Pairwise recall if the records of each person that share one exact agreement (``EVIDENCE``) were linked,
    through each other, and no two persons ever were: what the data offers to a linker that reads no typo, no
    nickname and no changed name. A linker can pass it only through fuzzy agreements; a variant whose F1 at
    precision 1 from it stays under a target cannot reach that target by exact evidence."""
    from linkage.clusters.components import connected_components
    from linkage.model.model_input import MODEL_INPUT_TABLE

    evidence = " OR ".join(f"coalesce({sql}, false)" for sql in EVIDENCE.values())
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _evidence_links AS
        SELECT a.rid AS rid_l, b.rid AS rid_r
        FROM eval_truth a JOIN eval_truth b ON a.person_id = b.person_id AND a.rid < b.rid
        JOIN {MODEL_INPUT_TABLE} l ON l.rid = a.rid JOIN {MODEL_INPUT_TABLE} r ON r.rid = b.rid WHERE {evidence}""")
    direct = con.execute("SELECT count(*) FROM _evidence_links").fetchall()[0][0]
    connected_components(con, "_evidence_links", "_evidence_parts")
    reach = con.execute("""
        SELECT coalesce(sum(n * (n - 1) // 2), 0) FROM (
            SELECT count(*) AS n FROM eval_truth t LEFT JOIN _evidence_parts e ON e.node = t.rid
            GROUP BY coalesce(e.label, t.rid))""").fetchall()[0][0]
    recall = reach / true_pairs
    return (f"exact evidence: {direct / true_pairs:.4f} of the true pairs agree exactly on a name, date, phone, ID or "
            f"place pair; through each other {recall:.4f} (F1 {2 * recall / (1 + recall):.4f} at precision 1)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["build", "diagnose"])
    parser.add_argument("root", type=Path)
    parser.add_argument("--persons", type=int, default=4000)
    parser.add_argument("--only", action="append")
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()
    if args.action == "build":
        build(args.root, args.persons, args.only)
    else:
        diagnose(args.root, args.only, args.top)


if __name__ == "__main__":
    main()
