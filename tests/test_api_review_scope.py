"""Review and search as each principal may see them, on a real server: what the queue page audits, merging a
person with itself, a source-limited key's queue and pairs, masked roles' comparison labels and name search."""

from __future__ import annotations

import pytest
from api_server import SHARED_SERVER_ENV, start_api_server
from snapshot_builder import build_snapshot, gamma_of

pytest.importorskip("linkage.fields.name_parse")

P1, P2, P3 = "LA-P-0000001", "LA-P-0000002", "LA-P-0000003"
DSW = "MOLSW-DSW"
RAW = [
    {"source": DSW, "record_id": "A1", "role": "victim", "full_name": "Ms Bouasy Thammasack", "sex": "F",
     "date_of_birth": "04/07/2001", "province": "Savannakhet", "phone": "+856 20 5555 0101"},
    {"source": DSW, "record_id": "A2", "role": "victim", "full_name": "Bouasy Thammasak", "sex": "F",
     "date_of_birth": "04/07/2001", "province": "Savannakhet", "phone": "020 5555 0101"},
    {"source": "TH-REPAT", "record_id": "C1", "role": "suspect", "full_name": "Khamla Sisavath", "sex": "F",
     "date_of_birth": "1990", "province": "Vientiane Capital"},
    {"source": "PROV-SVK", "record_id": "D1", "role": "witness", "full_name": "Khamla Sisavat", "sex": "F",
     "date_of_birth": "1991", "province": "Vientiane Capital"},
]
PERSONS = [{"person_id": P1, "n_records": 2}, {"person_id": P2, "n_records": 1}, {"person_id": P3, "n_records": 1}]
RECORD_PERSON = {(DSW, "A1"): P1, (DSW, "A2"): P1, ("TH-REPAT", "C1"): P2, ("PROV-SVK", "D1"): P3}
SAME_DATE = gamma_of("birth", "same full birth date")
PREDICTIONS = [
    {"l": (DSW, "A1"), "r": (DSW, "A2"), "match_probability": 0.7, "match_weight": 1.2,
     "gamma": {"name": gamma_of("name", "Lao name key equal (given and family)"), "birth": SAME_DATE,
               "phone": gamma_of("phone", "same phone")}, "mw": {"name": 4.0, "birth": 6.0, "phone": 5.0}},
    {"l": ("TH-REPAT", "C1"), "r": ("PROV-SVK", "D1"), "match_probability": 0.6, "match_weight": 0.5,
     "gamma": {"name": 5, "birth": 4}, "mw": {"name": 2.0, "birth": 0.5}},
]
BIRTH_YEARS = "birth years 1990 and 1991 are more than 0 years apart"
QUEUE = [
    {"l": ("TH-REPAT", "C1"), "r": ("PROV-SVK", "D1"), "priority": 0.9, "match_probability": 0.6,
     "reason": BIRTH_YEARS},
    {"l": (DSW, "A1"), "r": (DSW, "A2"), "priority": 0.5, "match_probability": 0.7},
    {"kind": "cluster", "person_id": P2, "priority": 0.3, "reason": BIRTH_YEARS},
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db = tmp_path_factory.mktemp("review-scope") / "laolink.duckdb"
    build_snapshot(db, RAW, standardize=True, persons=PERSONS, record_person=RECORD_PERSON,
                   predictions=PREDICTIONS, review_queue=QUEUE)
    with start_api_server(db, env=SHARED_SERVER_ENV) as srv:
        yield srv


def items_by_record(client) -> dict[str, int]:
    """item_id of each pair item by its left record's ID (as a steward lists them)."""
    items = client.get("/api/v1/review/queue", params={"kind": "pair"}).json()["items"]
    return {i["record_l"]["record_id"]: i["item_id"] for i in items}


def test_queue_page_audits_the_persons_of_every_record_it_shows(server):
    steward = server.client_as("steward")
    before = server.last_audit_id()
    page = steward.get("/queue")
    assert page.status_code == 200 and "Khamla Sisavat" in page.text and "Bouasy Thammasak" in page.text
    (row,) = [r for r in server.audit_rows(after=before) if r["action"] == "page.queue"]
    assert row["person_ids"] == [P1, P2, P3]  # the cluster item's person and the pair items' records' persons


def test_merging_a_person_with_itself_is_refused_with_a_page(server):
    steward = server.client_as("steward")
    before = server.last_audit_id()
    for other in (P1, f"  {P1} "):
        answer = steward.post(f"/persons/{P1}/merge", data={"other": other, "note": ""}, follow_redirects=False)
        assert answer.status_code == 422 and "cannot be merged with itself" in answer.text
    rows = [r for r in server.audit_rows(after=before) if r["action"] == "decision.create"]
    assert [(r["outcome"], r["status"], r["person_ids"]) for r in rows] == [("error", 422, [P1])] * 2
    with server.service() as con:
        assert con.execute("SELECT count(*) FROM decisions").fetchone()[0] == 0


def test_a_source_limited_key_reads_only_items_wholly_of_its_sources(server):
    items = items_by_record(server.client_as("steward"))
    key = server.client_as("steward", sources=[DSW])
    queue = key.get("/api/v1/review/queue")
    assert queue.status_code == 200, queue.text
    body = queue.json()
    assert [i["item_id"] for i in body["items"]] == [items["A1"]]
    assert body["page"]["total"] == 1 and body["by_source"] == {DSW: 1} and body["by_kind"] == {"pair": 1}
    assert "1990" not in queue.text and "TH-REPAT" not in queue.text
    hidden = items["C1"]  # two other sources' records: neither its scores nor its labels
    assert key.get(f"/api/v1/review/pairs/{hidden}").status_code == 404
    assert key.get(f"/pairs/{hidden}").status_code == 404
    own = key.get(f"/api/v1/review/pairs/{items['A1']}").json()
    assert {c["comparison"]: c["label"] for c in own["prediction"]["comparisons"]}["birth"] == "same full birth date"
    page = key.get("/queue")
    assert page.status_code == 200 and "1990" not in page.text and "TH-REPAT" not in page.text


def test_masked_roles_get_no_level_or_weight_of_comparisons_over_masked_fields(server):
    item = items_by_record(server.client_as("steward"))["A1"]
    steward = server.client_as("steward").get(f"/api/v1/review/pairs/{item}").json()
    assert {c["label"] for c in steward["prediction"]["comparisons"]} >= {"same full birth date", "same phone"}
    assert 'class="field agree"' in server.client_as("steward").get(f"/pairs/{item}").text
    for role in ("analyst", "admin"):
        client = server.client_as(role)
        answer = client.get(f"/api/v1/review/pairs/{item}")
        comparisons = {c["comparison"]: c for c in answer.json()["prediction"]["comparisons"]}
        for name in ("name", "birth", "place", "phone", "id_number"):
            assert comparisons[name] == {"comparison": name, "gamma": None, "label": None, "match_weight": None}
        assert comparisons["sex"]["label"] == "different sex"  # a field the role sees keeps its label
        assert "same full birth date" not in answer.text
        page = client.get(f"/pairs/{item}").text
        assert 'class="field agree"' not in page and 'class="waterfall"' not in page


def test_analyst_name_search_answers_alike_for_every_spelling_behind_the_initials(server):
    analyst = server.client_as("analyst")
    guesses = ("Bouasy Thammasack", "Bouasy Thammasak", "Bouasyy Thammasackx", "Bee Tee", "ບົວສີ ທຳມະສັກ")
    answers = [analyst.get("/api/v1/persons", params={"name": g}) for g in guesses]
    assert all(a.status_code == 200 for a in answers), answers[0].text
    assert len({a.text for a in answers}) == 1  # the true spelling scores no differently from a wrong one
    assert [i["person_id"] for i in answers[0].json()["items"]] == [P1]
    assert answers[0].json()["items"][0]["best_record"]["full_name"] in ("M. B. T.", "B. T.")
    by_year = analyst.get("/api/v1/persons", params={"name": "Khamla", "dob": "1990"}).json()["items"]
    assert [i["person_id"] for i in by_year] == [P2, P3]  # the birth year still ranks (P3 is one year off)
    steward = server.client_as("steward")
    scores = {steward.get("/api/v1/persons", params={"name": g}).json()["items"][0]["score"] for g in guesses[:3]}
    assert len(scores) > 1  # a steward, who sees the names, is ranked by spelling


def test_the_queue_filters_by_the_packages_roles_in_any_writing_and_refuses_an_unknown_one(server):
    from api.queries.review import QUEUE_ROLES

    steward = server.client_as("steward")
    items = items_by_record(steward)
    suspects = [i["item_id"] for i in steward.get("/api/v1/review/queue", params={"role": "suspect"}).json()["items"]]
    assert items["C1"] in suspects and items["A1"] not in suspects
    for role in ("ຜູ້ຕ້ອງສົງໄສ", "offender"):  # as records write it (before: 422)
        queue = steward.get("/api/v1/review/queue", params={"role": role})
        assert queue.status_code == 200, queue.text
        assert [i["item_id"] for i in queue.json()["items"]] == suspects
    before = server.last_audit_id()
    refused = steward.get("/api/v1/review/queue", params={"role": "boss"})
    assert refused.status_code == 422
    assert refused.json()["error"]["field"] == "role"
    assert "'boss'" in refused.json()["error"]["message"]  # before: "Input should be 'victim', ...", no role named
    assert all(r in refused.json()["error"]["message"] for r in QUEUE_ROLES)
    for page in ("/queue", "/queue/next"):  # before: the page answered 200 with an empty queue, the next the queue
        answer = steward.get(page, params={"role": "boss"}, follow_redirects=False)
        assert answer.status_code == 422 and "boss" in answer.text and "smuggled_migrant" in answer.text, page
    assert [(r["action"], r["outcome"], r["status"]) for r in server.audit_rows(after=before)] == [
        ("review.queue", "error", 422), ("page.queue", "error", 422), ("page.queue", "error", 422)]
    found = steward.get("/queue/next", params={"role": "ຜູ້ຕ້ອງສົງໄສ"}, follow_redirects=False)
    assert found.headers["location"] == f"/pairs/{items['C1']}?role=suspect"
    for page in ("/queue", "/queue/next"):  # before: an empty queue, the next the queue
        answer = steward.get(page, params={"kind": "pairs"}, follow_redirects=False)
        assert answer.status_code == 422 and "pairs" in answer.text and "pair, cluster" in answer.text, page


def test_a_split_or_merge_that_finds_nothing_says_what_it_did_not_find(server):
    import json

    steward = server.client_as("steward")
    before = server.last_audit_id()
    gone = steward.post("/persons/LA-P-9999999/split", data={"rid": "1", "note": ""}, follow_redirects=False)
    assert gone.status_code == 404
    (row,) = [r for r in server.audit_rows(after=before) if r["action"] == "decision.create"]
    assert json.loads(row["detail"])["reason"] == "no_such_person"  # before: no_such_record
    before = server.last_audit_id()
    long_id = steward.post(f"/persons/{P1}/merge", data={"other": P2 + "x" * 60, "note": ""}, follow_redirects=False)
    assert long_id.status_code == 422 and "at most 64 characters" in long_id.text  # before: cut to 64, then 404
    (row,) = [r for r in server.audit_rows(after=before) if r["action"] == "decision.create"]
    assert (row["status"], json.loads(row["detail"])["reason"]) == (422, "person_id_too_long")
    with server.service() as con:
        assert con.execute("SELECT count(*) FROM decisions").fetchone()[0] == 0
