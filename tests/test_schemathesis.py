"""A bounded schemathesis run over the whole API's OpenAPI document, with each role's credentials.

Against a real server on a store built by a real nightly run of the demo data: for every operation
and every role (admin, steward, analyst, system key), generated requests plus requests with real
values (a real person ID, review item, run, record pair) never get a 5xx, and every answer
conforms to the documented response schema. Bounded: LAOLINK_FUZZ_EXAMPLES generated cases per
operation and role (default 8), derandomized, no example database.
"""

from __future__ import annotations

import os
from collections import Counter

import duckdb
import httpx
import pytest
import schemathesis
from api_server import start_api_server
from demo_deployment import demo_model, nightly_store
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from linkage.paths import store_paths
from linkage.publishing.publish import current_snapshot

EXAMPLES = int(os.environ.get("LAOLINK_FUZZ_EXAMPLES", "8"))
ROLES = ("admin", "steward", "analyst", "system")
# Starting a real nightly run from the fuzzer would rebuild the store under the server: left to the run tests.
SKIP = {("POST", "/api/v1/runs")}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    base = tmp_path_factory.mktemp("schemathesis")
    db = nightly_store(base, demo_model())
    with start_api_server(db) as srv:
        yield srv


@pytest.fixture(scope="module")
def schema(server):
    document = server.client(key=server.create_key("analyst")[1]).get("/api/v1/openapi.json")
    assert document.status_code == 200
    return schemathesis.openapi.from_dict(document.json())


@pytest.fixture(scope="module")
def real(server) -> dict:
    """Real path values, queries and bodies, so that the documented 200 answers are checked too."""
    snapshot = duckdb.connect(str(current_snapshot(store_paths(server.db))), read_only=True)
    try:
        person, name = snapshot.execute(
            "SELECT rp.person_id, min(r.full_name) FROM record_person rp JOIN records r USING (rid)"
            " WHERE r.full_name IS NOT NULL GROUP BY 1 HAVING count(*) > 1 ORDER BY 1 LIMIT 1").fetchall()[0]
        item, sl, rl, sr, rr = snapshot.execute(
            "SELECT q.item_id, a.source, a.record_id, b.source, b.record_id FROM review_queue q"
            " JOIN records a ON a.rid = q.rid_l JOIN records b ON b.rid = q.rid_r"
            " WHERE q.kind = 'pair' ORDER BY q.item_id LIMIT 1").fetchall()[0]
        (run_id,) = snapshot.execute("SELECT run_id FROM snapshot_info").fetchall()[0]
    finally:
        snapshot.close()
    username, _ = server.add_user("analyst")
    key_id, _ = server.create_key("system")
    return {
        "path": {"person_id": person, "item_id": item, "run_id": run_id, "username": username, "key_id": key_id},
        "query": {"/api/v1/persons": {"name": name}, "/api/v1/review/queue": {"kind": "pair"}},
        "body": {
            "/api/v1/decisions": {"source_l": sl, "record_id_l": rl, "source_r": sr, "record_id_r": rr,
                                  "judgement": "unsure", "note": "schemathesis"},
            "/api/v1/match": {"source": sl, "record_id": "probe-1", "full_name": name},
        },
    }


def test_the_document_covers_the_api(schema):
    operations = [r.ok() for r in schema.get_all_operations()]
    paths = {op.path for op in operations}
    assert len(operations) >= 18
    assert {"/api/v1/persons", "/api/v1/decisions", "/api/v1/match", "/api/v1/admin/users"} <= paths


def _real_case(operation, real: dict):
    names = [p.name for p in operation.path_parameters]
    query = real["query"].get(operation.path)
    body = real["body"].get(operation.path)
    if not names and query is None and body is None:
        return None
    kwargs = {"path_parameters": {n: real["path"][n] for n in names if n in real["path"]}}
    if query is not None:
        kwargs["query"] = query
    if body is not None and operation.method.upper() == "POST":
        kwargs["body"], kwargs["media_type"] = body, "application/json"
    return operation.Case(**kwargs)


def _fuzz(operation, check) -> None:
    """Valid requests (the schema's own values) and invalid ones (wrong types, missing fields, out of range)."""
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode))
        def generated(case):
            check(operation, case)

        try:
            generated()
        except Unsatisfiable:
            assert mode is GenerationMode.NEGATIVE  # an operation with no input has no invalid request


@pytest.mark.slow
@pytest.mark.parametrize("role", ROLES)
def test_no_server_error_and_answers_match_the_schema(server, schema, real, role):
    key = server.create_key(role)[1]  # a bearer key of the role (a session would need CSRF on every change)
    headers = {"Authorization": f"Bearer {key}"}
    failures: list[str] = []
    statuses: Counter = Counter()

    def check(operation, case) -> None:
        response = case.call(base_url=server.base_url, headers=headers, timeout=30)
        statuses[response.status_code // 100] += 1
        try:
            case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
        except Exception as exc:  # collect every failing operation, not only the first
            failures.append(f"{operation.method.upper()} {operation.path} -> {response.status_code}:"
                            f" {str(exc).splitlines()[0][:300]}")

    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIP:
            continue

        _fuzz(operation, check)
        case = _real_case(operation, real)
        if case is not None:
            check(operation, case)
    print(f"schemathesis {role}: {sum(statuses.values())} requests, by status class {dict(statuses)}")
    assert not failures, "\n".join(sorted(set(failures)))
    assert statuses[2] >= 15 and statuses[5] == 0  # routes did real work
    assert httpx.get(f"{server.base_url}/health").json()["status"] == "ok"
    assert "Traceback" not in server.log()
