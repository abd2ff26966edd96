"""`laolink serve`: run the API and review page with uvicorn on one store.

The server lives in ``api/`` and is found through the entry point group ``laolink.server`` (pyproject.toml), so that
``linkage`` never imports ``api``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path

import typer

from linkage.errors import LaoLinkError
from linkage.paths import store_paths
from linkage.service.auth import count_active_users
from linkage.service.demo_users import create_demo_users
from linkage.service.service_db import connect_service

SERVER_ENTRY_POINTS = "laolink.server"


def default_workers() -> int:
    """One server process per core, at most 4: Python code holds the GIL, so one process uses one core."""
    return max(1, min(4, os.cpu_count() or 1))


def find_server() -> Callable[..., None]:
    """The installed server's ``serve(db, *, host, port, workers, inbox)`` (``api.serve.serve`` in this repository)."""
    found = entry_points(group=SERVER_ENTRY_POINTS, name="serve")
    if not found:
        raise LaoLinkError(f"no LaoLink server installed (entry point {SERVER_ENTRY_POINTS}:serve): "
                           "install the laolink package again, e.g. pip install -e .")
    return next(iter(found)).load()


def serve_command(
    db: Path = typer.Option(Path("var/laolink.duckdb"), "--db", help="the pipeline store; the API serves its runs"),
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port"),
    inbox: Path = typer.Option(None, "--inbox", help="the folder an admin's POST /runs ingests (or LAOLINK_INBOX)"),
    demo_users: bool = typer.Option(
        False, "--demo-users", help="create demo admin/steward/analyst users (only on demo data, only if none exist)"
    ),
    workers: int = typer.Option(
        default_workers(), "--workers", min=1,
        help="server processes (each holds its own in-memory copy of the published result: ~1.7 GB per 1M records)",
    ),
) -> None:
    """Serve the API and review page over HTTP (put TLS in front of it; set LAOLINK_SECURE_COOKIES=1 then)."""
    server = find_server()
    paths = store_paths(db)
    if demo_users:
        try:
            created = create_demo_users(paths)
        except LaoLinkError as exc:  # a demo password too short: the option cannot be used as given
            raise typer.BadParameter(str(exc), param_hint="--demo-users") from exc
        if created:
            typer.echo("Demo users created (demo data only; shown once; one-time: each is asked for a new password"
                       " at first log-in):")
            for name, password in created.items():
                typer.echo(f"  {name:8} password {password}")
        else:
            typer.echo("No demo users created: users exist already, or the published data is not demo data.")
    con = connect_service(paths.service_db)
    try:
        if not count_active_users(con):
            typer.echo(f"No users yet. Create an admin with:  laolink users add admin --role admin --db {db}")
    finally:
        con.close()
    server(paths.db, host=host, port=port, workers=workers, inbox=inbox)
