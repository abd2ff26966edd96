"""The review page in a real headless Chromium (Debian's, driven by Playwright) against a real server.

The store is built by the real nightly job from demo data with the shipped model. Screenshots
of the queue, pair and person views are written to test-artifacts/.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from linkage.model.shipped import DEFAULT_MODEL
from linkage.nightly import NightlyConfig, run_nightly
from linkage.paths import store_paths
from linkage.publishing.publish import current_snapshot
from linkage.service.service_db import connect_service
from tests.api_server import start_api_server

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]

playwright_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is installed by `make browser`")


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    from linkage.demo_data.generate import generate

    base = tmp_path_factory.mktemp("page")
    generate(base / "demo", 300, seed=5)
    inbox = base / "demo" / "inbox"
    inbox.mkdir()
    for f in (base / "demo").glob("night1_*"):
        shutil.move(f, inbox / f.name)
    db = base / "laolink.duckdb"
    run_nightly(NightlyConfig(inbox=inbox, db=db, model=DEFAULT_MODEL))
    return {"db": db, "inbox": inbox}


@pytest.fixture(scope="module")
def server(deployment):
    with start_api_server(deployment["db"]) as srv:
        yield srv


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _log_in(browser, server, role: str):
    username, password = server.add_user(role)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{server.base_url}/queue")
    assert "/login" in page.url  # no session: the page sends the browser to log in
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/queue")
    return page, username


def _snapshot(db: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(current_snapshot(store_paths(db))), read_only=True)


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


def test_split_a_record_then_nightly_gives_it_a_new_person_id(browser, server, deployment):
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
    run_nightly(NightlyConfig(inbox=deployment["inbox"], db=deployment["db"], model=DEFAULT_MODEL))
    con = _snapshot(deployment["db"])
    new_id = con.execute(
        "SELECT person_id FROM record_person JOIN records USING (rid) WHERE source = ? AND record_id = ?",
        [source, record_id],
    ).fetchall()[0][0]
    con.close()
    assert new_id != person_id
    page.goto(f"{server.base_url}/persons/{new_id}")
    assert "split-from" in page.locator("ol.history").inner_text()
    assert person_id in page.locator("ol.history").inner_text()
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
