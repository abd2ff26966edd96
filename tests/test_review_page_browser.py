"""The review page in a real headless Chromium (Debian's, driven by Playwright) against a real server.

The store is built by the real nightly job from demo data with the shipped model. Screenshots
of the queue, pair and person views are written to test-artifacts/.
"""

from __future__ import annotations

import time
from pathlib import Path

import duckdb
import pytest

from linkage.model.shipped import DEFAULT_MODEL
from linkage.nightly import NightlyConfig, run_nightly
from linkage.paths import store_paths
from linkage.publishing.publish import current_snapshot
from linkage.service.service_db import connect_service
from tests.api_server import start_api_server
from tests.browser_pages import ARTIFACTS, CHROMIUM, launched_chromium, log_in_page
from tests.demo_deployment import demo_inbox

playwright_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is installed by `make browser`")


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    base = tmp_path_factory.mktemp("page")
    inbox = demo_inbox(base / "demo", persons=700, seed=5)  # enough pair items for the keyboard test
    db = base / "laolink.duckdb"
    run_nightly(NightlyConfig(inbox=inbox, db=db, model=DEFAULT_MODEL))
    return {"db": db, "inbox": inbox}


@pytest.fixture(scope="module")
def server(deployment):
    with start_api_server(deployment["db"]) as srv:
        yield srv


@pytest.fixture(scope="module")
def browser():
    with launched_chromium() as chromium:
        yield chromium


def _log_in(browser, server, role: str):
    return log_in_page(browser, server, role, "/queue")


def _snapshot(db: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(current_snapshot(store_paths(db))), read_only=True)


def _person_of(db: Path, source: str, record_id: str) -> str:
    con = _snapshot(db)
    try:
        return con.execute(
            "SELECT person_id FROM record_person JOIN records USING (rid) WHERE source = ? AND record_id = ?",
            [source, record_id],
        ).fetchall()[0][0]
    finally:
        con.close()


def test_steward_works_three_pairs_with_the_keyboard(browser, server, deployment):
    ARTIFACTS.mkdir(exist_ok=True)
    page, username = _log_in(browser, server, "steward")
    assert page.locator("tr.queue-item").count() > 0
    page.screenshot(path=str(ARTIFACTS / "queue.png"), full_page=True)
    page.goto(f"{server.base_url}/queue?kind=pair")
    page.locator("tr.queue-item a.button").first.click()
    page.wait_for_url("**/pairs/*")
    page.screenshot(path=str(ARTIFACTS / "pair.png"), full_page=True)
    assert page.locator("svg.waterfall rect").count() >= 3
    seen = []
    for key in ("y", "n", "u"):
        page.wait_for_selector("#pair")
        seen.append(page.locator("#pair").get_attribute("data-item"))
        url = page.url
        page.keyboard.press(key)
        page.wait_for_url(lambda u, before=url: u != before)
    assert len(set(seen)) == 3
    service = connect_service(store_paths(deployment["db"]).service_db)
    stored = service.execute(
        "SELECT judgement FROM decisions WHERE decided_by = ? ORDER BY decision_id", (username,)
    ).fetchall()
    assert [r[0] for r in stored] == ["positive", "negative", "unsure"]
    page.close()


def test_split_a_record_shows_on_the_person_within_5_s_and_the_nightly_keeps_it(browser, server, deployment):
    con = _snapshot(deployment["db"])
    person_id, rid, source, record_id = con.execute(
        """SELECT rp.person_id, max(r.rid), arg_max(r.source, r.rid), arg_max(r.record_id, r.rid)
           FROM record_person rp JOIN records r USING (rid) GROUP BY rp.person_id HAVING count(*) = 3
           ORDER BY rp.person_id LIMIT 1"""
    ).fetchall()[0]
    con.close()
    page, _ = _log_in(browser, server, "steward")
    page.goto(f"{server.base_url}/persons/{person_id}")
    page.screenshot(path=str(ARTIFACTS / "person.png"), full_page=True)
    page.on("dialog", lambda dialog: dialog.accept())  # the confirmation
    page.click(f"tr[data-rid='{rid}'] button.split")
    page.wait_for_url("**notice=decision_pending")
    decided = time.monotonic()
    while page.locator(f"tr[data-rid='{rid}']").count() and time.monotonic() - decided < 5:
        time.sleep(0.25)
        page.reload()
    assert page.locator(f"tr[data-rid='{rid}']").count() == 0, "the split record is still on the person after 5 s"
    page.screenshot(path=str(ARTIFACTS / "person_after_split.png"), full_page=True)
    published = _person_of(deployment["db"], source, record_id)
    con = _snapshot(deployment["db"])
    causes = con.execute("SELECT DISTINCT detail->>'cause' FROM id_history WHERE person_id = ?", [published]).fetchall()
    con.close()
    assert published != person_id and causes == [("decision",)]
    run_nightly(NightlyConfig(inbox=deployment["inbox"], db=deployment["db"], model=DEFAULT_MODEL))
    new_id = _person_of(deployment["db"], source, record_id)
    assert new_id == published  # the night reaches the same clusters, and the ID given at the decision stays
    page.goto(f"{server.base_url}/persons/{new_id}")
    assert "split-from" in page.locator("ol.history").inner_text()
    assert person_id in page.locator("ol.history").inner_text()
    page.close()


def test_a_pair_decided_meanwhile_leads_to_the_persons_not_to_not_found(browser, server, deployment):
    page, _ = _log_in(browser, server, "steward")
    page.goto(f"{server.base_url}/queue?kind=pair")
    page.locator("tr.queue-item a.button").last.click()
    page.wait_for_url("**/pairs/*")
    pair = page.locator("#pair")
    body = {"source_l": pair.get_attribute("data-source-l"), "record_id_l": pair.get_attribute("data-record-l"),
            "source_r": pair.get_attribute("data-source-r"), "record_id_r": pair.get_attribute("data-record-r"),
            "judgement": "not_same", "expected_decision_id": None}
    other = server.client_as("steward")
    assert other.post("/api/v1/decisions", json=body).status_code == 201  # another steward, meanwhile
    page.keyboard.press("y")
    page.wait_for_selector("#decided-now:not([hidden])")
    assert "decided this pair while you were looking" in page.locator("#status").inner_text()
    assert "Reload" not in page.locator("#status").inner_text()
    page.locator("#decided-now a").first.click()
    page.wait_for_url("**/persons/*")
    assert page.locator("h1").inner_text().startswith("Person LA-P-")  # before: reload gave Not found
    page.close()


def test_search_in_lao_script_finds_a_person_recorded_in_latin(browser, server, deployment):
    con = _snapshot(deployment["db"])
    lao_name, person_id = con.execute(
        """SELECT any_value(l.full_name), rp.person_id FROM records l JOIN record_person rp USING (rid)
           WHERE l.name_script = 'lao' AND l.full_name IS NOT NULL AND rp.person_id IN (
               SELECT rp2.person_id FROM records r2 JOIN record_person rp2 USING (rid) WHERE r2.name_script = 'latin')
           GROUP BY rp.person_id ORDER BY rp.person_id LIMIT 1"""
    ).fetchall()[0]
    con.close()
    page, _ = _log_in(browser, server, "steward")
    page.goto(f"{server.base_url}/search")
    page.fill("input[name=q]", lao_name)
    page.keyboard.press("Enter")
    page.wait_for_selector("table.results")
    assert person_id in page.locator("table.results").inner_text()
    page.close()


def test_switch_to_lao_renders_lao_text(browser, server):
    page, _ = _log_in(browser, server, "steward")
    page.click("#lang-switch")
    page.wait_for_url("**/queue")
    assert "ລາຍການລໍຖ້າກວດ" in page.locator("h1").inner_text()
    # Lao glyphs come from the served Noto Sans Lao font, not from tofu boxes
    loaded = page.evaluate("document.fonts.check('16px \"Noto Sans Lao\"', 'ລາວ')")
    assert loaded
    page.screenshot(path=str(ARTIFACTS / "queue-lo.png"), full_page=True)
    page.close()


def test_analyst_sees_masked_fields_and_no_decision_buttons(browser, server, deployment):
    page, _ = _log_in(browser, server, "analyst")
    page.goto(f"{server.base_url}/queue?kind=pair")
    page.locator("tr.queue-item a.button").first.click()
    page.wait_for_url("**/pairs/*")
    assert page.locator("#decide").count() == 0
    item = page.locator("#pair").get_attribute("data-item")
    con = _snapshot(deployment["db"])
    full_names = [r[0] for r in con.execute(
        "SELECT r.full_name FROM review_queue q JOIN records r ON r.rid IN (q.rid_l, q.rid_r) "
        "WHERE q.item_id = ? AND r.full_name IS NOT NULL", [int(item)]
    ).fetchall()]
    con.close()
    text = page.locator("table.pair").inner_text()
    assert full_names and not any(name in text for name in full_names)
    page.close()


def test_pages_without_a_session_redirect_to_login(browser, server):
    page = browser.new_page()
    for path in ("/queue", "/pairs/1", "/persons/LA-P-0000001", "/search?q=x", "/runs"):
        page.goto(f"{server.base_url}{path}")
        assert "/login" in page.url, path
    page.close()


def test_first_log_in_changes_the_one_time_password_then_the_api_docs_work(browser, server):
    """Issue #20 rows 5 and 'interactive API docs': in a real browser, under the page's Content-Security-Policy."""
    username, password = server.add_user("analyst", one_time=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(f"{server.base_url}/docs")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/password?next=%2Fdocs")  # the one-time password first
    page.fill("input[name=current_password]", password)
    page.fill("input[name=new_password]", "a river of paper boats")
    page.fill("input[name=repeat_password]", "a river of paper boats")
    page.click("form[action='/password'] button[type=submit]")
    page.wait_for_url("**/docs")
    page.wait_for_selector(".opblock", timeout=20_000)
    assert page.locator(".opblock").count() > 20
    operation = page.locator(".opblock-get", has_text="/api/v1/auth/me").first
    operation.locator(".opblock-summary").click()
    operation.locator("button.try-out__btn").click()
    operation.locator("button.execute").click()
    page.wait_for_selector(".live-responses-table tr.response .response-col_status", timeout=20_000)
    status = operation.locator(".live-responses-table tr.response .response-col_status").first.inner_text()
    assert status.strip() == "200"
    assert username in operation.locator(".live-responses-table .microlight").first.inner_text()
    page.screenshot(path=str(ARTIFACTS / "api-docs.png"), full_page=False)
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems
    page.close()
