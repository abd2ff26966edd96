"""The published-snapshot reader follows CURRENT without a restart; demo users only on demo data."""

from __future__ import annotations

import duckdb
import pytest
from api_server import publish_empty_run

from api.published import NotPublished, PublishedReader
from linkage.paths import store_paths
from linkage.service.auth import list_users
from linkage.service.demo_users import create_demo_users
from linkage.service.service_db import connect_service
from linkage.store import connect


def test_nothing_published_yet(tmp_path):
    reader = PublishedReader(store_paths(tmp_path / "laolink.duckdb"))
    assert reader.current() is None
    with pytest.raises(NotPublished), reader.cursor():
        pass


def test_new_run_is_picked_up_and_old_snapshot_closed_after_in_flight_reads(tmp_path):
    db = tmp_path / "laolink.duckdb"
    publish_empty_run(db, run_id=1)
    reader = PublishedReader(store_paths(db))
    with reader.cursor() as in_flight:
        first = reader.current()
        assert first.run_id == 1 and first.counts["records"] == 0
        publish_empty_run(db, run_id=2)
        with reader.cursor() as fresh:
            assert fresh.execute("SELECT run_id FROM snapshot_info").fetchall() == [(2,)]
        # the request that started on run 1 still reads run 1
        assert in_flight.execute("SELECT run_id FROM snapshot_info").fetchall() == [(1,)]
        assert first.retired and first.users == 1
    assert first.users == 0
    with pytest.raises(duckdb.Error):
        first.con.execute("SELECT 1")  # closed once the last reader finished
    assert reader.current().run_id == 2
    reader.close()


def test_current_must_name_a_file_inside_the_published_folder(tmp_path):
    db = tmp_path / "laolink.duckdb"
    publish_empty_run(db, run_id=1)
    paths = store_paths(db)
    outside = tmp_path / "elsewhere.duckdb"
    duckdb.connect(str(outside)).close()
    paths.current_pointer.write_text("../elsewhere.duckdb\n")
    assert PublishedReader(paths).current() is None


def test_broken_new_snapshot_keeps_the_previous_one_served(tmp_path):
    db = tmp_path / "laolink.duckdb"
    publish_empty_run(db, run_id=1)
    paths = store_paths(db)
    reader = PublishedReader(paths)
    assert reader.current().run_id == 1
    (paths.published_dir / "run-000009.duckdb").write_bytes(b"not a database")
    paths.current_pointer.write_text("run-000009.duckdb\n")
    assert reader.current().run_id == 1
    reader.close()


def _published_with_file(tmp_path, with_truth: bool, truth_above: bool = False):
    inbox = tmp_path / "demo" / "inbox"
    inbox.mkdir(parents=True)
    (inbox / "molsw.csv").write_text("record_id,source\n1,MOLSW\n")
    if with_truth:
        ((inbox.parent if truth_above else inbox) / "truth.csv").write_text("source,record_id,person\n")
    db = tmp_path / "laolink.duckdb"
    con = connect(db)
    con.execute(
        "INSERT INTO ingested_files (path, sha256, mapping) VALUES (?, 'x', 'molsw')", [str(inbox / "molsw.csv")]
    )
    con.close()
    publish_empty_run(db)
    return store_paths(db)


def test_demo_users_only_on_demo_data(tmp_path, monkeypatch):
    monkeypatch.delenv("LAOLINK_DEMO_PASSWORD", raising=False)
    real = _published_with_file(tmp_path / "real", with_truth=False)
    assert create_demo_users(real) is None
    demo = _published_with_file(tmp_path / "demo", with_truth=True)
    passwords = create_demo_users(demo)
    assert set(passwords) == {"admin", "steward", "analyst"}
    assert len(set(passwords.values())) == 3 and all(len(p) >= 12 for p in passwords.values())
    con = connect_service(demo.service_db)
    assert {u["username"]: u["role"] for u in list_users(con)} == {"admin": "admin", "steward": "steward",
                                                                   "analyst": "analyst"}
    con.close()
    assert create_demo_users(demo) is None  # never twice, never over existing users
    beside_inbox = _published_with_file(tmp_path / "make-run", with_truth=True, truth_above=True)
    assert set(create_demo_users(beside_inbox)) == {"admin", "steward", "analyst"}


def test_each_served_snapshot_answers_the_decisions_it_was_clustered_with(tmp_path):
    """``served_decisions_through`` (every person page, /queue/next, split and merge ask it) is read once per
    snapshot: a request still on the night's snapshot is answered the night's, one on the decision snapshot that
    replaced it that one's, asked in turn."""
    import shutil

    from snapshot_builder import build_snapshot
    from test_queries import PERSONS, QUEUE, RECORD_PERSON, RECORDS

    from linkage.publishing.decision_publish import publish_lock, served_decisions_through
    from linkage.publishing.publish import point_readers_at

    db = tmp_path / "laolink.duckdb"
    night = build_snapshot(db, RECORDS, persons=PERSONS, record_person=RECORD_PERSON, review_queue=QUEUE, run_id=2,
                           runs=[{"run_id": 2, "report": {"clusters": {"threshold": 0.9, "decisions_through": 7}}}])
    paths = store_paths(db)
    decided = paths.published_dir / "run-000002_d000000012_p000009.duckdb"
    shutil.copy2(night, decided)
    con = duckdb.connect(str(decided))
    con.execute("ALTER TABLE snapshot_info ADD COLUMN decisions_through BIGINT")
    con.execute("UPDATE snapshot_info SET decisions_through = 12")
    con.close()
    reader = PublishedReader(paths)
    try:
        with reader.snapshot() as first, first.cursor() as on_night:
            assert served_decisions_through(on_night) == 7
            with publish_lock(paths):
                point_readers_at(paths, decided)
            with reader.snapshot() as second, second.cursor() as on_decided:
                assert second.path == decided
                for _turn in (1, 2):
                    assert served_decisions_through(on_decided) == 12
                    assert served_decisions_through(on_night) == 7
    finally:
        reader.close()
