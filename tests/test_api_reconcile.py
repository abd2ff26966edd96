"""The W3C Reconciliation API 0.2 on a real server: every answer checked against the spec's models
(``api.reconcile_spec``), the requests OpenRefine sends replayed, CORS, and masking per role and scoped key."""

from __future__ import annotations

import json
from urllib.parse import quote

import httpx
import pytest
from api_server import start_api_server
from pydantic import ValidationError
from snapshot_builder import build_snapshot

from api.reconcile_spec import (
    ExtendResponse,
    Manifest,
    PropertyProposal,
    ResultBatch,
    SuggestEntitiesResponse,
    SuggestPropertiesResponse,
    SuggestTypesResponse,
)

pytest.importorskip("linkage.fields.name_parse")

PUBLIC = "https://laolink.example.org"
OPENREFINE = "http://127.0.0.1:3333"
P1, P2, P3, ALIAS = "LA-P-0000001", "LA-P-0000002", "LA-P-0000003", "LA-P-0000009"
FULL_NAMES = ("Bouasy Thammasack", "ບົວສີ ທຳມະສັກ", "Khamla Sisavath", "Khamla Sisavat")
RAW = [
    {"source": "MOLSW-DSW", "record_id": "A1", "role": "victim", "full_name": "Ms Bouasy Thammasack", "sex": "F",
     "date_of_birth": "04/07/2001", "province": "Savannakhet", "phone": "+856 20 5555 0101",
     "event_date": "12/03/2019"},
    {"source": "MOPS-AHTD", "record_id": "B1", "role": "victim", "full_name": "ບົວສີ ທຳມະສັກ", "sex": "ຍິງ",
     "date_of_birth": "2001", "province": "ສະຫວັນນະເຂດ", "phone": "02055550101", "event_date": "2023-08-01"},
    {"source": "TH-REPAT", "record_id": "C1", "role": "suspect", "full_name": "Khamla Sisavath", "sex": "F",
     "date_of_birth": "1990", "province": "Vientiane Capital", "event_date": "2021"},
    {"source": "PROV-SVK", "record_id": "D1", "role": "witness", "full_name": "Khamla Sisavat", "sex": "F",
     "date_of_birth": "1991", "province": "Vientiane Capital"},
]
PERSONS = [{"person_id": P1, "n_records": 2}, {"person_id": P2, "n_records": 1}, {"person_id": P3, "n_records": 1},
           {"person_id": ALIAS, "status": "alias", "alias_of": P1}]
RECORD_PERSON = {("MOLSW-DSW", "A1"): P1, ("MOPS-AHTD", "B1"): P1, ("TH-REPAT", "C1"): P2, ("PROV-SVK", "D1"): P3}
ROLES = ("steward", "analyst", "admin", "system")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db = tmp_path_factory.mktemp("api-reconcile") / "laolink.duckdb"
    build_snapshot(db, RAW, standardize=True, persons=PERSONS, record_person=RECORD_PERSON)
    env = {"LAOLINK_PUBLIC_URL": PUBLIC + "/", "LAOLINK_CORS_ORIGINS": f"{OPENREFINE}, http://localhost:3333"}
    with start_api_server(db, env=env) as srv:
        yield srv


@pytest.fixture(scope="module")
def key(server) -> str:
    return server.create_key("system")[1]


def reconcile(client: httpx.Client, queries: dict, how: str = "form") -> httpx.Response:
    """A query batch as OpenRefine sends it: form field ``queries`` (POST) or query parameter (GET)."""
    if how == "form":
        return client.post("/api/v1/reconcile", data={"queries": json.dumps(queries)})
    if how == "get":
        return client.get("/api/v1/reconcile", params={"queries": json.dumps(queries)})
    return client.post("/api/v1/reconcile", json={"queries": queries})


def results(response: httpx.Response) -> dict:
    assert response.status_code == 200, response.text
    ResultBatch.model_validate_json(response.text)
    return response.json()


def walk(value, path=()):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from walk(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from walk(v, (*path, i))
    else:
        yield path, value


def test_manifest_is_open_schema_valid_and_takes_no_address_from_host(server):
    response = httpx.get(f"{server.base_url}/api/v1/reconcile", headers={"Host": "evil.example"})
    assert response.status_code == 200, response.text
    manifest = Manifest.model_validate_json(response.text)
    body = response.json()
    assert not [path for path, value in walk(body) if value is None]  # optional services left out, never null
    assert "evil.example" not in response.text and "127.0.0.1" not in response.text
    assert manifest.identifierSpace == f"{PUBLIC}/api/v1/persons/"
    assert body["authentication"] == {"type": "apiKey", "name": "X-API-Key", "in": "header",
                                      "description": body["authentication"]["description"]}
    assert manifest.view.url == PUBLIC + "/persons/{{id}}" and manifest.batchSize == 100
    assert manifest.preview.url == PUBLIC + "/api/v1/reconcile/preview/{{id}}"
    assert {k: s.service_url + s.service_path for k, s in manifest.suggest} == {
        k: f"{PUBLIC}/api/v1/reconcile/suggest/{k}" for k in ("entity", "property", "type")}
    with pytest.raises(ValidationError):  # the models refuse what the issue found: null services
        Manifest.model_validate_json(json.dumps({**body, "suggest": None}))


def test_without_public_url_the_manifest_names_the_served_address_never_the_host_header(api_server):
    response = httpx.get(f"{api_server.base_url}/api/v1/reconcile", headers={"Host": "evil.example"})
    assert response.status_code == 200
    assert response.json()["identifierSpace"] == f"{api_server.base_url}/api/v1/persons/"


def test_credentials_api_key_header_bearer_and_refusals(server, key):
    queries = {"q0": {"query": "Bouasy"}}
    assert reconcile(server.client(), queries).status_code == 401
    assert reconcile(server.client(headers={"X-API-Key": "llk_nope_nope"}), queries).status_code == 401
    by_header = results(reconcile(server.client(headers={"X-API-Key": key}), queries))
    by_bearer = results(reconcile(server.client(key=key), queries))
    assert by_header == by_bearer and by_header["q0"]["result"][0]["id"] == P1
    for path in ("/suggest/entity?prefix=Bou", "/suggest/property", "/suggest/type", "/properties?type=person",
                 f"/preview/{P1}"):
        assert server.client().get(f"/api/v1/reconcile{path}").status_code == 401, path


def test_openrefine_batch_of_100_with_lao_script_and_a_bad_cell(server, key):
    client = server.client(headers={"X-API-Key": key})
    names = ["Bouasy Thammasack", "ບົວສີ ທຳມະສັກ", "Khamla Sisavath", "ຄຳລາ ສີສະຫວາດ"]
    queries = {f"q{i}": {"query": names[i % 4], "type": "person", "type_strict": "should", "limit": 3,
                         "properties": [{"pid": "dob", "v": "2001" if i % 4 < 2 else "1990"}]} for i in range(100)}
    queries["q57"]["properties"] = [{"pid": "dob", "v": "99/99/2020"}]
    for how in ("form", "get", "json"):
        out = results(reconcile(client, queries, how))
        assert len(out) == 100
        assert out["q57"]["result"] == [] and out["q57"]["error"]["field"] == "queries.q57.properties.dob"
        answered = [k for k, r in out.items() if r["result"]]
        assert len(answered) == 99 and not any("error" in out[k] for k in answered)
        assert out["q0"]["result"][0]["id"] == P1 and out["q0"]["result"][0]["match"] is True
        assert out["q1"]["result"][0]["id"] == P1  # Lao script
        assert {c["id"] for c in out["q2"]["result"]} == {P2, P3}
    too_many = reconcile(client, {f"q{i}": {"query": "Bouasy"} for i in range(101)})
    assert too_many.status_code == 413 and too_many.json()["error"]["field"] == "queries"
    assert reconcile(client, [1, 2]).status_code == 422  # not a batch at all


@pytest.mark.parametrize(("query", "field"), [
    ({"query": "Bouasy", "limit": 0}, "limit"),
    ({"query": "Bouasy", "limit": -1}, "limit"),
    ({"query": "Bouasy", "limit": 5.5}, "limit"),
    ({"query": "Bouasy", "limit": "x"}, "limit"),
    ({"query": "Bouasy", "properties": 7}, "properties"),
    ({"query": ""}, "query"),
    ({"type": "person"}, ""),
    ({"query": "Bouasy", "properties": [{"pid": "eye_colour", "v": "brown"}]}, "properties.eye_colour"),
    ({"query": "Bouasy", "properties": [{"pid": "dob", "v": True}]}, "properties.dob"),
    ({"properties": [{"pid": "dob", "v": "2001"}]}, "properties.name"),  # a birth date alone finds no one
])
def test_a_query_that_cannot_be_read_gets_an_empty_result_and_its_error(server, key, query, field):
    out = results(reconcile(server.client(key=key), {"bad": query, "good": {"query": "Khamla Sisavath"}}))
    assert out["bad"]["result"] == []
    assert out["bad"]["error"]["field"].startswith(f"queries.bad.{field}".rstrip(".")), out["bad"]
    assert out["bad"]["error"]["message"]
    assert out["good"]["result"][0]["id"] in (P2, P3)


def test_property_only_list_values_entity_ids_and_limit(server, key):
    client = server.client(key=key)
    out = results(reconcile(client, {
        "props": {"properties": [{"pid": "name", "v": "Bouasy Thammasack"}, {"pid": "dob", "v": 2001}]},
        "list": {"query": "Khamla Sisavath", "properties": [{"pid": "dob", "v": ["1990", "1991"]}]},
        "entity": {"query": "Khamla",
                   "properties": [{"pid": "province", "v": {"id": "x", "name": "Vientiane Capital"}}]},
        "bare": {"query": P2},
        "url": {"query": f"{PUBLIC}/api/v1/persons/{P3}"},
        "view": {"query": f"{PUBLIC}/persons/{P1.lower()}"},
        "alias": {"query": ALIAS},
        "gone": {"query": "LA-P-0099999"},
        "five": {"query": "Khamla", "limit": 5.0},
        "one": {"query": "Khamla", "limit": 1},
    }))
    assert out["props"]["result"][0]["id"] == P1
    assert {c["id"] for c in out["list"]["result"]} == {P2, P3}
    assert {c["id"] for c in out["entity"]["result"]} == {P2, P3}
    for key_, pid in (("bare", P2), ("url", P3), ("view", P1), ("alias", P1)):
        (candidate,) = out[key_]["result"]
        assert candidate["id"] == pid and candidate["score"] == 100 and candidate["match"] is True
    assert out["gone"]["result"] == [] and "error" not in out["gone"]
    assert len(out["five"]["result"]) == 2 and len(out["one"]["result"]) == 1


def test_cors_only_for_configured_origins_and_only_on_reconciliation(server, key):
    client = server.client()
    preflight = {"Origin": OPENREFINE, "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "x-api-key, content-type"}
    allowed = client.options("/api/v1/reconcile", headers=preflight)
    assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == OPENREFINE
    assert "x-api-key" in allowed.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-credentials" not in allowed.headers
    other = client.options("/api/v1/reconcile", headers={**preflight, "Origin": "https://evil.example"})
    assert other.status_code == 400 and "access-control-allow-origin" not in other.headers
    manifest = client.get("/api/v1/reconcile", headers={"Origin": OPENREFINE})
    assert manifest.headers["access-control-allow-origin"] == OPENREFINE
    answer = server.client(key=key).get("/api/v1/reconcile/suggest/type", headers={"Origin": "http://localhost:3333"})
    assert answer.headers["access-control-allow-origin"] == "http://localhost:3333"
    assert "access-control-allow-origin" not in client.get("/api/v1/reconcile", headers={"Origin": "https://x.org"}).headers
    persons = server.client(key=key).get(f"/api/v1/persons/{P1}", headers={"Origin": OPENREFINE})
    assert "access-control-allow-origin" not in persons.headers


def test_suggest_preview_extend_and_property_proposals(server, key):
    client = server.client(key=key)
    entity = client.get("/api/v1/reconcile/suggest/entity", params={"prefix": "Bouasy"})
    assert SuggestEntitiesResponse.model_validate_json(entity.text).result[0].id == P1
    by_id = client.get("/api/v1/reconcile/suggest/entity", params={"prefix": P2}).json()["result"]
    assert [s["id"] for s in by_id] == [P2]
    assert client.get("/api/v1/reconcile/suggest/entity", params={"prefix": "!!"}).json() == {"result": []}
    assert client.get("/api/v1/reconcile/suggest/entity", params={"prefix": "Khamla", "cursor": 1}).json()["result"]
    props = client.get("/api/v1/reconcile/suggest/property", params={"prefix": "pro"})
    assert [p.id for p in SuggestPropertiesResponse.model_validate_json(props.text).result] == ["province"]
    assert {p["id"] for p in client.get("/api/v1/reconcile/suggest/property").json()["result"]} >= {"dob", "phone"}
    types = client.get("/api/v1/reconcile/suggest/type", params={"prefix": "Per"})
    assert [t.id for t in SuggestTypesResponse.model_validate_json(types.text).result] == ["person"]
    proposal = client.get("/api/v1/reconcile/properties", params={"type": "person", "limit": 3})
    assert len(PropertyProposal.model_validate_json(proposal.text).properties) == 3
    assert proposal.json()["type"] == "person" and proposal.json()["limit"] == 3

    preview = client.get(f"/api/v1/reconcile/preview/{P1}")
    assert preview.status_code == 200 and preview.headers["content-type"].startswith("text/html")
    assert "Bouasy Thammasack" in preview.text and "MOLSW-DSW, MOPS-AHTD" in preview.text
    assert f"frame-ancestors 'self' {OPENREFINE}" in preview.headers["content-security-policy"]
    assert client.get("/api/v1/reconcile/preview/LA-P-0099999").status_code == 404

    extend = {"ids": [P1, ALIAS, P2, "LA-P-0099999"],
              "properties": [{"id": p} for p in ("person_id", "n_records", "sources", "first_event_year",
                                                 "last_event_year")]}
    for response in (client.post("/api/v1/reconcile", data={"extend": json.dumps(extend)}),
                     client.get("/api/v1/reconcile", params={"extend": json.dumps(extend)})):
        assert response.status_code == 200, response.text
        rows = ExtendResponse.model_validate_json(response.text).rows and response.json()["rows"]
        assert rows[P1] == rows[ALIAS] == {
            "person_id": [{"id": P1, "name": "Ms Bouasy Thammasack"}], "n_records": [{"int": 2}],
            "sources": [{"str": "MOLSW-DSW"}, {"str": "MOPS-AHTD"}],
            "first_event_year": [{"int": 2019}], "last_event_year": [{"int": 2023}]}
        assert rows[P2]["first_event_year"] == [{"int": 2021}]
        assert rows["LA-P-0099999"] == {p["id"]: [] for p in extend["properties"]}
    unknown = client.post("/api/v1/reconcile", data={"extend": json.dumps({"ids": [P1], "properties": [{"id": "x"}]})})
    assert unknown.status_code == 422 and unknown.json()["error"]["field"] == "extend.properties"


def test_view_links_open_the_person_page_after_log_in(server):
    manifest = httpx.get(f"{server.base_url}/api/v1/reconcile").json()
    path = manifest["view"]["url"].replace("{{id}}", quote(P1, safe="")).removeprefix(PUBLIC)
    anonymous = server.client().get(path, follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login?next=")
    username, password = server.add_user("steward")
    browser = server.client()
    browser.post("/login", data={"username": username, "password": password, "next": path})
    page = browser.get(path)
    assert page.status_code == 200 and P1 in page.text and "text/html" in page.headers["content-type"]


def every_answer(client: httpx.Client) -> list[httpx.Response]:
    extend = {"ids": [P1, P2, P3], "properties": [{"id": p} for p in ("person_id", "sources", "first_event_year")]}
    queries = {"q0": {"query": "Bouasy Thammasack"}, "q1": {"query": P1}, "q2": {"query": "Khamla Sisavath"}}
    return [reconcile(client, queries), client.post("/api/v1/reconcile", data={"extend": json.dumps(extend)}),
            client.get("/api/v1/reconcile/suggest/entity", params={"prefix": "Bouasy"}),
            client.get("/api/v1/reconcile/suggest/entity", params={"prefix": P1}),
            client.get(f"/api/v1/reconcile/preview/{P1}"), client.get(f"/api/v1/reconcile/preview/{P2}")]


@pytest.mark.parametrize("role", ROLES)
def test_masking_per_role(server, role):
    answers = every_answer(server.client_as(role))
    assert all(a.status_code in (200, 404) for a in answers), [a.text for a in answers]
    text = " ".join(a.text for a in answers)
    if role in ("steward", "system"):
        assert "Bouasy Thammasack" in text and "04/07/2001" in text
    else:
        assert not [n for n in FULL_NAMES if n in text] and "04/07/2001" not in text
        assert answers[0].json()["q0"]["result"][0]["name"] == "M. B. T."
        assert "born 2001" in answers[0].json()["q0"]["result"][0]["description"]
        assert "M. B. T." in answers[4].text and "2019" in answers[4].text


def test_masking_of_a_key_limited_to_sources(server):
    own = every_answer(server.client_as("system", sources=["MOLSW-DSW"]))
    text = " ".join(a.text for a in own)
    assert "Bouasy Thammasack" in text  # its own source's record, in full
    assert not [n for n in FULL_NAMES[1:] if n in text] and "ສະຫວັນນະເຂດ" not in text
    other = every_answer(server.client_as("system", sources=["PROV-SVK"]))
    text = " ".join(a.text for a in other)
    assert not [n for n in FULL_NAMES[:3] if n in text] and "04/07/2001" not in text
    q = other[0].json()
    assert q["q0"]["result"] == []  # other sources' names are not searched
    assert q["q1"]["result"][0]["name"] == P1  # a known ID: the person, without a name it may not see
    rows = other[1].json()["rows"]
    assert rows[P1]["first_event_year"] == [] and rows[P1]["sources"] == [{"str": "MOLSW-DSW"}, {"str": "MOPS-AHTD"}]


def test_audit_rows(server, key):
    before = server.last_audit_id()
    reconcile(server.client(key=key), {"q0": {"query": "Bouasy"}, "q1": {"query": "Bouasy", "limit": 0}})
    server.client(key=key).get(f"/api/v1/reconcile/preview/{P2}")
    rows = [r for r in server.audit_rows(after=before) if r["action"].startswith("reconcile")]
    assert [r["action"] for r in rows] == ["reconcile", "reconcile.preview"]
    assert rows[0]["person_ids"] == [P1] and json.loads(rows[0]["detail"]) == {"queries": 2, "errors": 1}
    assert rows[1]["person_ids"] == [P2]
