"""A night clusters again only the components it touched (linkage.clusters.scope): the clusters, links, flags,
person IDs and review queue are those of clustering every component."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from demo_deployment import demo_inbox

from linkage.model.model_file import LAOLINK_KEY
from linkage.model.shipped import DEFAULT_MODEL
from linkage.nightly import NightlyConfig, run_nightly
from linkage.paths import store_paths
from linkage.service.service_db import connect_service
from linkage.store import connect

PERSONS = 300
TABLES = {
    "record_cluster": "*",
    "cluster_links": "*",
    "clustering_flags": "*",
    "record_person": "*",
    "persons": "*",
    "id_history": "* EXCLUDE (event_id, \"at\")",
    "review_queue": "* EXCLUDE (item_id)",
}


def _inbox(out: Path, night: int) -> Path:
    return demo_inbox(out, night, persons=PERSONS, seed=7)


def _rows(db: Path) -> dict[str, list]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: con.execute(f"SELECT {cols} FROM {t} ORDER BY ALL").fetchall() for t, cols in TABLES.items()}
    finally:
        con.close()


def _decide(db: Path) -> None:
    """A steward's decisions between the nights: two linked records are not the same person, and two records
    of different clusters with the same given name are."""
    con = connect(db)
    try:
        split = con.execute(
            "SELECT l.source, l.record_id, r.source, r.record_id FROM cluster_links k "
            "JOIN records l ON l.rid = k.rid_l JOIN records r ON r.rid = k.rid_r WHERE k.origin = 'model' "
            "ORDER BY k.match_probability, k.rid_l LIMIT 1").fetchall()[0]
        join = con.execute(
            "SELECT l.source, l.record_id, r.source, r.record_id FROM records l JOIN records r "
            "ON l.given_key = r.given_key AND l.rid < r.rid JOIN record_cluster a ON a.rid = l.rid "
            "JOIN record_cluster b ON b.rid = r.rid WHERE a.cluster_key <> b.cluster_key "
            "ORDER BY l.rid, r.rid LIMIT 1").fetchall()[0]
    finally:
        con.close()
    record_decisions(db, [(split, "negative"), (join, "positive")])


def record_decisions(db: Path, decisions: list[tuple[tuple, str]]) -> None:
    """Steward decisions in the store's service database: ((source, record_id, source, record_id), judgement)."""
    service = connect_service(store_paths(db).service_db)
    try:
        for (sl, il, sr, ir), judgement in decisions:
            (sl, il), (sr, ir) = sorted([(sl, il), (sr, ir)])
            service.execute(
                "INSERT INTO decisions (source_l, record_id_l, source_r, record_id_r, judgement, decided_by) "
                "VALUES (?, ?, ?, ?, ?, 'steward1')", (sl, il, sr, ir, judgement))
        service.commit()
    finally:
        service.close()


def _fixed_prior_model(path: Path) -> Path:
    """The shipped model without its training size: its prior does not follow the store's growth, which would
    score every pair again on a night that adds a tenth to a small store (and so cluster every component)."""
    model = json.loads(DEFAULT_MODEL.read_text(encoding="utf-8"))
    model[LAOLINK_KEY].pop("training_records")
    path.write_text(json.dumps(model), encoding="utf-8")
    return path


def _scoped_and_whole(source: Path, to: Path) -> tuple[Path, Path]:
    """Two copies of the store at ``source``: one clusters as it would, the other every component."""
    out = []
    for name in ("scoped", "whole"):
        db = to / name / "laolink.duckdb"
        shutil.copytree(source.parent, db.parent)
        out.append(db)
    con = connect(out[1])
    con.execute("DELETE FROM clustering_state")
    con.close()
    return out[0], out[1]


def decided_first_night(base: Path, inbox: Callable[[Path, int], Path]) -> tuple[Path, Path]:
    """Night 1 (``inbox(folder, night)``) into ``base/night1`` with the fixed-prior model, a steward's decisions
    after it; the store and the model."""
    night1 = base / "night1" / "laolink.duckdb"
    night1.parent.mkdir()
    model = _fixed_prior_model(base / "model.json")
    run_nightly(NightlyConfig(inbox=inbox(base / "n1", 1), db=night1, model=model))
    _decide(night1)
    return night1, model


@pytest.fixture(scope="module")
def nights(tmp_path_factory) -> dict:
    base = tmp_path_factory.mktemp("scope")
    night1, model = decided_first_night(base, _inbox)
    db, whole = _scoped_and_whole(night1, base)
    night2 = _inbox(base / "n2", 2)
    reports = {name: run_nightly(NightlyConfig(inbox=night2, db=path, model=model))
               for name, path in (("scoped", db), ("whole", whole))}
    return {"scoped": db, "whole": whole, "reports": reports, "model": model}


def test_a_night_clustered_over_what_it_touched_equals_clustering_everything(nights):
    scoped, whole = nights["reports"]["scoped"].clusters, nights["reports"]["whole"].clusters
    records = _rows(nights["scoped"])["record_cluster"]
    assert 0 < scoped["records_clustered"] < len(records), "night 2 clustered some components only"
    assert whole["records_clustered"] == len(records)
    assert _rows(nights["scoped"]) == _rows(nights["whole"])
    assert {k: v for k, v in scoped.items() if k != "records_clustered"} == \
        {k: v for k, v in whole.items() if k != "records_clustered"}
    assert nights["reports"]["scoped"].persons == nights["reports"]["whole"].persons


def test_a_night_with_nothing_new_clusters_nothing_and_changes_nothing(nights, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    before = _rows(nights["scoped"])
    report = run_nightly(NightlyConfig(inbox=empty, db=nights["scoped"], model=nights["model"]))
    assert report.clusters["records_clustered"] == 0
    after = _rows(nights["scoped"])
    for table in ("record_cluster", "cluster_links", "record_person", "persons"):
        assert after[table] == before[table], table
    # the flags are the last run's, carried over
    assert [r[1:] for r in after["clustering_flags"] if r[0] == report.run_id] == \
        sorted(r[1:] for r in before["clustering_flags"] if r[0] == report.run_id - 1)


def test_other_settings_cluster_everything(nights, tmp_path):
    db = tmp_path / "other" / "laolink.duckdb"
    shutil.copytree(nights["scoped"].parent, db.parent)
    empty = tmp_path / "empty"
    empty.mkdir()
    report = run_nightly(NightlyConfig(inbox=empty, db=db, model=nights["model"], threshold=0.7))
    assert report.clusters["records_clustered"] == len(_rows(db)["record_cluster"])


def test_a_record_sent_again_under_another_name_leaves_its_cluster(nights, tmp_path):
    """Its links go with its old pairs, and nothing else about it changed (the same date, place, sex): the
    component is clustered again because the record was updated."""
    import csv

    from linkage.sources.exchange_format import EXCHANGE_COLUMNS

    stores = dict(zip(("scoped", "whole"), _scoped_and_whole(nights["scoped"], tmp_path), strict=True))
    con = connect(stores["whole"])
    pair, *values = con.execute(
        f"SELECT (k.rid_l, k.rid_r), {', '.join('r.' + c for c in EXCHANGE_COLUMNS)} FROM cluster_links k "
        "JOIN records r ON r.rid = k.rid_l WHERE k.origin = 'model' ORDER BY k.match_probability, r.rid "
        "LIMIT 1").fetchall()[0]
    con.close()
    row = dict(zip(EXCHANGE_COLUMNS, values, strict=True)) | {
        "full_name": "Xaysana Phommachanh", "given_name": None, "family_name": None}
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    with (inbox / "resent.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=EXCHANGE_COLUMNS)
        writer.writeheader()
        writer.writerow(row)
    reports = {name: run_nightly(NightlyConfig(inbox=inbox, db=db, model=nights["model"]))
               for name, db in stores.items()}
    assert reports["scoped"].rows["updated"] == 1
    assert 0 < reports["scoped"].clusters["records_clustered"] < reports["whole"].clusters["records_clustered"]
    scoped, whole = _rows(stores["scoped"]), _rows(stores["whole"])
    assert scoped == whole
    assert tuple(pair) not in {tuple(link[:2]) for link in scoped["cluster_links"]}, "the old link is gone"


def test_a_night_resumed_after_its_clustering_gives_every_record_a_person(nights, tmp_path, monkeypatch):
    """Killed after the clusters were written, before the person IDs: the resumed night clusters everything
    (the state says no person IDs were assigned) instead of finding nothing touched."""
    import linkage.nightly as nightly

    scoped, whole = _scoped_and_whole(nights["scoped"], tmp_path)
    night3 = _inbox(tmp_path / "n3", 3)
    real = nightly.fault_point

    def killed(name: str) -> None:
        if name == "cluster:after-clustering":
            raise RuntimeError("killed")
        real(name)

    monkeypatch.setattr(nightly, "fault_point", killed)
    with pytest.raises(RuntimeError, match="killed"):
        run_nightly(NightlyConfig(inbox=night3, db=scoped, model=nights["model"]))
    monkeypatch.setattr(nightly, "fault_point", real)
    resumed = run_nightly(NightlyConfig(inbox=night3, db=scoped, model=nights["model"]))
    run_nightly(NightlyConfig(inbox=night3, db=whole, model=nights["model"]))
    assert _rows(scoped) == _rows(whole)
    con = duckdb.connect(str(scoped), read_only=True)
    assert con.execute("SELECT count(*) FROM records ANTI JOIN record_person USING (rid)").fetchall()[0][0] == 0
    con.close()
    assert resumed.persons["created"] > 0


def test_persons_adopted_from_a_decision_snapshot_are_made_clusters_again(nights, tmp_path):
    """A "same person" decision published at once (the snapshot's persons join two clusters), then taken back
    before the night: the night adopts the joined person, and the components it spans are clustered again."""
    from linkage.publishing.decision_publish import publish_decisions
    from linkage.service.decisions import record_decision

    source = tmp_path / "source" / "laolink.duckdb"
    shutil.copytree(nights["scoped"].parent, source.parent)
    con = connect(source)
    (a_source, a_id, b_source, b_id), = con.execute(
        "SELECT l.source, l.record_id, r.source, r.record_id FROM records l JOIN records r "
        "ON l.given_key = r.given_key AND l.rid < r.rid JOIN record_cluster a ON a.rid = l.rid "
        "JOIN record_cluster b ON b.rid = r.rid WHERE a.cluster_key <> b.cluster_key ORDER BY l.rid DESC, r.rid "
        "LIMIT 1").fetchall()
    con.close()
    (sl, il), (sr, ir) = sorted([(a_source, a_id), (b_source, b_id)])
    service = connect_service(store_paths(source).service_db)
    first = record_decision(service, sl, il, sr, ir, "positive", "steward1")
    assert publish_decisions(store_paths(source), service) is not None
    record_decision(service, sl, il, sr, ir, "unsure", "steward1", expected_current=first.decision_id)
    service.close()
    scoped, whole = _scoped_and_whole(source, tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    reports = [run_nightly(NightlyConfig(inbox=empty, db=db, model=nights["model"])) for db in (scoped, whole)]
    assert reports[0].clusters["decision_events_adopted"] > 0
    assert 0 < reports[0].clusters["records_clustered"] < reports[1].clusters["records_clustered"]
    assert _rows(scoped) == _rows(whole)
