"""Access control as a matrix over EVERY route of the app (enumerated, so a new route or page is covered).

On a real server over a store built by a real nightly run of the demo data: refused credentials
(none, forged cookie, garbage key, disabled user, revoked key) on every route; CSRF on every
state-changing route; source-scoped keys on every route they may call; SQL injection and path
traversal in every path and query parameter; cookie flags and login rate limits on every log-in
route; an audit row for every refusal. Complements tests/test_api_security.py (roles per route).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import quote

import duckdb
import httpx
import pytest
from api_server import start_api_server
from demo_deployment import demo_model, nightly_store
from fastapi.dependencies.utils import get_flat_params
from fastapi.params import Path as PathParam
from fastapi.params import Query as QueryParam
from fastapi.routing import APIRoute, iter_route_contexts

from api.app import create_app
from api.settings import Settings
from linkage.paths import store_paths
from linkage.publishing.publish import current_snapshot

# /lang/{lang} only sets the interface-language cookie (the log-in page has the switch too)
OPEN_ROUTES = {("GET", "/health"), ("POST", "/api/v1/auth/login"), ("GET", "/login"), ("POST", "/login"),
               ("GET", "/lang/{lang}"), ("GET", "/api/v1/reconcile")}  # the last: the reconciliation manifest
SAFE = {"GET", "HEAD", "OPTIONS"}
START_RUN = ("POST", "/api/v1/runs")  # really starts a nightly run: only refusals are tried on it
INJECTIONS = [
    "' OR 1=1 --",
    "'; DROP TABLE records; --",
    '" OR ""="',
    "1; DELETE FROM persons",
    "LA-P-0000001' UNION SELECT full_name, phone FROM records --",
    "../../etc/passwd",
    "..%2F..%2F..%2Fetc%2Fpasswd",
    "%2e%2e/%2e%2e/etc/passwd",
    "..\\..\\..\\windows\\win.ini",
    "/etc/passwd",
    "x\x00y",
    "{{7*7}}${7*7}",
]
LEAKS = ("root:x:0:0", "Traceback", "duckdb.", "sqlite3.", "Binder Error", "Parser Error", "syntax error",
         "[extensions]")
ERROR_LEAKS = ("/work/", "/tmp/", "/home/")  # server paths in an error answer (a run report lists its files)


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # with {name} placeholders
    roles: frozenset[str] | None  # None: any authenticated principal
    path_params: tuple[str, ...]
    query_params: tuple[str, ...]

    @property
    def is_page(self) -> bool:
        return not self.path.startswith("/api/") and self.path != "/health"


def _roles_of(dependant) -> frozenset[str] | None:
    for dep in dependant.dependencies:
        found = getattr(dep.call, "laolink_roles", None) or _roles_of(dep)
        if found:
            return found
    return None


def app_routes(tmp_path_factory) -> list[Route]:
    """Every (method, route) of the app as built by create_app, pages included."""
    app = create_app(Settings(db=tmp_path_factory.mktemp("matrix-routes") / "x.duckdb"))
    out = []
    for ctx in iter_route_contexts(app.routes):
        if not isinstance(ctx.original_route, APIRoute):
            continue
        params = get_flat_params(ctx.dependant)
        path_params = tuple(p.alias for p in params if isinstance(p.field_info, PathParam))
        query_params = tuple(dict.fromkeys(p.alias for p in params if isinstance(p.field_info, QueryParam)))
        for method in sorted(ctx.methods - {"HEAD"}):
            out.append(Route(method, ctx.path, _roles_of(ctx.dependant), path_params, query_params))
    return out


@pytest.fixture(scope="module")
def routes(tmp_path_factory) -> list[Route]:
    found = app_routes(tmp_path_factory)
    assert len(found) >= 20  # the list is real
    return found


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    base = tmp_path_factory.mktemp("matrix")
    db = nightly_store(base, demo_model())
    with start_api_server(db) as srv:
        yield srv


@pytest.fixture(scope="module")
def real(server) -> dict[str, str]:
    """Real values for path parameters, and what a scoped-key test needs."""
    snapshot = duckdb.connect(str(current_snapshot(store_paths(server.db))), read_only=True)
    try:
        person, source = snapshot.execute(
            "SELECT rp.person_id, min(r.source) FROM record_person rp JOIN records r USING (rid)"
            " GROUP BY rp.person_id HAVING count(DISTINCT r.source) >= 3 ORDER BY rp.person_id LIMIT 1"
        ).fetchall()[0]
        (item,) = snapshot.execute("SELECT min(item_id) FROM review_queue WHERE kind = 'pair'").fetchall()[0]
        (cross_item,) = snapshot.execute(
            "SELECT min(q.item_id) FROM review_queue q JOIN records a ON a.rid = q.rid_l JOIN records b"
            " ON b.rid = q.rid_r WHERE q.kind = 'pair' AND (a.source = ?) <> (b.source = ?)", [source, source]
        ).fetchall()[0]
        (run,) = snapshot.execute("SELECT run_id FROM snapshot_info").fetchall()[0]
    finally:
        snapshot.close()
    username, _ = server.add_user("analyst")
    key_id, _ = server.create_key("system")
    return {"person_id": person, "item_id": str(item), "run_id": str(run), "username": username,
            "key_id": key_id, "source": source, "cross_item": str(cross_item)}


def fill(route: Route, values: dict[str, str], **override: str) -> str:
    return re.sub(r"\{([^}]+)\}", lambda m: override.get(m.group(1), values.get(m.group(1), "1")), route.path)


def send(client: httpx.Client, route: Route, path: str, *, form: bool = False, **kwargs) -> httpx.Response:
    if route.method in SAFE:
        return client.request(route.method, path, **kwargs)
    if form:
        return client.request(route.method, path, data={"x": "1"}, **kwargs)
    return client.request(route.method, path, json={}, **kwargs)


def role_for(route: Route) -> str:
    return "admin" if route.roles is None or "admin" in route.roles else sorted(route.roles)[0]


def refused_as_anonymous(route: Route, response: httpx.Response) -> bool:
    if route.is_page and response.status_code in (302, 303, 307):
        return "/login" in response.headers["location"]
    return (response.status_code == 401 and bool(response.json()["error"]["message"])
            and response.headers["www-authenticate"].startswith("Bearer"))


def no_leak(response: httpx.Response) -> None:
    assert response.status_code < 500, (response.request.url, response.status_code, response.text[:500])
    for marker in LEAKS + (ERROR_LEAKS if response.status_code >= 400 else ()):
        assert marker not in response.text, (response.request.url, marker, response.text[:500])


# ---------------------------------------------------------------- refused credentials


def _credential(server, kind: str) -> httpx.Client:
    if kind == "none":
        return server.client()
    if kind == "forged-cookie":
        return server.client(cookies={"laolink_session": "forged-" + "A" * 40})
    if kind == "garbage-key":
        return server.client(key="llk_000000000000_" + "x" * 32)
    if kind == "revoked-key":
        key_id, key = server.create_key("admin")
        client = server.client(key=key)
        assert client.get("/api/v1/auth/me").status_code == 200
        assert server.client_as("admin").post(f"/api/v1/admin/keys/{key_id}/revoke").status_code == 200
        return client
    if kind == "disabled-user":
        username, password = server.add_user("admin")
        client = server.login(username, password)
        assert client.get("/api/v1/auth/me").status_code == 200
        assert server.client_as("admin").post(f"/api/v1/admin/users/{username}/disable").status_code == 200
        return client
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["none", "forged-cookie", "garbage-key", "revoked-key", "disabled-user"])
def test_refused_credentials_on_every_route_are_401_and_audited(server, routes, real, kind):
    client = _credential(server, kind)  # revocation and disabling take effect on the very next request
    before = server.last_audit_id()
    checked = 0
    for route in routes:
        if (route.method, route.path) in OPEN_ROUTES:
            continue
        response = send(client, route, fill(route, real))
        assert refused_as_anonymous(route, response), (kind, route, response.status_code, response.text[:300])
        checked += response.status_code == 401 or route.is_page  # a page's redirect to log in is a refusal too
    refused = [r for r in server.audit_rows(after=before) if r["outcome"] == "denied" and r["status"] == 401]
    assert checked > 15 and len(refused) == checked, (kind, checked, len(refused))
    assert all(r["client"] == "127.0.0.1" and r["person_ids"] == [] for r in refused)


# ---------------------------------------------------------------- CSRF


def test_csrf_is_enforced_on_every_state_changing_route(server, routes, real):
    changing = [r for r in routes if r.method not in SAFE and (r.method, r.path) not in OPEN_ROUTES]
    assert len(changing) >= 8
    sessions: dict[str, httpx.Client] = {}
    before = server.last_audit_id()
    sent = 0
    for route in changing:
        role = role_for(route)
        client = sessions.setdefault(role, server.client_as(role))
        token = client.headers.pop("X-CSRF-Token", None) or sessions[role + "-token"]
        sessions[role + "-token"] = token
        path = fill(route, real)
        for headers, form in (({}, False), ({}, True), ({"X-CSRF-Token": "wrong"}, False),
                              ({"X-CSRF-Token": token[:-1]}, False)):
            response = send(client, route, path, form=form, headers=headers)
            assert response.status_code == 403, (route, headers, form, response.status_code, response.text[:300])
            sent += 1
    denied = [r for r in server.audit_rows(after=before) if r["outcome"] == "denied"]
    assert len(denied) == sent and all(r["status"] == 403 for r in denied)
    assert all(json.loads(r["detail"])["reason"] == "csrf" for r in denied)
    # nothing changed: the key revoked above and the user disabled above are untouched by refused requests
    me = server.client(key=server.create_key("admin")[1]).get("/api/v1/admin/users").json()
    assert next(u for u in me if u["username"] == real["username"])["disabled_at"] is None


# ---------------------------------------------------------------- one-time passwords (issue #20 row 5)

ONE_TIME_OPEN = {("GET", "/api/v1/auth/me"), ("POST", "/api/v1/auth/password"), ("POST", "/api/v1/auth/logout"),
                 ("GET", "/password"), ("POST", "/password"), ("POST", "/logout")}


@pytest.mark.parametrize("role", ["admin", "steward", "analyst"])
def test_a_one_time_password_opens_only_the_password_change_on_every_route(server, routes, real, role):
    username, password = server.add_user(role, one_time=True)
    client = server.login(username, password)
    assert client.get("/api/v1/auth/me").json()["must_change_password"] is True
    before = server.last_audit_id()
    refused = 0
    for route in routes:
        if (route.method, route.path) in OPEN_ROUTES | ONE_TIME_OPEN:
            continue
        response = send(client, route, fill(route, real))
        if route.is_page:  # a page sends the browser to the form, which then returns to the page
            assert response.status_code == 303, (route, response.status_code, response.text[:300])
            assert response.headers["location"].startswith("/password?next="), route
        else:
            assert response.status_code == 403, (route, response.status_code, response.text[:300])
            assert "one-time" in response.json()["error"]["message"], route
        refused += 1
    rows = server.audit_rows(after=before)
    assert refused > 20 and len(rows) == refused
    assert all(json.loads(r["detail"])["reason"] == "one-time-password" for r in rows)
    page = client.get("/password", params={"next": "/queue"})
    assert page.status_code == 200 and 'name="new_password"' in page.text
    new = "a river of paper boats"
    for current, new_password, status in ((password + "x", new, 403), (password, "123456789012", 422),
                                          (password, password, 422)):
        answer = client.post("/api/v1/auth/password", json={"current_password": current,
                                                            "new_password": new_password})
        assert answer.status_code == status, (current, new_password, answer.text)
    assert client.post("/api/v1/auth/password", json={"current_password": password,
                                                      "new_password": new}).status_code == 204
    assert client.get("/api/v1/auth/me").json()["must_change_password"] is False
    assert client.get("/runs").status_code == 200 and client.get("/api/v1/runs").status_code == 200  # open now
    assert server.login(username, new).get("/api/v1/auth/me").json()["must_change_password"] is False


# ---------------------------------------------------------------- source-scoped keys


def _other_sources_personal_values(server, source: str) -> set[str]:
    """Personal values that only records of other sources hold (so may never reach a key scoped to ``source``)."""
    columns = ("full_name", "given_name", "family_name", "date_of_birth", "phone", "id_number", "village",
               "phone_e164", "id_number_std", "CAST(dob AS VARCHAR)")
    snapshot = duckdb.connect(str(current_snapshot(store_paths(server.db))), read_only=True)
    try:
        def values(where: str) -> set[str]:
            out: set[str] = set()
            for c in columns:
                out |= {v for (v,) in snapshot.execute(f"SELECT DISTINCT {c} FROM records WHERE {where}",
                                                       [source]).fetchall() if v and len(v) >= 6}
            return out

        own = "\n".join(values("source = ?"))
        places = {v for (v,) in snapshot.execute(  # a village may share its name with a district: not personal
            "SELECT DISTINCT province FROM records UNION SELECT DISTINCT district FROM records").fetchall() if v}
        return {v for v in values("source <> ?") if v not in own and v not in places}  # own: '2055551234' in +856...
    finally:
        snapshot.close()


def _reads(client: httpx.Client, role: str, routes: list[Route], real: dict[str, str], source: str
           ) -> list[httpx.Response]:
    """Every data route ``role`` may call, with real values: the answers that could carry personal fields."""
    name = "ບົວສີ"
    calls = []
    for route in routes:
        if route.roles is not None and role not in route.roles or route.is_page:
            continue
        if route.path.startswith("/api/v1/admin") or route.path.endswith("/logout") \
                or (route.method, route.path) in OPEN_ROUTES | {START_RUN}:
            continue
        path = fill(route, real)
        if route.path == "/api/v1/persons/{person_id}":
            calls += [client.get(path)]
        elif route.path == "/api/v1/persons":
            calls += [client.get(path, params={"name": n}) for n in ("Bouasy", name, "Khamla", "Somphone")]
        elif route.path == "/api/v1/match":
            calls += [client.post(path, json={"source": source, "record_id": "probe-1", "full_name": "Bouasy"})]
        elif route.path == "/api/v1/review/pairs/{item_id}":
            calls += [client.get(fill(route, real, item_id=real["cross_item"]))]
        elif route.path == "/api/v1/review/queue":
            calls += [client.get(path, params={"page_size": 200})]
        elif route.path == "/api/v1/reconcile":
            queries = json.dumps({"q0": {"query": "Bouasy"}, "q1": {"query": name}})
            calls += [client.request(route.method, path, params={"queries": queries})]
        else:
            calls += [send(client, route, path)]
    assert len(calls) >= 6
    answered = [c for c in calls if c.status_code == 200]
    assert len(answered) >= 5, [(c.request.url, c.status_code, c.text[:200]) for c in calls]
    for response in calls:
        no_leak(response)
    return calls


def _leaks(calls: list[httpx.Response], forbidden: set[str]) -> None:
    for response in calls:
        leaked = [v for v in forbidden if v in response.text]
        assert not leaked, (response.request.url, leaked[:5])


@pytest.mark.parametrize("role", ["system", "steward", "analyst", "admin"])
def test_source_scoped_key_sees_no_other_sources_personal_fields(server, routes, real, role):
    source = real["source"]
    forbidden = _other_sources_personal_values(server, source)
    assert len(forbidden) > 100
    calls = _reads(server.client_as(role, sources=[source]), role, routes, real, source)
    _leaks(calls, forbidden)
    # the person has records of other sources: they are listed, but without personal fields
    body = next(c for c in calls if c.request.url.path.endswith(real["person_id"])).json()
    others = [r for r in body["records"] if r["source"] != source]
    assert others and all(r.get("full_name") is None and r.get("phone") is None for r in others)


@pytest.mark.parametrize("role", ["analyst", "admin"])
def test_masked_roles_see_no_whole_personal_value_anywhere(server, routes, real, role):
    forbidden = _other_sources_personal_values(server, "(no such source)")  # every record's values
    assert len(forbidden) > 300
    _leaks(_reads(server.client_as(role), role, routes, real, real["source"]), forbidden)


# ---------------------------------------------------------------- injection and traversal


def test_injection_and_traversal_in_every_parameter_are_harmless(server, routes, real):
    snapshot_file = current_snapshot(store_paths(server.db))

    def counts() -> tuple:
        snap = duckdb.connect(str(snapshot_file), read_only=True)
        try:
            published = tuple(snap.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]
                              for t in ("records", "persons", "record_person", "review_queue"))
        finally:
            snap.close()
        with server.service() as con:
            service = tuple(con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]
                            for t in ("users", "api_keys", "decisions"))
            disabled = con.execute("SELECT count(*) FROM users WHERE disabled_at IS NOT NULL").fetchall()[0][0]
        return published, service, disabled

    before = counts()
    clients: dict[str, httpx.Client] = {}
    tried = 0
    for route in routes:
        if (route.method, route.path) in OPEN_ROUTES | {START_RUN}:
            continue
        role = role_for(route)
        client = clients.setdefault(role, server.client_as(role) if role != "system" else
                                    server.client_as("system"))
        for payload in INJECTIONS:
            for name in route.path_params:
                for encoded in (quote(payload, safe=""), payload.replace("\x00", "%00")):
                    response = send(client, route, fill(route, real, **{name: encoded}))
                    no_leak(response)
                    tried += 1
            for name in (*route.query_params, *(("queries",) if route.path.endswith("/reconcile") else ())):
                params = {"name": "Bouasy"} if route.path == "/api/v1/persons" else {}
                params[name] = payload
                response = send(client, route, fill(route, real), params=params)
                no_leak(response)
                tried += 1
                if route.path == "/api/v1/persons" and response.status_code == 200:
                    assert response.json()["page"]["total"] < before[0][1] // 2  # not "every person"
    assert tried > 150
    published, service, disabled = counts()
    assert published == before[0]  # tables intact
    assert service[2] == before[1][2] and disabled == before[2]  # no decision made, nobody disabled
    assert httpx.get(f"{server.base_url}/health").json()["status"] == "ok"


def _bodies(real: dict[str, str], source_record: tuple[str, str, str, str]) -> dict[str, dict]:
    """A valid JSON body for every route that takes one (a new such route must be added here)."""
    sl, rl, sr, rr = source_record
    return {
        "/api/v1/auth/login": {"username": "nobody-here", "password": "not-a-password"},
        "/api/v1/admin/users": {"username": "inj-user", "role": "analyst", "password": "a-long-password-1"},
        "/api/v1/admin/keys": {"name": "inj-key", "role": "system", "sources": [real["source"]]},
        "/api/v1/match": {"source": sl, "record_id": "inj-probe", "full_name": "Bouasy", "phone": "020 5555 0101"},
        "/api/v1/decisions": {"source_l": sl, "record_id_l": rl, "source_r": sr, "record_id_r": rr,
                              "judgement": "unsure", "note": "base"},
        "/api/v1/reconcile": {"queries": {"q0": {"query": "Bouasy"}}},
        "/api/v1/auth/password": {"current_password": "not-the-password", "new_password": "a river of paper boats"},
    }


def test_injection_in_every_json_body_field_is_harmless(server, routes, real):
    snapshot = duckdb.connect(str(current_snapshot(store_paths(server.db))), read_only=True)
    try:
        records = snapshot.execute("SELECT source, record_id FROM records ORDER BY source, record_id").fetchall()
        (published_records,) = snapshot.execute("SELECT count(*) FROM records").fetchall()[0]
    finally:
        snapshot.close()
    admin = server.client(key=server.create_key("admin")[1])
    posters = {"/api/v1/decisions": server.client(key=server.create_key("steward")[1])}  # stewards decide
    takes_body = {r.path for r in routes if r.method == "POST" and not r.path_params and not r.is_page
                  and r.path not in ("/api/v1/auth/logout", "/api/v1/runs")}
    pair_index = iter(range(0, len(records) - 1, 2))
    tried = notes_stored = 0
    for path in sorted(takes_body):
        for payload in INJECTIONS:
            i = next(pair_index)
            bodies = _bodies(real, (*records[i], *records[i + 1]))
            assert path in bodies, f"add a body for {path} to _bodies"
            for field_name in [k for k, v in bodies[path].items() if isinstance(v, str)]:
                body = dict(bodies[path], **{field_name: payload})
                response = posters.get(path, admin).post(path, json=body)
                no_leak(response)
                tried += 1
                if path == "/api/v1/decisions" and response.status_code == 201 and field_name == "note":
                    decision = response.json()["decision_id"]
                    with server.service() as con:
                        stored = con.execute("SELECT note FROM decisions WHERE decision_id = ?",
                                             (decision,)).fetchall()
                    assert stored == [(payload,)]  # stored as given, never interpreted
                    notes_stored += 1
    assert tried > 100 and notes_stored == len(INJECTIONS)
    snapshot = duckdb.connect(str(current_snapshot(store_paths(server.db))), read_only=True)
    try:
        assert snapshot.execute("SELECT count(*) FROM records").fetchall()[0][0] == published_records
    finally:
        snapshot.close()
    with server.service() as con:
        assert con.execute("SELECT count(*) FROM users WHERE username LIKE '%DROP%' OR username LIKE '%''%'"
                           ).fetchall()[0][0] == 0  # usernames are validated, never SQL


# ---------------------------------------------------------------- cookies and log-in


def _login_routes(routes: list[Route]) -> list[Route]:
    found = [r for r in routes if r.method == "POST" and r.path.endswith("/login")]
    assert found
    return found


@pytest.mark.parametrize("secure", ["0", "1"])
def test_session_cookie_flags_on_every_login_route(tmp_path, routes, secure):
    from api_server import publish_empty_run

    db = tmp_path / "laolink.duckdb"
    publish_empty_run(db)
    with start_api_server(db, env={"LAOLINK_SECURE_COOKIES": secure}) as srv:
        for route in _login_routes(routes):
            for form in (True,) if route.is_page else (False, True):  # a page's log-in is a form
                username, password = srv.add_user("steward")
                fields = {"username": username, "password": password}
                client = srv.client()
                response = (client.post(route.path, data=fields) if form else client.post(route.path, json=fields))
                assert response.status_code in (200, 303), (route, form, response.text[:300])
                cookie = response.headers["set-cookie"]
                flags = {f.strip().split("=")[0].lower(): f.strip() for f in cookie.split(";")}
                assert "httponly" in flags and flags["samesite"].lower() == "samesite=strict", cookie
                assert ("secure" in flags) == (secure == "1"), cookie


def test_login_is_rate_limited_on_every_login_route_and_refusals_are_audited(server, routes):
    for route in _login_routes(routes):
        username, password = server.add_user("steward")
        client = server.client()
        before = server.last_audit_id()
        how = "data" if route.is_page else "json"  # a page's log-in is a form
        for _ in range(5):
            response = client.post(route.path, **{how: {"username": username, "password": "not-the-password"}})
            assert response.status_code in (401, 200) and "set-cookie" not in response.headers
        response = client.post(route.path, **{how: {"username": username, "password": password}})
        assert response.status_code == 429 and "set-cookie" not in response.headers, route
        rows = [r for r in server.audit_rows(after=before) if r["action"] == "login"]
        assert [(r["outcome"], r["status"]) for r in rows] == [("denied", 401)] * 5 + [("denied", 429)]
