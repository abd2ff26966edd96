"""A night published as the previous snapshot plus what changed equals the same night published whole.

Real demo nights on a real store with the shipped model: night 2 is published by delta (the normal
nightly), then the same store is published again whole (no previous snapshot to start from), and the
two snapshots must hold the same rows in every table and the same person documents.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from snapshot_builder import rows_in_docs_file

from linkage.model.shipped import DEFAULT_MODEL
from linkage.nightly import NightlyConfig, run_nightly
from linkage.paths import store_paths
from linkage.publishing import person_docs
from linkage.publishing.person_docs import open_person_docs
from linkage.publishing.publish import PUBLISHED_TABLES, current_snapshot, publish_snapshot
from linkage.store import connect

PERSONS = 300


def _inbox(out: Path, night: int) -> Path:
    from linkage.demo_data.generate import generate

    generate(out, PERSONS, seed=5, night=night)
    inbox = out / f"inbox{night}"
    inbox.mkdir()
    for f in out.glob(f"night{night}_*"):
        shutil.move(f, inbox / f.name)
    return inbox


def _snapshot_rows(snapshot: Path) -> dict[str, list]:
    """Every published table's rows, sorted; the published run's finish time and report left out (the store
    writes them once the publish is done)."""
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        rows = {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in PUBLISHED_TABLES if t in tables}
        rows["runs"] = con.execute(
            "SELECT * EXCLUDE (finished_at, report), CASE WHEN run_id < (SELECT max(run_id) FROM runs)"
            " THEN CAST(report AS VARCHAR) END FROM runs ORDER BY run_id").fetchall()
        return rows
    finally:
        con.close()


def _snapshot_info(snapshot: Path) -> tuple:
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        return con.execute("SELECT run_id, delta_nights, persons_rewritten FROM snapshot_info").fetchall()[0]
    finally:
        con.close()


def _docs(snapshot: Path) -> dict[str, tuple[bytes, int]]:
    """Every active person's document as readers get it (from a delta file or its base)."""
    docs = open_person_docs(snapshot)
    assert docs is not None
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        persons = [p for (p,) in con.execute("SELECT person_id FROM persons").fetchall()]
        entries = {p: docs.entry(p) for p in persons}
        return {p: e for p, e in entries.items() if e is not None}
    finally:
        con.close()
        docs.close()


@pytest.fixture(scope="module")
def two_nights(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("delta")
    db = base / "store" / "laolink.duckdb"
    db.parent.mkdir()
    run_nightly(NightlyConfig(inbox=_inbox(base / "n1", 1), db=db, model=DEFAULT_MODEL))
    with pytest.MonkeyPatch.context() as patch:  # night 2 changes a third of the persons: a delta all the same
        patch.setattr(person_docs, "MAX_DELTA_SHARE", 1.0)
        run_nightly(NightlyConfig(inbox=_inbox(base / "n2", 2), db=db, model=DEFAULT_MODEL))
    return db


def test_delta_publish_equals_whole_publish(two_nights, tmp_path):
    delta_snapshot = current_snapshot(store_paths(two_nights))
    run_id, delta_nights, rewritten = _snapshot_info(delta_snapshot)
    assert delta_nights == 1, "night 2 was published as night 1 plus what changed"
    assert 0 < rewritten < len(_docs(delta_snapshot)), "only the persons night 2 touched were rewritten"
    assert rows_in_docs_file(delta_snapshot) == rewritten, "the night's file holds them only, over night 1's file"

    whole_db = tmp_path / "whole" / "laolink.duckdb"
    whole_db.parent.mkdir()
    shutil.copy2(two_nights, whole_db)  # the same store, without its published snapshots
    con = connect(whole_db)
    try:
        whole_snapshot = publish_snapshot(con, store_paths(whole_db), run_id)
    finally:
        con.close()
    assert _snapshot_info(whole_snapshot)[1:] == (0, None)
    assert _snapshot_rows(delta_snapshot) == _snapshot_rows(whole_snapshot)
    assert _docs(delta_snapshot) == _docs(whole_snapshot)


def _copied_and_published_whole(two_nights: Path, tmp_path: Path) -> tuple[Path, Path, Path]:
    """A copy of the two nights' store published whole by a night with nothing new: (store, empty inbox, snapshot)."""
    db = tmp_path / "again" / "laolink.duckdb"
    shutil.copytree(two_nights.parent, db.parent)  # new files: their person documents no longer match
    empty = tmp_path / "empty"
    empty.mkdir()
    run_nightly(NightlyConfig(inbox=empty, db=db, model=DEFAULT_MODEL))
    return db, empty, current_snapshot(store_paths(db))


def test_night_with_nothing_new_rewrites_nothing(two_nights, tmp_path):
    db, empty, before = _copied_and_published_whole(two_nights, tmp_path)
    assert _snapshot_info(before)[1:] == (0, None), "a copied deployment publishes whole first"
    report = run_nightly(NightlyConfig(inbox=empty, db=db, model=DEFAULT_MODEL))
    after = current_snapshot(store_paths(db))
    assert _snapshot_info(after)[1:] == (1, 0)
    assert report.persons["created"] == 0
    old, new = _snapshot_rows(before), _snapshot_rows(after)
    old_runs, new_runs = old.pop("runs"), new.pop("runs")
    assert new_runs[:-2] == old_runs[:-1] and len(new_runs) == len(old_runs) + 1
    for rebuilt_each_run in ("review_queue", "clustering_flags"):  # new item IDs, this run's flags
        old.pop(rebuilt_each_run), new.pop(rebuilt_each_run)
    assert new == old
    assert _docs(after) == _docs(before)


def test_changed_keys_are_exactly_the_keys_whose_rows_differ(tmp_path):
    """Changed, added, removed and duplicated rows are found; rows of other keys are not reported."""
    from linkage.publishing import snapshot_delta

    con = duckdb.connect(str(tmp_path / "store.duckdb"))
    con.execute(f"ATTACH '{tmp_path / 'snap.duckdb'}' AS snap")
    for db in ("main", "snap"):
        con.execute(f"CREATE TABLE {db}.records AS SELECT range AS rid, 'name ' || range AS name FROM range(1000)")
        con.execute(f"CREATE TABLE {db}.predictions AS SELECT range AS rid_l, range + 1 AS rid_r, "
                    "range / 1000 AS p FROM range(1000)")
    con.execute("UPDATE main.records SET name = 'renamed' WHERE rid = 17")
    con.execute("DELETE FROM main.records WHERE rid = 500")
    con.execute("INSERT INTO main.records VALUES (1000, 'new')")
    con.execute("INSERT INTO main.predictions VALUES (3, 4, 0.003)")  # the same row twice: a multiset differs
    con.execute("UPDATE main.predictions SET p = 0.9 WHERE rid_l = 250")
    con.execute("DELETE FROM main.predictions WHERE rid_l = 900")
    found = {}
    for table in ("records", "predictions"):
        keys = snapshot_delta.DELTA_KEYS[table]
        count = snapshot_delta._find_changed_keys(con, table, keys)
        found[table] = sorted(con.execute(f"SELECT * FROM _dk_{table}").fetchall())
        assert count == len(found[table])
    assert found["records"] == [(17,), (500,), (1000,)]
    assert found["predictions"] == [(3, 4), (250, 251), (900, 901)]


@pytest.mark.parametrize("table", ["predictions", "cluster_links"])
def test_a_row_held_more_often_on_one_side_is_a_changed_key(tmp_path, table):
    """Tables whose keys may have several rows (compared row by row first, as multisets when the keys not found
    have more rows on one side): a row held twice on either side against once on the other is a changed key, the
    same row held twice on both sides is not, and neither are the keys around them."""
    from linkage.publishing import snapshot_delta

    keys = snapshot_delta.DELTA_KEYS[table]
    con = duckdb.connect(str(tmp_path / "store.duckdb"))
    con.execute(f"ATTACH '{tmp_path / 'snap.duckdb'}' AS snap")
    for db in ("main", "snap"):
        con.execute(f"CREATE TABLE {db}.{table} AS SELECT range AS rid_l, range + 1 AS rid_r, 'model' AS origin, "
                    "range / 100 AS p FROM range(100)")
        con.execute(f"INSERT INTO {db}.{table} VALUES (40, 41, 'model', 0.4)")  # held twice on both sides
    con.execute(f"INSERT INTO snap.{table} VALUES (7, 8, 'model', 0.07)")  # twice in the snapshot
    con.execute(f"INSERT INTO main.{table} VALUES (9, 10, 'model', 0.09)")  # twice in the store
    count = snapshot_delta._find_changed_keys(con, table, keys)
    found = sorted(con.execute(f"SELECT * FROM _dk_{table}").fetchall())
    assert [f[:2] for f in found] == [(7, 8), (9, 10)] and count == 2
    snapshot_delta._apply_changed_keys(con, table, keys)
    query = f"SELECT * FROM {{}}.{table} ORDER BY ALL"
    assert con.execute(query.format("snap")).fetchall() == con.execute(query.format("main")).fetchall()


def _store_and_snapshot(tmp_path: Path) -> tuple[duckdb.DuckDBPyConnection, dict[str, str]]:
    """A store and an attached snapshot ``snap`` holding the same 100 rows of the document tables (the tables'
    names and columns)."""
    con = duckdb.connect(str(tmp_path / "store.duckdb"))
    con.execute(f"ATTACH '{tmp_path / 'snap.duckdb'}' AS snap")
    tables = {"records": "range AS rid, 'name ' || range AS name",
              "record_person": "range AS rid, 'P' || range AS person_id",
              "persons": "'P' || range AS person_id, 'active' AS status",
              "id_history": "range AS event_id, 'P' || range AS person_id, NULL::VARCHAR AS other_person_id",
              "predictions": "range AS rid_l, range + 1 AS rid_r, 0.5 AS p"}
    for db in ("main", "snap"):
        for table, columns in tables.items():
            con.execute(f"CREATE TABLE {db}.{table} AS SELECT {columns} FROM range(100)")
    return con, tables


def test_a_key_held_twice_on_one_side_is_copied_as_the_store_holds_it(tmp_path):
    """Tables joined key by key as one row per key (record_person, persons, id_history have no key constraint):
    a row held twice in the snapshot or in the store, equal to the other side's one, ends as the store holds it,
    also when two such keys offset each other's counts; the documents are then rebuilt whole."""
    from linkage.publishing import snapshot_delta

    con, tables = _store_and_snapshot(tmp_path)
    con.execute("UPDATE main.records SET name = 'renamed' WHERE rid = 3")
    query = "SELECT * FROM {}.{} ORDER BY ALL"
    assert snapshot_delta.write_tables_delta(con, list(tables)).changed_persons == ["P3"]  # all unique: by delta

    con.execute("INSERT INTO snap.record_person VALUES (7, 'P7')")  # the snapshot holds (7, P7) twice
    con.execute("INSERT INTO main.record_person VALUES (9, 'P9')")  # the store holds (9, P9) twice
    con.execute("UPDATE main.records SET name = 'renamed again' WHERE rid = 3")
    delta = snapshot_delta.write_tables_delta(con, list(tables))
    for table in tables:
        assert con.execute(query.format("snap", table)).fetchall() == con.execute(
            query.format("main", table)).fetchall(), table
    assert delta.changed_persons is None and delta.changed_keys["records"] == 1


def test_a_table_whose_columns_changed_is_copied_whole(tmp_path):
    """A table whose columns differ from the snapshot's (a new column, a column of another type) is copied whole,
    with the store's columns, and every document rebuilt; the tables whose columns agree go by delta."""
    from linkage.publishing import snapshot_delta

    con, tables = _store_and_snapshot(tmp_path)
    con.execute("ALTER TABLE main.records ADD COLUMN nickname VARCHAR")
    con.execute("ALTER TABLE main.predictions ALTER p TYPE VARCHAR")
    con.execute("UPDATE main.persons SET status = 'merged' WHERE person_id = 'P5'")
    delta = snapshot_delta.write_tables_delta(con, list(tables))
    assert sorted(delta.whole_tables) == ["predictions", "records"] and delta.changed_persons is None
    assert delta.changed_keys == {"record_person": 0, "persons": 1, "id_history": 0}
    for table in tables:
        query = f"SELECT * FROM {{}}.{table} ORDER BY ALL"
        assert con.execute(query.format("snap")).fetchall() == con.execute(query.format("main")).fetchall(), table
        describe = ("SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = '{}' "
                    f"AND table_name = '{table}' ORDER BY column_index")
        assert con.execute(describe.format("snap")).fetchall() == con.execute(describe.format("store")).fetchall()


@pytest.mark.parametrize("side, said", [("main", "1 rows over one per key in the store"),
                                        ("snap", "in the previous snapshot")])
def test_a_key_held_twice_is_said_with_the_table_and_where(tmp_path, caplog, side, said):
    """A table copied whole because a key is held twice says so in the log: which table, which key, on which side,
    and that every person document is rebuilt (the delta names no persons)."""
    from linkage.publishing import snapshot_delta

    con, tables = _store_and_snapshot(tmp_path)
    con.execute(f"INSERT INTO {side}.record_person VALUES (7, 'P7')")
    with caplog.at_level("WARNING", logger="laolink.publish"):
        delta = snapshot_delta.write_tables_delta(con, list(tables))
    assert delta.changed_persons is None and "record_person" in delta.whole_tables
    said_whole = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(said_whole) == 1 and said_whole[0].startswith("publish: record_person holds a key (rid) more than once")
    assert said in said_whole[0] and "every person document rebuilt" in said_whole[0]


def test_a_snapshot_file_mostly_free_is_copied_compact(tmp_path):
    """A previous snapshot whose blocks are mostly free (a table dropped) is copied table by table into a compact
    file with the same rows; one with little free space byte for byte."""
    import filecmp

    from linkage.publishing.snapshot_delta import copy_snapshot_file

    previous = tmp_path / "previous.duckdb"
    con = duckdb.connect(str(previous))
    try:
        con.execute("CREATE TABLE kept AS SELECT range AS k, md5(range::VARCHAR) AS v FROM range(100000)")
        con.execute("CREATE TABLE rewritten AS SELECT range AS k, md5(range::VARCHAR) AS v FROM range(1000000)")
        con.execute("CHECKPOINT")
        con.execute("DROP TABLE rewritten")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    store = connect(tmp_path / "store.duckdb")
    try:
        compact, again = tmp_path / "compact.duckdb", tmp_path / "again.duckdb"
        copy_snapshot_file(store, previous, compact)
        copy_snapshot_file(store, compact, again)
    finally:
        store.close()
    assert compact.stat().st_size < previous.stat().st_size / 3
    assert compact.stat().st_mode & 0o777 == 0o600
    rows = []
    for path in (previous, compact):
        con = duckdb.connect(str(path), read_only=True)
        try:
            rows.append(con.execute("SELECT count(*), sum(hash(k, v)) FROM kept").fetchall())
            assert [t for (t,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()] == ["kept"]
        finally:
            con.close()
    assert rows[0] == rows[1] and rows[0][0][0] == 100000
    assert filecmp.cmp(compact, again, shallow=False), "a compact file is copied byte for byte"


def test_a_night_over_a_compacted_copy_equals_the_night_before(two_nights, tmp_path, monkeypatch):
    """The compact copy is a sound start for a delta: a night with nothing new published over it holds the same
    rows and person documents as the night before."""
    from linkage.publishing import snapshot_delta

    db, empty, before = _copied_and_published_whole(two_nights, tmp_path)
    monkeypatch.setattr(snapshot_delta, "MAX_FREE_SHARE", -1.0)  # any file counts as mostly free
    run_nightly(NightlyConfig(inbox=empty, db=db, model=DEFAULT_MODEL))
    after = current_snapshot(store_paths(db))
    assert _snapshot_info(after)[1:] == (1, 0)
    old, new = _snapshot_rows(before), _snapshot_rows(after)
    for rebuilt_each_run in ("runs", "review_queue", "clustering_flags"):
        old.pop(rebuilt_each_run), new.pop(rebuilt_each_run)
    assert new == old
    assert _docs(after) == _docs(before)


def test_a_prediction_between_two_persons_rewrites_neither_document(tmp_path):
    """A document lists the links inside its person: a new or changed pair of records of two persons leaves both
    documents as they were; a pair inside one person rewrites that person's."""
    from linkage.publishing import snapshot_delta

    con, tables = _store_and_snapshot(tmp_path)
    con.execute("UPDATE main.predictions SET p = 0.9 WHERE rid_l = 5")  # records 5 and 6: persons P5 and P6
    con.execute("INSERT INTO main.predictions VALUES (20, 40, 0.4)")
    assert snapshot_delta.write_tables_delta(con, list(tables)).changed_persons == []
    con.execute("UPDATE main.record_person SET person_id = 'P7' WHERE rid = 8")  # records 7 and 8: one person
    con.execute("INSERT INTO main.predictions VALUES (7, 8, 0.7)")
    con.execute("INSERT INTO main.predictions VALUES (7, 30, 0.7)")
    assert sorted(snapshot_delta.write_tables_delta(con, list(tables)).changed_persons) == ["P7", "P8"]
    con.execute("UPDATE main.predictions SET p = 0.8 WHERE rid_l = 7 AND rid_r = 8")
    assert snapshot_delta.write_tables_delta(con, list(tables)).changed_persons == ["P7"]


def test_a_nights_flags_go_by_delta_per_run(tmp_path):
    """clustering_flags, many rows per run: the runs whose flags differ as multisets (a flag changed, gone, held
    twice, a new run) are replaced by the store's, the other runs' flags are left as they are."""
    from linkage.publishing import snapshot_delta

    con = duckdb.connect(str(tmp_path / "store.duckdb"))
    con.execute(f"ATTACH '{tmp_path / 'snap.duckdb'}' AS snap")
    for db in ("main", "snap"):
        con.execute(f"CREATE TABLE {db}.clustering_flags (run_id BIGINT NOT NULL, kind VARCHAR NOT NULL, "
                    "rid_l BIGINT NOT NULL, rid_r BIGINT NOT NULL, links_cut INTEGER NOT NULL DEFAULT 0, detail JSON)")
        con.execute(f"INSERT INTO {db}.clustering_flags SELECT range % 5, 'consistency-cut', range, range + 1, 1, "
                    "json_object('rule', 'birth_year', 'n', range) FROM range(500)")
    con.execute("UPDATE main.clustering_flags SET detail = json_object('rule', 'sex') WHERE rid_l = 7")  # run 2
    con.execute("DELETE FROM main.clustering_flags WHERE rid_l = 13")  # run 3
    con.execute("INSERT INTO main.clustering_flags SELECT * FROM main.clustering_flags WHERE rid_l = 14")  # run 4
    con.execute("INSERT INTO main.clustering_flags VALUES (5, 'oversized-cluster', 1, 2, 0, NULL)")  # a new run
    con.execute("INSERT INTO snap.clustering_flags SELECT * FROM snap.clustering_flags WHERE rid_l = 10")  # run 0
    count = snapshot_delta._find_changed_keys(con, "clustering_flags", ("run_id",))
    assert sorted(con.execute("SELECT * FROM _dk_clustering_flags").fetchall()) == [(0,), (2,), (3,), (4,), (5,)]
    assert count == 5
    con.execute("DELETE FROM main.clustering_flags WHERE run_id IN (0, 3, 4, 5)")  # back to the snapshot's
    con.execute("INSERT INTO main.clustering_flags SELECT * FROM snap.clustering_flags WHERE run_id IN (3, 4)")
    con.execute("INSERT INTO main.clustering_flags SELECT DISTINCT * FROM snap.clustering_flags WHERE run_id = 0")
    con.execute("INSERT INTO main.clustering_flags VALUES (5, 'oversized-cluster', 1, 2, 0, NULL)")
    delta = snapshot_delta.write_tables_delta(con, ["clustering_flags"])
    assert delta.whole_tables == [] and delta.changed_keys == {"clustering_flags": 3}  # runs 0, 2 and 5
    query = "SELECT * REPLACE (CAST(detail AS VARCHAR) AS detail) FROM {}.clustering_flags ORDER BY ALL"
    assert con.execute(query.format("snap")).fetchall() == con.execute(query.format("main")).fetchall()
