"""`laolink users`, `keys` and `audit`: manage who may use the service, and export the log.

These act on the service database beside ``--db``; the running server reads it on
every request, so a change takes effect at once. Each change is audited as done from
the command line.
"""

from __future__ import annotations

import getpass
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import typer

from linkage.paths import store_paths
from linkage.service import auth
from linkage.service.audit import export_audit, export_audit_file, record_audit
from linkage.service.service_db import connect_service

users_app = typer.Typer(help="Manage users (people who log in).", no_args_is_help=True)
keys_app = typer.Typer(help="Manage API keys (systems that call the API).", no_args_is_help=True)
audit_app = typer.Typer(help="Read the audit log.", no_args_is_help=True)

DB_OPTION = typer.Option(Path("var/laolink.duckdb"), "--db", help="the store; its service database is beside it")


@contextmanager
def _service_db(db: Path) -> Iterator[sqlite3.Connection]:
    """The service database beside ``db``, closed afterwards (an error inside is reported by linkage.cli.errors)."""
    con = connect_service(store_paths(db).service_db)
    try:
        yield con
    finally:
        con.close()


def _cli_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no user name in this environment (container without passwd entry)
        return "cli"


def _audit(con, action: str, detail: dict) -> None:
    record_audit(con, action=action, outcome="ok", actor=_cli_actor(), actor_kind="cli", detail=detail)


@users_app.command("add")
def users_add(
    username: str = typer.Argument(...),
    role: str = typer.Option(..., "--role", help="admin | steward | analyst | system"),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="read the password from standard input"),
    db: Path = DB_OPTION,
) -> None:
    """Add a user; the password is asked for twice (or read from stdin). It is one-time: the user changes it
    at first log-in."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with _service_db(db) as con:
        auth.add_user(con, username, role, password, created_by=_cli_actor())
        _audit(con, "user.add", {"username": username, "role": role})
    typer.echo(f"user {username} added with role {role}")


@users_app.command("reset-password")
def users_reset_password(
    username: str = typer.Argument(...),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="read the new password from standard input (else a random one is made)"),
    db: Path = DB_OPTION,
) -> None:
    """Give a user a new one-time password (printed once unless read from stdin); their sessions end and they
    must change it at their next log-in."""
    given = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    with _service_db(db) as con:
        password = auth.reset_password(con, username, given)
        _audit(con, "user.reset_password", {"username": username})
    typer.echo(f"password of {username} reset: one-time, to be changed at the next log-in", err=True)
    if given is None:
        typer.echo(password)


@users_app.command("disable")
def users_disable(username: str = typer.Argument(...), db: Path = DB_OPTION) -> None:
    """Disable a user and end their sessions at once."""
    with _service_db(db) as con:
        auth.disable_user(con, username)
        _audit(con, "user.disable", {"username": username})
    typer.echo(f"user {username} disabled")


@users_app.command("list")
def users_list(db: Path = DB_OPTION) -> None:
    """List users with role and state."""
    with _service_db(db) as con:
        users = auth.list_users(con)
    for user in users:
        state = f"disabled {user['disabled_at']}" if user["disabled_at"] else "active"
        typer.echo(f"{user['username']}\t{user['role']}\t{state}\tcreated {user['created_at']}")


@keys_app.command("create")
def keys_create(
    name: str = typer.Option(..., "--name", help="which system uses the key"),
    role: str = typer.Option("system", "--role"),
    sources: str | None = typer.Option(None, "--sources", help="comma-separated sources it sees in full"),
    db: Path = DB_OPTION,
) -> None:
    """Create an API key and print it once; only its hash is stored."""
    with _service_db(db) as con:
        source_list = [s for s in (sources or "").split(",") if s.strip()] or None
        key_id, key = auth.create_key(con, name, role, sources=source_list, created_by=_cli_actor())
        _audit(con, "key.create", {"key_id": key_id, "name": name, "role": role, "sources": source_list})
    typer.echo(f"key id {key_id} ({role}{', sources ' + ','.join(source_list) if source_list else ''})", err=True)
    typer.echo("The key is shown only now; send it as 'Authorization: Bearer <key>':", err=True)
    typer.echo(key)


@keys_app.command("revoke")
def keys_revoke(key_id: str = typer.Argument(...), db: Path = DB_OPTION) -> None:
    """Revoke a key; it is refused from the next request on."""
    with _service_db(db) as con:
        auth.revoke_key(con, key_id)
        _audit(con, "key.revoke", {"key_id": key_id})
    typer.echo(f"key {key_id} revoked")


@keys_app.command("list")
def keys_list(db: Path = DB_OPTION) -> None:
    """List keys (never the keys themselves)."""
    with _service_db(db) as con:
        keys = auth.list_keys(con)
    for key in keys:
        state = f"revoked {key['revoked_at']}" if key["revoked_at"] else "active"
        scope = ",".join(key["sources"]) if key["sources"] else "all sources"
        typer.echo(f"{key['key_id']}\t{key['name']}\t{key['role']}\t{scope}\t{state}")


def _parse_since(text: str) -> date | datetime:
    try:
        if "T" in text:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
            return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        return date.fromisoformat(text)
    except ValueError as exc:
        raise typer.BadParameter(f"{text!r} is not a date (YYYY-MM-DD) or time (YYYY-MM-DDTHH:MM:SSZ)") from exc


@audit_app.command("export")
def audit_export(
    since: str = typer.Option(..., "--since", help="YYYY-MM-DD (UTC) or an ISO time"),
    out: Path | None = typer.Option(None, "--out", help=".csv for CSV, anything else JSON lines; default stdout"),
    fmt: str = typer.Option("jsonl", "--format", help="csv or jsonl, when writing to stdout"),
    db: Path = DB_OPTION,
) -> None:
    """Write the audit log from a date on, as CSV or JSON lines."""
    start = _parse_since(since)
    with _service_db(db) as con:
        count = export_audit(con, start, sys.stdout, fmt) if out is None else export_audit_file(con, start, out)
    typer.echo(f"{count} audit rows written", err=True)
