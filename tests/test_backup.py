import re
import shutil
import sqlite3
import subprocess
import sys
import threading

import duckdb
import pytest

from linkage.errors import LaoLinkError
from linkage.paths import store_paths
from linkage.publishing.backup import backup, restore
from linkage.publishing.publish import SNAPSHOTS_KEPT, current_snapshot, publish_snapshot
from linkage.service.service_db import connect_service
from linkage.store import connect


def _tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() ORDER BY 1"
    ).fetchall()
    return [r[0] for r in rows]


def _same_duckdb(a, b) -> None:
    ca, cb = duckdb.connect(str(a), read_only=True), duckdb.connect(str(b), read_only=True)
    try:
        assert _tables(ca) == _tables(cb)
        for table in _tables(ca):
            rows_a = sorted(map(repr, ca.execute(f"SELECT * FROM {table}").fetchall()))
            rows_b = sorted(map(repr, cb.execute(f"SELECT * FROM {table}").fetchall()))
            assert rows_a == rows_b, table
    finally:
        ca.close()
        cb.close()


def _same_sqlite(a, b) -> None:
    ca, cb = sqlite3.connect(a), sqlite3.connect(b)
    tables = [r[0] for r in ca.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY 1")]
    assert tables == [r[0] for r in cb.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY 1")]
    for table in tables:
        assert ca.execute(f"SELECT * FROM {table}").fetchall() == cb.execute(f"SELECT * FROM {table}").fetchall()


def _decide(con: sqlite3.Connection, i: int) -> None:
    con.execute(
        "INSERT INTO decisions (source_l, record_id_l, source_r, record_id_r, judgement, decided_by)"
        " VALUES ('A', ?, 'B', ?, 'positive', 'steward')",
        (f"r{i}", f"r{i}"),
    )


def test_backup_while_service_writes_then_restore_equal(tmp_path):
    db = tmp_path / "live" / "laolink.duckdb"
    con = connect(db)
    con.execute(
        "INSERT INTO records (source, record_id, full_name, row_hash, file_id, line_no)"
        " SELECT 'MOPS-AHTD', 'R' || i, 'Name ' || i, md5(i::VARCHAR), 1, i FROM range(500) t(i)"
    )
    publish_snapshot(con, store_paths(db), run_id=1)
    con.close()

    service = connect_service(store_paths(db).service_db)
    for i in range(50):
        _decide(service, i)
    stop = threading.Event()

    def keep_writing() -> None:  # the API keeps writing decisions during the backup
        writer = connect_service(store_paths(db).service_db)
        i = 1000
        while not stop.is_set():
            _decide(writer, i)
            i += 1

    thread = threading.Thread(target=keep_writing)
    thread.start()
    try:
        made = backup(db, tmp_path / "backups")
    finally:
        stop.set()
        thread.join()

    restored = tmp_path / "restored" / "laolink.duckdb"
    paths = restore(made, restored)
    _same_duckdb(db, restored)
    _same_duckdb(current_snapshot(store_paths(db)), current_snapshot(paths))
    # the copy is the service database as it was at one instant: every decision row intact
    restored_con = sqlite3.connect(paths.service_db)
    restored_ids = [r[0] for r in restored_con.execute("SELECT decision_id FROM decisions ORDER BY 1")]
    assert restored_ids == list(range(1, len(restored_ids) + 1)) and len(restored_ids) >= 50
    _same_sqlite(made / paths.service_db.name, paths.service_db)


def test_restore_refuses_to_overwrite(tmp_path):
    db = tmp_path / "laolink.duckdb"
    connect(db).close()
    made = backup(db, tmp_path / "b")
    with pytest.raises(LaoLinkError, match="--force"):
        restore(made, db)
    restore(made, db, force=True)


def test_backup_waits_for_running_job_then_says_why(tmp_path):
    db = tmp_path / "laolink.duckdb"
    connect(db).close()
    holder = subprocess.Popen(  # another process (a nightly job) holds the write lock
        [sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(db)!r}); print('held', flush=True); "
         "time.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(LaoLinkError, match="locked by a running job"):
            backup(db, tmp_path / "b", wait_seconds=0)
    finally:
        holder.kill()
        holder.wait()


def _published_backup(tmp_path):
    db = tmp_path / "saved" / "laolink.duckdb"
    con = connect(db)
    con.execute("INSERT INTO records (source, record_id, full_name, row_hash, file_id, line_no)"
                " VALUES ('MOPS-AHTD', 'R1', 'Noy', 'h1', 1, 1)")
    publish_snapshot(con, store_paths(db), run_id=1)
    con.close()
    return backup(db, tmp_path / "backups")


@pytest.mark.parametrize("name", ["../laolink.duckdb", "CURRENT", "notes.duckdb", "run-000001_p000001.duckdb.tmp"])
def test_restore_refuses_a_snapshot_name_that_is_not_one_and_replaces_nothing(tmp_path, name):
    """A manifest naming another file as its snapshot (here one the backup holds under that name) is refused with
    its name, before the deployment's store is touched: the name decides which file of the published folder is
    written and served."""
    import json

    made = _published_backup(tmp_path)
    saved = next((made / "laolink.published").glob("run-*.duckdb"))
    target = made / "laolink.published" / name
    if not target.exists():
        shutil.copy2(saved, target)
    manifest = json.loads((made / "laolink-backup.json").read_text(encoding="utf-8"))
    (made / "laolink-backup.json").write_text(json.dumps({**manifest, "snapshot": name}), encoding="utf-8")
    live = tmp_path / "live" / "laolink.duckdb"
    connect(live).close()
    before = live.read_bytes()
    with pytest.raises(LaoLinkError, match=re.escape(repr(name))):
        restore(made, live, force=True)
    assert live.read_bytes() == before
    assert not store_paths(live).published_dir.exists()


def test_restore_swaps_the_pointer_as_a_publish_does(tmp_path):
    """A restore onto a deployment that kept its snapshots serves the restored one and keeps as few as a publish
    keeps (the one pointer swap, publish.point_readers_at: old snapshots and their documents removed)."""
    made = _published_backup(tmp_path)
    live = tmp_path / "live" / "laolink.duckdb"
    con = connect(live)
    for night in range(1, SNAPSHOTS_KEPT + 1):
        publish_snapshot(con, store_paths(live), run_id=night)
    con.close()
    paths = restore(made, live, force=True)
    kept = sorted(p.name for p in paths.published_dir.glob("run-*.duckdb"))
    assert len(kept) == SNAPSHOTS_KEPT and current_snapshot(paths).name in kept, kept
    assert current_snapshot(paths).read_bytes() == next((made / "laolink.published").glob("run-*.duckdb")).read_bytes()
    assert not [p for p in paths.published_dir.glob("run-*.persons.*")
                if not (paths.published_dir / p.name.split(".persons.")[0]).exists()]


def test_restore_brings_the_backed_up_stores_mark_of_an_unpublished_night(tmp_path):
    """Decisions wait while a night killed between clustering and publishing leaves its mark. A restore kept the
    replaced deployment's mark (decisions held until the next night) and dropped the backed-up store's (decisions
    published over a snapshot that lacks person IDs the store gave)."""
    from linkage.publishing.decision_publish import mark_night_unpublished, night_unpublished

    made = _published_backup(tmp_path)  # no night was killed there
    live = tmp_path / "live" / "laolink.duckdb"
    connect(live).close()
    mark_night_unpublished(store_paths(live))
    assert not night_unpublished(restore(made, live, force=True))

    saved = tmp_path / "saved" / "laolink.duckdb"
    mark_night_unpublished(store_paths(saved))  # a night killed there
    again = tmp_path / "again" / "laolink.duckdb"
    assert night_unpublished(restore(backup(saved, tmp_path / "backups2"), again))


def test_the_restore_command_builds_the_restored_snapshots_person_documents(tmp_path):
    """`laolink restore` put the snapshot back and pointed readers at it, but wrote no person documents for it:
    GET /api/v1/persons/{id} took the slow live path until a server's warm-up or the next publish built them. The
    documents are built from the restored snapshot file, before readers are pointed at it, and are the documents
    its publish had built."""
    import sqlite3

    from snapshot_builder import build_snapshot
    from test_queries import HISTORY, PAIR_AB, PAIR_CD, PERSONS, RECORD_PERSON, RECORDS, RUNS

    from linkage.publishing.person_docs import docs_built_from, docs_path

    saved = tmp_path / "saved" / "laolink.duckdb"
    published = build_snapshot(saved, RECORDS, persons=PERSONS, record_person=RECORD_PERSON, id_history=HISTORY,
                               predictions=[PAIR_AB, PAIR_CD], runs=RUNS, run_id=2)
    made = backup(saved, tmp_path / "backups")
    live = tmp_path / "live" / "laolink.duckdb"
    connect(live).close()
    done = subprocess.run([sys.executable, "-m", "linkage", "restore", str(made), "--db", str(live), "--force"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    restored = current_snapshot(store_paths(live))
    assert docs_built_from(restored) == docs_path(restored)

    def documents(snapshot) -> list[tuple]:
        with sqlite3.connect(f"file:{docs_path(snapshot)}?mode=ro", uri=True) as db:
            return db.execute("SELECT person_id, doc, records FROM docs ORDER BY person_id").fetchall()

    assert documents(restored) == documents(published)
    assert len(documents(restored)) == sum(1 for p in PERSONS if p.get("status", "active") == "active")
