"""benchmarks/bench_model.py clusters a store with the consistency rules the nightly takes from the model that scored
it (``consistency_for_model_file``), not with the default ones: a store whose model learned that one person's
districts often differ keeps such a person whole in the benchmark as in the nightly, and the benchmark's clusters are
the nightly's."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import pytest
from snapshot_builder import fixed_model

from linkage.clusters import consistency
from linkage.clusters.clustering import DEFAULT_LINK_THRESHOLD
from linkage.fields.standardize import standardize
from linkage.model.consistency_evidence import DISTRICT_PAIRS_KEY, consistency_for_model_file
from linkage.model.model_file import LAOLINK_KEY
from linkage.nightly import NightlyConfig, run_nightly
from linkage.sources.ingest import ingest_files
from linkage.store import connect
from tests.mapping_samples import write_csv_mapping

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_model import run_laolink  # noqa: E402

COLUMNS = {"record_id": "ID", "full_name": "Name", "sex": "Sex", "date_of_birth": "DOB", "province": "Province",
           "district": "District", "id_number": "ID card"}
ROWS = [  # record, person, name, sex, birth date, district of Savannakhet, ID card
    ("a1", "P1", "Bouasy Thammasack", "F", "10/01/1990", "Kaysone Phomvihane", "1234567890"),
    ("a2", "P1", "Bouasy Thammasack", "F", "10/01/1990", "Atsaphangthong", "1234567890"),  # she moved
    ("b1", "P2", "Khamla Sisavath", "F", "11/02/1985", "Outhoumphone", "2345678901"),
    ("c1", "P3", "Noy Phommachanh", "M", "12/03/1979", "Xayphouthong", "3456789012"),
]


def _store(root: Path) -> tuple[Path, Path]:
    """A standardized store of ``ROWS`` (ingested through a CSV mapping, as bench_model's own store is) and its
    truth file; ``root/inbox`` and ``root/maps`` hold the file and its mapping."""
    maps, inbox = root / "maps", root / "inbox"
    maps.mkdir()
    inbox.mkdir()
    write_csv_mapping(maps, "home", "PROV-HOME", COLUMNS)
    with (inbox / "home_1.csv").open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([list(COLUMNS.values()), *[(r, name, sex, dob, "Savannakhet", district, card)
                                                           for r, _, name, sex, dob, district, card in ROWS]])
    truth = root / "truth.csv"
    truth.write_text("source,record_id,person_id\n" + "".join(f"PROV-HOME,{r[0]},{r[1]}\n" for r in ROWS),
                     encoding="utf-8")
    db = root / "bench.duckdb"
    con = connect(db)
    try:
        ingest_files(con, [inbox / "home_1.csv"], mappings_dir=maps)
        standardize(con)
    finally:
        con.close()
    return db, truth


def _model(root: Path, district_pairs: int, district_share: float) -> Path:
    """The fixed-m/u LaoLink model with the district disagreement training measured on a store."""
    model = fixed_model()
    model[LAOLINK_KEY] = {**(model.get(LAOLINK_KEY) or {}), DISTRICT_PAIRS_KEY: district_pairs,
                          "district_differs_share": district_share}
    path = root / f"model_{district_pairs}_{district_share}.json"
    path.write_text(json.dumps(model), encoding="utf-8")
    return path


def _clusters(db: Path) -> set[frozenset[str]]:
    con = connect(db, read_only=True)
    try:
        rows = con.execute("SELECT list(r.record_id ORDER BY r.record_id) FROM record_cluster c JOIN records r"
                           " USING (rid) GROUP BY c.cluster_key").fetchall()
    finally:
        con.close()
    return {frozenset(r[0]) for r in rows}


@pytest.mark.parametrize(("pairs", "share", "together"), [
    (400, 0.30, True),  # a store where people move: the nightly's district rule is off
    (400, 0.0, False),  # a store where no one's district changes: the rule stays on and cuts the moved records apart
])
def test_bench_model_clusters_with_the_rules_the_nightly_takes_from_the_store_model(tmp_path, monkeypatch, pairs, share,
                                                                                   together):
    # a1 and a2 are linked directly and surely, which keeps two districts together whatever the rule
    # (tests/test_consistency.py); set aside here, so that the rule alone decides
    monkeypatch.setattr(consistency, "DIRECT_LINK_KEEPS_DISTRICTS", 1.01)
    db, truth = _store(tmp_path)
    model = _model(tmp_path, pairs, share)
    rules = consistency_for_model_file(model)
    assert rules.different_district is not together  # what the nightly would cluster this store with

    figures = run_laolink(db, truth, threshold=DEFAULT_LINK_THRESHOLD, model=model, seed=42)
    moved = frozenset({"a1", "a2"})
    expected = {moved, frozenset({"b1"}), frozenset({"c1"})} if together else {frozenset({r[0]}) for r in ROWS}
    assert _clusters(db) == expected
    assert figures["consistency_pairs_cut"] == (0 if together else 1)
    assert figures["consistency"] == rules.as_dict()  # the JSON line says which rules it clustered with

    nightly = tmp_path / "nightly" / "laolink.duckdb"  # the same file and model through the nightly
    report = run_nightly(NightlyConfig(inbox=tmp_path / "inbox", db=nightly, model=model, mappings=tmp_path / "maps"))
    assert report.status == "ok", report.error
    assert _clusters(nightly) == expected
