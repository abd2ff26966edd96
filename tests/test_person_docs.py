"""Person documents (linkage.publishing.person_docs): each one is exactly the live queries' answer, and a document
file that does not belong to its snapshot is never read."""

from __future__ import annotations

import json
import os
import shutil

import duckdb
import pytest
from snapshot_builder import build_snapshot
from test_queries import HISTORY, PAIR_AB, PAIR_CD, PERSONS, QUEUE, RECORD_PERSON, RECORDS, RUNS

from api.queries.persons import get_person
from api.schemas_data import PersonOut
from linkage.publishing.person_docs import build_person_docs, docs_path, open_person_docs

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


def test_publish_writes_a_document_per_active_person_equal_to_the_live_answer(snapshot):
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
        with_links = json.loads(docs.get("LA-P-0000001"))
        assert len(with_links["records"]) == 2 and len(with_links["links"]) == 1
        assert [h["detail"] for h in with_links["history"] if h["event"] == "records-added"] == [
            {"rids": [1, 2], "note": "ລາວ"}]
    finally:
        con.close()
        docs.close()


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
