"""Data at rest: owner-only files, no personal data in any log, and what DuckDB encryption offers offline.

A real nightly run (a subprocess under umask 022, so the code and not the umask must protect the
files) ingests the demo data plus records with known synthetic personal values (some of them
quarantined or unparseable on purpose); then a server session reads, searches, matches and
decides on them. All log output (the nightly's stdout and stderr, the run reports, the server's
log, `laolink ingest` output) is searched for those values in every form the pipeline gives them.
"""

from __future__ import annotations

import csv
import io
import os
import stat
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from api_server import start_api_server
from demo_deployment import demo_inbox, demo_model

from linkage.paths import store_paths
from linkage.sources.exchange_format import EXCHANGE_COLUMNS

REPO = Path(__file__).resolve().parents[1]
SOURCE = "MOPS-AHTD"
PERSON = {"full_name": "Ms Zyxwvut Qqqplmn", "given_name": "Zyxwvut", "family_name": "Qqqplmn", "sex": "F",
          "date_of_birth": "13/11/1987", "phone": "+856 20 9876 5432", "id_number": "ZX9988776",
          "village": "Ban Vvwwxxyy", "province": "Savannakhet", "event_date": "02/03/2020"}
SECRETS = [
    "Zyxwvut", "zyxwvut", "ZYXWVUT", "Qqqplmn", "qqqplmn", "QQQPLMN", "13/11/1987", "1987-11-13",
    "98765432", "9876 5432", "+8562098765432", "ZX9988776", "9988776", "Vvwwxxyy", "vvwwxxyy",
    "Wvutsrq", "wvutsrq", "31/02/1986", "Ppponm", "ppponm", "Qqqbad", "77665544", "ZZ1122334",
]


def _sentinel_csv() -> str:
    rows = [
        {"record_id": "SEC-1", **PERSON},
        {"record_id": "SEC-2", **PERSON, "full_name": "ຊຍຟ Zyxwvut Qqqplmn", "phone": "020 98765432"},
        {"record_id": "SEC-3", "full_name": "Wvutsrq Ppponm", "date_of_birth": "31/02/1986",  # unparseable date
         "phone": "020 7766 5544 999", "id_number": "ZZ1122334", "age": "-4"},
        {"record_id": "SEC-4", "full_name": "Qqqbad\x00Zyxwvut", "phone": "+856 20 9876 5432"},  # NUL: quarantined
        {"record_id": "SEC-1", "full_name": "Zyxwvut again", "date_of_birth": "13/11/1987"},  # duplicate
    ]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXCHANGE_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({"source": SOURCE, **r})
    return out.getvalue()


def _owner_only(path: Path) -> None:
    mode = stat.S_IMODE(path.stat().st_mode)
    assert mode & 0o077 == 0, f"{path} is {oct(mode)}"


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    base = tmp_path_factory.mktemp("at-rest")
    inbox = demo_inbox(base / "demo")
    (inbox / "sentinel_exchange.csv").write_text(_sentinel_csv(), encoding="utf-8")
    db = base / "deploy" / "laolink.duckdb"
    db.parent.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAOLINK_")}
    nightly = subprocess.run(
        [sys.executable, "-m", "linkage", "nightly", "--inbox", str(inbox), "--db", str(db),
         "--model", str(demo_model()), "--memory-limit", "2GB"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=900, preexec_fn=lambda: os.umask(0o022))
    assert nightly.returncode == 0, nightly.stderr[-2000:]
    ingest = subprocess.run(
        [sys.executable, "-m", "linkage", "ingest", str(inbox / "sentinel_exchange.csv"),
         "--db", str(base / "other.duckdb")], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    return {"db": db, "inbox": inbox, "logs": [nightly.stdout, nightly.stderr, ingest.stdout, ingest.stderr]}


def test_the_sentinel_records_went_everywhere_the_logs_could_have_leaked_them(deployment):
    con = duckdb.connect(str(deployment["db"]), read_only=True)
    try:
        stored = {r for (r,) in con.execute("SELECT record_id FROM records WHERE source = ?", [SOURCE]).fetchall()}
        quarantined = con.execute("SELECT count(*) FROM quarantine q JOIN ingested_files f USING (file_id)"
                                  " WHERE f.path LIKE '%sentinel%'").fetchall()[0][0]
        issues = con.execute("SELECT count(*) FROM std_issues JOIN records USING (rid) WHERE record_id = 'SEC-3'"
                             ).fetchall()[0][0]
    finally:
        con.close()
    assert {"SEC-1", "SEC-2", "SEC-3"} <= stored and quarantined == 2 and issues >= 2


def test_store_service_db_and_snapshots_are_owner_only(deployment):
    paths = store_paths(deployment["db"])
    with start_api_server(deployment["db"]) as server:  # the server opens (and may create) its files too
        server.client_as("steward").get("/api/v1/persons", params={"name": "Zyxwvut"})
        _owner_only(paths.db)
        _owner_only(paths.service_db)
        for extra in paths.service_db.parent.glob(paths.service_db.name + "-*"):  # -wal, -shm
            _owner_only(extra)
        _owner_only(paths.published_dir)
        snapshots = list(paths.published_dir.glob("*.duckdb"))
        assert snapshots
        for snapshot in snapshots:
            _owner_only(snapshot)
        _owner_only(paths.work_dir)  # spill files, Splink's work tables, run reports: nobody else may enter


def test_exports_and_backups_are_owner_only(deployment, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAOLINK_")}
    commands = [["export", "persons", "--out", str(tmp_path / "persons.csv")],
                ["export", "clusters", "--out", str(tmp_path / "clusters.csv")],
                ["export", "persons", "--out", str(tmp_path / "persons.csv")],  # over an existing file too
                ["backup", "--out", str(tmp_path / "backups")]]
    for command in commands:
        done = subprocess.run([sys.executable, "-m", "linkage", *command, "--db", str(deployment["db"])],
                              cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
                              preexec_fn=lambda: os.umask(0o022))
        assert done.returncode == 0, done.stderr[-1000:]
    assert "Zyxwvut" in (tmp_path / "persons.csv").read_text(encoding="utf-8").title()  # personal data indeed
    _owner_only(tmp_path / "persons.csv")
    _owner_only(tmp_path / "clusters.csv")
    backups = list((tmp_path / "backups").rglob("*"))
    data = [p for p in backups if p.is_dir() or ".duckdb" in p.name or ".sqlite" in p.name]
    assert len(data) >= 4  # the folder, the store, the service database, the snapshot
    for item in data:  # (the manifest of counts and paths sits in the owner-only folder)
        _owner_only(item)


def test_logs_never_contain_names_birth_dates_phones_or_id_numbers(deployment):
    logs = list(deployment["logs"])
    with start_api_server(deployment["db"]) as server:
        steward = server.client_as("steward")
        analyst = server.client_as("analyst")
        system = server.client_as("system")
        found = steward.get("/api/v1/persons", params={"name": "Zyxwvut Qqqplmn", "dob": "13/11/1987"})
        assert found.status_code == 200 and found.json()["items"], found.text
        person = found.json()["items"][0]["person_id"]
        assert "Zyxwvut" in steward.get(f"/api/v1/persons/{person}").text
        analyst.get(f"/api/v1/persons/{person}")
        steward.get("/api/v1/persons", params={"phone": "+856 20 9876 5432"})
        steward.get("/api/v1/persons", params={"name": "Zyxwvut", "dob": "31/02/1986"})  # 422 naming the value
        system.post("/api/v1/match", json={"source": SOURCE, "record_id": "SEC-9", "full_name": "Zyxwvut Qqqplmn",
                                           "date_of_birth": "13/11/1987", "phone": "+856 20 9876 5432",
                                           "id_number": "ZX9988776"})
        system.post("/api/v1/match", json={"source": SOURCE, "record_id": "SEC-10", "full_name": "Wvutsrq",
                                           "date_of_birth": "31/02/1986"})
        steward.post("/api/v1/decisions", json={"source_l": SOURCE, "record_id_l": "SEC-1", "source_r": SOURCE,
                                                "record_id_r": "SEC-2", "judgement": "same"})
        server.client().post("/api/v1/auth/login", json={"username": "Zyxwvut", "password": "13/11/1987"})
        steward.get("/api/v1/reconcile", params={"queries": '{"q0": {"query": "Zyxwvut Qqqplmn"}}'})
        logs.append(server.log())
    paths = store_paths(deployment["db"])
    for report in (paths.work_dir / "runs").glob("*"):
        logs.append(report.read_text(encoding="utf-8"))
    for log_file in paths.db.parent.rglob("*.log"):
        logs.append(log_file.read_text(encoding="utf-8", errors="replace"))
    text = "\n".join(logs)
    assert "ingest" in text and "run 1" in text  # the logs are real and were captured
    leaked = [s for s in SECRETS if s in text]
    assert not leaked, leaked


def test_duckdb_encryption_offline_in_the_pinned_version(tmp_path):
    """duckdb 2.0.0 can encrypt a database (ATTACH ... (ENCRYPTION_KEY ...)), but offline only read-only:
    writing needs the httpfs extension (OpenSSL), a download. README 'Security' records this; if this
    test starts failing, the pinned DuckDB changed its answer and the README should say so."""
    target = tmp_path / "secret.duckdb"
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{target}' AS s (ENCRYPTION_KEY 'test-key-not-secret')")
        con.execute("CREATE TABLE s.t AS SELECT 'Zyxwvut Qqqplmn' AS name")
        con.execute("DETACH s")
    except duckdb.Error as exc:
        assert "httpfs" in str(exc) and "read-only crypto" in str(exc), exc
        return
    finally:
        con.close()
    assert b"Zyxwvut" not in target.read_bytes()  # if it works (httpfs present), the file is really encrypted
    with pytest.raises(duckdb.Error):
        duckdb.connect(str(target)).execute("SELECT * FROM t")
