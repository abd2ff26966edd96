"""The server entry point: uvicorn worker processes, each building the API app from ``LAOLINK_*``.

``laolink serve`` (:mod:`linkage.cli.serve`) finds :func:`serve` through the entry point group ``laolink.server``
(pyproject.toml), so that ``linkage`` never imports ``api``.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import duckdb
import uvicorn
from fastapi import FastAPI

from api.app import create_app
from api.published import NotPublished
from api.queries.person_index import person_index_for
from api.scorer_cache import scorer_for
from api.settings import Settings
from linkage.errors import LaoLinkError
from linkage.paths import store_paths
from linkage.publishing.person_docs import build_person_docs, open_person_docs

WARM_UP_RECORDS = 100_000  # smaller published results are copied on first use (in a second or less)


def serve(db: Path, *, host: str, port: int, workers: int, inbox: Path | None = None) -> None:
    """Run the API and review page on the store ``db`` until stopped (uvicorn, ``workers`` processes)."""
    # Worker processes build the app from the environment (Settings reads LAOLINK_*).
    os.environ["LAOLINK_DB"] = str(store_paths(db).db)
    if inbox:
        os.environ["LAOLINK_INBOX"] = str(inbox)
    # The reconciliation manifest's stable URLs (never the request's Host): the address served, unless an admin
    # names the public one (behind a proxy, or when serving on all interfaces, which is no address to give out).
    if not os.environ.get("LAOLINK_PUBLIC_URL") and host not in ("0.0.0.0", "::", ""):
        os.environ["LAOLINK_PUBLIC_URL"] = f"http://{f'[{host}]' if ':' in host else host}:{port}"
    # X-Forwarded-For/-Proto only from the reverse proxies named in LAOLINK_TRUSTED_PROXIES (comma-separated;
    # default none: uvicorn's own default trusts 127.0.0.1, so a local client could pick the address that the
    # log-in limit and the audit log see)
    proxies = ",".join(p.strip() for p in os.environ.get("LAOLINK_TRUSTED_PROXIES", "").split(",") if p.strip())
    uvicorn.run("api.serve:app_from_environment", factory=True, workers=workers, host=host, port=port,
                access_log=False, server_header=False, log_level="info",
                proxy_headers=bool(proxies), forwarded_allow_ips=proxies)


def app_from_environment() -> FastAPI:
    """The API app of one server process, configured from ``LAOLINK_*`` (set by :func:`serve`)."""
    app = create_app(Settings())
    threading.Thread(target=warm_up, args=(app,), name="laolink-warm-up", daemon=True).start()
    return app


def warm_up(app: FastAPI) -> None:
    """Build the in-memory copies of the published result that look-ups and matching read (a few seconds
    per million records), so the first requests to each server process do not wait for them."""
    snapshot = app.state.published.current()
    if snapshot is None or snapshot.counts.get("records", 0) < WARM_UP_RECORDS:
        return
    try:
        if snapshot.docs is None:  # published before person documents existed: write them once
            build_person_docs(snapshot.path)
            snapshot.docs = open_person_docs(snapshot.path)
        with app.state.published.cursor() as cur:
            person_index_for(cur)
            scorer_for(cur)
    except (NotPublished, LaoLinkError, duckdb.Error) as exc:  # requests build them (or answer why not)
        print(f"warm-up skipped: {exc}", file=sys.stderr)
