"""Why same-person name keys disagree on the demo data: each miss with the source slip that caused it.

    .venv/bin/python benchmarks/name_key_misses.py --persons 8000 --seed 101 --sample 40

Generates the demo sources (the same as ``bench_standardize.py``) while recording every typo the
demo's hands make (``linkage.demo_data.corruptions``: the typo functions are wrapped, not changed),
ingests and standardizes them, then compares each record's (given_key, family_key) with the keys
of its true person's official spelling. A record whose keys differ from them is a *miss*; it is
attributed to the typo written into its name, or to "no typo" (a key or parser fault). Prints a
sample of misses and one JSON line of figures:

- key_agreement: same-person record pairs whose name keys agree, either order (the benchmark's figure);
- skeleton_agreement / either_agreement: the same for the coarse consonant skeleton
  (``name_skeleton``), and for "key or skeleton agree";
- collisions over all different-person pairs, counted exactly from key group sizes (the benchmark
  samples only one pair per record), for the key, the skeleton and either; and per name part (given
  names with given names, family names with family names) for the key and for either.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from linkage.demo_data import corruptions  # noqa: E402

TYPOS: dict[str, tuple[str, str, str]] = {}  # typo'd text -> (clean text, kind, script)


def _recording(fn, script: str):
    def wrapped(text: str, u_kind: float, u_pos: float) -> str:
        out = fn(text, u_kind, u_pos)
        if out != text:
            if script == "latin":
                kind = corruptions.TYPO_KINDS[int(u_kind * len(corruptions.TYPO_KINDS))]
            elif script == "lao":
                kind = "tone" if sum(t in text for t in "່້໊໋") and u_kind < 0.5 else "lookalike"
            else:
                kind = "tone" if len(out) == len(text) - 1 and any(t in text for t in "่้๊๋็") else "drop"
            TYPOS[out.upper()] = (text, kind, script)
        return out
    return wrapped


corruptions.latin_typo = _recording(corruptions.latin_typo, "latin")
corruptions.lao_typo = _recording(corruptions.lao_typo, "lao")
corruptions.thai_typo = _recording(corruptions.thai_typo, "thai")

from benchmarks.common import ingested_demo_store  # noqa: E402
from linkage.demo_data.generate import build_world  # noqa: E402
from linkage.demo_data.names import FAMILY_NAMES, GIVEN_NAMES  # noqa: E402
from linkage.fields.name_key import name_key, name_skeleton  # noqa: E402
from linkage.fields.standardize import standardize  # noqa: E402


def _pairs_agree(rows: list[tuple], *keys) -> tuple[int, int]:
    """(same-person pairs, of which agree under any of ``keys``: record -> (given, family)), either order."""
    by_person = collections.defaultdict(list)
    for r in rows:
        by_person[r[0]].append([key(r) for key in keys])
    pairs = agree = 0
    for recs in by_person.values():
        for i in range(len(recs)):
            for j in range(i + 1, len(recs)):
                pairs += 1
                agree += any(a == b or a == b[::-1] for a, b in zip(recs[i], recs[j], strict=True))
    return pairs, agree


def _collisions(rows: list[tuple], keys) -> float:
    """Share of all different-person record pairs whose (given, family) agree under any of ``keys`` (same order)."""
    n = len(rows)
    persons = collections.Counter(r[0] for r in rows)
    total = n * (n - 1) // 2 - sum(c * (c - 1) // 2 for c in persons.values())
    # pairs agreeing under at least one key: inclusion-exclusion over the keys (at most two here)
    def count(keyfn) -> int:
        groups = collections.Counter(keyfn(r) for r in rows)
        same = collections.Counter((keyfn(r), r[0]) for r in rows)
        return (sum(c * (c - 1) // 2 for c in groups.values())
                - sum(c * (c - 1) // 2 for c in same.values()))
    if len(keys) == 1:
        return count(keys[0]) / total
    a, b = keys
    return (count(a) + count(b) - count(lambda r: (a(r), b(r)))) / total


def _part_collisions(rows: list[tuple], *keys) -> float:
    """``_collisions`` per name part: the mean over given names and family names of different-person pairs."""
    return sum(_collisions(rows, [lambda r, k=k, i=i: k(r)[i] for k in keys]) for i in (0, 1)) / 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=8000)
    parser.add_argument("--seed", type=int, default=101)
    parser.add_argument("--sample", type=int, default=40)
    args = parser.parse_args()
    world = build_world(args.persons, args.seed, 1)
    with tempfile.TemporaryDirectory() as tmp, ingested_demo_store(Path(tmp), args.persons, args.seed) as con:
        standardize(con)
        rows = con.execute("""
            SELECT t.person_id, r.given_key, r.family_key, r.given_name_std, r.family_name_std,
                   coalesce(r.full_name, ''), coalesce(r.given_name, ''), coalesce(r.family_name, ''), r.source
            FROM records r JOIN truth t ON t.source = r.source AND t.record_id = r.record_id
            WHERE r.given_key IS NOT NULL AND r.family_key IS NOT NULL ORDER BY r.rid
        """).fetchall()

    def official(pid: str) -> tuple[str, str]:
        p = int(pid[3:]) - 1
        return (name_key(GIVEN_NAMES[world.persons.given[p]].official),
                name_key(FAMILY_NAMES[world.persons.family[p]].official))

    def skeleton(r) -> tuple[str, str]:
        return name_skeleton(r[3].replace(" ", "")), name_skeleton(r[4].replace(" ", ""))

    causes: collections.Counter = collections.Counter()
    samples = []
    for r in rows:
        want = official(r[0])
        if (r[1], r[2]) in (want, want[::-1]):
            continue
        raw = " ".join(x for x in r[5:8] if x).upper()
        words = raw.split()
        slip = next((v for k, v in TYPOS.items() if k in words), None)
        cause = f"{slip[2]} {slip[1]}" if slip else "no typo"
        causes[cause] += 1
        if len(samples) < args.sample:
            samples.append((cause, raw, slip[0] if slip else "", (r[1], r[2]), want))
    for cause, raw, clean, got, want in samples:
        print(f"{cause:<18} {raw!r:<40} clean {clean!r:<18} key {got} official {want}")

    def key(r) -> tuple[str, str]:
        return r[1], r[2]

    pairs, agree = _pairs_agree(rows, key)
    _, sk_agree = _pairs_agree(rows, skeleton)
    _, either = _pairs_agree(rows, key, skeleton)
    print(json.dumps({
        "records": len(rows),
        "misses_by_cause": dict(causes.most_common()),
        "same_person_pairs": pairs,
        "key_agreement": round(agree / pairs, 4),
        "skeleton_agreement": round(sk_agree / pairs, 4),
        "either_agreement": round(either / pairs, 4),
        "key_collision_all_pairs": round(_collisions(rows, [key]), 6),
        "skeleton_collision_all_pairs": round(_collisions(rows, [skeleton]), 6),
        "either_collision_all_pairs": round(_collisions(rows, [key, skeleton]), 6),
        "name_part_key_collision_all_pairs": round(_part_collisions(rows, key), 5),
        "name_part_either_collision_all_pairs": round(_part_collisions(rows, key, skeleton), 5),
    }))


if __name__ == "__main__":
    main()
