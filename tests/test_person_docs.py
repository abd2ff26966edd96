"""Person documents (linkage.publishing.person_docs): each one is exactly the live queries' answer, and a document
file that does not belong to its snapshot is never read."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3

import duckdb
import pytest
from snapshot_builder import build_snapshot, rows_in_docs_file
from test_queries import HISTORY, PAIR_AB, PAIR_CD, PERSONS, QUEUE, RECORD_PERSON, RECORDS, RUNS

from api.queries.persons import get_person
from api.schemas_data import PersonOut
from linkage.publishing import person_docs
from linkage.publishing.person_docs import BASE_SUFFIX, build_person_docs, docs_path, open_person_docs

MORE_HISTORY = [
    *HISTORY,
    {"person_id": "LA-P-0000001", "event": "records-added", "n_records": 2, "detail": {"rids": [1, 2], "note": "ລາວ"}},
    {"person_id": "LA-P-0000007", "event": "created", "n_records": 1, "detail": "plain \"text\""},
]


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    db = tmp_path_factory.mktemp("docs") / "laolink.duckdb"
    return build_snapshot(
        db, RECORDS, persons=PERSONS, record_person=RECORD_PERSON, id_history=MORE_HISTORY,
        review_queue=QUEUE, predictions=[PAIR_AB, PAIR_CD], runs=RUNS, run_id=2,
    )


def _assert_documents_are_live_answers(snapshot) -> int:
    """Each active person's document equals the live queries' answer; any other ID has none. Returns the
    number of active persons."""
    docs = open_person_docs(snapshot)
    assert docs is not None, "publish_snapshot builds the document file"
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        persons = con.execute("SELECT person_id, status FROM persons").fetchall()
        for person_id, status in persons:
            doc = docs.get(person_id)
            if status != "active":
                assert doc is None  # aliases and retired IDs are answered live (alias chains)
                continue
            live = PersonOut.model_validate(get_person(con, person_id))
            assert json.loads(doc) == json.loads(live.model_dump_json()), person_id
            assert PersonOut.model_validate_json(doc) == live
            assert doc.count(b'{"rid":') == len(live.records)
            assert docs.entry(person_id) == (doc, len(live.records))
        assert docs.get("LA-P-9999999") is None
        return sum(1 for _, status in persons if status == "active")
    finally:
        con.close()
        docs.close()


def test_publish_writes_a_document_per_active_person_equal_to_the_live_answer(snapshot):
    _assert_documents_are_live_answers(snapshot)
    docs = open_person_docs(snapshot)
    try:
        with_links = json.loads(docs.get("LA-P-0000001"))
        assert len(with_links["records"]) == 2 and len(with_links["links"]) == 1
        assert [h["detail"] for h in with_links["history"] if h["event"] == "records-added"] == [
            {"rids": [1, 2], "note": "ລາວ"}]
    finally:
        docs.close()


def _entries(path) -> list[tuple]:
    """Every entry of a document file, by person."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return db.execute("SELECT person_id, doc, records FROM docs ORDER BY person_id").fetchall()
    finally:
        db.close()


def test_documents_built_a_few_persons_per_query_are_the_same(snapshot, tmp_path, monkeypatch):
    """The documents are built a part of the persons at a time (bounded memory): parts give the
    very file one part gives (parts of three: of three and of one), every document still the live answer."""

    whole = tmp_path / "whole.sqlite"
    build_person_docs(snapshot, whole)
    monkeypatch.setattr(person_docs, "DOCS_PER_QUERY", 3)
    parts = docs_path(snapshot)
    build_person_docs(snapshot, parts)
    assert _entries(parts) == _entries(whole)
    assert _assert_documents_are_live_answers(snapshot) > 3  # two parts, the second shorter


def _night(previous, to, statements: list[str]):
    """A copy of snapshot ``previous`` changed by ``statements`` (as a night's publish would leave it)."""
    shutil.copy2(previous, to)
    con = duckdb.connect(str(to))
    for sql in statements:
        con.execute(sql)
    con.close()
    return to


def test_a_night_writes_the_persons_it_changed_over_a_hard_linked_base(snapshot, tmp_path, monkeypatch):
    monkeypatch.setattr(person_docs, "MAX_DELTA_SHARE", 1.0)  # four persons: night 3's delta of 4 stays a delta
    one = _night(snapshot, tmp_path / "run-000001.duckdb", [])
    build_person_docs(one)
    base_inode = os.stat(docs_path(one)).st_ino
    two = _night(one, tmp_path / "run-000002.duckdb", [
        "UPDATE persons SET status = 'retired', n_records = 0 WHERE person_id = 'LA-P-0000006'",
        "UPDATE record_person SET person_id = 'LA-P-0000007' WHERE person_id = 'LA-P-0000006'",
        "UPDATE persons SET n_records = 2 WHERE person_id = 'LA-P-0000007'",
        "UPDATE records SET full_name = 'Khamla Changed' WHERE rid IN "
        "(SELECT rid FROM record_person WHERE person_id = 'LA-P-0000005')",
    ])
    build_person_docs(two, previous=docs_path(one), person_ids=["LA-P-0000005", "LA-P-0000006", "LA-P-0000007"])
    assert rows_in_docs_file(two) == 3, "the changed persons only (a retired one as an empty entry)"
    assert os.stat(docs_path(two).with_name(two.name + BASE_SUFFIX)).st_ino == base_inode
    for old in (one, docs_path(one)):  # night 1 is removed: its document file lives on as night 2's base
        old.unlink()
    assert _assert_documents_are_live_answers(two) == 3
    assert json.loads(open_person_docs(two).get("LA-P-0000005"))["records"][0]["full_name"] == "Khamla Changed"

    three = _night(two, tmp_path / "run-000003.duckdb", [
        "UPDATE records SET full_name = 'Noy Again' WHERE rid = 1"])
    build_person_docs(three, previous=docs_path(two), person_ids=["LA-P-0000001"])
    assert rows_in_docs_file(three) == 4, "night 2's delta carried, night 3's person added"
    assert os.stat(docs_path(three).with_name(three.name + BASE_SUFFIX)).st_ino == base_inode
    assert _assert_documents_are_live_answers(three) == 3

    monkeypatch.setattr(person_docs, "MAX_DELTA_SHARE", 2.0)
    build_person_docs(three, previous=docs_path(three), person_ids=["LA-P-0000001"])  # a resumed night: same name
    assert rows_in_docs_file(three) == 4 and _assert_documents_are_live_answers(three) == 3
    assert os.stat(docs_path(three).with_name(three.name + BASE_SUFFIX)).st_ino == base_inode

    monkeypatch.setattr(person_docs, "MAX_DELTA_SHARE", 0.0)  # the delta outgrows its share: folded into a copy
    four = _night(three, tmp_path / "run-000004.duckdb", [
        "UPDATE records SET full_name = 'Noy Once More' WHERE rid = 1"])
    build_person_docs(four, previous=docs_path(three), person_ids=["LA-P-0000001"])
    assert not docs_path(four).with_name(four.name + BASE_SUFFIX).exists()
    assert rows_in_docs_file(four) == 3, "every active person, no empty entry"
    assert _assert_documents_are_live_answers(four) == 3

    monkeypatch.setattr(person_docs, "MAX_DELTA_SHARE", 1.0)
    build_person_docs(three, previous=docs_path(two), person_ids=["LA-P-0000001"])
    served = open_person_docs(three)  # a reader of night 3 while night 3 is published again, folded
    monkeypatch.setattr(person_docs, "MAX_DELTA_SHARE", 0.0)
    build_person_docs(three, previous=docs_path(three), person_ids=["LA-P-0000001"])
    assert not docs_path(three).with_name(three.name + BASE_SUFFIX).exists()
    assert _assert_documents_are_live_answers(three) == 3
    assert json.loads(served.get("LA-P-0000005"))["records"][0]["full_name"] == "Khamla Changed"  # its files stay
    served.close()


def test_a_delta_whose_base_was_replaced_is_not_read(snapshot, tmp_path, monkeypatch):
    monkeypatch.setattr(person_docs, "MAX_DELTA_SHARE", 1.0)
    one = _night(snapshot, tmp_path / "run-000001.duckdb", [])
    build_person_docs(one)
    two = _night(one, tmp_path / "run-000002.duckdb", [])
    build_person_docs(two, previous=docs_path(one), person_ids=["LA-P-0000001"])
    assert open_person_docs(two) is not None
    base = docs_path(two).with_name(two.name + BASE_SUFFIX)
    assert base.exists()
    shutil.copy2(docs_path(one), tmp_path / "copy")
    os.replace(tmp_path / "copy", base)  # the same content, another file: not the one the delta was written over
    assert open_person_docs(two) is None


def test_a_document_file_of_another_snapshot_file_is_not_read(snapshot, tmp_path):
    copy = tmp_path / snapshot.name
    shutil.copy2(snapshot, copy)
    shutil.copy2(docs_path(snapshot), docs_path(copy))
    assert open_person_docs(copy) is None  # another file (inode): its documents may not be this one's
    assert build_person_docs(copy) == docs_path(copy)
    rebuilt = open_person_docs(copy)
    assert rebuilt is not None and rebuilt.get("LA-P-0000001") is not None
    rebuilt.close()
    os.utime(copy, ns=(1, 1))  # the file changed: its documents are stale
    assert open_person_docs(copy) is None
    docs_path(copy).unlink()
    assert open_person_docs(copy) is None


def test_person_documents_whose_snapshot_is_gone_are_removed(tmp_path):
    from linkage.paths import store_paths
    from linkage.publishing.publish import _remove_old_snapshots

    paths = store_paths(tmp_path / "laolink.duckdb")
    paths.published_dir.mkdir()
    kept = [paths.published_dir / n for n in ("run-000003.duckdb", "run-000003.duckdb.persons.sqlite",
                                             "run-000003.duckdb.persons.base.sqlite",
                                             "run-000003.duckdb.persons.sqlite.12.34.tmp")]
    orphans = [paths.published_dir / n for n in ("run-000002_d000000009.duckdb.persons.sqlite",
                                                "run-000002_d000000009.duckdb.persons.base.sqlite",
                                                "run-000002_d000000009.duckdb.persons.base.sqlite.tmp")]
    for path in kept + orphans:
        path.write_bytes(b"x")
    _remove_old_snapshots(paths, keep=kept[0])
    assert all(p.exists() for p in kept) and not any(p.exists() for p in orphans)


def test_documents_written_from_the_stores_rows_are_the_snapshots(snapshot, tmp_path):
    """A publish by delta writes the documents from the store's tables (the rows it just brought the snapshot to),
    then stamps them with the snapshot and puts them in place: readers take them as the snapshot's, the very entries
    written from the snapshot itself; a file not finished is not read, and a discarded one leaves nothing."""

    store = tmp_path / "store.duckdb"
    shutil.copy2(snapshot, store)  # the same rows in another file
    target = tmp_path / "run-000009_p000009.duckdb"
    shutil.copy2(snapshot, target)
    con = duckdb.connect(str(store), read_only=True)
    try:
        written = person_docs.write_docs(con, docs_path(target))
        discarded = person_docs.write_docs(con, tmp_path / "other.sqlite")
    finally:
        con.close()
    assert written is not None and discarded is not None
    assert open_person_docs(target) is None, "not stamped with the snapshot yet: not read"
    assert written.finish(target) == docs_path(target)
    assert _entries(docs_path(target)) == _entries(build_person_docs(snapshot, tmp_path / "direct.sqlite"))
    docs = open_person_docs(target)
    assert docs is not None, "stamped with the snapshot: read as its documents"
    docs.close()
    discarded.discard()
    assert sorted(p.name for p in tmp_path.iterdir() if ".tmp" in p.name) == []
