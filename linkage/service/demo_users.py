"""Demo users for ``make run`` (``laolink serve --demo-users``), and only on demo data.

They are created when no user exists yet and the published result was made from demo data, recognised by the
generator's ``truth.csv`` lying beside every ingested file or beside its inbox folder (real sources never come
with a ground truth). Their passwords are random and printed once (or taken from ``LAOLINK_DEMO_PASSWORD``),
and one-time like every password set for someone else: each must be changed at first log-in. There is never a
default password.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import duckdb

from linkage.errors import LaoLinkError
from linkage.paths import StorePaths
from linkage.publishing.publish import current_snapshot
from linkage.service.auth import MIN_PASSWORD_LENGTH, add_user, count_active_users
from linkage.service.service_db import connect_service

DEMO_ROLES: tuple[str, ...] = ("admin", "steward", "analyst")
DEMO_PASSWORD_ENV = "LAOLINK_DEMO_PASSWORD"


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
        fixed = os.environ.get(DEMO_PASSWORD_ENV)
        if fixed is not None and len(fixed) < MIN_PASSWORD_LENGTH:
            raise LaoLinkError(f"{DEMO_PASSWORD_ENV} needs at least {MIN_PASSWORD_LENGTH} characters")
        passwords = {}
        for role in DEMO_ROLES:
            passwords[role] = fixed or secrets.token_urlsafe(12)
            add_user(con, role, role, passwords[role], created_by="serve --demo-users")
        return passwords
    finally:
        con.close()
