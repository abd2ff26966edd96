"""``laolink serve``: run the API and review page with uvicorn on one store.

Demo users (``--demo-users``) exist for ``make run`` only: they are created when no user
exists yet and the published result was made from demo data, recognised by the
generator's ``truth.csv`` lying beside every ingested file or beside its inbox folder
(real sources never come with a ground truth). Their passwords are random and printed once (or taken from
``LAOLINK_DEMO_PASSWORD``); there is never a default password.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import duckdb
import typer

from linkage.errors import LaoLinkError
from linkage.paths import StorePaths
from linkage.publishing.publish import current_snapshot
from linkage.service.auth import MIN_PASSWORD_LENGTH, add_user, count_active_users
from linkage.service.service_db import connect_service

DEMO_ROLES: tuple[str, ...] = ("admin", "steward", "analyst")
WARM_UP_RECORDS = 100_000  # smaller published results are copied on first use (in a second or less)


def published_from_demo_data(paths: StorePaths) -> bool:
    """Whether the published snapshot exists and every file it was ingested from has a truth.csv in its
    folder or the folder above (`make run` moves the demo files into an inbox folder beside truth.csv)."""
    snapshot = current_snapshot(paths)
    if snapshot is None or not snapshot.exists():
        return False
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        if "ingested_files" not in tables:
            return False
        files = [r[0] for r in con.execute("SELECT DISTINCT path FROM ingested_files").fetchall()]
    finally:
        con.close()
    return bool(files) and all(
        (Path(f).parent / "truth.csv").exists() or (Path(f).parent.parent / "truth.csv").exists() for f in files
    )


def create_demo_users(paths: StorePaths) -> dict[str, str] | None:
    """Create admin/steward/analyst demo users if allowed (see module docstring); returns their passwords."""
    con = connect_service(paths.service_db)
    try:
        if count_active_users(con) or not published_from_demo_data(paths):
            return None
        fixed = os.environ.get("LAOLINK_DEMO_PASSWORD")
        if fixed is not None and len(fixed) < MIN_PASSWORD_LENGTH:
            raise typer.BadParameter(f"LAOLINK_DEMO_PASSWORD needs at least {MIN_PASSWORD_LENGTH} characters")
        passwords = {}
        for role in DEMO_ROLES:
            passwords[role] = fixed or secrets.token_urlsafe(12)
            add_user(con, role, role, passwords[role], created_by="serve --demo-users")
        return passwords
    finally:
        con.close()


def default_workers() -> int:
    """One server process per core, at most 4: Python code holds the GIL, so one process uses one core."""
    return max(1, min(4, os.cpu_count() or 1))


def app_from_environment():
    """The API app of one server process, configured from ``LAOLINK_*`` (set by :func:`serve_command`)."""
    import threading

    from api.app import create_app
    from api.settings import Settings

    app = create_app(Settings())
    threading.Thread(target=warm_up, args=(app,), name="laolink-warm-up", daemon=True).start()
    return app


def warm_up(app) -> None:
    """Build the in-memory copies of the published result that look-ups and matching read (a few seconds
    per million records), so the first requests to each server process do not wait for them."""
    from api.published import NotPublished
    from api.queries.person_index import person_index_for
    from api.scorer_cache import scorer_for

    snapshot = app.state.published.current()
    if snapshot is None or snapshot.counts.get("records", 0) < WARM_UP_RECORDS:
        return
    try:
        if snapshot.docs is None:  # published before person documents existed: write them once
            from linkage.publishing.person_docs import build_person_docs, open_person_docs

            build_person_docs(snapshot.path)
            snapshot.docs = open_person_docs(snapshot.path)
        with app.state.published.cursor() as cur:
            person_index_for(cur)
            scorer_for(cur)
    except (NotPublished, LaoLinkError, duckdb.Error) as exc:  # requests build them (or answer why not)
        typer.echo(f"warm-up skipped: {exc}", err=True)
