"""Learning from the store: training that survives empty fields, and the nightly that trains on its own records."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from linkage.cli import app
from linkage.model.comparisons import comparisons
from linkage.model.model_file import model_version
from linkage.model.store_model import StoreProfile, predates_learning, retrain_reason
from linkage.model.training import train
from linkage.nightly import NightlyConfig, RunReport, run_nightly
from linkage.paths import store_paths
from linkage.store import connect
from tests.test_model import _insert, _synthetic_records


def test_training_skips_a_pass_whose_field_is_empty_everywhere(tmp_path):
    rows = [dict(r, phone_e164=None) for r in _synthetic_records(400, seed=5)]
    con = connect(tmp_path / "store.duckdb")
    try:
        _insert(con, rows)
        report = train(con, tmp_path / "nophone.json", seed=3, work_dir=tmp_path / "work")
    finally:
        con.close()
    assert report.parameters["em_passes_skipped"] == {"phone": "no pairs share phone_e164"}
    assert "phone" not in report.parameters["em_passes"]
    assert "em_passes_skipped: {'phone': 'no pairs share phone_e164'}" in report.card_path.read_text(encoding="utf-8")
    model = json.loads(report.model_path.read_text(encoding="utf-8"))
    name_levels = next(c for c in model["comparisons"] if c["output_column_name"] == "name")["comparison_levels"]
    assert any(lv.get("m_probability", 1) < 1 for lv in name_levels if not lv.get("is_null_level"))


def test_the_same_records_give_the_same_model_whatever_order_they_arrived_in(tmp_path):
    """Splink samples the pairs of u and of EM by their records' ids, and a rid is the order records arrived in: the
    same 5,669 records over one night or two gave two models (prior 0.0004177 and another). Training ids come from
    (source, record_id)."""
    rows = _synthetic_records(300, seed=8)
    models = []
    for name, order in (("first", rows), ("reversed", rows[::-1])):
        con = connect(tmp_path / f"{name}.duckdb")
        try:
            _insert(con, [dict(r, rid=i + 1) for i, r in enumerate(order)])
            models.append(train(con, tmp_path / f"{name}.json", seed=3, work_dir=tmp_path / "work").model_path)
        finally:
            con.close()
    assert models[0].read_bytes() == models[1].read_bytes()


def test_two_records_with_one_training_id_are_named(tmp_path, monkeypatch):
    """Training ids are 64-bit hashes of (source, record_id): two alike (about 5 in 100 million at a million records)
    stop training with the two records named and what to do, not "train again with key_ids off", which no user can.
    The hash is made coarse here so that records collide."""
    from linkage.errors import LaoLinkError
    from linkage.model.model_input import Workspace

    monkeypatch.setattr(Workspace, "key_id", staticmethod(lambda alias: f"(hash({alias}.source) % 2)::BIGINT"))
    con = connect(tmp_path / "store.duckdb")
    try:
        _insert(con, _synthetic_records(20, seed=8))
        with pytest.raises(LaoLinkError, match=r"records \S+ \S+ and \S+ \S+ hash to the same training id .*"
                                               r"give one of them another record_id at its source"):
            train(con, tmp_path / "model.json", seed=3, work_dir=tmp_path / "work")
    finally:
        con.close()


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory) -> Path:
    """The demo generator's folder as written: night-1 files beside truth.csv and expected_quarantine.csv."""
    from linkage.demo_data.generate import generate

    out = tmp_path_factory.mktemp("demo")
    generate(out, 600, seed=21)
    return out


def _nightly(inbox: Path, db: Path, **kwargs) -> RunReport:
    return run_nightly(NightlyConfig(inbox=inbox, db=db, threads=1, **{"min_training_records": 1000, **kwargs}))


def test_nightly_learns_from_the_store_and_never_reads_the_truth(demo_folder, tmp_path):
    assert (demo_folder / "truth.csv").is_file() and (demo_folder / "expected_quarantine.csv").is_file()
    without_truth = tmp_path / "inbox"
    without_truth.mkdir()
    for f in demo_folder.glob("night1_*"):
        shutil.copy2(f, without_truth / f.name)
    with_truth_db, without_truth_db = tmp_path / "a" / "s.duckdb", tmp_path / "b" / "s.duckdb"

    first = _nightly(demo_folder, with_truth_db)
    assert first.model["kind"] == "learned" and first.model["trained_this_run"]
    assert first.model_version.startswith("store-") and "no model learned from this store yet" in first.model["reason"]
    assert any(line.startswith("model: learned, trained on this store's") for line in first.summary())
    other = _nightly(without_truth, without_truth_db)
    model_a = (store_paths(with_truth_db).models_dir / "store.json").read_bytes()
    model_b = (store_paths(without_truth_db).models_dir / "store.json").read_bytes()
    assert model_a == model_b and first.model_version == other.model_version
    model = json.loads(model_a)["laolink"]
    assert model["training_records"] == first.model["store_records"] and "MOLSW-DSW" in model["training_sources"]

    again = _nightly(without_truth, without_truth_db)  # nothing new: the learned model still fits
    assert not again.model["trained_this_run"] and again.model_version == other.model_version
    # a model from before training learned own records per count is trained again, once, and gives the same model
    stored = store_paths(without_truth_db).models_dir / "store.json"
    older = json.loads(stored.read_text(encoding="utf-8"))
    del older["laolink"]["own_records_by_count"]
    stored.write_text(json.dumps(older), encoding="utf-8")
    upgraded = _nightly(without_truth, without_truth_db)
    assert upgraded.model["trained_this_run"] and "predates what training now learns" in upgraded.model["reason"]
    assert stored.read_bytes() == model_b

    result = CliRunner().invoke(
        app, ["blocking", "report", "--db", str(with_truth_db), "--truth", str(demo_folder / "truth.csv")]
    )
    assert result.exit_code == 0, result.output
    found, total, recall = re.search(
        r"blocking recall: ([\d,]+) of ([\d,]+) true pairs found by the rules together \((0\.\d+)\)", result.output
    ).groups()
    assert int(total.replace(",", "")) > 500 and 0.9 < float(recall) <= 1.0
    assert float(recall) == round(int(found.replace(",", "")) / int(total.replace(",", "")), 4)


def test_a_store_too_small_to_learn_from_is_scored_by_the_shipped_model(demo_folder, tmp_path):
    report = _nightly(demo_folder, tmp_path / "s.duckdb", min_training_records=1_000_000)
    assert report.model["kind"] == "shipped" and report.model_version.startswith("demo-")
    assert f"{report.model['store_records']:,} standardized records, fewer than the 1,000,000" in report.model["reason"]
    assert not store_paths(tmp_path / "s.duckdb").models_dir.exists()


def test_the_shipped_model_blocks_with_todays_prediction_rules():
    """models/demo.json scores small stores: its prediction rules are blocking_rules/predict.yaml's (it held 14 of
    them, from before the rules for rare names, skeletons, given-name-only records and ID slips)."""
    from linkage.model.model_rules import with_current_rules
    from linkage.model.shipped import DEFAULT_MODEL

    assert with_current_rules(json.loads(DEFAULT_MODEL.read_text(encoding="utf-8"))) is None


def _older_rules(path: Path, to: Path) -> list:
    """Write the model at ``path`` to ``to`` with only its first five prediction rules; return all of them."""
    model = json.loads(path.read_text(encoding="utf-8"))
    rules = model["blocking_rules_to_generate_predictions"]
    to.write_text(json.dumps({**model, "blocking_rules_to_generate_predictions": rules[:5]}, indent=4,
                             ensure_ascii=False) + "\n", encoding="utf-8")
    return rules


def _pairs(db: Path) -> int:
    con = connect(db)
    try:
        return con.execute("SELECT count(*) FROM predictions").fetchall()[0][0]
    finally:
        con.close()


def test_a_model_written_with_older_prediction_rules_scores_with_todays(demo_folder, tmp_path, monkeypatch):
    """A learned model that still fits is not trained again for new rules, but given them: every record is scored
    again with them (here the same pairs as the night that trained it). A shipped model file with older rules: the
    store scores with a copy holding today's."""
    import linkage.model.store_model as store_model

    db = tmp_path / "s.duckdb"
    first = _nightly(demo_folder, db)
    path = store_paths(db).models_dir / "store.json"
    pairs = _pairs(db)
    rules = _older_rules(path, path)
    card = path.with_suffix(".md")  # as the card of a model trained with the older rules says
    older_version = model_version(path)
    card.write_text(card.read_text(encoding="utf-8").replace(first.model_version, older_version), encoding="utf-8")
    again = _nightly(demo_folder, db)
    assert not again.model["trained_this_run"] and "today's prediction rules" in again.model["reason"]
    assert json.loads(path.read_text(encoding="utf-8"))["blocking_rules_to_generate_predictions"] == rules
    assert again.model_version == first.model_version
    assert _pairs(db) == pairs
    lines = card.read_text(encoding="utf-8").splitlines()  # the card names the version that scores, and why
    assert lines[0] == f"# Model card: {again.model_version}"
    assert sum(f"rules of blocking_rules/predict.yaml (version {older_version} before" in line for line in lines) == 1

    shipped = tmp_path / "demo.json"
    rules = _older_rules(store_model.DEFAULT_MODEL, shipped)
    monkeypatch.setattr(store_model, "DEFAULT_MODEL", shipped)
    small = _nightly(demo_folder, tmp_path / "small" / "s.duckdb", min_training_records=1_000_000)
    copy = store_paths(tmp_path / "small" / "s.duckdb").models_dir / "shipped.json"
    assert small.model["kind"] == "shipped" and small.model_version.startswith("shipped-")
    assert "with today's prediction rules" in small.model["reason"]
    assert json.loads(copy.read_text(encoding="utf-8"))["blocking_rules_to_generate_predictions"] == rules


def test_retrain_reasons():
    model = {"laolink": {"training_records": 1000, "training_sources": ["A"], "training_learned_fields": ["dob"],
                         "training_learnable_fields": ["dob"], "training_field_pairs": {"dob": 50}}}
    fits = StoreProfile(records=1100, sources=("A",), field_pairs={"dob": 55}, learnable=("dob",))
    assert retrain_reason(model, fits, 0.2) is None
    # trained before this version learned own records per count from the store: trained again, once
    learned = {"laolink": model["laolink"] | {"own_records_by_count": {}, "district_differs_pairs": 0}}
    assert predates_learning(learned) is None
    assert predates_learning(model) == ("the model predates what training now learns from the store "
                                        "(own_records_by_count, district_differs_pairs)")
    assert "grew from 1,000 to 1,200" in retrain_reason(model, replace(fits, records=1200), 0.2)
    assert "new source(s) B" in retrain_reason(model, replace(fits, sources=("A", "B")), 0.2)
    phones = replace(fits, field_pairs={"dob": 55, "phone_e164": 3}, learnable=("dob", "phone_e164"))
    assert "phone_e164 (0 to 3 pairs sharing a value)" in retrain_reason(model, phones, 0.2)
    # records share a phone, but all of one value: nothing to learn from (one nationality everywhere: no retrain)
    assert retrain_reason(model, replace(phones, learnable=("dob",)), 0.2) is None
    assert retrain_reason(None, fits, 0.2) == "no model learned from this store yet"
    # a level this version adds (or renames) reaches the store's model only by training again
    levels = [c.get_comparison("duckdb").as_dict() for c in comparisons()]
    assert retrain_reason({**model, "comparisons": levels}, fits, 0.2) is None
    older = [{**c, "comparison_levels": c["comparison_levels"][:-2] + c["comparison_levels"][-1:]}
             if c["output_column_name"] == "name" else c for c in levels]
    assert retrain_reason({**model, "comparisons": older}, fits, 0.2) == (
        "this version compares name with other levels than the model learned")
    # decisions: a retraining is a full re-score, so only as many more as growth asks, or one withdrawn
    d1 = frozenset(f"p{i}" for i in range(100))  # the pairs the model learned from

    def now(decisions: set[str]) -> StoreProfile:
        return replace(fits, decisions=frozenset(decisions))

    decided = {"laolink": model["laolink"] | replace(fits, field_pairs={"dob": 50}, decisions=d1).facts()}
    assert retrain_reason(decided, now(d1), 0.2) is None
    assert retrain_reason(decided, now(d1 | {f"q{i}" for i in range(10)}), 0.2) is None
    assert "grew from 100 to 120" in retrain_reason(decided, now(d1 | {f"q{i}" for i in range(20)}), 0.2)
    assert "reversed" in retrain_reason(decided, now(d1 - {"p0"}), 0.2)
    assert "reversed" in retrain_reason(decided, now(d1 - {"p0"} | {"q0"}), 0.2)
    # one withdrawn while the decisions grew, by less than retraining asks: seen all the same
    assert "1 positive decision(s)" in retrain_reason(decided, now(d1 - {"p0"} | {f"q{i}" for i in range(10)}), 0.2)
    assert "grew from 0 to 1" in retrain_reason(model, now({"q0"}), 0.2)
    older = {"laolink": model["laolink"] | {"training_decisions": "d1", "training_positive_decisions": 100}}
    assert "older form" in retrain_reason(older, now(d1), 0.2)


def test_a_field_the_model_learned_nothing_of_retrains_it_once_records_share_it():
    """Learned-ness is the model's own (its levels), not whether the raw column held a value: border passes (which
    the model input leaves out) or one phone in the store counted as filled, and the model never learned them."""
    from linkage.model.store_model import learned_fields

    def model(phone_m: float | None, phone_u: float) -> dict:
        """Today's comparisons, every level learned (m 0.5, u 0.1) but the phone's (m, u)."""
        return {"link_type": "dedupe_only", "probability_two_random_records_match": 1e-4, "comparisons": [
            {**c, "comparison_levels": [lv if lv.get("is_null_level") else lv | (
                {"m_probability": 0.5, "u_probability": 0.1} if c["output_column_name"] != "phone"
                else {"m_probability": phone_m, "u_probability": phone_u}) for lv in c["comparison_levels"]]}
            for c in (c.get_comparison("duckdb").as_dict() for c in comparisons())]}

    learned_all, neutral_phone, floored_phone = model(0.5, 0.1), model(1.0, 1.0), model(0.001, 0.5)
    assert "phone_e164" in learned_fields(learned_all)
    assert "phone_e164" not in learned_fields(neutral_phone) and "phone_e164" not in learned_fields(floored_phone)
    assert "phone_e164" not in learned_fields(learned_all, frozenset({"phone_e164"}))  # its EM pass left out
    facts = {"training_records": 1000, "training_sources": ["A"]}
    profile = StoreProfile(1000, ("A",), {"dob": 50, "phone_e164": 4}, learnable=("dob", "phone_e164"))
    for older in (neutral_phone, floored_phone):  # a model from before learned fields were kept: its levels say
        assert "phone_e164 (0 to 4" in retrain_reason({**older, "laolink": facts}, profile, 0.2)
    assert retrain_reason({**learned_all, "laolink": facts}, profile, 0.2) is None
    # learnable at training, yet not learned (the pass undone): tried again only as its pairs grow by a fifth
    tried = {"laolink": facts | {"training_learned_fields": ["dob"], "training_learnable_fields": ["dob", "phone_e164"],
                                 "training_field_pairs": {"dob": 50, "phone_e164": 100}}}
    assert retrain_reason(tried, replace(profile, field_pairs={"dob": 50, "phone_e164": 119}), 0.2) is None
    grown = replace(profile, field_pairs={"dob": 50, "phone_e164": 120})
    assert "phone_e164 (100 to 120" in retrain_reason(tried, grown, 0.2)


def test_a_level_changed_under_its_label_retrains():
    """A level whose SQL, term-frequency minimum u or fixed m an upgrade changes under the same label: the model
    kept scoring with the old one (the levels were compared by label only)."""
    import copy
    import hashlib

    from linkage.model.store_model import comparison_digests

    fits = StoreProfile(records=1000, sources=("A",))
    facts = {"training_records": 1000, "training_sources": ["A"], "training_learned_fields": []}
    levels = [c.get_comparison("duckdb").as_dict() for c in comparisons()]
    assert retrain_reason({"laolink": facts, "comparisons": levels}, fits, 0.2) is None
    for change in ("sql", "tf"):  # a model from before the digests were kept: its levels' SQL and tf settings
        older = copy.deepcopy(levels)
        name = next(c for c in older if c["output_column_name"] == "name")["comparison_levels"]
        if change == "sql":
            level = next(lv for lv in name if "0.88)" in lv["sql_condition"])
            level["sql_condition"] = level["sql_condition"].replace("0.88)", "0.80)")
        else:
            level = next(lv for lv in name if lv.get("tf_minimum_u_value"))
            level["tf_minimum_u_value"] *= 10
        assert retrain_reason({"laolink": facts, "comparisons": older}, fits, 0.2) == (
            "this version compares name with other levels than the model learned"), change
    # with the digests of the definitions it was trained by: any change, a fixed m's included
    digests = comparison_digests()
    recorded = {"laolink": facts | {"training_comparisons": digests}, "comparisons": levels}
    assert retrain_reason(recorded, fits, 0.2) is None
    birth = copy.deepcopy(next(c for c in levels if c["output_column_name"] == "birth"))
    next(lv for lv in birth["comparison_levels"] if lv.get("fix_m_probability"))["m_probability"] = 0.004
    older_birth = hashlib.sha256(json.dumps(birth, sort_keys=True).encode()).hexdigest()[:16]
    trained = facts | {"training_comparisons": digests | {"birth": older_birth}}
    assert retrain_reason({"laolink": trained, "comparisons": levels}, fits, 0.2) == (
        "this version compares birth with other levels than the model learned")


def test_a_decision_on_records_the_store_lacks_retrains_nothing(tmp_path):
    """Training learns nothing from it (decision_labels joins the store's records), yet it counted as a new positive
    decision: the night trained again and scored the whole store again."""
    from linkage.model.store_model import positive_decisions
    from linkage.service.decisions import record_decision
    from linkage.service.service_db import connect_service

    con = connect(tmp_path / "s.duckdb")
    _insert(con, [dict(rid=i, source="S", record_id=f"r{i}", given_key="g", family_key="f") for i in (1, 2, 3)])
    service_db = tmp_path / "s.service.sqlite"
    service = connect_service(service_db)
    record_decision(service, "S", "r1", "S", "r2", "positive", "s1")
    try:
        held = positive_decisions(service_db, con)
        record_decision(service, "S", "NO-SUCH-1", "S", "NO-SUCH-2", "positive", "s1")
        record_decision(service, "S", "r3", "S", "NO-SUCH-3", "positive", "s1")
        assert positive_decisions(service_db, con) == held and len(held) == 1
        model = {"laolink": {"training_records": 3, "training_sources": ["S"], "training_decisions": sorted(held)}}
        now = StoreProfile(3, ("S",), decisions=positive_decisions(service_db, con))
        assert retrain_reason(model, now, 0.2) is None
        record_decision(service, "S", "r2", "S", "r3", "positive", "s1")  # both records held: a new one
        assert len(positive_decisions(service_db, con)) == 2
    finally:
        service.close()
        con.close()


def test_a_comparison_no_pass_learned_is_neutral():
    """Phones on records no EM pass compared: u from random pairs, no m. Each level's m was the floor, and two
    different phones weighed -10 bits."""
    from linkage.model.training import stable_model

    levels = [{"sql_condition": "null", "is_null_level": True},
              {"sql_condition": "same", "u_probability": 0.001, "fix_m_probability": False},
              {"sql_condition": "else", "u_probability": 0.999, "fix_m_probability": False}]
    learned = [levels[0], {**levels[1], "m_probability": 0.9}, levels[2]]
    model = stable_model({"probability_two_random_records_match": 1e-4, "comparisons": [
        {"output_column_name": "phone", "comparison_levels": [dict(lv) for lv in levels]},
        {"output_column_name": "other", "comparison_levels": [dict(lv) for lv in learned]}]})
    phone, other = ([(lv.get("m_probability"), lv.get("u_probability")) for lv in c["comparison_levels"][1:]]
                    for c in model["comparisons"])
    assert phone == [(1.0, 1.0), (1.0, 1.0)]
    assert other == [(0.9, 0.001), (0.001, 0.999)]  # a learned comparison's unseen level: as rare as the floor


def test_birth_years_far_apart_learned_from_same_id_same_name_pairs():
    from linkage.clusters.consistency import DEFAULT_RULES
    from linkage.model.consistency_evidence import apply_far_apart_share, consistency_for_model

    model = json.loads((Path(__file__).resolve().parents[1] / "models" / "demo.json").read_text(encoding="utf-8"))
    birth = next(c for c in model["comparisons"] if c["output_column_name"] == "birth")["comparison_levels"]
    levels = [lv for lv in birth if not lv.get("is_null_level")]
    total = sum(lv["m_probability"] for lv in levels)
    kept = apply_far_apart_share(json.loads(json.dumps(model)), pairs=400, share=0.0)
    assert kept["comparisons"] == model["comparisons"] and consistency_for_model(kept) == DEFAULT_RULES
    raised = apply_far_apart_share(json.loads(json.dumps(model)), pairs=400, share=0.06)
    birth = next(c for c in raised["comparisons"] if c["output_column_name"] == "birth")["comparison_levels"]
    far = next(lv for lv in birth if lv.get("label_for_charts") == "birth years far apart")
    assert far["m_probability"] == 0.06
    assert abs(sum(lv["m_probability"] for lv in birth if not lv.get("is_null_level")) - total) < 0.01
    assert consistency_for_model(raised).max_birth_year_gap is None
    too_few = apply_far_apart_share(json.loads(json.dumps(model)), pairs=10, share=0.5)
    assert too_few["comparisons"] == model["comparisons"] and consistency_for_model(too_few) == DEFAULT_RULES


def test_a_large_store_without_far_apart_birth_years_lowers_their_m_to_its_confidence_bound():
    from linkage.clusters.consistency import DEFAULT_RULES
    from linkage.model.consistency_evidence import FIXED_FAR_APART_M, apply_far_apart_share, consistency_for_model

    model = json.loads((Path(__file__).resolve().parents[1] / "models" / "demo.json").read_text(encoding="utf-8"))

    def far_m(m: dict) -> float:
        birth = next(c for c in m["comparisons"] if c["output_column_name"] == "birth")["comparison_levels"]
        return next(lv for lv in birth if lv.get("label_for_charts") == "birth years far apart")["m_probability"]

    lowered = apply_far_apart_share(json.loads(json.dumps(model)), pairs=2000, share=0.0)
    assert far_m(model) == FIXED_FAR_APART_M
    assert 0.0018 < far_m(lowered) < 0.0020  # Wilson 95 % upper bound of 0 in 2,000
    assert lowered["laolink"]["birth_far_apart_m"] == far_m(lowered)
    def m_sum(m: dict) -> float:
        birth = next(c for c in m["comparisons"] if c["output_column_name"] == "birth")["comparison_levels"]
        return sum(lv["m_probability"] for lv in birth if not lv.get("is_null_level"))

    assert abs(m_sum(lowered) - m_sum(model)) < 0.001
    assert consistency_for_model(lowered) == DEFAULT_RULES
    # a few far apart in a large store: the bound of that share, still under the fixed value
    some = apply_far_apart_share(json.loads(json.dumps(model)), pairs=20000, share=0.001)
    assert 0.001 < far_m(some) < 0.0016


NO_EVIDENCE = "ID number missing, or documents of different kinds"


@pytest.mark.parametrize(
    ("left", "right", "label"),
    [
        (("P1234567", "passport"), ("P1234567", "passport"), "same ID number"),
        (("P1234567", None), ("P1234567", "passport"), "same ID number"),  # a number written alone: kind unknown
        (("947635", "family_book"), ("947635", "id_card"), NO_EVIDENCE),
        (("947635", "family_book"), ("123456", "id_card"), NO_EVIDENCE),
        (("BP0012345", "border_pass"), ("BP0099999", "border_pass"), NO_EVIDENCE),
        (("BP0012345", "border_pass"), ("BP0012345", "border_pass"), NO_EVIDENCE),
        (("C-2024-17", "case_number"), ("P1234567", "passport"), NO_EVIDENCE),
        (("P1234567", "passport"), ("P7654321", "passport"), "different ID number"),
        (("P1234567", "passport"), ("P1234576", "passport"), "ID number one typo apart"),
    ],
)
def test_ids_compare_within_a_kind_and_per_event_documents_are_no_evidence(left, right, label):
    """The model input's ID columns (per-event documents left out) through the ID comparison's own level SQL."""
    import duckdb

    from linkage.model.comparisons import id_number_comparison
    from linkage.model.model_input import model_input_sql
    from linkage.store import STANDARDIZED_COLUMNS

    con = duckdb.connect()
    others = [c for c in STANDARDIZED_COLUMNS if c not in ("id_number_std", "id_type")]
    columns = ", ".join(f"NULL::{STANDARDIZED_COLUMNS[c]} AS {c}" for c in others)
    con.execute(
        f"CREATE TABLE records AS SELECT rid, {columns}, id_number_std, id_type "
        "FROM (VALUES (1, ?, ?), (2, ?, ?)) v(rid, id_number_std, id_type)", [*left, *right]
    )
    con.execute(f"CREATE TABLE mi AS {model_input_sql('records')}")
    levels = id_number_comparison().get_comparison("duckdb").comparison_levels
    pair = 'FROM (SELECT l.id_number_std AS "id_number_std_l", r.id_number_std AS "id_number_std_r", ' \
           'l.id_type AS "id_type_l", r.id_type AS "id_type_r" FROM mi l, mi r WHERE l.rid = 1 AND r.rid = 2)'
    def holds(sql: str) -> bool:
        return sql == "ELSE" or con.execute(f"SELECT coalesce({sql}, false) {pair}").fetchall()[0][0]

    reached = next(lv.label_for_charts for lv in levels if holds(lv.sql_condition))
    assert reached == label
