"""Debian's Chromium, driven by Playwright, for the page tests: launching it and logging in through the form."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


@contextmanager
def launched_chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def log_in_page(browser: Any, server: Any, role: str, path: str, timeout_ms: int = 30_000) -> tuple[Any, str]:
    """A new page of a new user of ``role`` who opened ``path``, was sent to log in and came back to it."""
    username, password = server.add_user(role)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{server.base_url}{path}")
    assert "/login" in page.url  # no session: the page sends the browser to log in
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{path}", timeout=timeout_ms)
    return page, username
