"""The Statistics page in a real headless Chromium (Debian's, driven by Playwright) against a real server on a
nightly-built demo store: charts drawn, "<5" to an analyst, the exact count to an admin."""

from __future__ import annotations

from pathlib import Path

import pytest
from api_server import start_api_server
from browser_pages import ARTIFACTS, CHROMIUM, launched_chromium, log_in_page
from demo_deployment import demo_model, nightly_store

playwright_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is installed by `make browser`")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with start_api_server(nightly_store(tmp_path_factory.mktemp("stats-page"), demo_model())) as srv:
        warm = srv.client_as("admin")  # the first estimate loads statsmodels: not inside the page's time limit
        assert warm.get("/api/v1/stats/mse", timeout=120).status_code == 200
        yield srv


@pytest.fixture(scope="module")
def browser():
    with launched_chromium() as chromium:
        yield chromium


def _stats_page(browser, server, role: str):
    return log_in_page(browser, server, role, "/stats", timeout_ms=90_000)[0]


def _small_cell(server) -> tuple[str, str, int]:
    """(fact, value, exact count) of a one-fact cell of 1 to 4 persons, from the admin's answer."""
    report = server.client_as("admin").get("/api/v1/stats/persons").json()
    for table in report["tables"]:
        (fact,) = table["by"]
        for row in table["rows"]:
            if 0 < row["persons"] < 5:
                return fact, row[fact], row["persons"]
    raise AssertionError("the demo store has no small cell")


def _cell_text(page, fact: str, value: str) -> str:
    row = page.locator(f"#table-{fact} tbody tr").filter(has=page.locator("td", has_text=value)).first
    return row.locator("td.num").inner_text().strip()


def test_analyst_sees_charts_and_small_cells_as_under_five(browser, server):
    fact, value, _exact = _small_cell(server)
    page = _stats_page(browser, server, "analyst")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "stats-analyst.png"), full_page=True)
    assert page.locator("svg#trend rect").count() >= 3
    assert page.locator("svg#upset circle.in").count() >= 2
    box = page.locator("svg#trend").bounding_box()
    assert box and box["width"] > 100 and box["height"] > 50  # drawn, not an empty box
    assert _cell_text(page, fact, value) == "<5"
    assert "<5" in page.locator("#disclosure").inner_text()
    assert "closed population" in page.locator("#assumptions").inner_text()
    page.close()


def test_admin_sees_the_exact_count(browser, server):
    fact, value, exact = _small_cell(server)
    page = _stats_page(browser, server, "admin")
    page.screenshot(path=str(ARTIFACTS / "stats-admin.png"), full_page=True)
    assert _cell_text(page, fact, value) == str(exact)
    assert page.locator("#table-mse tbody tr").count() >= 1
    page.close()


def test_steward_may_not_open_the_statistics(browser, server):
    page = _stats_page(browser, server, "steward")
    assert page.locator("#table-sources").count() == 0
    page.close()
