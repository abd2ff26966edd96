"""The review page for data stewards: HTML pages, static assets (served by the app, never a CDN), translations."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles


def install_pages(app: FastAPI) -> None:
    """Mount the pages, their static files, and the answers for pages a role may not open."""
    from api.pages.routes import _Forbidden, forbidden_handler, router

    app.mount("/static", StaticFiles(directory=Path(__file__).resolve().parent / "static"), name="static")
    app.include_router(router)
    app.add_exception_handler(_Forbidden, forbidden_handler)
