"""EM passes start where they can climb; a training that gives no usable model never replaces the store's model, and a
model file that cannot score is trained again: every night runs (a prior of 1.0, or a file cut short, failed every
night after it)."""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from linkage.model.model_file import ModelRejected, model_problems
from linkage.model.shipped import DEFAULT_MODEL
from linkage.model.store_model import choose_model
from linkage.model.training import train
from linkage.nightly import NightlyConfig, RunReport, run_nightly
from linkage.paths import store_paths
from linkage.store import connect
from tests.test_model import _insert, _synthetic_records

SPARSE_FILES = ("night1_molsw_lmi.csv", "night1_mops_ahtd.csv", "night1_prov_cps.csv", "night1_prov_svk.csv")


def _read(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


def _write(path: Path, rows: list[dict]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture(scope="module")
def sparse_store_inboxes(tmp_path_factory) -> tuple[Path, Path]:
    """Four demo sources (2,200 persons, seed 11) with no phone anywhere and every ID number a border pass (no
    identity evidence); then 69 more records, copies of MOPS-AHTD ones with their phones and passports. On that
    store the EM pass on name keys, started by Splink at 1e-61 matches among its pairs, found none (3.5e-31), and
    the birth-date pass then measured a prior of 1.0."""
    from linkage.demo_data.generate import generate

    root = tmp_path_factory.mktemp("sparse")
    generate(root / "demo", 2200, seed=11)
    base, later = root / "base", root / "later"
    base.mkdir()
    for name in SPARSE_FILES:
        _write(base / name, [r | {"phone": "", "id_number": f"border pass {r['id_number']}" if r["id_number"] else ""}
                             for r in _read(root / "demo" / name)])
    shutil.copytree(base, later)
    copies = [r for r in _read(root / "demo" / "night1_mops_ahtd.csv") if r["phone"] and r["id_number"]][:150]
    _write(later / "night2_mops_ahtd.csv", [r | {"record_id": f"AHTD-99-{i:06d}"} for i, r in enumerate(copies)])
    return base, later


@pytest.fixture(scope="module")
def one_phone_inboxes(sparse_store_inboxes, tmp_path_factory) -> tuple[Path, Path]:
    """The sparse store with one phone left (MOLSW-LMI's first record's), then with the 69 records of phones and
    passports: a field filled, but on one record (no pair to learn from) or by border passes (left out of the model)."""
    base, later = sparse_store_inboxes
    demo = base.parent / "demo"
    root = tmp_path_factory.mktemp("one_phone")
    for folder, copy_from in ((root / "base", base), (root / "later", later)):
        shutil.copytree(copy_from, folder)
        rows = _read(folder / "night1_molsw_lmi.csv")
        first = next(i for i, r in enumerate(_read(demo / "night1_molsw_lmi.csv")) if r["phone"])
        rows[first]["phone"] = _read(demo / "night1_molsw_lmi.csv")[first]["phone"]
        _write(folder / "night1_molsw_lmi.csv", rows)
    return root / "base", root / "later"


def _nightly(inbox: Path, db: Path) -> RunReport:
    return run_nightly(NightlyConfig(inbox=inbox, db=db, threads=1, min_training_records=1000))


def _parameters(card: Path) -> dict[str, str]:
    lines = card.read_text(encoding="utf-8").splitlines()
    return dict(line[2:].split(": ", 1) for line in lines if line.startswith("- ") and ": " in line)


def test_a_store_gaining_phones_trains_a_usable_model_and_its_passes_agree(sparse_store_inboxes, tmp_path):
    base, later = sparse_store_inboxes
    db = tmp_path / "s.duckdb"
    first = _nightly(base, db)
    assert first.status == "ok" and first.model["trained_this_run"]
    card = store_paths(db).models_dir / "store.md"
    by_pass = json.loads(_parameters(card)["probability_two_random_records_match_by_em_pass"].replace("'", '"'))
    # Started at 5.5e-62 matches, the name-key pass stopped at 0.28 of its pairs and measured a prior 43 % above the
    # birth-date pass's (pairwise F1 of that store 0.59); from half, 0.68, within 0.1 % of it (F1 0.97).
    assert abs(by_pass["given_key+family_key"] / by_pass["birth_date"] - 1) < 0.05
    assert "given_key+family_key" in _parameters(card)["em_passes_started_at_half"]

    second = _nightly(later, db)  # phones arrive: trained again
    assert second.status == "ok" and second.model["trained_this_run"]
    model = json.loads((store_paths(db).models_dir / "store.json").read_text(encoding="utf-8"))
    assert model_problems(model) == [] and model["probability_two_random_records_match"] < 1e-3
    assert _parameters(card)["em_passes_degenerate"] == "{}"


def _unlearnable(numbers: range) -> list[dict]:
    """Records that share no birth date, name, phone or ID: no EM pass has a pair to learn from."""
    return [dict(rid=i + 1, source="A", record_id=f"R{i}", given_key=f"g{i}", family_key=f"f{i}",
                 full_name_std=f"g{i} f{i}", dob=dt.date(1950, 1, 1) + dt.timedelta(days=i), dob_precision="day",
                 dob_year=1950 + i // 365, sex_code="FM"[i % 2], nationality_code="LAO", province_code=f"P{i % 18:02d}")
            for i in numbers]


@pytest.fixture
def unlearnable_store(tmp_path):
    """1,200 records that share no birth date, name, phone or ID: no EM pass has a pair to learn from."""
    db = tmp_path / "s.duckdb"
    con = connect(db)
    _insert(con, _unlearnable(range(1200)))
    try:
        yield con, db
    finally:
        con.close()


def test_training_that_gives_no_usable_model_raises_and_writes_nothing(unlearnable_store, tmp_path):
    con, _ = unlearnable_store
    out = tmp_path / "m.json"
    out.write_text("earlier model\n", encoding="utf-8")
    with pytest.raises(ModelRejected, match="no EM pass could learn: .*'no pairs share dob'"):
        train(con, out, work_dir=tmp_path / "work")
    assert out.read_text(encoding="utf-8") == "earlier model\n"
    assert not out.with_suffix(".md").exists() and not list(tmp_path.glob("m.json.tmp"))


def test_a_training_without_a_usable_model_keeps_the_earlier_one_else_the_shipped_one(unlearnable_store):
    """It failed the night (LaoLinkError: no EM pass could learn)."""
    con, db = unlearnable_store
    paths = store_paths(db)
    none_before = choose_model(con, paths, min_records=1000)
    assert none_before.kind == "shipped" and "no EM pass could learn" in none_before.training_failed
    assert "no model learned from this store yet) gave no usable model" in none_before.reason

    path = paths.models_dir / "store.json"
    shutil.copy(DEFAULT_MODEL, path)  # an earlier model, trained otherwise: stale here, so trained again
    _insert(con, _unlearnable(range(1200, 1500)))  # once the store grew as retraining asks (+25 %)
    kept = choose_model(con, paths, min_records=1000)
    assert kept.kind == "learned" and kept.path == path and not kept.trained_this_run
    assert "kept: training (" in kept.reason and "no EM pass could learn" in kept.training_failed
    earlier = json.loads(DEFAULT_MODEL.read_text(encoding="utf-8"))
    assert json.loads(path.read_text(encoding="utf-8"))["comparisons"] == earlier["comparisons"]
    assert not list(paths.models_dir.glob("*.tmp"))

    path.write_text(json.dumps({**earlier, "probability_two_random_records_match": 1.0}), encoding="utf-8")
    unusable = choose_model(con, paths, min_records=1000)  # nothing usable to keep: the shipped model
    assert unusable.kind == "shipped" and "the learned model cannot score" in unusable.reason


def test_a_rejected_training_is_not_tried_again_until_the_store_changes_as_retraining_asks(unlearnable_store):
    """Rejected on a store, training ran again every night on that unchanged store, and was rejected again after the
    same minutes. Its rejection is remembered with the store's profile; the store grown by retrain_growth (or a new
    source, field or decision) tries again, a training that gives a model forgets it."""
    import time

    from linkage.model.store_model import REJECTED_NAME

    con, db = unlearnable_store
    paths = store_paths(db)
    started = time.perf_counter()
    first = choose_model(con, paths, min_records=1000)
    rejected_in = time.perf_counter() - started
    assert first.kind == "shipped" and "no EM pass could learn" in first.training_failed
    remembered = (paths.models_dir / REJECTED_NAME).read_text(encoding="utf-8")
    assert '"training_records": 1200' in remembered

    started = time.perf_counter()
    again = choose_model(con, paths, min_records=1000)  # the next night, the store as it was
    assert time.perf_counter() - started < rejected_in
    assert again.kind == "shipped" and not again.trained_this_run and again.training_failed == ""
    assert "no EM pass could learn" in again.training_not_retried and "on 1,200 records" in again.training_not_retried
    assert "is not tried again: it gave no usable model for the store as it still is" in again.reason
    assert "tried again when the store changes as retraining asks" in again.as_report()["reason"]
    assert (paths.models_dir / REJECTED_NAME).read_text(encoding="utf-8") == remembered

    _insert(con, _unlearnable(range(1200, 1300)))  # +8 %: not the +20 % that retrains
    assert choose_model(con, paths, min_records=1000).training_not_retried
    _insert(con, _unlearnable(range(1300, 1450)))  # +21 % since the rejection: tried, and rejected again
    grown = choose_model(con, paths, min_records=1000)
    assert "no EM pass could learn" in grown.training_failed and grown.training_not_retried == ""
    assert "tried again since its rejection: the store grew from 1,200 to 1,450 records" in grown.reason
    assert '"training_records": 1450' in (paths.models_dir / REJECTED_NAME).read_text(encoding="utf-8")

    persons = _synthetic_records(400, seed=5)  # new sources, whose persons' records give EM pairs to learn from
    _insert(con, [r | {"rid": 10_000 + r["rid"]} for r in persons])
    learned = choose_model(con, paths, min_records=1000)
    assert learned.kind == "learned" and learned.trained_this_run, learned.reason
    assert not (paths.models_dir / REJECTED_NAME).exists()


def test_a_rejected_training_is_tried_again_after_an_upgrade_of_the_training_code(unlearnable_store):
    """A rejection was remembered with the store's profile and the comparisons only: a new version whose training
    (or standardizer, which writes what training reads) might learn from the unchanged store never tried it. The
    remembered rejection names the training code it was rejected by; one an older version remembered is tried
    again, once, and remembered anew."""
    from linkage.model.store_model import REJECTED_NAME, training_code

    con, db = unlearnable_store
    paths = store_paths(db)
    remembered = paths.models_dir / REJECTED_NAME
    assert "no EM pass could learn" in choose_model(con, paths, min_records=1000).training_failed
    facts = json.loads(remembered.read_text(encoding="utf-8"))["laolink"]
    assert facts["training_code"] == training_code()
    assert choose_model(con, paths, min_records=1000).training_not_retried  # the same code: not tried again

    for code in ("training0/std0", None):  # as an older version remembered it; from before the code was kept
        rejection = json.loads(remembered.read_text(encoding="utf-8"))
        rejection["laolink"]["training_code"] = code
        if code is None:
            del rejection["laolink"]["training_code"]
        remembered.write_text(json.dumps(rejection), encoding="utf-8")
        upgraded = choose_model(con, paths, min_records=1000)
        assert upgraded.training_not_retried == "" and "no EM pass could learn" in upgraded.training_failed, code
        was = code or "a version before the training code was kept"
        assert f"tried again since its rejection: the training code changed (from {was} to {training_code()})" \
            in upgraded.reason, code
        assert json.loads(remembered.read_text(encoding="utf-8"))["laolink"]["training_code"] == training_code()
        assert choose_model(con, paths, min_records=1000).training_not_retried, code  # remembered anew


def test_a_learned_model_that_cannot_score_is_trained_again(sparse_store_inboxes, tmp_path):
    """A store.json a degenerate retrain of an older version left (prior 1.0), or one cut short by a night killed
    while an older version wrote it in place: trained again (both failed every night)."""
    base, _ = sparse_store_inboxes
    db = tmp_path / "s.duckdb"
    first = _nightly(base, db)
    path = store_paths(db).models_dir / "store.json"
    learned = path.read_text(encoding="utf-8")
    path.write_text(json.dumps({**json.loads(learned), "probability_two_random_records_match": 1.0}), encoding="utf-8")
    again = _nightly(base, db)
    assert again.status == "ok" and again.model["trained_this_run"] and again.model_version == first.model_version
    assert "the learned model cannot score (probability that two random records match 1.0" in again.model["reason"]
    assert path.read_text(encoding="utf-8") == learned

    path.write_text(learned[:3000], encoding="utf-8")
    cut = _nightly(base, db)
    assert cut.status == "ok" and cut.model["trained_this_run"] and cut.model_version == first.model_version
    assert "the learned model file could not be read (JSONDecodeError" in cut.model["reason"]


def test_a_field_filled_on_one_record_or_by_border_passes_is_learned_once_records_share_it(one_phone_inboxes, tmp_path):
    """It counted as filled ("field filled for the first time" never came): phones and IDs stayed neutral (m = u = 1)
    after 69 records brought phones and passports."""
    from linkage.model.store_model import learned_fields

    base, later = one_phone_inboxes
    db = tmp_path / "s.duckdb"
    first = _nightly(base, db)
    path = store_paths(db).models_dir / "store.json"
    facts = json.loads(path.read_text(encoding="utf-8"))["laolink"]
    assert first.model["trained_this_run"] and facts["training_field_pairs"]["phone_e164"] == 0
    assert not {"phone_e164", "id_number_std"} & set(facts["training_learned_fields"])
    second = _nightly(later, db)
    assert second.status == "ok" and second.model["trained_this_run"], second.model["reason"]
    assert "phone_e164 (0 to " in second.model["reason"] and "id_number_std (0 to " in second.model["reason"]
    model = json.loads(path.read_text(encoding="utf-8"))
    assert {"phone_e164", "id_number_std"} <= set(model["laolink"]["training_learned_fields"])
    assert {"phone_e164", "id_number_std"} <= set(learned_fields(model))
    assert _nightly(later, db).model["trained_this_run"] is False  # learned now: not trained again


def test_a_measured_prior_is_judged_against_deterministic_rules_that_paired_no_records():
    """Rules that pair no records (no phones nor IDs, no namesake born the same day) estimate a prior of 0: a pass's
    measure is then judged by MAX_PRIOR alone (a ratio to 0 divided by zero and failed the night)."""
    from linkage.model.em_passes import MAX_PRIOR, far_prior

    assert far_prior(2e-4, 0.0) is None
    assert far_prior(MAX_PRIOR, 0.0) == f"measured a prior of {MAX_PRIOR:.3g}, at least {MAX_PRIOR}"
    assert far_prior(2e-4, 1e-5) is None  # 20 times: a store may give that
    assert far_prior(0.05, 1e-4) == "measured a prior of 0.05, 500 times the deterministic rules' 0.0001"
