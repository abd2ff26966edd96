"""A training that gives no usable model never replaces the store's model, and a model file that cannot score is
trained again: every night runs (a prior of 1.0, or a file cut short, failed every night after it)."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from linkage.model.model_file import ModelRejected, model_problems
from linkage.model.training import train
from linkage.nightly import NightlyConfig, RunReport, run_nightly
from linkage.paths import store_paths
from linkage.store import connect

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
    store the EM pass on name keys finds no match among its pairs (share 3.5e-31), and the birth-date pass then
    measured a prior of 1.0."""
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


def _nightly(inbox: Path, db: Path) -> RunReport:
    return run_nightly(NightlyConfig(inbox=inbox, db=db, threads=1, min_training_records=1000))


def test_a_retrain_that_degenerates_keeps_the_model_before_it(sparse_store_inboxes, tmp_path):
    base, later = sparse_store_inboxes
    db = tmp_path / "s.duckdb"
    first = _nightly(base, db)
    assert first.status == "ok" and first.model["trained_this_run"]
    path = store_paths(db).models_dir / "store.json"
    learned = path.read_bytes()
    card = path.with_suffix(".md").read_bytes()

    for _ in range(2):  # phones arrive: trained again, a degenerate model; kept the one before, night after night
        night = _nightly(later, db)
        assert night.status == "ok" and night.model_version == first.model_version
        assert night.model["kind"] == "learned" and not night.model["trained_this_run"]
        assert "field(s) filled for the first time" in night.model["reason"]
        assert "gave no usable model" in night.model["reason"]
        assert "given_key+family_key" in night.model["training_failed"]
        assert path.read_bytes() == learned and path.with_suffix(".md").read_bytes() == card
    assert not list(path.parent.glob("*.tmp"))


def test_training_that_gives_no_usable_model_raises_and_writes_nothing(sparse_store_inboxes, tmp_path):
    _, later = sparse_store_inboxes
    db = tmp_path / "s.duckdb"
    report = run_nightly(NightlyConfig(inbox=later, db=db, threads=1, min_training_records=10**6))
    assert report.status == "ok" and report.model["kind"] == "shipped"
    out = tmp_path / "m.json"
    out.write_text("earlier model\n", encoding="utf-8")
    con = connect(db)
    try:
        with pytest.raises(ModelRejected, match=r"no EM pass left learned birth \(same full birth date\).*"
                           r"given_key\+family_key.*EM found no match among its pairs"):
            train(con, out, work_dir=tmp_path / "work")
    finally:
        con.close()
    assert out.read_text(encoding="utf-8") == "earlier model\n"
    assert not out.with_suffix(".md").exists() and not list(tmp_path.glob("m.json.tmp"))


def test_a_learned_model_that_cannot_score_is_trained_again(sparse_store_inboxes, tmp_path):
    """A store.json a degenerate retrain of an older version left (prior 1.0) or a write cut short: trained again,
    and with no usable model from that either, the shipped one scores; the night runs and says so."""
    base, later = sparse_store_inboxes
    db = tmp_path / "s.duckdb"
    first = _nightly(base, db)
    path = store_paths(db).models_dir / "store.json"
    learned = path.read_text(encoding="utf-8")
    model = json.loads(learned)
    path.write_text(json.dumps({**model, "probability_two_random_records_match": 1.0}), encoding="utf-8")
    again = _nightly(base, db)
    assert again.status == "ok" and again.model["trained_this_run"] and again.model_version == first.model_version
    assert "the learned model cannot score (probability that two random records match 1.0" in again.model["reason"]
    assert path.read_text(encoding="utf-8") == learned

    path.write_text(learned[:3000], encoding="utf-8")  # a night killed while an older version wrote it in place
    cut = _nightly(base, db)
    assert cut.status == "ok" and cut.model["trained_this_run"] and cut.model_version == first.model_version
    assert "the learned model file could not be read (JSONDecodeError" in cut.model["reason"]

    path.write_text(json.dumps({**model, "probability_two_random_records_match": 1.0}), encoding="utf-8")
    shipped = _nightly(later, db)  # no usable model now, and training gives none: the shipped model scores
    assert shipped.status == "ok" and shipped.model["kind"] == "shipped"
    assert "cannot score" in shipped.model["reason"] and "gave no usable model" in shipped.model["reason"]
    assert model_problems(json.loads(path.read_text(encoding="utf-8")))  # left for the next night to train again
