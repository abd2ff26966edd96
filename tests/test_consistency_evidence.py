"""Consistency rules set by what one person's own records disagree on in the store (consistency_evidence.py)."""

from __future__ import annotations

import datetime as dt
import json
from itertools import combinations
from pathlib import Path

import pytest

from linkage.clusters.consistency import DEFAULT_RULES
from linkage.model.consistency_evidence import (
    CUT_OFF_SHARE,
    DISTRICT_CUT_OFF_SHARE,
    DISTRICT_MIN_PAIRS,
    MIN_PAIRS,
    consistency_for_model,
    district_differs_share,
    evidence_card_lines,
    far_apart_share,
    strong_pairs_share,
    wilson_lower,
)
from linkage.model.model_input import splink_workspace
from linkage.store import connect
from tests.test_model import _insert, _synthetic_records


def _record(rid: int, person: str, given: str | None, family: str | None, id_number: str | None,
            district: str | None, born: int = 1990) -> dict:
    return dict(rid=rid, source="MOLSW-DSW", record_id=f"R{rid}", person_id=person, given_key=given,
                family_key=family, full_name_std=" ".join(x for x in (given, family) if x), sex_code="F",
                dob=dt.date(born, 3, 14), dob_precision="day", dob_year=born, dob_month=3, dob_day=14,
                nationality_code="LAO", province_code="P90", district_code=district, village_key="banmai",
                id_number_std=id_number)


def test_the_shares_are_measured_over_pairs_sharing_an_id_and_the_whole_name(tmp_path):
    rows: list[dict] = []

    def person(records: list[tuple]) -> None:
        pid = f"P{len(rows)}"
        rows.extend(_record(len(rows) + 1, pid, *r) for r in records)

    for i in range(60):  # 60 pairs, 12 whose districts differ
        person([(f"g{i}", f"f{i}", f"A{i:06d}", "D1"), (f"g{i}", f"f{i}", f"A{i:06d}", "D2" if i < 12 else "D1")])
    for i in range(20):  # three records each, the third elsewhere and born 20 years later: 60 pairs, 40 differ
        person([(f"h{i}", f"k{i}", f"B{i:06d}", "D1")] * 2 + [(f"h{i}", f"k{i}", f"B{i:06d}", "D3", 2010)])
    for i in range(10):  # a district missing on one side: a pair, but not of the districts' share
        person([(f"m{i}", f"n{i}", f"C{i:06d}", "D1"), (f"m{i}", f"n{i}", f"C{i:06d}", None)])
    for i in range(10):  # one ID, two names; one name, no ID; one name and a border pass (a number per crossing)
        person([(f"p{i}", f"q{i}", f"E{i:06d}", "D1"), (f"p{i}", f"r{i}", f"E{i:06d}", "D2")])
        person([(f"s{i}", f"t{i}", None, "D1"), (f"s{i}", f"t{i}", None, "D2")])
        person([(f"u{i}", f"v{i}", f"BP{i:07d}", "D1"), (f"u{i}", f"v{i}", f"BP{i:07d}", "D2")])
    con = connect(tmp_path / "store.duckdb")
    try:
        _insert(con, rows)
        con.execute("UPDATE records SET id_type = 'border_pass' WHERE id_number_std LIKE 'BP%'")
        with splink_workspace(con) as ws:
            ws.create_model_input()
            assert strong_pairs_share(ws, "true", "false") == (130, 0.0)
            assert district_differs_share(ws) == (120, 52 / 120)
            assert far_apart_share(ws) == (130, 40 / 130)  # the same pairs, another disagreement
    finally:
        con.close()


def _facts(pairs: int, share: float, **birth) -> dict:
    return {"laolink": {"district_differs_pairs": pairs, "district_differs_share": share, **birth}}


def test_the_district_rule_is_off_only_above_the_cut_off_on_enough_pairs():
    assert consistency_for_model({}) == DEFAULT_RULES and DEFAULT_RULES.different_district
    assert consistency_for_model({"laolink": {"training_records": 9000}}) == DEFAULT_RULES  # trained before
    assert consistency_for_model(_facts(DISTRICT_MIN_PAIRS, DISTRICT_CUT_OFF_SHARE)) == DEFAULT_RULES
    # off only when the share is above the cut-off with 95 % confidence: 13 of 167 (0.078) is not, 23 of 186 is
    assert consistency_for_model(_facts(167, 13 / 167)) == DEFAULT_RULES
    assert not consistency_for_model(_facts(186, 23 / 186)).different_district
    assert wilson_lower(13 / 167, 167) < DISTRICT_CUT_OFF_SHARE < wilson_lower(23 / 186, 186)
    above = consistency_for_model(_facts(DISTRICT_MIN_PAIRS, DISTRICT_CUT_OFF_SHARE + 0.1))
    assert not above.different_district
    assert above == type(DEFAULT_RULES)(**(DEFAULT_RULES.as_dict() | {"different_district": False}))
    assert consistency_for_model(_facts(DISTRICT_MIN_PAIRS - 1, 0.5)) == DEFAULT_RULES  # too few to say
    assert consistency_for_model(_facts(5000, 0.0)) == DEFAULT_RULES
    both = consistency_for_model(_facts(400, 0.3, birth_far_apart_pairs=MIN_PAIRS, birth_far_apart_share=0.2))
    assert not both.different_district and both.max_birth_year_gap is None
    card = "\n".join(evidence_card_lines(_facts(DISTRICT_MIN_PAIRS - 1, 0.5)))
    assert f"| 0.5000 of {DISTRICT_MIN_PAIRS - 1:,} pairs | " in card and "| on (too few pairs to tell) |" in card
    assert "| birth years more than 10 years apart | birth years are far apart (both known) | not measured |" in card
    birth_only = consistency_for_model(_facts(400, 0.0, birth_far_apart_pairs=MIN_PAIRS,
                                              birth_far_apart_share=CUT_OFF_SHARE + 0.01))
    assert birth_only.different_district and birth_only.max_birth_year_gap is None


def _movers(first_rid: int, persons: int, moved_every: int) -> list[dict]:
    """Persons seen twice with an ID card and a whole name; every ``moved_every``-th lives in another district the
    second time (``moved_every`` 0: nobody moves)."""
    rows = []
    for i in range(persons):
        moved = moved_every and i % moved_every == 0
        for k in range(2):
            rid = first_rid + len(rows)
            rows.append(dict(_record(rid, f"M{i}", f"mover{i}", f"family{i}", f"ID{i:07d}",
                                     "P90D1" if moved and k else "P90D0"),
                             phone_e164=f"+8562077{i:05d}", source="MOPS-AHTD" if k else "MOLSW-DSW"))
    return rows


def _expected(rows: list[dict]) -> tuple[int, float]:
    """(pairs, share) counted in Python: records sharing the ID and both name keys, both districts present."""
    pairs = differ = 0
    for a, b in combinations(rows, 2):
        if (a["id_number_std"] and a["id_number_std"] == b["id_number_std"] and a["given_key"] and a["family_key"]
                and (a["given_key"], a["family_key"]) == (b.get("given_key"), b.get("family_key"))
                and a.get("district_code") and b.get("district_code")):
            pairs += 1
            differ += a["district_code"] != b["district_code"]
    return pairs, differ / pairs


@pytest.mark.parametrize("moved_every", [3, 0])
def test_training_keeps_the_share_and_clustering_keeps_a_person_who_moved_whole(tmp_path, moved_every):
    """A store whose one-person pairs often name two districts: the model file keeps the share, the card says the
    rule is off, and a person's records from two districts stay one person. A store where nobody moves keeps it."""
    from linkage.clusters.clustering import DEFAULT_LINK_THRESHOLD, cluster_records
    from linkage.model.prediction import predict
    from linkage.model.training import train
    from linkage.service.decisions import load_decisions_into
    from linkage.service.service_db import connect_service

    synthetic = _synthetic_records(400, seed=5)
    rows = synthetic + _movers(len(synthetic) + 1, 150, moved_every)
    pairs, share = _expected(rows)
    assert pairs >= DISTRICT_MIN_PAIRS and (wilson_lower(share, pairs) > DISTRICT_CUT_OFF_SHARE if moved_every
                                            else share == 0.0)
    con = connect(tmp_path / "store.duckdb")
    try:
        _insert(con, rows)
        report = train(con, tmp_path / "store.json", seed=3, work_dir=tmp_path / "work")
        model = json.loads(Path(report.model_path).read_text(encoding="utf-8"))
        assert model["laolink"]["district_differs_pairs"] == pairs
        assert model["laolink"]["district_differs_share"] == pytest.approx(share, abs=1e-12)
        rules = consistency_for_model(model)
        assert rules.different_district is not bool(moved_every)
        card = report.card_path.read_text(encoding="utf-8")
        state = "off" if moved_every else "on"  # pairs >= DISTRICT_MIN_PAIRS (asserted above)
        assert (f"| different districts | districts differ (both present) | {share:.4f} of {pairs:,} pairs | "
                f"its 95 % lower bound {DISTRICT_CUT_OFF_SHARE:g} (at least {DISTRICT_MIN_PAIRS:,} pairs) | {state} |"
                ) in card
        if not moved_every:
            return
        predict(con, report.model_path, run_id=1, work_dir=tmp_path / "work")
        service = connect_service(tmp_path / "store.service.sqlite")
        load_decisions_into(con, service, "decisions_now")
        service.close()
        moved = [r["rid"] for r in rows if r["person_id"] == "M0"]  # two districts, one ID card, one name
        persons = {}
        for name, consistency in (("store's rules", rules), ("default rules", DEFAULT_RULES)):
            cluster_records(con, threshold=DEFAULT_LINK_THRESHOLD, run_id=1, decisions_table="decisions_now",
                            consistency=consistency)
            persons[name] = con.execute(
                "SELECT count(DISTINCT cluster_key) FROM record_cluster WHERE list_contains(?, rid)", [moved]
            ).fetchall()[0][0]
        assert persons == {"store's rules": 1, "default rules": 2}
    finally:
        con.close()
