"""The data endpoints on a real server: persons, search, match, review, decisions, runs.

Reconciliation has its own file, tests/test_api_reconcile.py.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time

import pytest
from api_server import publish_empty_run, start_api_server
from snapshot_builder import build_snapshot, gamma_of

NAME_KEYS_EQUAL = gamma_of("name", "Lao name key equal (given and family)")
YEAR_ONE_SIDE = gamma_of("birth", "same birth year (one side year only)")
SAME_PHONE = gamma_of("phone", "same phone")


pytest.importorskip("linkage.fields.name_parse")

P1, P2, P3 = "LA-P-0000001", "LA-P-0000002", "LA-P-0000003"
RAW = [
    {"source": "MOLSW-DSW", "record_id": "A1", "role": "victim", "full_name": "Ms Bouasy Thammasack",
     "sex": "F", "date_of_birth": "04/07/2001", "province": "Savannakhet", "phone": "+856 20 5555 0101"},
    {"source": "MOPS-AHTD", "record_id": "B1", "role": "victim", "full_name": "ບົວສີ ທຳມະສັກ", "sex": "ຍິງ",
     "date_of_birth": "2001", "province": "ສະຫວັນນະເຂດ", "phone": "02055550101"},
    {"source": "TH-REPAT", "record_id": "C1", "role": "suspect", "full_name": "Khamla Sisavath", "sex": "F",
     "date_of_birth": "1990", "province": "Vientiane Capital"},
    {"source": "PROV-SVK", "record_id": "D1", "role": "witness", "full_name": "Khamla Sisavat", "sex": "F",
     "date_of_birth": "1991", "province": "Vientiane Capital"},
]
PERSONS = [{"person_id": P1, "n_records": 2}, {"person_id": P2, "n_records": 1}, {"person_id": P3, "n_records": 1},
           {"person_id": "LA-P-0000009", "status": "alias", "alias_of": P1}]
RECORD_PERSON = {("MOLSW-DSW", "A1"): P1, ("MOPS-AHTD", "B1"): P1, ("TH-REPAT", "C1"): P2, ("PROV-SVK", "D1"): P3}
PREDICTIONS = [
    {"l": ("MOLSW-DSW", "A1"), "r": ("MOPS-AHTD", "B1"), "match_probability": 0.98, "match_weight": 6.0,
     "gamma": {"name": NAME_KEYS_EQUAL, "birth": YEAR_ONE_SIDE, "phone": SAME_PHONE},
     "mw": {"name": 4.0, "birth": 1.0, "phone": 5.0}},
    {"l": ("TH-REPAT", "C1"), "r": ("PROV-SVK", "D1"), "match_probability": 0.6, "match_weight": 0.5,
     "gamma": {"name": 5, "birth": 4}, "mw": {"name": 2.0, "birth": 0.5}},
]
QUEUE = [
    {"l": ("TH-REPAT", "C1"), "r": ("PROV-SVK", "D1"), "priority": 0.9, "match_probability": 0.6},
    {"l": ("MOLSW-DSW", "A1"), "r": ("MOPS-AHTD", "B1"), "priority": 0.3, "match_probability": 0.98},
]


RUN = {"run_id": 1, "status": "ok", "report": {"pairs_scored": 0, "files": [
    {"path": "/srv/laolink/inbox/night1_mops_ahtd.csv", "status": "stored", "rows_read": 3}]}}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db = tmp_path_factory.mktemp("api-data") / "laolink.duckdb"
    build_snapshot(db, RAW, standardize=True, persons=PERSONS, record_person=RECORD_PERSON,
                   predictions=PREDICTIONS, review_queue=QUEUE, runs=[RUN])
    with start_api_server(db) as srv:
        yield srv


def last_audit(server, action, after):
    rows = [r for r in server.audit_rows(after=after) if r["action"] == action]
    assert rows, f"no audit row {action}"
    return rows[-1]


def records_by_id(body):
    return {r["record_id"]: r for r in body["records"]}


def test_person_as_steward_analyst_and_scoped_key(server):
    before = server.last_audit_id()
    full = server.client_as("steward").get(f"/api/v1/persons/{P1}")
    assert full.status_code == 200, full.text
    body = full.json()
    assert body["status"] == "active" and body["resolved_to"] == P1
    recs = records_by_id(body)
    assert recs["A1"]["full_name"] == "Ms Bouasy Thammasack" and recs["B1"]["phone_e164"] == "+8562055550101"
    assert body["links"][0]["match_probability"] == pytest.approx(0.98)
    row = last_audit(server, "person.read", before)
    assert row["person_ids"] == [P1] and row["outcome"] == "ok" and row["status"] == 200

    masked = records_by_id(server.client_as("analyst").get(f"/api/v1/persons/{P1}").json())
    assert masked["A1"]["full_name"] == "M. B. T." and masked["A1"]["phone"].endswith("01")
    assert "5555" not in masked["A1"]["phone"] and masked["A1"]["dob"] is None
    assert masked["A1"]["province_code"] == recs["A1"]["province_code"]

    scoped = records_by_id(server.client_as("system", sources=["MOLSW-DSW"]).get(f"/api/v1/persons/{P1}").json())
    assert scoped["A1"]["full_name"] == "Ms Bouasy Thammasack"
    hidden = {k: v for k, v in scoped["B1"].items() if v is not None}
    assert hidden == {"source": "MOPS-AHTD", "record_id": "B1", "role": "victim"}


def test_alias_unknown_and_bad_ids(server):
    client = server.client_as("analyst")
    alias = client.get("/api/v1/persons/LA-P-0000009").json()
    assert alias["status"] == "alias" and alias["resolved_to"] == P1 and alias["records"] == []
    missing = client.get("/api/v1/persons/LA-P-7777777")
    assert missing.status_code == 404 and missing.json()["error"]["field"] == "person_id"


def test_search_in_lao_script_finds_the_latin_records(server):
    before = server.last_audit_id()
    client = server.client_as("steward")
    found = client.get("/api/v1/persons", params={"name": "ບົວສີ ທຳມະສັກ"})
    assert found.status_code == 200, found.text
    items = found.json()["items"]
    assert items[0]["person_id"] == P1 and items[0]["records_matched"] == 2
    assert last_audit(server, "person.search", before)["person_ids"] == [i["person_id"] for i in items]
    by_phone = client.get("/api/v1/persons", params={"phone": "020 5555 0101"}).json()
    assert by_phone["page"]["total"] == 1 and by_phone["items"][0]["person_id"] == P1
    analyst = server.client_as("analyst").get("/api/v1/persons", params={"name": "Khamla"}).json()
    assert {i["person_id"] for i in analyst["items"]} == {P2, P3}
    assert all(i["best_record"]["full_name"] in ("K. S.",) for i in analyst["items"])


@pytest.mark.parametrize(
    ("params", "field"),
    [({}, "name"), ({"name": "Bouasy", "dob": "31/02/2001"}, "dob"), ({"name": "x" * 300}, "name"),
     ({"name": "Bouasy", "page_size": 100000}, "page_size")],
)
def test_search_errors_name_the_field(server, params, field):
    response = server.client_as("steward").get("/api/v1/persons", params=params)
    assert response.status_code == 422 and response.json()["error"]["field"] == field


def test_queue_filters_counts_and_masking(server):
    client = server.client_as("steward")
    queue = client.get("/api/v1/review/queue").json()
    assert [i["priority"] for i in queue["items"]] == [0.9, 0.3]
    assert queue["by_kind"] == {"pair": 2} and queue["page"]["total"] == 2
    only = client.get("/api/v1/review/queue", params={"source": "MOPS-AHTD"}).json()
    assert [i["record_r"]["record_id"] for i in only["items"]] == ["B1"]
    by_province = client.get("/api/v1/review/queue", params={"province": "Vientiane Capital"}).json()
    assert [i["priority"] for i in by_province["items"]] == [0.9]
    assert client.get("/api/v1/review/queue", params={"role": "suspect"}).json()["page"]["total"] == 1
    analyst = server.client_as("analyst").get("/api/v1/review/queue").json()
    assert analyst["items"][0]["record_l"]["full_name"] == "K. S."
    assert server.client_as("system").get("/api/v1/review/queue").status_code == 403


def pair_item(server, client, source):
    return client.get("/api/v1/review/queue", params={"source": source}).json()["items"][0]["item_id"]


def test_pair_detail_side_by_side(server):
    client = server.client_as("steward")
    item = pair_item(server, client, "MOPS-AHTD")
    pair = client.get(f"/api/v1/review/pairs/{item}").json()
    fields = {f["field"]: f for f in pair["fields"]}
    assert fields["full_name"]["raw_r"] == "ບົວສີ ທຳມະສັກ"
    assert fields["full_name"]["standardized_l"]["full_name_std"] == fields["full_name"]["standardized_r"][
        "full_name_std"]
    comps = {c["comparison"]: c for c in pair["prediction"]["comparisons"]}
    assert comps["phone"]["label"] == "same phone" and comps["phone"]["match_weight"] == 5.0
    assert pair["prediction"]["match_probability"] == pytest.approx(0.98)
    assert client.get("/api/v1/review/pairs/999999").status_code == 404
    masked = server.client_as("analyst").get(f"/api/v1/review/pairs/{item}").json()
    masked_fields = {f["field"]: f for f in masked["fields"]}
    assert masked_fields["full_name"]["raw_l"] == "M. B. T."
    assert "5555" not in masked_fields["phone"]["standardized_l"]["phone_e164"]


def decision(judgement, expected=None, note=None, pair=("TH-REPAT", "C1", "PROV-SVK", "D1")):
    return {"source_l": pair[0], "record_id_l": pair[1], "source_r": pair[2], "record_id_r": pair[3],
            "judgement": judgement, "note": note, "expected_decision_id": expected}


def test_decisions_with_optimistic_concurrency(server):
    alice, bob = server.client_as("steward"), server.client_as("steward")
    item = pair_item(server, alice, "TH-REPAT")
    before = server.last_audit_id()
    first = alice.post("/api/v1/decisions", json=decision("same", note="same village"))
    assert first.status_code == 201, first.text
    d1 = first.json()
    assert d1["judgement"] == "positive" and d1["note"] == "same village" and d1["supersedes"] is None
    assert last_audit(server, "decision.create", before)["person_ids"] == [P2, P3]
    # bob saw no decision: his is refused, not stored over alice's
    stale = bob.post("/api/v1/decisions", json=decision("not_same"))
    assert stale.status_code == 409 and stale.json()["error"]["field"] == "expected_decision_id"
    shown = bob.get(f"/api/v1/review/pairs/{item}").json()["decision"]
    assert shown["decision_id"] == d1["decision_id"] and shown["judgement"] == "positive"

    # both now decide at once from the same state: one wins, the other gets 409
    results = {}
    barrier = threading.Barrier(2)

    def decide(name, client, judgement):
        barrier.wait()
        results[name] = client.post("/api/v1/decisions", json=decision(judgement, expected=d1["decision_id"]))

    threads = [threading.Thread(target=decide, args=("alice", alice, "unsure")),
               threading.Thread(target=decide, args=("bob", bob, "not_same"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(r.status_code for r in results.values())
    assert codes == [201, 409], {k: r.text for k, r in results.items()}
    winner = next(r.json() for r in results.values() if r.status_code == 201)
    assert winner["supersedes"] == d1["decision_id"]
    assert bob.get(f"/api/v1/review/pairs/{item}").json()["decision"]["decision_id"] == winner["decision_id"]
    with server.service() as con:
        assert con.execute("SELECT count(*) FROM decisions").fetchone()[0] == 2


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        (decision("maybe"), 422, "judgement"),
        (decision("same", pair=("TH-REPAT", "C1", "TH-REPAT", "C1")), 422, "record_id_r"),
        (decision("same", pair=("TH-REPAT", "C1", "PROV-SVK", "nope")), 404, "record_id_r"),
        ({**decision("same"), "extra": 1}, 422, "extra"),
    ],
)
def test_bad_decisions(server, body, status, field):
    response = server.client_as("steward").post("/api/v1/decisions", json=body)
    assert response.status_code == status and response.json()["error"]["field"] == field


def test_decisions_need_a_steward(server):
    assert server.client_as("analyst").post("/api/v1/decisions", json=decision("same")).status_code == 403


A1_B1 = ("MOLSW-DSW", "A1", "MOPS-AHTD", "B1")  # both records of P1


def decisions_on(server, pair) -> list[tuple]:
    with server.service() as con:
        return con.execute("SELECT judgement, decided_by FROM decisions WHERE source_l = ? AND record_id_l = ?"
                           " AND source_r = ? AND record_id_r = ? ORDER BY decision_id", pair).fetchall()


def test_admins_decide_neither_on_the_api_nor_on_the_pages(server):
    admin = server.client_as("admin")
    assert admin.post("/api/v1/decisions", json=decision("same", pair=A1_B1)).status_code == 403
    page = admin.post(f"/persons/{P1}/split", data={"rid": "1", "note": ""}, follow_redirects=False)
    assert page.status_code == 403
    assert decisions_on(server, A1_B1) == []


def test_a_scoped_steward_key_decides_only_on_its_own_sources(server):
    before = server.last_audit_id()
    scoped = server.client_as("steward", sources=["MOLSW-DSW"])
    refused = scoped.post("/api/v1/decisions", json=decision("not_same", pair=A1_B1))
    assert refused.status_code == 403 and refused.json()["error"]["field"] == "source_r"
    assert "MOPS-AHTD" in refused.json()["error"]["message"]
    # no look-up first: an unknown record of another source is refused the same way, not 404
    unknown = scoped.post("/api/v1/decisions", json=decision("same", pair=("MOLSW-DSW", "A1", "MOPS-AHTD", "zz")))
    assert unknown.status_code == 403
    # the person page's split goes through the same check: refused, nothing recorded
    own = next(r["rid"] for r in scoped.get(f"/api/v1/persons/{P1}").json()["records"] if r["record_id"] == "A1")
    page = scoped.post(f"/persons/{P1}/split", data={"rid": str(own), "note": ""}, follow_redirects=False)
    assert page.status_code == 403
    assert decisions_on(server, A1_B1) == []
    denied = [r for r in server.audit_rows(after=before) if r["action"] == "decision.create"]
    assert [(r["outcome"], r["status"]) for r in denied] == [("denied", 403)] * 3
    both = server.client_as("steward", sources=["MOLSW-DSW", "MOPS-AHTD"])
    made = both.post("/api/v1/decisions", json=decision("not_same", pair=A1_B1))
    assert made.status_code == 201, made.text
    assert decisions_on(server, A1_B1) == [("negative", made.json()["decided_by"])]
    assert made.json()["decided_by"].startswith("key:")


LAO_VARIANT = {"full_name": "ນາງ ບົວສີ ທຳມະສັກ", "sex": "ຍິງ", "date_of_birth": "04/07/2001", "province": "Savannakhet"}


def test_match_finds_the_person_with_reasons(server):
    before = server.last_audit_id()
    response = server.client_as("system").post("/api/v1/match", json=LAO_VARIANT, params={"top_k": 2})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["persons"][0]["person_id"] == P1 and len(body["persons"]) <= 2
    fields = {f["comparison"]: f for f in body["persons"][0]["fields"]}
    assert fields["name"]["label"] == "Lao name key equal (given and family)"
    assert body["persisted"] is None
    row = last_audit(server, "match", before)
    assert row["person_ids"][0] == P1 and row["actor_kind"] == "key"


def test_match_persist_stores_the_record_for_the_next_run(server):
    client = server.client_as("system", sources=["MOLSW-DSW"])
    record = {**LAO_VARIANT, "source": "MOLSW-DSW", "record_id": "NEW-1"}
    response = client.post("/api/v1/match", json=record, params={"persist": "true"})
    assert response.status_code == 200, response.text
    pending = response.json()["persisted"]["pending_id"]
    with server.service() as con:
        row = con.execute("SELECT source, record_id, full_name, received_by FROM pending_records "
                          "WHERE pending_id = ?", (pending,)).fetchone()
    assert row[:3] == ("MOLSW-DSW", "NEW-1", "ນາງ ບົວສີ ທຳມະສັກ") and row[3].startswith("key:")
    other = client.post("/api/v1/match", json={**record, "source": "TH-REPAT"}, params={"persist": "true"})
    assert other.status_code == 403


@pytest.mark.parametrize(
    ("body", "params", "field"),
    [
        ({"full_name": "Bouasy", "colour": "red"}, {}, "colour"),
        ({"full_name": "Bouasy", "role": "b" * 51}, {}, "role"),  # a role no word reads is a warning; too long is not
        ({"full_name": "Bouasy"}, {"persist": "true"}, "record_id"),
        ({"full_name": "Bouasy"}, {"top_k": 0}, "top_k"),
        ({"full_name": ["a"]}, {}, "full_name"),
    ],
)
def test_match_errors_name_the_field(server, body, params, field):
    response = server.client_as("system").post("/api/v1/match", json=body, params=params)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == field


def test_match_is_not_for_analysts(server):
    assert server.client_as("analyst").post("/api/v1/match", json=LAO_VARIANT).status_code == 403


def test_runs_list_and_report(server):
    client = server.client_as("analyst")
    runs = client.get("/api/v1/runs").json()
    assert [r["run_id"] for r in runs["items"]] == [1] and runs["running"] is False
    report = client.get("/api/v1/runs/1").json()
    assert report["status"] == "ok"
    assert client.get("/api/v1/runs/42").status_code == 404
    # Where the inbox lies on the server is for admins: other readers see file names only.
    assert [f["path"] for f in report["report"]["files"]] == ["night1_mops_ahtd.csv"]
    admin = server.client_as("admin").get("/api/v1/runs/1").json()
    assert [f["path"] for f in admin["report"]["files"]] == ["/srv/laolink/inbox/night1_mops_ahtd.csv"]


def test_post_runs_starts_one_run_at_a_time(tmp_path):
    db = tmp_path / "laolink.duckdb"
    publish_empty_run(db)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    with start_api_server(db, env={"LAOLINK_INBOX": str(inbox)}) as srv:
        admin = srv.client_as("admin")
        assert srv.client_as("steward").post("/api/v1/runs").status_code == 403
        started = admin.post("/api/v1/runs")
        assert started.status_code == 202, started.text
        pid = started.json()["pid"]
        try:
            again = admin.post("/api/v1/runs")
            assert again.status_code == 409 and str(pid) in again.json()["error"]["message"]
            assert admin.get("/api/v1/runs").json()["running"] is True
            assert [r["action"] for r in srv.audit_rows() if r["action"] == "run.start"] == ["run.start"] * 2
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        while admin.get("/api/v1/runs").json()["running"] and time.monotonic() < deadline:
            time.sleep(0.2)
        assert admin.get("/api/v1/runs").json()["running"] is False
