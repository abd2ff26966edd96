"""The prediction blocking rules of blocking_rules/predict.yaml on model-input rows (issue #14 DEV misses)."""

from __future__ import annotations

import re

import duckdb

from linkage.model.blocking import load_rules


def rules_pairing(left: dict, right: dict) -> set[str]:
    """Names of the prediction rules that put the two rows in the same block (every other column NULL)."""
    rules = load_rules()
    columns = {c for r in rules for c in re.findall(r'\b[lr]\."?(\w+)', r.sql)} | {"rid"}
    numeric = {c for c in columns if c == "rid" or c.endswith("_records") or c.startswith("birth_year")}
    con = duckdb.connect()
    con.execute("CREATE TABLE mi (" + ", ".join(
        f'"{c}" {"INTEGER" if c in numeric else "VARCHAR"}' for c in sorted(columns)) + ")")
    for row in (left, right):
        con.execute(f"INSERT INTO mi ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", list(row.values()))
    hits = con.execute("SELECT " + ", ".join(f"coalesce(({r.sql}), false)" for r in rules)
                       + " FROM mi l JOIN mi r ON l.rid < r.rid").fetchall()[0]
    return {r.name for r, hit in zip(rules, hits, strict=True) if hit}


def person(rid: int, given: str | None, family: str | None, skeletons: tuple[str | None, str | None], **extra) -> dict:
    row = {"rid": rid, "given_key": given, "family_key": family, "given_skeleton": skeletons[0],
           "family_skeleton": skeletons[1]}
    return row | extra


def test_mistyped_given_name_same_skeleton_same_province_however_common() -> None:
    a = person(1, "somsak", "pomavong", ("ssk", "pmvng"), province_code="LA-VT", family_key_records=5000)
    b = person(2, "somsk", "pomavong", ("ssk", "pmvng"), province_code="LA-VT", family_key_records=5000)
    assert rules_pairing(a, b) == {"family+given_skeleton+province"}


def test_mistyped_given_name_elsewhere_only_when_the_family_name_is_rare() -> None:
    a = person(1, "somsak", "pomavong", ("ssk", "pmvng"), province_code="LA-VT", family_key_records=40)
    b = person(2, "somsk", "pomavong", ("ssk", "pmvng"), family_key_records=40)
    assert "rare_family+given_skeleton" in rules_pairing(a, b)
    common = [dict(r, family_key_records=5000) for r in (a, b)]
    assert rules_pairing(*common) == set()


def test_given_name_only_in_the_same_province_only_when_rare() -> None:
    a = person(1, "kaeo", None, ("k", None), province_code="LA-SV", given_key_records=12)
    b = person(2, "kaeo", "sisavat", ("k", "ssvt"), province_code="LA-SV", given_key_records=12)
    assert {"given_only_left+rare_given+province", "rare_given+province"} <= rules_pairing(a, b)
    common = [dict(r, given_key_records=5000) for r in (a, b)]
    assert rules_pairing(*common) == set()
