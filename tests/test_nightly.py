"""The nightly job on real demo files, a real DuckDB store and the shipped model.

Crash tests run the real command in a subprocess that SIGKILLs itself at a named fault
point, then check that the previous night is still served unchanged and that running
the job again ends with exactly the result of an uninterrupted run.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from linkage.faults import FAULT_POINTS
from linkage.model.shipped import DEFAULT_MODEL
from linkage.nightly import NightlyConfig, run_nightly
from linkage.paths import store_paths
from linkage.publishing.publish import current_snapshot
from linkage.service.pending_records import add_pending_record
from linkage.service.service_db import connect_service
from linkage.sources.exchange_format import EXCHANGE_COLUMNS

PERSONS = 300


def _demo(out: Path, night: int) -> Path:
    from linkage.demo_data.generate import generate

    generate(out, PERSONS, seed=11, night=night)
    inbox = out / "inbox"
    inbox.mkdir()
    for f in out.glob(f"night{night}_*"):
        shutil.move(f, inbox / f.name)
    return inbox


@pytest.fixture(scope="module")
def nights(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("nights")
    return {"night1": _demo(base / "n1", 1), "night2": _demo(base / "n2", 2), "truth": base / "n2" / "truth.csv"}


@pytest.fixture(scope="module")
def night1_store(nights, tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("store") / "laolink.duckdb"
    run_nightly(NightlyConfig(inbox=nights["night1"], db=db, model=DEFAULT_MODEL))
    return db


def _copy_deployment(db: Path, to: Path) -> Path:
    to.mkdir(parents=True, exist_ok=True)
    for item in db.parent.iterdir():
        if item.name.startswith(db.stem):
            (shutil.copytree if item.is_dir() else shutil.copy2)(item, to / item.name)
    return to / db.name


def _published(db: Path) -> dict[str, list]:
    """The served result, as comparable rows."""
    snapshot = current_snapshot(store_paths(db))
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        report = json.loads(con.execute("SELECT report FROM runs WHERE run_id = (SELECT run_id FROM snapshot_info)"
                                        ).fetchall()[0][0])
        return {
            "run": con.execute("SELECT run_id FROM snapshot_info").fetchall(),
            # what the run report says it did (a resumed run counts what its killed attempt did too)
            "counts": [{k: report["rows"].get(k) for k in ("read", "stored", "updated", "unchanged", "quarantined")},
                       report["pairs_scored"],
                       {k: report["persons"].get(k) for k in ("created", "merged", "split", "retired")}],
            "record_person": con.execute(
                "SELECT r.source, r.record_id, rp.person_id FROM records r JOIN record_person rp USING (rid)"
                " ORDER BY 1, 2"
            ).fetchall(),
            "persons": con.execute(
                "SELECT person_id, status, alias_of, n_records FROM persons ORDER BY 1"
            ).fetchall(),
            "history": con.execute(
                "SELECT person_id, event, other_person_id, n_records, run_id FROM id_history ORDER BY ALL"
            ).fetchall(),
            "queue": con.execute(
                "SELECT kind, rid_l, rid_r, person_id, CAST(reasons AS VARCHAR) FROM review_queue ORDER BY ALL"
            ).fetchall(),
            "records": con.execute("SELECT count(*) FROM records").fetchall(),
        }
    finally:
        con.close()


def _run_cli(inbox: Path, db: Path, kill_at: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "LAOLINK_KILL_AT"}
    if kill_at:
        env["LAOLINK_KILL_AT"] = kill_at
    return subprocess.run(
        [sys.executable, "-m", "linkage", "nightly", "--inbox", str(inbox), "--db", str(db)],
        env=env, capture_output=True, text=True, timeout=600,
    )


def test_first_night_publishes_a_complete_result(night1_store, nights):
    result = _published(night1_store)
    con = duckdb.connect(str(night1_store), read_only=True)
    try:
        report = con.execute("SELECT status, report FROM runs").fetchall()
        quarantined = con.execute("SELECT count(*) FROM quarantine").fetchall()[0][0]
        stored = con.execute("SELECT count(*) FROM records").fetchall()[0][0]
        read = con.execute("SELECT sum(rows_read) FROM ingested_files").fetchall()[0][0]
    finally:
        con.close()
    assert [r[0] for r in report] == ["ok"]
    assert read == stored + quarantined  # first night: nothing updated or unchanged
    assert result["records"][0][0] == stored
    assert len(result["record_person"]) == stored  # every record has a person
    assert all(pid.startswith("LA-P-") for _, _, pid in result["record_person"])
    run_files = list((store_paths(night1_store).work_dir / "runs").glob("run-*.json"))
    assert len(run_files) == 1


def test_rerun_with_nothing_new_keeps_everything(night1_store, tmp_path, nights):
    db = _copy_deployment(night1_store, tmp_path / "again")
    before = _published(db)
    report = run_nightly(NightlyConfig(inbox=nights["night1"], db=db, model=DEFAULT_MODEL))
    after = _published(db)
    assert report.rows["stored"] == 0 and report.pairs_scored == 0
    assert after["record_person"] == before["record_person"]
    assert after["history"] == before["history"]  # no event at all
    assert after["run"] != before["run"]  # but a new night was published


def test_second_night_keeps_person_ids(night1_store, tmp_path, nights):
    db = _copy_deployment(night1_store, tmp_path / "n2")
    before = {(s, r): p for s, r, p in _published(db)["record_person"]}
    report = run_nightly(NightlyConfig(inbox=nights["night2"], db=db, model=DEFAULT_MODEL))
    assert report.rows["stored"] > 0 and report.rows["updated"] > 0
    after = {(s, r): p for s, r, p in _published(db)["record_person"]}
    with nights["truth"].open(encoding="utf-8") as f:
        truth = {(row["source"], row["record_id"]): row["person_id"] for row in csv.DictReader(f)}
    # An old person ID is kept when the true person behind its records did not change.
    kept = total = 0
    old_ids: dict[str, set[str]] = {}
    for key, pid in before.items():
        old_ids.setdefault(pid, set()).add(key)
    for pid, keys in old_ids.items():
        total += 1
        kept += any(after.get(k) == pid for k in keys)
    assert kept / total >= 0.99, f"kept {kept} of {total} person IDs"
    assert set(after) >= set(before)
    assert all(k in truth for k in after)


@pytest.fixture(scope="module")
def uninterrupted_night2(night1_store, nights, tmp_path_factory) -> dict[str, list]:
    db = _copy_deployment(night1_store, tmp_path_factory.mktemp("ref"))
    _post_pending_record(db)
    completed = _run_cli(nights["night2"], db)
    assert completed.returncode == 0, completed.stderr
    return _published(db)


def _post_pending_record(db: Path) -> None:
    """A record posted to /match with persist=true, waiting for the next night."""
    service = connect_service(store_paths(db).service_db)
    add_pending_record(service, {"record_id": "API-1", "source": "MOPS-AHTD", "full_name": "Bouasy Thammasack",
                                 "date_of_birth": "04/07/2001"}, "key:test")
    service.close()


@pytest.mark.slow
@pytest.mark.parametrize("point", FAULT_POINTS)
def test_killed_run_leaves_last_night_served_and_rerun_finishes_it(
    point, night1_store, nights, uninterrupted_night2, tmp_path
):
    db = _copy_deployment(night1_store, tmp_path / "killed")
    _post_pending_record(db)
    served_before = _published(db)
    killed = _run_cli(nights["night2"], db, kill_at=point)
    assert killed.returncode == -9, f"not killed at {point}: {killed.returncode} {killed.stderr[-2000:]}"
    served = _published(db)
    if point not in ("publish:pointer-swapped", "publish:end", "finish"):
        assert served == served_before  # readers still see the whole previous night
    rerun = _run_cli(nights["night2"], db)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    result, expected = _published(db), dict(uninterrupted_night2)
    if point == "finish":  # the killed run had finished: the re-run is a new, empty night
        result.pop("run"), expected.pop("run"), result.pop("counts"), expected.pop("counts")
    assert result == expected


@pytest.mark.slow
def test_disk_full_mid_run_fails_cleanly_and_rerun_finishes(night1_store, nights, uninterrupted_night2, tmp_path):
    db = _copy_deployment(night1_store, tmp_path / "full")
    _post_pending_record(db)
    served_before = _published(db)
    env = {k: v for k, v in os.environ.items() if k != "LAOLINK_KILL_AT"}
    full = subprocess.run(  # spill space of 1 MB with 20 MB of memory: the disk "fills" mid-run
        [sys.executable, "-m", "linkage", "nightly", "--inbox", str(nights["night2"]), "--db", str(db),
         "--memory-limit", "20MB", "--max-temp-size", "1MB"],
        env=env, capture_output=True, text=True, timeout=600,
    )
    assert full.returncode == 1
    assert full.stderr.strip().splitlines()[-1].startswith("nightly run failed: ")
    assert _published(db) == served_before
    rerun = _run_cli(nights["night2"], db)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert _published(db) == uninterrupted_night2


def test_exports_cover_every_record_and_are_audited(night1_store, tmp_path):
    from linkage.publishing.export import export_clusters, export_persons, neutralise_sql

    db = _copy_deployment(night1_store, tmp_path / "export")
    n = export_clusters(db, tmp_path / "clusters.csv")
    with (tmp_path / "clusters.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == n == _published(db)["records"][0][0]
    assert list(rows[0]) == ["source", "record_id", "person_id"]
    persons = export_persons(db, tmp_path / "persons.csv")
    assert persons == len({r["person_id"] for r in rows})
    service = connect_service(store_paths(db).service_db)
    actions = [r[0] for r in service.execute("SELECT action FROM audit ORDER BY audit_id")]
    assert actions[-2:] == ["export-clusters", "export-persons"] and "nightly-run" in actions
    values = ["=HYPERLINK(\"x\")", "+66 81", "-2+3", "@SUM(A1)", "\tx", "Bouasy"]
    got = duckdb.execute(f"SELECT {neutralise_sql('v')} FROM (SELECT unnest(?::VARCHAR[]) AS v)", [values]).fetchall()
    assert [g[0] for g in got] == ["'" + v for v in values[:5]] + ["Bouasy"]


def _two_records_of_one_person(db: Path) -> tuple[tuple[str, str], tuple[str, str], str]:
    con = duckdb.connect(str(current_snapshot(store_paths(db))), read_only=True)
    try:
        rows = con.execute(
            """SELECT rp.person_id, list((r.source, r.record_id) ORDER BY r.source, r.record_id)
               FROM records r JOIN record_person rp USING (rid) GROUP BY rp.person_id HAVING count(*) = 2
               ORDER BY rp.person_id LIMIT 1"""
        ).fetchall()
    finally:
        con.close()
    person_id, members = rows[0]
    a, b = (tuple(m) for m in members)
    return a, b, person_id


def test_not_same_decision_splits_and_survives_reruns_and_retraining(night1_store, tmp_path, nights):
    from linkage.service.decisions import record_decision

    db = _copy_deployment(night1_store, tmp_path / "decide")
    a, b, person_id = _two_records_of_one_person(db)
    service = connect_service(store_paths(db).service_db)
    record_decision(service, *a, *b, "negative", "steward1", note="different mothers' names")
    service.close()

    def persons_of() -> dict[tuple[str, str], str]:
        return {(s, r): p for s, r, p in _published(db)["record_person"] if (s, r) in (a, b)}

    run_nightly(NightlyConfig(inbox=nights["night1"], db=db, model=DEFAULT_MODEL))
    after = persons_of()
    assert after[a] != after[b] and person_id in after.values()  # one part keeps the ID
    new_id = (set(after.values()) - {person_id}).pop()
    history = [h for h in _published(db)["history"] if h[0] == new_id]
    assert any(event == "split-from" and other == person_id for _, event, other, *_ in history)

    run_nightly(NightlyConfig(inbox=nights["night1"], db=db, model=DEFAULT_MODEL))
    assert persons_of() == after  # a re-run keeps the decision and the IDs

    retrained = tmp_path / "retrained.json"  # same parameters, new model version: everything re-scored
    retrained.write_text(DEFAULT_MODEL.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    report = run_nightly(NightlyConfig(inbox=nights["night1"], db=db, model=retrained))
    assert report.pairs_scored > 0
    assert persons_of() == after


def test_files_left_in_the_inbox_are_reported_with_the_reason(night1_store, tmp_path):
    db = _copy_deployment(night1_store, tmp_path / "skips")
    inbox = tmp_path / "inbox"
    (inbox / "archive").mkdir(parents=True)
    (inbox / ".upload.csv.part").write_text("record_id,source\n", encoding="utf-8")
    report = run_nightly(NightlyConfig(inbox=inbox, db=db, model=DEFAULT_MODEL))
    skipped = {Path(f["path"]).name: f["reason"] for f in report.files if f.get("status") == "skipped"}
    assert skipped == {".upload.csv.part": "hidden file (name starts with '.')",
                       "archive": "not a regular file (only folders named as a source code, e.g. MOPS-AHTD, are read)"}
    assert report.rows["skipped_files"] == 2
    assert "skipped 2" in "\n".join(report.summary())


def test_a_source_folder_writes_its_own_source_only(night1_store, tmp_path):
    """inbox/MOPS-AHTD/ holds that ministry's files: a row claiming another source is quarantined with the reason,
    and a file whose mapping writes another source is refused whole (issue #20 row 10)."""
    db = _copy_deployment(night1_store, tmp_path / "folders")
    folder = tmp_path / "inbox" / "MOPS-AHTD"
    folder.mkdir(parents=True)
    with (folder / "ahtd_extra.csv").open("w", encoding="utf-8", newline="") as f:
        rows = csv.DictWriter(f, EXCHANGE_COLUMNS)
        rows.writeheader()
        rows.writerow({"record_id": "AHTD-F1", "source": "MOPS-AHTD", "full_name": "Bouasy Thammasack"})
        rows.writerow({"record_id": "DSW-F1", "source": "MOLSW-DSW", "full_name": "Bouasy Thammasack"})
    (folder / "nested").mkdir()
    report = run_nightly(NightlyConfig(inbox=tmp_path / "inbox", db=db, model=DEFAULT_MODEL))
    con = duckdb.connect(str(db), read_only=True)
    try:
        stored = con.execute("SELECT source, record_id FROM records WHERE record_id LIKE '%-F1'").fetchall()
        quarantined = con.execute(
            "SELECT field, reason FROM quarantine WHERE path LIKE '%ahtd_extra.csv'").fetchall()
    finally:
        con.close()
    assert stored == [("MOPS-AHTD", "AHTD-F1")]
    assert len(quarantined) == 1 and quarantined[0][0] == "source" and "MOLSW-DSW" in quarantined[0][1]
    skipped = {Path(f["path"]).name: f["reason"] for f in report.files if f.get("status") == "skipped"}
    assert skipped == {"nested": "not a regular file (folders inside a source folder are not read)"}


def test_a_first_night_whose_files_are_all_refused_publishes_an_empty_result(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "unreadable.csv").write_text("record_id,source,full_name\nX-1,MOPS-AHTD,Noy\n", encoding="utf-8")
    report = run_nightly(NightlyConfig(inbox=inbox, db=tmp_path / "empty.duckdb", model=DEFAULT_MODEL))
    assert report.status == "ok" and report.rows["rejected_files"] == 1
    assert current_snapshot(store_paths(tmp_path / "empty.duckdb")) is not None


def test_paths_with_quotes_work_for_the_nightly_and_exports(night1_store, tmp_path, nights):
    """An operator's folder names reach DuckDB's SET and COPY statements as literals, never as SQL."""
    from linkage.publishing.export import export_clusters

    db = _copy_deployment(night1_store, tmp_path / "Ban Nongkhai's store")
    report = run_nightly(NightlyConfig(inbox=nights["night1"], db=db, model=DEFAULT_MODEL, max_temp_size="1GB"))
    assert report.status == "ok"
    out = tmp_path / "it's here" / "clusters 'night'.csv"
    assert export_clusters(db, out) == _published(db)["records"][0][0] and out.exists()


def test_pending_records_file_is_owner_only_and_removed_once_ingested(night1_store, tmp_path):
    """Issue #20 row 9: the records posted with /match?persist=true wait in the service database; the CSV the
    nightly ingests them from is 0600 while it exists and gone once the records are stored."""
    import stat

    from linkage.nightly import _waiting_records
    from linkage.sources.api_records import write_api_record_files

    db = _copy_deployment(night1_store, tmp_path / "pending")
    _post_pending_record(db)
    paths = store_paths(db)
    umask = os.umask(0o022)
    try:
        pending = _waiting_records(paths, run_id=99)
        files = write_api_record_files(pending, paths.work_dir / "pending", run_id=99)
    finally:
        os.umask(umask)
    assert pending and [source for source, _ in files] == ["MOPS-AHTD"]
    for _, written in files:
        assert stat.S_IMODE(written.stat().st_mode) == 0o600
        written.unlink()
    inbox = tmp_path / "empty-inbox"
    inbox.mkdir()
    report = run_nightly(NightlyConfig(inbox=inbox, db=db, model=DEFAULT_MODEL))
    assert report.status == "ok" and report.rows["stored"] == 1, report.rows
    assert list((paths.work_dir / "pending").iterdir()) == []
    assert ("MOPS-AHTD", "API-1") in {(s, r) for s, r, _ in _published(db)["record_person"]}


@pytest.mark.parametrize("threshold", [0.0, 1.0, 1.5, -0.2])
def test_a_threshold_that_is_not_a_probability_is_refused_before_anything_runs(tmp_path, threshold):
    """The review band is the threshold's log-odds plus and minus a margin: 0 and 1 have none."""
    from typer.testing import CliRunner

    from linkage.cli import app
    from linkage.errors import LaoLinkError

    with pytest.raises(LaoLinkError, match="between 0 and 1"):
        NightlyConfig(inbox=tmp_path, db=tmp_path / "store.duckdb", threshold=threshold)
    result = CliRunner().invoke(app, ["nightly", "--inbox", str(tmp_path), "--db", str(tmp_path / "store.duckdb"),
                                      "--threshold", str(threshold)])
    assert result.exit_code != 0 and "between 0 and 1" in result.output
    assert not (tmp_path / "store.duckdb").exists()
