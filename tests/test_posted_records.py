"""Records posted with ``/match?persist=true`` through real nights (a real store, the LaoLink model with fixed m/u):
none is lost, none is stored stale, none is left on disk (``linkage/sources/api_records.py``)."""

from __future__ import annotations

import csv
import json
import os
import stat
import subprocess
import sys
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

    columns: dict[str, str] = COLUMNS  # exchange-format column -> the list's header

    def __init__(self, root: Path) -> None:
        self.root, self.db, self.model, self.maps = root, root / "laolink.duckdb", root / "model.json", root / "maps"
        self.maps.mkdir()
        self.model.write_text(json.dumps(fixed_model()), encoding="utf-8")
        write_csv_mapping(self.maps, "home", "PROV-HOME", self.columns)
        self.nights = 0

    def night(self, rows: list[tuple] = ()) -> RunReport:
        self.nights += 1
        inbox = self.root / f"inbox{self.nights}"
        inbox.mkdir()
        if rows:
            with (inbox / f"home_{self.nights}.csv").open("w", encoding="utf-8", newline="") as f:
                csv.writer(f).writerows([list(self.columns.values()), *rows])
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


def test_a_night_killed_while_it_reads_posted_records_leaves_none_of_them_on_disk(deployment):
    """Killed (SIGKILL: the OOM killer, a reboot) while the files of posted records exist, and a record posted before
    it runs again: the files the killed attempt wrote (names, phones) are gone once the night is run again, not kept
    for good beside the ones it names after other records; every record is stored."""
    deployment.night(HOME)
    deployment.post(record_id="API-1", source="MOPS-AHTD", full_name="Bouasy Thammasack", phone="020 5555 1234")
    deployment.post(record_id="API-2", full_name="Khamla Sisavath", phone="020 7777 4321")
    empty = deployment.root / "empty"
    empty.mkdir()
    killed = subprocess.run(
        [sys.executable, "-m", "linkage", "nightly", "--inbox", str(empty), "--db", str(deployment.db),
         "--model", str(deployment.model), "--mappings", str(deployment.maps)],
        env={**os.environ, "LAOLINK_KILL_AT": "ingest:posted-files-written"}, capture_output=True, text=True,
        timeout=600)
    assert killed.returncode == -9, killed.stderr[-2000:]
    pending = store_paths(deployment.db).work_dir / "pending"
    left = sorted(pending.iterdir())
    assert len(left) == 2 and {stat.S_IMODE(p.stat().st_mode) for p in left} == {0o600}
    deployment.post(record_id="API-3", full_name="Noy Phommachanh")
    report = deployment.night()
    assert list(pending.iterdir()) == []
    assert report.run_id == 2 and deployment.query("SELECT record_id FROM records WHERE record_id LIKE 'API-%'"
                                                   " ORDER BY 1") == [("API-1",), ("API-2",), ("API-3",)]
