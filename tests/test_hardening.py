"""Issue #20's probes as tests, on a real server over a real nightly run of the demo data.

Row 1/1b: a masked or source-limited principal learns nothing about a field it cannot see, so answers
that differ only in a guessed hidden value (365 birth dates, a phone number) are identical.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import httpx
import pytest
from api_server import start_api_server
from demo_deployment import demo_model, nightly_store

from linkage.paths import store_paths
from linkage.publishing.publish import current_snapshot


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db = nightly_store(tmp_path_factory.mktemp("hardening"), demo_model())
    with start_api_server(db) as srv:
        yield srv


@pytest.fixture(scope="module")
def target(server) -> dict:
    """A published record with a full birth date and a phone, and a source other than its own."""
    snapshot = duckdb.connect(str(current_snapshot(store_paths(server.db))), read_only=True)
    try:
        cur = snapshot.execute(
            "SELECT r.source, r.record_id, r.full_name, r.dob, r.phone, r.phone_e164 FROM records r"
            " JOIN record_person USING (rid) WHERE r.dob IS NOT NULL AND r.phone_e164 IS NOT NULL"
            " AND r.full_name IS NOT NULL ORDER BY r.source, r.record_id LIMIT 1")
        names = [d[0] for d in cur.description]
        record = dict(zip(names, cur.fetchone(), strict=True))
        (other,) = snapshot.execute("SELECT min(source) FROM records WHERE source <> ?",
                                    [record["source"]]).fetchone()
    finally:
        snapshot.close()
    return {**record, "other_source": other}


def _days(year: int) -> list[str]:
    first = dt.date(year, 1, 1)
    return [(first + dt.timedelta(days=i)).isoformat() for i in range((dt.date(year + 1, 1, 1) - first).days)]


def _distinct(responses: list[httpx.Response]) -> set[tuple[int, str]]:
    return {(r.status_code, r.text) for r in responses}


@pytest.mark.parametrize("scope", ["analyst", "other-source"])
def test_birth_date_guesses_by_search_give_identical_answers(server, target, scope):
    client = server.client_as("analyst") if scope == "analyst" else \
        server.client_as("system", sources=[target["other_source"]])
    answers = [client.get("/api/v1/persons", params={"name": target["full_name"], "dob": day})
               for day in _days(target["dob"].year)]
    assert all(a.status_code == 200 for a in answers), answers[0].text
    assert len(_distinct(answers)) == 1  # the true day scores no differently from the other 364
    if scope == "analyst":
        assert answers[0].json()["page"]["total"] >= 1  # the person is found (by name and birth year)


def test_phone_guesses_by_search_give_identical_answers(server, target):
    analyst = server.client_as("analyst")
    true, wrong = target["phone_e164"], target["phone_e164"][:-1] + str((int(target["phone_e164"][-1]) + 1) % 10)
    answers = [analyst.get("/api/v1/persons", params={"phone": p}) for p in (true, wrong)]
    answers += [analyst.get("/api/v1/persons", params={"name": target["full_name"], "phone": p}) for p in (true, wrong)]
    assert len(_distinct(answers[:2])) == 1 and len(_distinct(answers[2:])) == 1
    assert answers[0].status_code == 422 and answers[0].json()["error"]["field"] == "phone"
    scoped = server.client_as("system", sources=[target["other_source"]])
    found = [scoped.get("/api/v1/persons", params={"phone": p}).text for p in (true, wrong)]
    assert found[0] == found[1]


def test_search_by_a_source_limited_key_finds_its_own_sources_records_only(server, target):
    scoped = server.client_as("system", sources=[target["other_source"]])
    for name in (target["full_name"], "Bouasy", "Khamla", "Somphone"):
        body = scoped.get("/api/v1/persons", params={"name": name}).json()
        assert all(h["best_record"]["source"] == target["other_source"] for h in body["items"]), name


@pytest.mark.parametrize("sources", [["NO-SUCH-SOURCE"], "other"])
def test_birth_date_and_phone_guesses_by_match_reveal_nothing_outside_the_keys_sources(server, target, sources):
    scope = [target["other_source"]] if sources == "other" else sources
    client = server.client_as("system", sources=scope)
    probe = {"full_name": target["full_name"]}
    answers = [client.post("/api/v1/match", json={**probe, "date_of_birth": day})
               for day in _days(target["dob"].year)]
    answers += [client.post("/api/v1/match", json={**probe, "phone": p})
                for p in (target["phone"], "020 0000 0000")]
    assert all(a.status_code == 200 for a in answers), answers[0].text
    for answer in answers:
        assert all(p["source"] in scope for p in answer.json()["persons"])
    if sources != "other":  # nothing in scope: every answer is the same empty one
        assert len(_distinct(answers)) == 1 and answers[0].json()["candidates_scored"] == 0
    # the same probes by a key that sees every source do find the record (so the probe is real)
    full = server.client_as("system").post("/api/v1/match", json={**probe, "date_of_birth": str(target["dob"])})
    assert (target["source"], target["record_id"]) in {(p["source"], p["record_id"]) for p in full.json()["persons"]}


def test_admins_see_records_masked_so_may_not_match(server):
    response = server.client_as("admin").post("/api/v1/match", json={"full_name": "Bouasy"})
    assert response.status_code == 403


# ---------------------------------------------------------------- row 7: answers that were 500s


def test_scoped_steward_key_on_a_person_page_with_other_sources_records(server, target):
    snapshot = duckdb.connect(str(current_snapshot(store_paths(server.db))), read_only=True)
    try:
        (person,) = snapshot.execute(
            "SELECT rp.person_id FROM record_person rp JOIN records r USING (rid) GROUP BY rp.person_id"
            " HAVING count(DISTINCT r.source) >= 2 ORDER BY rp.person_id LIMIT 1").fetchone()
    finally:
        snapshot.close()
    client = server.client_as("steward", sources=[target["other_source"]])
    page = client.get(f"/persons/{person}")
    assert page.status_code == 200 and "<svg" in page.text


def test_deeply_nested_json_is_a_4xx(server):
    nested = "[" * 5000 + "]" * 5000
    headers = {"content-type": "application/json"}
    answers = [server.client().post("/api/v1/auth/login", content=nested, headers=headers)]
    steward = server.client_as("steward")
    answers += [steward.post(path, content=nested, headers=headers)
                for path in ("/api/v1/reconcile", "/api/v1/match", "/api/v1/decisions")]
    answers += [steward.get("/api/v1/reconcile", params={"queries": nested})]
    for answer in answers:
        assert answer.status_code in (400, 422), (answer.request.url, answer.status_code, answer.text[:200])
        assert answer.json()["error"]["message"]


def test_huge_page_numbers_are_a_422(server):
    analyst = server.client_as("analyst")
    for path in ("/queue", "/api/v1/review/queue", "/api/v1/runs"):
        answer = analyst.get(path, params={"page": "100000000000000000000"})
        assert answer.status_code == 422, (path, answer.status_code, answer.text[:200])


# ---------------------------------------------------------------- row 8: run reports


def test_run_reports_name_files_only_for_non_admins(tmp_path):
    import json

    from api.queries.runs import get_run

    con = duckdb.connect(str(tmp_path / "runs.duckdb"))
    report = {"files": [{"path": "/srv/laolink/inbox/molsw.csv", "status": "rejected",
                         "reason": "cannot read /srv/laolink/inbox/molsw.csv: not UTF-8 (line 3)"}],
              "error": "see /srv/laolink/.work/run-5/log.txt", "rows": 12}
    con.execute("CREATE TABLE runs (run_id INTEGER, started_at VARCHAR, finished_at VARCHAR, status VARCHAR,"
                " model_version VARCHAR, report VARCHAR)")
    con.execute("INSERT INTO runs VALUES (5, 'a', 'b', 'ok', 'm', ?)", [json.dumps(report)])
    shown = get_run(con, 5)["report"]
    assert "/srv" not in json.dumps(shown)
    assert shown["files"][0] == {"path": "molsw.csv", "status": "rejected",
                                 "reason": "cannot read molsw.csv: not UTF-8 (line 3)"}
    assert shown["error"] == "see log.txt" and shown["rows"] == 12
    assert get_run(con, 5, with_paths=True)["report"] == report


# ---------------------------------------------------------------- rows 6 and 11: CSP, origin, system users


def test_every_page_has_a_content_security_policy_and_no_inline_script(server, target):
    snapshot = duckdb.connect(str(current_snapshot(store_paths(server.db))), read_only=True)
    try:
        (person,) = snapshot.execute("SELECT min(person_id) FROM record_person").fetchone()
        (item,) = snapshot.execute("SELECT min(item_id) FROM review_queue WHERE kind = 'pair'").fetchone()
    finally:
        snapshot.close()
    steward = server.client_as("steward")
    pages = ["/queue", "/search?q=Bouasy", "/runs", f"/persons/{person}", f"/pairs/{item}", "/nowhere", "/docs",
             "/password"]
    answers = [steward.get(p) for p in pages] + [server.client().get("/login")]
    for answer in answers:
        policy = answer.headers["content-security-policy"]
        assert "default-src 'self'" in policy and "unsafe-inline" not in policy, answer.request.url
        html = answer.text.lower()
        assert "<style" not in html and " style=" not in html and " onclick=" not in html, answer.request.url
        assert html.count("<script") == html.count("<script src="), answer.request.url


def test_login_from_another_sites_page_is_refused(server):
    username, password = server.add_user("steward")
    fields = {"username": username, "password": password}
    for origin in ("https://evil.example", "null", "http://127.0.0.1.evil.example"):
        api = server.client().post("/api/v1/auth/login", json=fields, headers={"Origin": origin})
        page = server.client().post("/login", data=fields, headers={"Origin": origin})
        for answer in (api, page):
            assert answer.status_code == 403 and "set-cookie" not in answer.headers, (origin, answer.text[:200])
    for site in ("cross-site", "same-site"):  # what browsers say of the page that posted, whatever the Origin
        for path, body in (("/api/v1/auth/login", {"json": fields}), ("/login", {"data": fields})):
            answer = server.client().post(path, **body, headers={"Sec-Fetch-Site": site, "Origin": "null"})
            assert answer.status_code == 403 and "set-cookie" not in answer.headers, (site, path)
    own = server.base_url
    assert server.client().post("/api/v1/auth/login", json=fields, headers={"Origin": own}).status_code == 200
    assert server.client().post("/api/v1/auth/login", json=fields).status_code == 200  # a script sends no Origin
    # Our own form under Referrer-Policy no-referrer: Chromium sends Origin null and Sec-Fetch-Site same-origin.
    same = server.client().post("/login", data=fields, headers={"Origin": "null", "Sec-Fetch-Site": "same-origin"})
    assert same.status_code in (200, 303) and "set-cookie" in same.headers


def test_the_system_role_is_for_keys_only(server):
    from linkage.errors import LaoLinkError

    with pytest.raises(LaoLinkError, match="API keys only"):
        server.add_user("system")
    admin = server.client_as("admin")
    answer = admin.post("/api/v1/admin/users", json={"username": "sys-user", "role": "system",
                                                     "password": "a-long-password-1"})
    assert answer.status_code in (400, 422) and "API keys only" in answer.json()["error"]["message"]
    assert server.client_as("system").get("/api/v1/auth/me").json()["kind"] == "key"


# ---------------------------------------------------------------- row 4: proxy headers


@pytest.mark.parametrize("trusted", ["", "127.0.0.1"])
def test_forwarded_addresses_count_only_from_trusted_proxies(tmp_path, trusted):
    from api_server import publish_empty_run

    db = tmp_path / "laolink.duckdb"
    publish_empty_run(db)
    env = {"LAOLINK_LOGIN_MAX_ADDRESS_FAILURES": "3", "LAOLINK_TRUSTED_PROXIES": trusted}
    with start_api_server(db, env=env) as srv:
        forged = {"X-Forwarded-For": "192.0.2.10"}
        before = srv.last_audit_id()
        for i in range(3):
            srv.client().post("/api/v1/auth/login", json={"username": f"nobody{i}", "password": "wrong-password!"})
        username, password = srv.add_user("steward")
        answer = srv.client().post("/api/v1/auth/login", json={"username": username, "password": password},
                                   headers=forged)
        clients = [r["client"] for r in srv.audit_rows(after=before)]
        if trusted:  # behind a trusted proxy the forwarded address is the client's: a new address, let in
            assert answer.status_code == 200 and clients[-1] == "192.0.2.10"
        else:  # the header is ignored: the address limit still applies, the audit log holds the real address
            assert answer.status_code == 429 and set(clients) == {"127.0.0.1"}


# ---------------------------------------------------------------- row 5: password policy on every way in


def test_weak_passwords_are_refused_by_the_admin_api_and_the_cli(server):
    import subprocess
    import sys

    admin = server.client_as("admin")
    for password in ("aaaaaaaaaaaa", " " * 12, "\u200b" * 12, "\x00" * 12, "123456789012", "weak-user-1x"):
        answer = admin.post("/api/v1/admin/users", json={"username": "weak-user-1x", "role": "analyst",
                                                         "password": password})
        assert answer.status_code in (400, 422), (password, answer.status_code)
        cli = subprocess.run([sys.executable, "-m", "linkage", "users", "add", "weak-user-1x", "--role", "analyst",
                              "--password-stdin", "--db", str(server.db)], input=password + "\n",
                             capture_output=True, text=True)
        assert cli.returncode != 0 and "password" in (cli.stdout + cli.stderr), (password, cli.stderr[-300:])
    with server.service() as con:
        assert con.execute("SELECT count(*) FROM users WHERE username LIKE 'weak-user-%'").fetchone()[0] == 0


# ---------------------------------------------------------------- row 5: change, reset, one-time passwords


def test_a_user_an_admin_adds_has_a_one_time_password_and_the_page_asks_for_a_new_one(server):
    admin = server.client_as("admin")
    username, password = "first-timer", "handed over in person"
    assert admin.post("/api/v1/admin/users", json={"username": username, "role": "steward",
                                                   "password": password}).status_code == 201
    listed = {u["username"]: u for u in admin.get("/api/v1/admin/users").json()}
    assert listed[username]["one_time_login"] is True
    browser = server.client()
    answer = browser.post("/login", data={"username": username, "password": password, "next": "/runs"})
    assert answer.status_code == 303 and answer.headers["location"] == "/password?next=%2Fruns"
    assert browser.get("/queue").headers["location"] == "/password?next=%2Fqueue"
    form = browser.get("/password", params={"next": "/runs"})
    csrf = form.text.split('name="csrf_token" value="')[1].split('"')[0]
    fields = {"csrf_token": csrf, "current_password": password, "next": "/runs"}
    differ = browser.post("/password", data={**fields, "new_password": "a river of paper boats",
                                             "repeat_password": "a river of paper boat"})
    weak = browser.post("/password", data={**fields, "new_password": "qwertyuiop[]", "repeat_password": "qwertyuiop[]"})
    assert (differ.status_code, weak.status_code) == (422, 422) and "commonest" in weak.text
    done = browser.post("/password", data={**fields, "new_password": "a river of paper boats",
                                           "repeat_password": "a river of paper boats"})
    assert done.status_code == 303 and done.headers["location"] == "/runs"
    assert browser.get("/runs").status_code == 200
    assert {u["username"]: u for u in admin.get("/api/v1/admin/users").json()}[username]["one_time_login"] is False


def test_an_admin_resets_a_password_by_api_and_cli_to_a_one_time_one(server):
    import subprocess
    import sys

    admin = server.client_as("admin")
    username, password = server.add_user("analyst")
    session = server.login(username, password)
    answer = admin.post(f"/api/v1/admin/users/{username}/password")
    assert answer.status_code == 200 and answer.json()["username"] == username
    given = answer.json()["password"]
    assert session.get("/api/v1/auth/me").status_code == 401  # every session of the user ended
    again = server.login(username, given)
    assert again.get("/api/v1/runs").status_code == 403 and again.get("/api/v1/auth/me").json()["must_change_password"]
    weak = admin.post(f"/api/v1/admin/users/{username}/password", json={"password": "123456789012"})
    assert weak.status_code == 422 and weak.json()["error"]["field"] == "password"
    assert admin.post("/api/v1/admin/users/nobody-at-all/password").status_code == 404
    assert server.client_as("steward").post(f"/api/v1/admin/users/{username}/password").status_code == 403
    cli = subprocess.run([sys.executable, "-m", "linkage", "users", "reset-password", username, "--db", str(server.db)],
                         capture_output=True, text=True)
    assert cli.returncode == 0, cli.stderr
    printed = cli.stdout.strip()
    assert len(printed) >= 12 and "one-time" in cli.stderr
    assert server.login(username, printed).get("/api/v1/auth/me").json()["must_change_password"] is True
    refused = subprocess.run([sys.executable, "-m", "linkage", "users", "reset-password", username, "--password-stdin",
                              "--db", str(server.db)], input="aaaaaaaaaaaa\n", capture_output=True, text=True)
    assert refused.returncode != 0 and "password" in refused.stderr and "Traceback" not in refused.stderr
    with server.service() as con:
        actions = [r[0] for r in con.execute("SELECT action FROM audit WHERE action = 'user.reset_password'")]
    assert len(actions) >= 2


def test_demo_users_passwords_are_one_time(server, tmp_path):
    import shutil

    from linkage.service.demo_users import create_demo_users
    from linkage.service.service_db import connect_service

    copy = tmp_path / server.db.name
    shutil.copy2(server.db, copy)
    shutil.copytree(store_paths(server.db).published_dir, store_paths(copy).published_dir)
    passwords = create_demo_users(store_paths(copy))
    assert passwords is not None and set(passwords) == {"admin", "steward", "analyst"}

    con = connect_service(store_paths(copy).service_db)
    try:
        assert con.execute("SELECT count(*) FROM users WHERE must_change_password = 1").fetchone()[0] == 3
    finally:
        con.close()


# ---------------------------------------------------------------- interactive API docs, packaged, under the CSP


def test_api_docs_are_for_logged_in_users_from_packaged_assets_without_inline_script(server):
    anonymous = server.client()
    for path in ("/docs", "/docs/assets/swagger-ui-bundle.js"):
        answer = anonymous.get(path)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login?next="), path
    analyst = server.client_as("analyst")
    page = analyst.get("/docs")
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "unsafe" not in policy and "script-src" not in policy
    html = page.text.lower()
    assert html.count("<script") == html.count("<script src=") == 2 and " style=" not in html
    assert "http://" not in html and "https://" not in html  # nothing from a CDN
    for asset, kind in (("swagger-ui-bundle.js", "javascript"), ("swagger-ui.css", "text/css")):
        answer = analyst.get(f"/docs/assets/{asset}")
        assert answer.status_code == 200 and kind in answer.headers["content-type"] and len(answer.content) > 100_000
    init = analyst.get("/static/docs-init.js")
    assert init.status_code == 200 and "SwaggerUIBundle(" in init.text
    for name in ("../__init__.py", "core.py", "redoc.standalone.js"):
        assert analyst.get(f"/docs/assets/{name}").status_code == 404
    assert analyst.get("/api/v1/openapi.json").json()["paths"]["/api/v1/auth/password"]
