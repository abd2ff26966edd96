"""Benchmark the standardize step and the Lao name key on the demo data; one JSON line of figures.

    .venv/bin/python benchmarks/bench_standardize.py --persons 8000
    .venv/bin/python benchmarks/bench_standardize.py --persons 400000   # about 1,000,000 records

Generates the demo sources (not timed), ingests them (not timed), then times `standardize` (wall and CPU
seconds, workers included, with the load average: the machine may be shared), then a night of ``--night``
records standardized again (their values in the standardization cache), and measures, with the truth file:

- spelling_agreement: of every spelling the demo's hands write for each name part (official,
  BGN-like, ALA-LC, two ad-hoc English hands, Thai RTGS, Lao script, Thai script), the share
  whose name key equals the official spelling's key;
- key_agreement: of all pairs of records of the same true person that both carry a given
  and a family name, the share whose (given_key, family_key) agree, in either order (typos
  the sources make — 2 to 10 % of records — are in this figure: a key does not undo typos);
- key_collision: of as many random pairs of records of different persons (same kind of
  records), the share whose keys agree; and the share of distinct persons whose key is
  shared with another person (common names make this far from zero, by nature).
- key_or_skeleton_agreement / skeleton_collision: the same two figures for the second, coarser
  name level of the model (``linkage.fields.name_key.name_skeleton``, which absorbs some typos): pairs
  whose keys *or* skeletons agree, and different-person pairs whose skeletons agree (a skeleton is
  a function of the key, so this is also "key or skeleton"). The key figures above do not count it.
  ``benchmarks/name_key_misses.py`` shows which typo each remaining miss comes from.
- name_part_*: the same figures per name part, the unit a Lao name key is made for (issue #3: "works
  per name part"; "all spellings of one Lao name agree"): each same-person record pair is two name
  pairs, its given names and its family names (in the order that pairs more of them: a source that
  swaps the order still writes the same two names), and the share of those whose keys (or keys or
  skeletons) agree; collisions over the given-name and family-name pairs of the different-person
  pairs, in the records' own order, as for whole names. A typo touches one name of a record, so it
  costs one name pair of two.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import ingested_demo_store  # noqa: E402
from linkage.demo_data.spelling_variants import spelling_agreement  # noqa: E402
from linkage.fields.name_key import name_key, skeleton_sql  # noqa: E402
from linkage.fields.standardize import StandardizeReport, standardize  # noqa: E402

T = TypeVar("T")

_SKELETON = {"given": "gs", "family": "fs"}


def either(part_a: str, part_b: str) -> str:
    """SQL: 1 when name part ``part_a`` of record a and ``part_b`` of record b agree on the key or the skeleton."""
    return (f"coalesce(a.{part_a}_key = b.{part_b}_key OR a.{_SKELETON[part_a]} = b.{_SKELETON[part_b]}, false)"
            "::INTEGER")


KEY_AGREEMENT_SQL = f"""
WITH named AS (
    SELECT t.person_id, r.rid, r.given_key, r.family_key,
           {skeleton_sql("given_key")} AS gs, {skeleton_sql("family_key")} AS fs FROM records r
    JOIN truth t ON t.source = r.source AND t.record_id = r.record_id
    WHERE r.given_key IS NOT NULL AND r.family_key IS NOT NULL
), same AS (
    SELECT (a.given_key = b.given_key AND a.family_key = b.family_key)
        OR (a.given_key = b.family_key AND a.family_key = b.given_key) AS agree,
           coalesce((a.gs = b.gs AND a.fs = b.fs) OR (a.gs = b.fs AND a.fs = b.gs), false) AS agree_skeleton,
           -- name parts: of the pair's two names (given, family; in the order that pairs more of them), how many agree
           greatest((a.given_key = b.given_key)::INTEGER + (a.family_key = b.family_key)::INTEGER,
                    (a.given_key = b.family_key)::INTEGER + (a.family_key = b.given_key)::INTEGER) AS parts_key,
           greatest({either("given", "given")} + {either("family", "family")},
                    {either("given", "family")} + {either("family", "given")}) AS parts_either
    FROM named a JOIN named b ON a.person_id = b.person_id AND a.rid < b.rid
), numbered AS (
    SELECT *, row_number() OVER (ORDER BY hash(rid, 17)) AS n, count(*) OVER () AS total FROM named
), diff AS (  -- each record against a pseudo-random other record
    SELECT a.given_key = b.given_key AND a.family_key = b.family_key AS agree,
           coalesce(a.gs = b.gs AND a.fs = b.fs, false) AS agree_skeleton,
           (a.given_key = b.given_key)::INTEGER + (a.family_key = b.family_key)::INTEGER AS parts_key,
           {either("given", "given")} + {either("family", "family")} AS parts_either
    FROM numbered a JOIN numbered b ON b.n = (a.n % a.total) + 1 WHERE a.person_id <> b.person_id
), person_keys AS (
    SELECT given_key, family_key, count(DISTINCT person_id) AS persons FROM named GROUP BY ALL
)
SELECT (SELECT count(*) FROM same), (SELECT avg(agree::INTEGER) FROM same),
       (SELECT count(*) FROM diff), (SELECT avg(agree::INTEGER) FROM diff),
       (SELECT sum(persons) FILTER (WHERE persons > 1) / sum(persons) FROM person_keys),
       (SELECT avg((agree OR agree_skeleton)::INTEGER) FROM same),
       (SELECT avg(agree_skeleton::INTEGER) FROM diff),
       (SELECT sum(parts_key) / (2 * count(*)) FROM same), (SELECT sum(parts_either) / (2 * count(*)) FROM same),
       (SELECT sum(parts_key) / (2 * count(*)) FROM diff), (SELECT sum(parts_either) / (2 * count(*)) FROM diff)
"""


def timed(step: Callable[[], T]) -> tuple[float, float, T]:
    """(wall seconds, CPU seconds of this process and its finished children, the step's result)."""
    def cpu() -> float:
        return sum(r.ru_utime + r.ru_stime for r in map(resource.getrusage,
                                                         (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)))

    wall, used = time.perf_counter(), cpu()
    result = step()
    return time.perf_counter() - wall, cpu() - used, result


def _night(con: duckdb.DuckDBPyConnection, records: int) -> StandardizeReport:
    """A night of ``records`` records to standardize (as many marked not standardized) after the whole store."""
    con.execute(f"UPDATE records SET std_version = NULL WHERE rid IN (SELECT rid FROM records USING SAMPLE {records}"
                " ROWS (reservoir, 7))")
    return standardize(con)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=8000)
    parser.add_argument("--seed", type=int, default=101)
    parser.add_argument("--night", type=int, default=1000, help="then standardize this many records again")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, ingested_demo_store(Path(tmp), args.persons, args.seed) as con:
        load = os.getloadavg()[0]
        seconds, cpu_s, report = timed(lambda: standardize(con))
        night_s, night_cpu_s, night = timed(lambda: _night(con, args.night))
        figures = con.execute(KEY_AGREEMENT_SQL).fetchall()[0]
    (same_pairs, agreement, diff_pairs, collision, shared_key_persons, either_agreement, skeleton_collision,
     part_key, part_either, part_key_collision, part_either_collision) = figures
    peak = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    spellings, spelling_share = spelling_agreement(name_key)
    print(json.dumps({
        "benchmark": "standardize",
        "records": report.records,
        "standardize_s": round(seconds, 2),
        "records_per_s": round(report.records / seconds),
        "standardize_cpu_s": round(cpu_s, 2),  # this process and its workers: what a quiet machine would need
        "night_records": night.records,  # records made new again, their values in the cache already
        "night_s": round(night_s, 2),
        "night_cpu_s": round(night_cpu_s, 2),
        "load_avg_1m": [round(load, 2), round(os.getloadavg()[0], 2)],  # before and after
        "peak_rss_mb": round(peak / 1024),
        "spellings": spellings,
        "spelling_agreement": round(spelling_share, 4),
        "same_person_name_pairs": same_pairs,
        "key_agreement": round(agreement, 4),
        "different_person_pairs": diff_pairs,
        "key_collision": round(collision, 5),
        "persons_sharing_a_name_key": round(float(shared_key_persons), 4),
        "key_or_skeleton_agreement": round(either_agreement, 4),
        "skeleton_collision": round(skeleton_collision, 5),
        "name_part_pairs": 2 * same_pairs,
        "name_part_key_agreement": round(float(part_key), 4),
        "name_part_key_or_skeleton_agreement": round(float(part_either), 4),
        "name_part_key_collision": round(float(part_key_collision), 5),
        "name_part_key_or_skeleton_collision": round(float(part_either_collision), 5),
        "unparsed": {name: c.unparsed for name, c in report.fields.items() if c.unparsed},
    }))


if __name__ == "__main__":
    main()
