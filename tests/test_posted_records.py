"""Records posted with ``/match?persist=true`` through real nights (a real store, the LaoLink model with fixed m/u):
none is lost, none is stored stale, none is left on disk (``linkage/sources/api_records.py``)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pytest
from snapshot_builder import fixed_model

from linkage.nightly import NightlyConfig, RunReport, run_nightly
from linkage.paths import store_paths
from linkage.service.pending_records import add_pending_record
from linkage.service.service_db import connect_service
from tests.mapping_samples import write_csv_mapping

COLUMNS = {"record_id": "ID", "full_name": "Name", "sex": "Sex", "date_of_birth": "DOB", "province": "Province",
           "district": "District"}
HOME = [(f"home-{i}", n, s, f"{10 + i}/0{1 + i}/{1990 + i}", "Savannakhet", "Kaysone Phomvihane")
        for i, (n, s) in enumerate([("Bouasy Thammasack", "F"), ("Khamla Sisavath", "F"), ("Noy Phommachanh", "M")])]


class Deployment:
    """A store beside its mappings and model; ``night(rows)`` runs a night whose inbox holds a list of ``rows``."""

    def __init__(self, root: Path) -> None:
        self.root, self.db, self.model, self.maps = root, root / "laolink.duckdb", root / "model.json", root / "maps"
        self.maps.mkdir()
        self.model.write_text(json.dumps(fixed_model()), encoding="utf-8")
        write_csv_mapping(self.maps, "home", "PROV-HOME", COLUMNS)
        self.nights = 0

    def night(self, rows: list[tuple] = ()) -> RunReport:
        self.nights += 1
        inbox = self.root / f"inbox{self.nights}"
        inbox.mkdir()
        if rows:
            with (inbox / f"home_{self.nights}.csv").open("w", encoding="utf-8", newline="") as f:
                csv.writer(f).writerows([list(COLUMNS.values()), *rows])
        report = run_nightly(NightlyConfig(inbox=inbox, db=self.db, model=self.model, mappings=self.maps))
        assert report.status == "ok", report.error
        return report

    def post(self, **record: str) -> int:
        service = connect_service(store_paths(self.db).service_db)
        try:
            return add_pending_record(service, {"source": "PROV-HOME", **record}, "key:test").pending_id
        finally:
            service.close()

    def pending(self) -> list[tuple]:
        service = connect_service(store_paths(self.db).service_db)
        try:
            return service.execute("SELECT pending_id, ingested_run_id, superseded_by FROM pending_records"
                                   " ORDER BY pending_id").fetchall()
        finally:
            service.close()

    def query(self, sql: str) -> list[tuple]:
        con = duckdb.connect(str(self.db), read_only=True)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()


@pytest.fixture
def deployment(tmp_path) -> Deployment:
    return Deployment(tmp_path)


def test_a_correction_posted_before_the_night_is_stored_and_the_first_post_is_superseded(deployment):
    """The same record posted twice before a night (a correction): the night stores the last post, not the stale
    first one with the correction quarantined as a repeat of its record_id; the first is marked ingested and
    superseded by the second, and the night's report counts it."""
    deployment.night(HOME)
    first = deployment.post(record_id="API-1", full_name="Bouasy Thamasak", date_of_birth="01/01/1999")
    second = deployment.post(record_id="API-1", full_name="Bouasy Thammasack", date_of_birth="12/03/1991")
    report = deployment.night()
    assert deployment.query("SELECT full_name, date_of_birth FROM records WHERE record_id = 'API-1'") == [
        ("Bouasy Thammasack", "12/03/1991")]
    assert deployment.query("SELECT count(*) FROM quarantine") == [(0,)]
    assert deployment.pending() == [(first, report.run_id, second), (second, report.run_id, None)]
    assert (report.rows["read"], report.rows["stored"], report.rows["posts_superseded"]) == (1, 1, 1)
    assert "posts superseded by a later post 1" in "\n".join(report.summary())


def test_a_post_made_again_after_a_list_changed_the_record_is_applied_again(deployment):
    """A post of an earlier night made again, after a list changed the record in between: the night's file of
    posted records has the same bytes as that earlier night's, and is read all the same (not 'already ingested')."""
    deployment.night(HOME)
    posted = dict(zip(("record_id", "full_name", "sex", "date_of_birth", "province", "district"), HOME[0],
                      strict=True)) | {"phone": "020 5555 1234"}
    deployment.post(**posted)
    deployment.night()
    deployment.night([(*HOME[0][:5], "Xaybouly")])  # the list changes home-0: another district, no phone
    assert deployment.query("SELECT district, phone FROM records WHERE record_id = 'home-0'") == [("Xaybouly", None)]
    deployment.post(**posted)
    report = deployment.night()
    assert [(f["mapping"], f["status"], f["updated"]) for f in report.files] == [("(api)", "ingested", 1)]
    assert deployment.query("SELECT district, phone FROM records WHERE record_id = 'home-0'") == [
        ("Kaysone Phomvihane", "020 5555 1234")]
