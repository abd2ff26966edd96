"""The review page for data stewards: HTML pages, static assets (served by the app, never a CDN), translations.

Pages read the published snapshot through the same query functions as the JSON API (``api/queries``) and
write decisions through ``linkage.service.decisions`` (the person page's split and merge through
``linkage.service.person_decisions``); records pass through the same masking, and
every page that shows person data is audited. Without a session a page redirects to /login. Decisions on
the pair page are posted by app.js to ``POST /api/v1/decisions``. One module per page (``queue``, ``pair``,
``person``, ``search``, ``runs``, ``stats``; log-in and language in ``session``), what they share in ``render``.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles


def install_pages(app: FastAPI) -> None:
    """Mount the pages (one module each), their static files, and the answer for pages a role may not open."""
    from api.pages import docs, pair, person, queue, runs, search, session, stats
    from api.pages.render import PageForbidden, forbidden_handler

    app.mount("/static", StaticFiles(directory=Path(__file__).resolve().parent / "static"), name="static")
    for page in (session, queue, pair, person, search, runs, stats, docs):
        app.include_router(page.router)
    app.add_exception_handler(PageForbidden, forbidden_handler)
