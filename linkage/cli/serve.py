"""`laolink serve`: run the API and review page with uvicorn on one store."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from linkage.paths import store_paths
from linkage.serve import create_demo_users, default_workers
from linkage.service.auth import count_active_users
from linkage.service.service_db import connect_service


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
    trusted_proxies: str = typer.Option(
        "", "--trusted-proxies", envvar="LAOLINK_TRUSTED_PROXIES",
        help="comma-separated addresses of reverse proxies whose X-Forwarded-For/-Proto are believed (default: "
             "none, so a client cannot pick the address the log-in limit and the audit log see)",
    ),
) -> None:
    """Serve the API and review page over HTTP (put TLS in front of it; set LAOLINK_SECURE_COOKIES=1 then)."""
    import uvicorn

    paths = store_paths(db)
    if demo_users:
        created = create_demo_users(paths)
        if created:
            typer.echo("Demo users created (demo data only; shown once):")
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
    # Worker processes build the app from the environment (Settings reads LAOLINK_*).
    os.environ["LAOLINK_DB"] = str(paths.db)
    if inbox:
        os.environ["LAOLINK_INBOX"] = str(inbox)
    proxies = ",".join(p.strip() for p in trusted_proxies.split(",") if p.strip())
    uvicorn.run("linkage.serve:app_from_environment", factory=True, workers=workers, host=host, port=port,
                access_log=False, server_header=False, log_level="info",
                proxy_headers=bool(proxies), forwarded_allow_ips=proxies or "")
