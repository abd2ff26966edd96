"""Access control of the real server: credentials, roles, sessions, CSRF, lock-out, limits, audit."""

from __future__ import annotations

import re
import sqlite3

import httpx
import pytest
from api_server import publish_empty_run, start_api_server
from fastapi.routing import APIRoute, iter_route_contexts

from api.app import create_app
from api.settings import Settings

# The only routes that answer without a credential (a log-in page would join them).
OPEN_ROUTES = {("GET", "/health"), ("POST", "/api/v1/auth/login"), ("GET", "/login"), ("POST", "/login"),
               ("GET", "/lang/1"),  # the language switch only sets a cookie
               ("GET", "/api/v1/reconcile")}  # the reconciliation manifest (queries need a credential)


def _routes(tmp_path_factory) -> list[tuple[str, str, frozenset[str] | None]]:
    """(method, path with dummy parameters, roles allowed or None for any) of every route of the app."""
    app = create_app(Settings(db=tmp_path_factory.mktemp("routes") / "x.duckdb"))
    out = []

    def roles_of(dependant) -> frozenset[str] | None:
        for dep in dependant.dependencies:
            found = getattr(dep.call, "laolink_roles", None) or roles_of(dep)
            if found:
                return found
        return None

    for route in iter_route_contexts(app.routes):
        if not isinstance(route.original_route, APIRoute):
            continue  # static files and other mounts
        path = re.sub(r"\{[^}]+\}", "1", route.path)
        for method in sorted(route.methods - {"HEAD"}):
            out.append((method, path, roles_of(route.dependant)))
    return out


@pytest.fixture(scope="module")
def routes(tmp_path_factory):
    return _routes(tmp_path_factory)


def _send(client: httpx.Client, method: str, path: str) -> httpx.Response:
    return client.request(method, path, json={} if method in ("POST", "PUT", "PATCH") else None)


def test_health_is_open_and_reports_the_published_run(api_server):
    assert httpx.get(f"{api_server.base_url}/health").json() == {"status": "ok"}  # up or down, nothing more
    forged = httpx.get(f"{api_server.base_url}/health", headers={"Authorization": "Bearer llk_x_y"})
    assert forged.json() == {"status": "ok"}
    body = api_server.client_as("analyst").get("/health").json()
    assert body["status"] == "ok"
    assert body["published_run_id"] == 1
    assert body["counts"]["records"] == 0 and body["version"]


def test_every_other_route_needs_a_credential(api_server, routes):
    assert len(routes) >= 8  # admin routes, auth, openapi: the list is real
    client = api_server.client()
    before = api_server.last_audit_id()
    checked = checked_pages = 0
    for method, path, _ in routes:
        if (method, path) in OPEN_ROUTES:
            continue
        response = _send(client, method, path)
        if not path.startswith("/api/") and response.status_code in (302, 303, 307):
            assert "/login" in response.headers["location"], (method, path)  # pages send people to log in
            checked_pages += 1  # and the refusal is audited like any other
            continue
        checked += 1
        assert response.status_code == 401, (method, path, response.text)
        assert response.json()["error"]["message"]
        assert response.headers["www-authenticate"].startswith("Bearer")
    refused = [r for r in api_server.audit_rows(after=before) if r["outcome"] == "denied" and r["status"] == 401]
    assert len(refused) == checked + checked_pages
    assert all(r["actor_kind"] == "anonymous" and r["client"] == "127.0.0.1" for r in refused)
    # the OpenAPI document too
    assert client.get("/api/v1/openapi.json").status_code == 401


def test_garbage_and_unknown_credentials_are_401(api_server):
    for header in ("Bearer nonsense", "Bearer llk_000000000000_wrong", "Basic YWRtaW46YWRtaW4=", "Bearer"):
        response = api_server.client(headers={"Authorization": header}).get("/api/v1/auth/me")
        assert response.status_code == 401, header
    cookie_client = api_server.client(cookies={"laolink_session": "forged"})
    assert cookie_client.get("/api/v1/auth/me").status_code == 401


@pytest.mark.parametrize("role", ["admin", "steward", "analyst", "system"])
def test_wrong_role_is_403_and_audited(api_server, routes, role):
    client = api_server.client_as(role)
    restricted = [(m, p, roles) for m, p, roles in routes if roles is not None and role not in roles]
    if role != "admin":
        assert restricted, "the admin routes at least are closed to this role"
    before = api_server.last_audit_id()
    for method, path, _ in restricted:
        response = _send(client, method, path)
        assert response.status_code == 403, (role, method, path, response.text)
    denied = [r for r in api_server.audit_rows(after=before) if r["outcome"] == "denied"]
    assert len(denied) == len(restricted)
    assert all(r["role"] == role and r["status"] == 403 for r in denied)


def test_right_role_passes(api_server):
    admin = api_server.client_as("admin")
    response = admin.get("/api/v1/admin/users")
    assert response.status_code == 200
    assert all("password" not in str(user.keys()) for user in response.json())
    assert api_server.client_as("analyst").get("/api/v1/openapi.json").json()["info"]["title"] == "LaoLink"


def test_login_cookie_flags_and_logout(api_server):
    username, password = api_server.add_user("steward")
    client = api_server.client()
    response = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("laolink_session=")
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "SameSite=Strict" in cookie
    assert "Secure" not in cookie  # plain http on localhost without LAOLINK_SECURE_COOKIES
    csrf = response.json()["csrf_token"]
    assert client.get("/api/v1/auth/me").json()["name"] == username
    assert client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert client.get("/api/v1/auth/me").status_code == 401


def test_form_login_redirects_only_to_local_pages(api_server):
    username, password = api_server.add_user("analyst")
    form = {"username": username, "password": password, "next": "/review"}
    response = api_server.client().post("/api/v1/auth/login", data=form)
    assert response.status_code == 303 and response.headers["location"] == "/review"
    form["next"] = "//evil.example/x"
    response = api_server.client().post("/api/v1/auth/login", data=form)
    assert response.status_code == 200  # no open redirect


def test_secure_cookie_when_configured(tmp_path):
    db = tmp_path / "laolink.duckdb"
    publish_empty_run(db)
    with start_api_server(db, env={"LAOLINK_SECURE_COOKIES": "true"}) as server:
        username, password = server.add_user("steward")
        response = server.client().post("/api/v1/auth/login", json={"username": username, "password": password})
        assert "Secure" in response.headers["set-cookie"]


def test_csrf_is_required_on_cookie_posts_but_not_with_keys(api_server):
    username, password = api_server.add_user("admin")
    client = api_server.login(username, password)
    token = client.headers.pop("X-CSRF-Token")
    new_key = {"name": "csrf-test", "role": "system"}
    before = api_server.last_audit_id()
    assert client.post("/api/v1/admin/keys", json=new_key).status_code == 403
    assert client.post("/api/v1/admin/keys", json=new_key, headers={"X-CSRF-Token": "wrong"}).status_code == 403
    denied = api_server.audit_rows(after=before)
    assert [(r["actor"], r["outcome"], r["status"]) for r in denied] == [(username, "denied", 403)] * 2
    assert client.post("/api/v1/admin/keys", json=new_key, headers={"X-CSRF-Token": token}).status_code == 201
    # as a form field
    logout = client.post("/api/v1/auth/logout", data={"csrf_token": token})
    assert logout.status_code == 204
    # bearer keys are not browsers: no CSRF token needed
    admin_key = api_server.client(key=api_server.create_key("admin")[1])
    assert admin_key.post("/api/v1/admin/keys", json=new_key).status_code == 201


def test_lockout_after_repeated_failures(api_server):
    username, password = api_server.add_user("steward")
    client = api_server.client()
    before = api_server.last_audit_id()
    for _ in range(5):
        response = client.post("/api/v1/auth/login", json={"username": username, "password": "wrong-password!"})
        assert response.status_code == 401
    response = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert response.status_code == 429  # even the right password, for the lock-out period
    assert int(response.headers["retry-after"]) > 0
    rows = [r for r in api_server.audit_rows(after=before) if r["action"] == "login"]
    assert [r["status"] for r in rows] == [401] * 5 + [429]
    assert all(r["outcome"] == "denied" and r["actor"] == username for r in rows)
    # another user is not affected
    other, other_password = api_server.add_user("steward")
    assert client.post("/api/v1/auth/login", json={"username": other, "password": other_password}).status_code == 200


def test_per_address_rate_limit(tmp_path):
    db = tmp_path / "laolink.duckdb"
    publish_empty_run(db)
    with start_api_server(db, env={"LAOLINK_LOGIN_MAX_ADDRESS_FAILURES": "3"}) as server:
        username, password = server.add_user("steward")
        client = server.client()
        for n in range(3):  # three different (unknown) names: no per-user lock-out
            assert client.post("/api/v1/auth/login", json={"username": f"x{n}", "password": "p"}).status_code == 401
        response = client.post("/api/v1/auth/login", json={"username": username, "password": password})
        assert response.status_code == 429


def test_disabled_user_and_revoked_key_are_refused_at_once(api_server):
    username, password = api_server.add_user("steward")
    session = api_server.login(username, password)
    key_id, key = api_server.create_key("system")
    bearer = api_server.client(key=key)
    assert session.get("/api/v1/auth/me").status_code == 200
    assert bearer.get("/api/v1/auth/me").status_code == 200
    admin = api_server.client_as("admin")
    assert admin.post(f"/api/v1/admin/users/{username}/disable").json()["disabled_at"]
    assert admin.post(f"/api/v1/admin/keys/{key_id}/revoke").json()["revoked_at"]
    assert session.get("/api/v1/auth/me").status_code == 401
    assert bearer.get("/api/v1/auth/me").status_code == 401
    # and a disabled user cannot log in again
    response = api_server.client().post("/api/v1/auth/login", json={"username": username, "password": password})
    assert response.status_code == 401


def test_keys_are_stored_only_as_hashes(api_server):
    admin = api_server.client_as("admin")
    created = admin.post("/api/v1/admin/keys", json={"name": "hash-test", "role": "system", "sources": ["MOLSW"]})
    assert created.status_code == 201
    key = created.json()["key"]
    secret = key.split("_", 2)[2]
    service_files = api_server.paths.service_db.parent.glob(api_server.paths.service_db.name + "*")  # with -wal
    raw = b"".join(p.read_bytes() for p in service_files)
    assert secret.encode() not in raw and key.encode() not in raw
    listed = admin.get("/api/v1/admin/keys").json()
    assert key not in str(listed)
    me = api_server.client(key=key).get("/api/v1/auth/me").json()
    assert me == {"kind": "key", "name": created.json()["key_id"], "role": "system", "sources": ["MOLSW"],
                  "csrf_token": None, "must_change_password": False}


def test_oversized_body_is_413(api_server):
    client = api_server.client_as("admin")
    big = {"name": "x" * 1_100_000, "role": "system"}
    response = client.post("/api/v1/admin/keys", json=big)
    assert response.status_code == 413
    assert "larger than" in response.json()["error"]["message"]

    def chunks():  # no Content-Length: counted while read
        for _ in range(200):
            yield b"x" * 10_000

    response = client.post("/api/v1/admin/keys", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413


def test_validation_errors_name_the_field(api_server):
    client = api_server.client_as("admin")
    response = client.post("/api/v1/admin/users", json={"username": "bad name!", "role": "steward", "password": "p"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["field"] in ("username", "password") and error["message"]
    response = client.post("/api/v1/admin/keys", content=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 422 and "JSON" in response.json()["error"]["message"]
    response = api_server.client().post("/api/v1/auth/login", json={"username": "x"})
    assert response.status_code == 422 and response.json()["error"]["field"] == "password"
    response = client.get("/api/v1/nowhere")
    assert response.status_code == 404 and "error" in response.json()


def test_new_publish_is_served_without_restart(tmp_path):
    db = tmp_path / "laolink.duckdb"
    with start_api_server(db) as server:
        assert httpx.get(f"{server.base_url}/health").json()["status"] == "unpublished"
        assert "laolink users add admin --role admin" in server.log()  # first start: how to make an admin
        client = server.client(key=server.create_key("system")[1])
        publish_empty_run(db, run_id=7)
        assert client.get("/health").json()["published_run_id"] == 7
        publish_empty_run(db, run_id=8)
        assert client.get("/health").json()["published_run_id"] == 8



def test_security_headers_on_answers(api_server):
    for response in (httpx.get(f"{api_server.base_url}/health"), api_server.client().get("/api/v1/auth/me")):
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["content-security-policy"].startswith("default-src 'self';")


def _published_routes(routes_app) -> list[tuple[str, str, frozenset[str] | None]]:
    from api.deps import published_cursor

    def reads_published(dependant) -> bool:
        return any(dep.call is published_cursor or reads_published(dep) for dep in dependant.dependencies)

    out = []
    for route in iter_route_contexts(routes_app.routes):
        if isinstance(route.original_route, APIRoute) and "GET" in route.methods and reads_published(route.dependant):
            out.append(route)
    return out


def test_data_routes_answer_503_before_anything_is_published(tmp_path, routes):
    app = create_app(Settings(db=tmp_path / "routes.duckdb"))
    data_routes = _published_routes(app)
    if not data_routes:
        pytest.skip("no route reads the published result yet")
    db = tmp_path / "laolink.duckdb"
    with start_api_server(db) as server:
        clients = {}
        for route in data_routes:
            roles = {m_p_r[2] for m_p_r in routes if m_p_r[1] == re.sub(r"\{[^}]+\}", "1", route.path)}
            allowed = next(iter(roles)) or frozenset({"steward"})
            role = sorted(allowed)[0]
            client = clients.setdefault(role, server.client_as(role))
            response = client.get(re.sub(r"\{[^}]+\}", "1", route.path), params={"name": "x"})
            assert response.status_code == 503, (route.path, response.text)
            assert "published" in response.json()["error"]["message"]


def test_allowed_changes_are_audited_and_the_log_is_append_only(api_server):
    admin_name, admin_password = api_server.add_user("admin")
    at_login = api_server.last_audit_id()
    admin = api_server.login(admin_name, admin_password)
    before = api_server.last_audit_id()
    target, _ = api_server.add_user("analyst")
    assert admin.post(f"/api/v1/admin/users/{target}/disable").status_code == 200
    rows = api_server.audit_rows(after=before)
    assert [(r["action"], r["actor"], r["role"], r["outcome"], r["client"]) for r in rows] == [
        ("user.disable", admin_name, "admin", "ok", "127.0.0.1")
    ]
    assert rows[0]["method"] == "POST" and rows[0]["path"] == f"/api/v1/admin/users/{target}/disable"
    with api_server.service() as con:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            con.execute("UPDATE audit SET actor = 'someone else' WHERE audit_id = ?", (rows[0]["audit_id"],))
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            con.execute("DELETE FROM audit WHERE audit_id = ?", (rows[0]["audit_id"],))
    assert api_server.audit_rows(after=before)[0]["actor"] == admin_name
    logins = [r for r in api_server.audit_rows(after=at_login) if r["action"] == "login"]
    assert [(r["actor"], r["outcome"]) for r in logins] == [(admin_name, "ok")]


def test_page_size_is_limited_on_every_paginated_route(api_server, tmp_path, routes):
    from api.deps import pagination

    def paginated(dependant) -> bool:
        return any(dep.call is pagination or paginated(dep) for dep in dependant.dependencies)

    app = create_app(Settings(db=tmp_path / "routes.duckdb"))
    paths = {
        re.sub(r"\{[^}]+\}", "1", r.path)
        for r in iter_route_contexts(app.routes)
        if isinstance(r.original_route, APIRoute) and "GET" in r.methods and paginated(r.dependant)
    }
    if not paths:
        pytest.skip("no paginated route yet")
    for path in sorted(paths):
        roles = next(r for m, p, r in routes if p == path and m == "GET") or frozenset({"steward"})
        client = api_server.client_as(sorted(roles)[0])
        response = client.get(path, params={"page_size": 100_000, "name": "x"})
        assert response.status_code == 422, (path, response.text)
        assert response.json()["error"]["field"] == "page_size"
        assert client.get(path, params={"page": 0, "name": "x"}).json()["error"]["field"] == "page"


def test_unexpected_errors_answer_500_without_details(tmp_path, caplog):
    from fastapi.testclient import TestClient

    app = create_app(Settings(db=tmp_path / "laolink.duckdb"))

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("Somchai Phommavong born 1998-03-15")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    assert response.status_code == 500
    assert response.json() == {"error": {"field": None, "message": "internal error; it has been logged"}}
    assert "Somchai" not in response.text and "Traceback" not in response.text
    assert "RuntimeError" in caplog.text and "Somchai" not in caplog.text  # logged, without the personal data


def test_pages_without_a_session_redirect_to_login(tmp_path):
    from fastapi import Depends
    from fastapi.testclient import TestClient

    from api.deps import page_principal
    from linkage.service.auth import Principal, add_user
    from linkage.service.service_db import connect_service

    settings = Settings(db=tmp_path / "laolink.duckdb")
    app = create_app(settings)

    @app.get("/review")
    def review_page(principal: Principal = Depends(page_principal)) -> dict:
        return {"role": principal.role}

    con = connect_service(settings.paths.service_db)
    add_user(con, "noy", "analyst", "a long enough password", one_time=False)
    con.close()
    with TestClient(app, follow_redirects=False) as client:
        response = client.get("/review")
        assert response.status_code == 303 and response.headers["location"] == "/login?next=%2Freview"
        assert client.post("/api/v1/auth/login", json={"username": "noy", "password": "a long enough password"}
                           ).status_code == 200
        assert client.get("/review").json() == {"role": "analyst"}
