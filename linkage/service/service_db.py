"""The service database (SQLite, WAL): facts people and systems write while the API runs.

Decisions are facts about pairs of records, never edits to clusters, so clusters can
always be rebuilt from model output plus decisions. Rows are only ever appended: a
decision is changed by a newer decision that names the one it supersedes.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

SERVICE_MIGRATIONS: list[str] = [
    # 1: steward decisions about pairs of records
    """
    CREATE TABLE decisions (
        decision_id INTEGER PRIMARY KEY AUTOINCREMENT,
        source_l TEXT NOT NULL,
        record_id_l TEXT NOT NULL,
        source_r TEXT NOT NULL,
        record_id_r TEXT NOT NULL,
        judgement TEXT NOT NULL CHECK (judgement IN ('positive', 'negative', 'unsure')),
        decided_by TEXT NOT NULL,
        decided_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        note TEXT,
        supersedes INTEGER REFERENCES decisions(decision_id),
        CHECK ((source_l, record_id_l) < (source_r, record_id_r))
    );
    CREATE INDEX decisions_pair ON decisions (source_l, record_id_l, source_r, record_id_r);
    """,
    # 2: people and systems that may use the service, their sessions, and the audit log
    """
    CREATE TABLE users (
        username TEXT PRIMARY KEY,
        role TEXT NOT NULL CHECK (role IN ('admin', 'steward', 'analyst', 'system')),
        password_hash TEXT NOT NULL,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        created_by TEXT,
        disabled_at TEXT
    );
    CREATE TABLE api_keys (
        key_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('admin', 'steward', 'analyst', 'system')),
        sources TEXT,
        secret_sha256 TEXT NOT NULL,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        created_by TEXT,
        revoked_at TEXT
    );
    CREATE TABLE sessions (
        token_sha256 TEXT PRIMARY KEY,
        username TEXT NOT NULL REFERENCES users(username),
        csrf_token TEXT NOT NULL,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        expires_at TEXT NOT NULL
    );
    CREATE INDEX sessions_user ON sessions (username);
    CREATE TABLE login_attempts (
        username TEXT NOT NULL,
        address TEXT,
        at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'failed', 'locked'))
    );
    CREATE INDEX login_attempts_user ON login_attempts (username, at);
    CREATE INDEX login_attempts_address ON login_attempts (address, at);
    CREATE TABLE audit (
        audit_id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        actor TEXT,
        actor_kind TEXT NOT NULL CHECK (actor_kind IN ('user', 'key', 'anonymous', 'cli')),
        role TEXT,
        action TEXT NOT NULL,
        method TEXT,
        path TEXT,
        person_ids TEXT NOT NULL DEFAULT '[]',
        outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'denied', 'error')),
        status INTEGER,
        client TEXT,
        detail TEXT
    );
    CREATE INDEX audit_at ON audit (at);
    CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
    BEGIN
        SELECT RAISE(ABORT, 'the audit log is append-only: rows cannot be changed');
    END;
    CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
    BEGIN
        SELECT RAISE(ABORT, 'the audit log is append-only: rows cannot be deleted');
    END;
    """,
    # 3: records posted to POST /match?persist=true, in the exchange format, for the next nightly run
    """
    CREATE TABLE pending_records (
        pending_id INTEGER PRIMARY KEY AUTOINCREMENT,
        record_id TEXT NOT NULL,
        source TEXT NOT NULL,
        role TEXT, full_name TEXT, given_name TEXT, family_name TEXT, sex TEXT, date_of_birth TEXT, age TEXT,
        nationality TEXT, province TEXT, district TEXT, village TEXT, phone TEXT, id_number TEXT, event_date TEXT,
        received_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        received_by TEXT NOT NULL,
        ingested_run_id INTEGER
    );
    CREATE INDEX pending_records_waiting ON pending_records (ingested_run_id, pending_id);
    """,
    # 4: the optional exchange columns case_type and exploitation
    """
    ALTER TABLE pending_records ADD COLUMN case_type TEXT;
    ALTER TABLE pending_records ADD COLUMN exploitation TEXT;
    """,
    # 5: one-time passwords (set by an admin, the CLI or the demo users) must be changed at first log-in
    """
    ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;
    """,
    # 6: a record posted again before the night that took the first post: the night stores the last post and marks
    # the earlier ones ingested, superseded by it (linkage/sources/api_records.py)
    """
    ALTER TABLE pending_records ADD COLUMN superseded_by INTEGER;
    """,
]


def _statements(sql: str) -> list[str]:
    """Split a migration into statements, keeping trigger bodies (which contain ';') whole."""
    statements, pending = [], ""
    for piece in sql.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n;"):
                statements.append(pending.strip())
            pending = ""
    if pending.strip(" \n;"):
        statements.append(pending.strip())
    return statements


def connect_service(path: str | os.PathLike[str]) -> sqlite3.Connection:
    """Open (creating with owner-only permissions) and migrate the service database."""
    db_path = Path(path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    if not db_path.exists():
        old_umask = os.umask(0o077)
        try:
            sqlite3.connect(db_path).close()
        finally:
            os.umask(old_umask)
    con = sqlite3.connect(db_path, timeout=30, isolation_level=None, check_same_thread=False)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")
    con.execute("PRAGMA foreign_keys=ON")
    con.execute("PRAGMA busy_timeout=30000")
    con.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    current = con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0]
    for number, sql in enumerate(SERVICE_MIGRATIONS, start=1):
        if number <= current:
            continue
        con.execute("BEGIN IMMEDIATE")
        try:
            for statement in _statements(sql):
                con.execute(statement)
            con.execute("INSERT INTO schema_version VALUES (?)", (number,))
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
    return con
