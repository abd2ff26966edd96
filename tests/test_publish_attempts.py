"""A publish done again (a resumed night, a decision publish retried): the new snapshot gets a name of its own,
an API process serving the earlier attempt keeps reading that attempt whole, and no file of an attempt is left.

Snapshots are real published DuckDB files (``snapshot_builder``), read through the API's own reader.
"""

from __future__ import annotations

import json
import shutil
import threading

import duckdb
from snapshot_builder import build_snapshot
from test_queries import HISTORY, PAIR_AB, PAIR_CD, PERSONS, QUEUE, RECORD_PERSON, RECORDS, RUNS

from api.published import PublishedReader, Snapshot
from api.queries.persons import get_person
from linkage.paths import store_paths
from linkage.publishing import person_docs
from linkage.publishing.person_docs import build_person_docs, docs_path, open_person_docs
from linkage.publishing.publish import current_snapshot, publish_snapshot
from linkage.store import connect


def _in_new_thread(call):
    """What ``call()`` returns in a thread that has not read anything yet (as a new server worker thread)."""
    out: dict[str, object] = {}

    def run() -> None:
        try:
            out["value"] = call()
        except Exception as exc:  # noqa: BLE001 - reported to the test
            out["error"] = f"{type(exc).__name__}: {exc}"

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert "error" not in out, out["error"]
    return out["value"]


def _documents_are_its_tables(snapshot: Snapshot) -> dict[str, int]:
    """Each active person's document, read in a new thread, is the answer of the snapshot's own tables; the
    number of records per person."""
    with snapshot.cursor() as cur:
        active = [r[0] for r in cur.execute("SELECT person_id FROM persons WHERE status = 'active'").fetchall()]
        live = {p: get_person(cur, p) for p in active}
    assert snapshot.docs is not None
    for person, answer in live.items():
        entry = _in_new_thread(lambda p=person: snapshot.docs.entry(p))
        if entry is not None:  # None: the live path answers (from the same tables)
            assert [r["rid"] for r in json.loads(entry[0])["records"]] == [r["rid"] for r in answer["records"]]
    return {p: len(answer["records"]) for p, answer in live.items()}


def test_a_night_published_again_is_served_as_a_new_snapshot_and_the_first_attempt_stays_whole(tmp_path):
    """A night killed after ``CURRENT`` named its snapshot is resumed and publishes again (same run, other
    clusters): the API follows it to the new snapshot, and a request still on the killed attempt's snapshot
    reads that one's documents, not the new night's."""
    db = tmp_path / "laolink.duckdb"
    first_path = build_snapshot(db, RECORDS, persons=PERSONS, record_person=RECORD_PERSON, id_history=HISTORY,
                                review_queue=QUEUE, predictions=[PAIR_AB, PAIR_CD], runs=RUNS, run_id=2)
    paths = store_paths(db)
    reader = PublishedReader(paths)
    try:
        with reader.snapshot() as first:  # a request in flight on the killed attempt's snapshot
            assert _documents_are_its_tables(first)["LA-P-0000001"] == 2
            con = connect(db)  # the resumed night: a record of LA-P-0000005 now is LA-P-0000001's
            try:
                con.execute("UPDATE record_person SET person_id = 'LA-P-0000001' WHERE person_id = 'LA-P-0000005'")
                con.execute("UPDATE persons SET n_records = 3 WHERE person_id = 'LA-P-0000001'")
                con.execute("UPDATE persons SET status = 'retired', n_records = 0 WHERE person_id = 'LA-P-0000005'")
                second_path = publish_snapshot(con, paths, 2)
            finally:
                con.close()
            assert _documents_are_its_tables(first)["LA-P-0000001"] == 2
            assert "LA-P-0000005" in _documents_are_its_tables(first)
            with reader.snapshot() as second:
                assert _documents_are_its_tables(second)["LA-P-0000001"] == 3
                assert second is not first and second.path == second_path == current_snapshot(paths)
            assert second_path != first_path
    finally:
        reader.close()
    con = duckdb.connect(str(second_path), read_only=True)
    try:
        assert con.execute("SELECT run_id FROM snapshot_info").fetchall() == [(2,)]
    finally:
        con.close()


def test_a_served_snapshot_whose_files_are_removed_keeps_answering_from_them(tmp_path):
    """Older snapshots are removed as nights publish; a server process still on one (a long request, a worker
    that has not looked at ``CURRENT`` since) reads its documents from the files it opened with the snapshot,
    also in a thread that had read none yet."""
    db = tmp_path / "laolink.duckdb"
    build_snapshot(db, RECORDS, persons=PERSONS, record_person=RECORD_PERSON, id_history=HISTORY,
                   review_queue=QUEUE, predictions=[PAIR_AB, PAIR_CD], runs=RUNS, run_id=2)
    paths = store_paths(db)
    reader = PublishedReader(paths)
    try:
        with reader.snapshot() as first:
            con = connect(db)
            try:
                for run_id in (3, 4, 5, 6):
                    con.execute("UPDATE records SET full_name = ? WHERE rid = 1", [f"Bouasy {run_id}"])
                    publish_snapshot(con, paths, run_id)
            finally:
                con.close()
            assert not first.path.exists() and not first.docs.path.exists()
            assert _documents_are_its_tables(first)["LA-P-0000001"] == 2
            doc = _in_new_thread(lambda: first.docs.get("LA-P-0000001"))
            assert json.loads(doc)["records"][0]["full_name"] == RECORDS[0]["full_name"]
    finally:
        reader.close()


def test_a_restored_snapshot_is_served_under_a_name_of_its_own(tmp_path):
    """A backup restored over a deployment whose server serves a snapshot of the same name (another store's
    night of the same number): the snapshot is copied beside it under a new name, and the server follows."""
    from linkage.publishing.backup import backup, restore

    here, other = tmp_path / "here" / "laolink.duckdb", tmp_path / "other" / "laolink.duckdb"
    build_snapshot(here, RECORDS, persons=PERSONS, record_person=RECORD_PERSON, runs=RUNS, run_id=2)
    build_snapshot(other, RECORDS[:2], persons=PERSONS[:1], record_person=dict(list(RECORD_PERSON.items())[:2]),
                   runs=RUNS, run_id=2)
    saved = backup(other, tmp_path / "backups")
    reader = PublishedReader(store_paths(here))
    try:
        served = reader.current()
        assert served is not None and served.counts["records"] == len(RECORDS)
        restore(saved, here, force=True)
        restored = reader.current()
        assert restored is not served and restored.counts["records"] == 2
        assert current_snapshot(store_paths(here)).name != current_snapshot(store_paths(other)).name
    finally:
        reader.close()


def test_documents_written_again_over_the_same_base_leave_no_file_behind(tmp_path, monkeypatch):
    """A publish resumed after its documents were written writes them again over the same base: the base's
    hard link is in place already (renaming a link over a link to the same file does nothing), and no temporary
    link is left beside it."""
    monkeypatch.setattr(person_docs, "MAX_DELTA_SHARE", 1.0)  # a delta of one person over five stays a delta
    first = build_snapshot(tmp_path / "store" / "laolink.duckdb", RECORDS, persons=PERSONS,
                           record_person=RECORD_PERSON, runs=RUNS, run_id=2)
    second = tmp_path / "second.duckdb"
    shutil.copy2(first, second)
    for _attempt in (1, 2):
        build_person_docs(second, previous=docs_path(first), person_ids=["LA-P-0000001"])
        assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(second.name)) == [
            "second.duckdb", "second.duckdb.persons.base.sqlite", "second.duckdb.persons.sqlite"]
    docs = open_person_docs(second)
    try:
        assert docs is not None and docs.base is not None and docs.get("LA-P-0000005") is not None
    finally:
        docs.close()


_KILLED_PUBLISH = """
import sys
from linkage.paths import store_paths
from linkage.publishing.publish import publish_snapshot
from linkage.store import connect
publish_snapshot(connect(sys.argv[1]), store_paths(sys.argv[1]), 3)
"""


def _unfinished_attempts(published_dir) -> dict[str, list[str]]:
    """Per snapshot name that is not in the folder: the files left under it (its temporary file, its documents)."""
    left: dict[str, list[str]] = {}
    for path in sorted(published_dir.glob("run-*")):
        snapshot = path.name.split(".duckdb")[0] + ".duckdb"
        if not (published_dir / snapshot).exists():
            left.setdefault(snapshot, []).append(path.name[len(snapshot):])
    return left


def test_a_publish_killed_again_while_resumed_leaves_the_files_of_one_attempt(tmp_path):
    """A night killed after writing its snapshot under the temporary name (documents written beside it), resumed
    and killed at the same point again: the resumed attempt removed the first one's files before writing its own
    (each attempt's are a snapshot and, at a million records, 1.7-1.9 GB of documents), and the publish that
    finishes leaves none."""
    import os
    import subprocess
    import sys

    db = tmp_path / "laolink.duckdb"
    served = build_snapshot(db, RECORDS, persons=PERSONS, record_person=RECORD_PERSON, id_history=HISTORY,
                            review_queue=QUEUE, predictions=[PAIR_AB, PAIR_CD], runs=RUNS, run_id=2)
    paths = store_paths(db)
    for _attempt in (1, 2):
        killed = subprocess.run([sys.executable, "-c", _KILLED_PUBLISH, str(db)], capture_output=True, text=True,
                                env={**os.environ, "LAOLINK_KILL_AT": "publish:snapshot-written"}, timeout=300)
        assert killed.returncode == -9, killed.stderr[-2000:]
        assert current_snapshot(paths) == served
        left = _unfinished_attempts(paths.published_dir)
        assert len(left) == 1, left  # the files of the attempt killed last only
        assert {".tmp", ".persons.sqlite"} <= set(next(iter(left.values())))
    con = connect(db)
    try:
        finished = publish_snapshot(con, paths, 3)
    finally:
        con.close()
    assert current_snapshot(paths) == finished and _unfinished_attempts(paths.published_dir) == {}
