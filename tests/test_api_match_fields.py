"""POST /api/v1/match takes what the nightly takes: a value it cannot read leaves the field empty and is named in
the answer's warnings (the nightly lists it in std_issues), the optional exchange columns are accepted, and a role is
read as the nightly reads it (Lao, Thai and English words; another value is a warning, as any field)."""

from __future__ import annotations

import pytest
from api_server import start_api_server
from snapshot_builder import build_snapshot

pytest.importorskip("linkage.fields.name_parse")

BASE = {"full_name": "Khounda Phouvilai", "sex": "F", "date_of_birth": "01/07/1995"}
STORED_WITH_ISSUES = [  # the nightly stores each with a field left empty
    {"province": "Vientiane", "district": "Phonthong"},  # 'Vientiane' and a district two provinces have
    {"district": "Xaysetha"},  # a district two provinces have, no province
    {"age": "17", "date_of_birth": None},  # an age without the event it was counted at
    {"date_of_birth": "31/02/1995"},
    {"case_type": "robbery", "exploitation": "labour"},
    {"role": "boss"},  # no role word: stored as written, role_code empty
]
PLAIN = {"province": "Vientiane", "district": "Xaysettha"}  # 'Vientiane' settled by a district that exists once


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db = tmp_path_factory.mktemp("api-match-fields") / "laolink.duckdb"
    raw = [{**BASE, "source": "MOLSW-DSW", "record_id": f"R{i}", **extra}
           for i, extra in enumerate([*STORED_WITH_ISSUES, PLAIN])]
    build_snapshot(db, raw, standardize=True, persons=[{"person_id": f"LA-P-000010{i}"} for i in range(len(raw))],
                   record_person={("MOLSW-DSW", f"R{i}"): f"LA-P-000010{i}" for i in range(len(raw))})
    with start_api_server(db) as srv:
        yield srv


def _stored_issues(server, record_id: str) -> set[str]:
    import duckdb

    snapshot = server.paths.published_dir / (server.paths.published_dir / "CURRENT").read_text().strip()
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        return {f for (f,) in con.execute("SELECT i.field FROM std_issues i JOIN records r USING (rid)"
                                          " WHERE r.record_id = ?", [record_id]).fetchall()}
    finally:
        con.close()


@pytest.mark.parametrize("i", range(len(STORED_WITH_ISSUES)))
def test_what_the_nightly_stores_with_an_empty_field_is_matched_with_a_warning(server, i):
    record = {**BASE, **STORED_WITH_ISSUES[i]}
    answer = server.client_as("system").post("/api/v1/match", json=record, params={"top_k": 10})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    issues = _stored_issues(server, f"R{i}")
    assert issues and {w["field"] for w in body["warnings"]} == issues  # the fields the nightly listed
    assert all(w["reason"] and w["value"] for w in body["warnings"])
    stored = next(p for p in body["persons"] if p["record_id"] == f"R{i}")  # the copy the nightly standardized
    assert stored["match_probability"] == max(p["match_probability"] for p in body["persons"])
    if {"province", "district"} & issues:  # left empty on both sides, as the nightly left it
        assert {f["comparison"]: f["gamma"] for f in stored["fields"]}["place"] == -1


def test_a_readable_record_has_no_warnings(server):
    answer = server.client_as("system").post("/api/v1/match", json={**BASE, **PLAIN})
    assert answer.status_code == 200 and answer.json()["warnings"] == []


@pytest.mark.parametrize("role", ["victim", "ຜູ້ເຄາະຮ້າຍ", "ผู้เสียหาย", "survivor", "Smuggled migrant", " "])
def test_roles_ingest_reads_and_the_optional_case_columns_are_accepted_and_stored(server, role):
    client = server.client_as("system")
    record = {**BASE, **PLAIN, "source": "MOLSW-DSW", "record_id": f"NEW-{role}", "role": role,
              "case_type": "ການຄ້າມະນຸດ", "exploitation": "forced labour"}
    answer = client.post("/api/v1/match", json=record, params={"persist": "true"})
    assert answer.status_code == 200, answer.text
    with server.service() as con:
        row = con.execute("SELECT role, case_type, exploitation FROM pending_records WHERE pending_id = ?",
                          (answer.json()["persisted"]["pending_id"],)).fetchone()
    assert tuple(row) == (role, "ການຄ້າມະນຸດ", "forced labour")


@pytest.mark.parametrize("role", ["boss", "ຜູ້ຈັດການ"])
def test_a_role_no_role_word_reads_is_a_warning_and_the_record_is_stored(server, role):
    """As the nightly stores such a record (role as written, role_code empty, listed), never refused: a victim's
    record is not lost for one word."""
    record = {**BASE, **PLAIN, "source": "MOLSW-DSW", "record_id": f"NEW-unread-{role}", "role": role}
    answer = server.client_as("system").post("/api/v1/match", json=record, params={"persist": "true"})
    assert answer.status_code == 200, answer.text
    warnings = answer.json()["warnings"]
    assert [(w["field"], w["value"]) for w in warnings] == [("role", role)]
    assert "victim, suspect, witness, smuggled_migrant" in warnings[0]["reason"]
    with server.service() as con:
        row = con.execute("SELECT role FROM pending_records WHERE pending_id = ?",
                          (answer.json()["persisted"]["pending_id"],)).fetchone()
    assert tuple(row) == (role,)


def test_a_posted_source_is_read_as_ingest_reads_it(server):
    """A source copied with a zero-width space and a no-break space is the source the nightly stores: a key limited to
    it may store the record. A source or record_id the night would quarantine is refused, naming why: one of
    invisible characters only (none), one that is no source code, a record_id with a path segment."""
    client = server.client_as("system", sources=["MOLSW-DSW"])
    record = {**BASE, **PLAIN, "record_id": "NEW-copied", "source": "\u00a0MOLSW-DSW\u200b"}
    answer = client.post("/api/v1/match", json=record, params={"persist": "true"})
    assert answer.status_code == 200, answer.text
    for name, value, says in [("source", "\u200b\u200d ", "required"), ("record_id", "\u200b", "required"),
                              ("source", "MOLSW DSW", "not a source code"), ("record_id", "../R1", "path segment")]:
        answer = client.post("/api/v1/match", json={**record, name: value}, params={"persist": "true"})
        assert answer.status_code == 422, answer.text
        assert answer.json()["error"]["field"] == name and says in answer.json()["error"]["message"]


@pytest.mark.parametrize("field", ["full_name", "village", "phone", "record_id"])
def test_a_nul_byte_the_night_would_quarantine_is_refused(server, field):
    """Ingest quarantines a row with a NUL byte in any field ("contains a NUL byte"): the API refuses it, naming the
    field, rather than store a record the night then quarantines (or score one it could never hold)."""
    record = {**BASE, **PLAIN, "record_id": "NEW-nul", "source": "MOLSW-DSW"}
    record[field] = "Ban\x00Phonxay"
    for params in ({"persist": "true"}, {}):
        answer = server.client_as("system").post("/api/v1/match", json=record, params=params)
        assert answer.status_code == 422, answer.text
        assert answer.json()["error"]["field"] == field and "NUL" in answer.json()["error"]["message"]
