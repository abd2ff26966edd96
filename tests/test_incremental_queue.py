"""A night builds the review queue's per-cluster parts again for the clusters it clustered only
(linkage.clusters.queue_cache): its queue (item ids, priorities, reasons), the parts it keeps and the remembered
bridges are those of a store that rebuilds them whole; and a queue that missed a changed cluster would differ."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from demo_deployment import demo_inbox
from test_incremental_clustering import _decide, decided_first_night, record_decisions

from linkage.clusters import queue_cache
from linkage.nightly import NightlyConfig, run_nightly
from linkage.store import connect

PERSONS = 1000  # the demo's smallest size with bridge and birth-year items (300 persons have none)
TABLES = ("review_queue", "queue_clusters", "queue_cluster_items", "queue_band_pairs", "queue_bridge_cache",
          "queue_state", "record_cluster", "record_person", "clustering_flags")


def _inbox(out: Path, night: int) -> Path:
    return demo_inbox(out, night, persons=PERSONS, seed=7)


def _rows(db: Path) -> dict[str, list]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in TABLES}
    finally:
        con.close()


def _copies(source: Path, to: Path) -> dict[str, Path]:
    """Two copies of the store at ``source``: "scoped" goes on as it would, "whole" clusters every component and
    measures every cluster (it remembers no clustering and no queue)."""
    out = {}
    for name in ("scoped", "whole"):
        db = to / name / "laolink.duckdb"
        shutil.copytree(source.parent, db.parent)
        out[name] = db
    con = connect(out["whole"])
    con.execute("DELETE FROM clustering_state; DELETE FROM queue_state")
    con.close()
    return out


def _unsure_on_a_cluster_item(db: Path) -> tuple[int, int]:
    """A steward unsure about the pair of a cluster item (a bridge or birth years far apart): a decision that
    changes no cluster, so the night keeps that cluster's parts, and its item must still leave the queue."""
    con = connect(db)
    try:
        rid_l, rid_r, sl, il, sr, ir = con.execute(
            "SELECT q.rid_l, q.rid_r, l.source, l.record_id, r.source, r.record_id FROM review_queue q"
            " JOIN records l ON l.rid = q.rid_l JOIN records r ON r.rid = q.rid_r"
            " WHERE q.kind = 'cluster' AND q.rid_l IS NOT NULL AND q.reasons->>'$[0].code' IN"
            " ('bridge_link', 'birth_year_gap') ORDER BY q.item_id LIMIT 1").fetchall()[0]
    finally:
        con.close()
    record_decisions(db, [((sl, il, sr, ir), "unsure")])
    return rid_l, rid_r


@pytest.fixture(scope="module")
def nights(tmp_path_factory) -> dict:
    base = tmp_path_factory.mktemp("queue")
    night1, model = decided_first_night(base, _inbox)
    unsure = _unsure_on_a_cluster_item(night1)
    stores = _copies(night1, base)
    night2 = _inbox(base / "n2", 2)
    reports = {name: run_nightly(NightlyConfig(inbox=night2, db=db, model=model)) for name, db in stores.items()}
    return {"stores": stores, "reports": reports, "model": model, "night2": night2, "unsure": unsure, "base": base}


def test_a_night_measures_the_clusters_it_touched_and_queues_as_a_whole_rebuild(nights):
    reports, stores = nights["reports"], nights["stores"]
    scoped, whole = _rows(stores["scoped"]), _rows(stores["whole"])
    clustered = reports["scoped"].clusters["records_clustered"]
    assert 0 < clustered < len(scoped["record_cluster"]), "night 2 clustered some components only"
    assert scoped["queue_cluster_items"], "clusters with items of their own"
    assert scoped == whole
    assert reports["scoped"].review_queue == reports["whole"].review_queue
    assert [row[0] for row in scoped["queue_state"]] == [reports["scoped"].run_id]
    # the item of the pair a steward was unsure about left the queue, though its cluster was kept as it was
    assert nights["unsure"] not in {(row[2], row[3]) for row in scoped["review_queue"]}


def test_the_parts_kept_were_not_measured_again(nights, tmp_path):
    """A night with nothing new measures no cluster: a kept part altered by hand is what the queue shows."""
    stores = _copies(nights["stores"]["scoped"], tmp_path)
    con = connect(stores["scoped"])
    key, rid_l, rid_r = con.execute(  # a cluster's only item, on the queue
        "SELECT i.cluster_key, i.rid_l, i.rid_r FROM queue_cluster_items i JOIN review_queue q USING (rid_l, rid_r)"
        " WHERE i.cluster_key IN (SELECT cluster_key FROM queue_cluster_items GROUP BY ALL HAVING count(*) = 1)"
        " ORDER BY ALL LIMIT 1").fetchall()[0]
    con.execute("UPDATE queue_cluster_items SET priority = 1.999 WHERE cluster_key = ?", [key])
    con.close()
    empty = tmp_path / "empty"
    empty.mkdir()
    report = run_nightly(NightlyConfig(inbox=empty, db=stores["scoped"], model=nights["model"]))
    assert report.clusters["records_clustered"] == 0
    con = duckdb.connect(str(stores["scoped"]), read_only=True)
    assert con.execute("SELECT priority FROM review_queue WHERE rid_l = ? AND rid_r = ?", [rid_l, rid_r]
                       ).fetchall() == [(1.999,)]
    con.close()


def test_a_queue_that_misses_a_changed_cluster_differs_from_the_whole_rebuild(nights, tmp_path, monkeypatch):
    """The comparison above sees a wrong scope: measuring again all but the clusters of night 2's new records
    keeps their old parts (or none), and the queue is no longer the whole rebuild's."""
    source = nights["base"] / "night1" / "laolink.duckdb"
    stores = _copies(source, tmp_path)
    real = queue_cache.create_cluster_info

    def missing_new_records(con, scope):
        if scope is not None:
            con.execute(f"DELETE FROM {scope} WHERE rid IN (SELECT rid FROM records WHERE file_id = "
                        "(SELECT max(file_id) FROM records))")
        real(con, scope)

    monkeypatch.setattr(queue_cache, "create_cluster_info", missing_new_records)
    for db in stores.values():
        run_nightly(NightlyConfig(inbox=nights["night2"], db=db, model=nights["model"]))
    scoped, whole = _rows(stores["scoped"]), _rows(stores["whole"])
    assert scoped["record_cluster"] == whole["record_cluster"]
    assert scoped["queue_clusters"] != whole["queue_clusters"]


def test_a_night_resumed_after_its_person_ids_measures_every_cluster(nights, tmp_path, monkeypatch):
    """Killed while publishing, then (decisions recorded meanwhile) killed again after its person IDs: the second
    clustering came after the queue's, so the third attempt's queue may not take the parts the first one kept."""
    import linkage.nightly as nightly

    stores = _copies(nights["stores"]["scoped"], tmp_path)
    night3 = _inbox(tmp_path / "n3", 3)
    real = nightly.fault_point

    def attempt(db: Path, kill_at: str | None) -> None:
        def killed(name: str) -> None:
            if name == kill_at:
                raise RuntimeError("killed")
            real(name)

        monkeypatch.setattr(nightly, "fault_point", killed)
        if kill_at is None:
            run_nightly(NightlyConfig(inbox=night3, db=db, model=nights["model"]))
        else:
            with pytest.raises(RuntimeError, match="killed"):
                run_nightly(NightlyConfig(inbox=night3, db=db, model=nights["model"]))

    for name, db in stores.items():
        attempt(db, "publish:start")
        _decide(db)
        attempt(db, "cluster:after-ids")
        if name == "whole":
            con = connect(db)
            con.execute("DELETE FROM queue_state")
            con.close()
        attempt(db, None)
    scoped, whole = _rows(stores["scoped"]), _rows(stores["whole"])
    assert scoped["record_cluster"] == whole["record_cluster"]
    assert scoped == whole
