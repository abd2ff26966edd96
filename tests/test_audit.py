"""The audit log is append-only and exportable; the users/keys/audit commands work end to end."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from datetime import date, datetime

import pytest
from typer.testing import CliRunner

from linkage.cli import app
from linkage.errors import LaoLinkError
from linkage.paths import store_paths
from linkage.service.audit import export_audit, iter_audit, record_audit
from linkage.service.service_db import connect_service


@pytest.fixture()
def con(tmp_path):
    con = connect_service(tmp_path / "svc.sqlite")
    yield con
    con.close()


def _row(con, **kw):
    values = {"action": "person.read", "outcome": "ok", "actor": "noy", "actor_kind": "user", "role": "steward"}
    values.update(kw)
    return record_audit(con, **values)


def test_audit_rows_cannot_be_changed_or_deleted(con):
    audit_id = _row(con, person_ids=["LA-P-0000002", "LA-P-0000001", "LA-P-0000001"], client="10.1.2.3")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("UPDATE audit SET outcome = 'denied' WHERE audit_id = ?", (audit_id,))
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("DELETE FROM audit")
    rows = list(iter_audit(con, date(2000, 1, 1)))
    assert len(rows) == 1
    assert rows[0]["person_ids"] == ["LA-P-0000001", "LA-P-0000002"]
    assert rows[0]["outcome"] == "ok" and rows[0]["client"] == "10.1.2.3"


def test_audit_protection_survives_reopening(tmp_path):
    path = tmp_path / "svc.sqlite"
    first = connect_service(path)
    _row(first)
    first.close()
    again = connect_service(path)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        again.execute("DELETE FROM audit")
    again.close()


def test_bad_outcome_is_refused(con):
    with pytest.raises(LaoLinkError, match="outcome"):
        _row(con, outcome="maybe")
    with pytest.raises(sqlite3.IntegrityError):
        con.execute("INSERT INTO audit (actor_kind, action, outcome) VALUES ('user', 'x', 'fine')")


def test_export_since_and_formats(con):
    _row(con, action="old")
    con.execute(
        "INSERT INTO audit (at, actor, actor_kind, action, outcome) VALUES ('2001-01-01T00:00:00.000Z', 'x', 'user',"
        " 'ancient', 'ok')"
    )
    _row(con, action="=cmd|' /C calc'!A0", person_ids=["LA-P-0000009"], detail={"n": 1})
    out = io.StringIO()
    assert export_audit(con, date(2020, 1, 1), out, "csv") == 2
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [r["action"] for r in rows] == ["old", "'=cmd|' /C calc'!A0"]  # formula neutralised
    assert rows[1]["person_ids"] == "LA-P-0000009"
    out = io.StringIO()
    assert export_audit(con, datetime(2000, 6, 1), out, "jsonl") == 3
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["action"] for line in lines][0] == "old"
    assert sorted(line["action"] for line in lines)[0] == "=cmd|' /C calc'!A0"
    with pytest.raises(LaoLinkError, match="csv or jsonl"):
        export_audit(con, date(2020, 1, 1), io.StringIO(), "xml")


def test_cli_users_keys_and_audit_export(tmp_path):
    db = tmp_path / "laolink.duckdb"
    runner = CliRunner()

    def run(*args, stdin=None):
        result = runner.invoke(app, [*args, "--db", str(db)], input=stdin)
        return result

    result = run("users", "add", "noy", "--role", "steward", "--password-stdin", stdin="a long enough password\n")
    assert result.exit_code == 0, result.output
    assert run("users", "add", "noy", "--role", "steward", "--password-stdin", stdin="a long enough password\n"
               ).exit_code == 1
    assert run("users", "add", "bad", "--role", "emperor", "--password-stdin", stdin="a long enough password\n"
               ).exit_code == 1
    result = run("users", "add", "kham", "--role", "analyst", stdin="another long password\nanother long password\n")
    assert result.exit_code == 0, result.output
    listed = run("users", "list").output
    assert "noy\tsteward\tactive" in listed and "kham\tanalyst\tactive" in listed
    assert run("users", "disable", "noy").exit_code == 0
    assert "noy\tsteward\tdisabled" in run("users", "list").output
    assert run("users", "disable", "nobody").exit_code == 1

    result = run("keys", "create", "--name", "border", "--role", "system", "--sources", "DIC,MOLSW")
    assert result.exit_code == 0, result.output
    key = result.stdout.strip().splitlines()[-1]
    assert key.startswith("llk_")
    key_id = key.split("_")[1]
    listed = run("keys", "list").output
    assert key_id in listed and "DIC,MOLSW" in listed and key not in listed
    assert run("keys", "revoke", key_id).exit_code == 0
    assert "revoked" in run("keys", "list").output
    assert run("keys", "revoke", key_id).exit_code == 1

    out = tmp_path / "audit.csv"
    result = run("audit", "export", "--since", "2020-01-01", "--out", str(out))
    assert result.exit_code == 0, result.output
    actions = [r["action"] for r in csv.DictReader(out.open(encoding="utf-8"))]
    assert actions == ["user.add", "user.add", "user.disable", "key.create", "key.revoke"]
    rows = [r for r in csv.DictReader(out.open(encoding="utf-8"))]
    assert all(r["actor_kind"] == "cli" for r in rows)
    assert key not in out.read_text(encoding="utf-8")
    result = run("audit", "export", "--since", "2999-01-01")
    assert result.exit_code == 0 and result.stdout == ""
    assert run("audit", "export", "--since", "yesterday").exit_code != 0
    assert store_paths(db).service_db.exists()


def test_audit_writer_group_commits_from_many_threads(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from api.audit_writer import AuditWriter
    from api.service_store import ServiceStore

    store = ServiceStore(tmp_path / "svc.sqlite")
    writer = AuditWriter(store)

    def write(n: int) -> str:
        try:
            writer.write(action=f"read-{n}", outcome="maybe" if n == 13 else "ok", actor=f"u{n}", actor_kind="user",
                         person_ids=[f"LA-P-{n:07d}"])
        except LaoLinkError as exc:
            return str(exc)
        return "ok"

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(write, range(320)))
    writer.close()
    assert results.count("ok") == 319 and "outcome" in results[13]
    con = store.open()
    rows = con.execute("SELECT action FROM audit").fetchall()
    con.close()
    assert sorted(r[0] for r in rows) == sorted(f"read-{n}" for n in range(320) if n != 13)
