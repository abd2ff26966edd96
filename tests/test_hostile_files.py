"""Hostile and broken files (generated in ``hostile_corpus``) through `laolink ingest` and a whole `laolink nightly`.

Each file is quarantined (row, field, reason) or rejected whole (file, reason), or stored raw when it is
harmless once read correctly; nothing crashes a run, no file is half-stored, and for every file
read = stored + updated + unchanged + quarantined. Formula cells are stored raw and neutralised on export.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from demo_deployment import demo_inbox, demo_model
from hostile_corpus import FORMULAS, MACRO_MARKER, Hostile, corpus
from typer.testing import CliRunner

from linkage.cli import app
from linkage.paths import store_paths
from linkage.publishing.publish import current_snapshot

REPO = Path(__file__).resolve().parents[1]
CORPUS = corpus()


def check_outcome(con: duckdb.DuckDBPyConnection, h: Hostile, path: Path) -> None:
    """The store shows exactly the outcome ``h`` must have; counts add up; nothing half-stored."""
    files = con.execute(
        "SELECT file_id, status, reason, rows_read, rows_stored, rows_updated, rows_unchanged, rows_quarantined"
        " FROM ingested_files WHERE path = ?", [str(path.resolve())]).fetchall()
    assert len(files) == 1, (h.name, files)
    file_id, status, reason, read, stored, updated, unchanged, quarantined = files[0]
    assert read == stored + updated + unchanged + quarantined, h.name
    in_quarantine = con.execute("SELECT line_no, field, reason, raw_line FROM quarantine WHERE file_id = ?"
                                " ORDER BY line_no", [file_id]).fetchall()
    record_ids = {r for (r,) in con.execute("SELECT record_id FROM records WHERE file_id = ?", [file_id]).fetchall()}
    if h.outcome == "rejected":
        assert status == "rejected", (h.name, status, record_ids)
        assert h.reason in reason, (h.name, reason)
        assert record_ids == set() and (read, stored) == (0, 0)  # never half-stored
        assert [(line, fld, why) for line, fld, why, _ in in_quarantine] == [(None, None, f"file rejected: {reason}")]
        return
    assert status == "ingested", (h.name, reason)
    assert len(in_quarantine) == quarantined
    assert record_ids == set(h.stored), h.name
    assert stored == len(h.stored)
    if h.outcome == "quarantined":
        assert [(line, fld) for line, fld, _, _ in in_quarantine] == list(h.bad), h.name
        assert all(h.reason in why and raw for _, _, why, raw in in_quarantine), in_quarantine
    else:
        assert in_quarantine == [], (h.name, in_quarantine)
    for record_id, full_name in h.raw.items():
        assert con.execute("SELECT full_name FROM records WHERE file_id = ? AND record_id = ?",
                           [file_id, record_id]).fetchall() == [(full_name,)]  # raw, untouched
    if h.outcome == "std_issue":
        issues = con.execute(
            "SELECT r.record_id, i.field, i.reason FROM std_issues i JOIN records r USING (rid)"
            " WHERE r.file_id = ? ORDER BY 1, 2", [file_id]).fetchall()
        assert [(r, f) for r, f, _ in issues] == sorted(h.bad), (h.name, issues)
        assert all(why and h.reason in why for _, _, why in issues), issues


@pytest.fixture(scope="module")
def hostile_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("hostile")
    for h in CORPUS:
        h.make(out / h.name)
    return out


def test_the_corpus_is_hostile_enough():
    names = {h.name for h in CORPUS}
    assert len(CORPUS) >= 25
    assert {h.outcome for h in CORPUS} == {"rejected", "quarantined", "std_issue", "stored"}
    assert {"macro.xlsm", "zip_bomb.xlsx", "hundred_thousand_columns.csv", "ten_mb_cell.csv"} <= names


@pytest.mark.parametrize("h", CORPUS, ids=[h.name for h in CORPUS])
def test_laolink_ingest_quarantines_or_rejects_with_the_reason(h, hostile_dir, tmp_path):
    path = hostile_dir / h.name
    db = tmp_path / "laolink.duckdb"
    result = CliRunner().invoke(app, ["ingest", str(path), "--db", str(db)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code == (1 if h.outcome == "rejected" else 0), result.output
    line = next(x for x in result.output.splitlines() if x.startswith(str(path.resolve())))
    if h.outcome == "rejected":
        assert h.reason in line  # the file and the reason, on one line
    if h.outcome == "std_issue":
        standardized = CliRunner().invoke(app, ["standardize", "--db", str(db)])
        assert standardized.exit_code == 0, standardized.output
    con = duckdb.connect(str(db), read_only=True)
    try:
        check_outcome(con, h, path)
    finally:
        con.close()


def test_the_macro_is_neither_run_nor_stored(hostile_dir, tmp_path):
    db = tmp_path / "laolink.duckdb"
    before = set(Path.cwd().iterdir())
    CliRunner().invoke(app, ["ingest", str(hostile_dir / "macro.xlsm"), "--db", str(db)])
    assert set(Path.cwd().iterdir()) == before  # nothing dropped next to us
    for f in tmp_path.rglob("*"):
        if f.is_file():
            assert MACRO_MARKER not in f.read_bytes(), f


@pytest.mark.slow
def test_whole_nightly_run_survives_the_corpus_and_exports_formulas_neutralised(hostile_dir, tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile-nightly")
    inbox = demo_inbox(base / "demo")
    demo_files = sorted(inbox.iterdir())
    for h in CORPUS:
        (inbox / h.name).write_bytes((hostile_dir / h.name).read_bytes())
    db = base / "laolink.duckdb"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAOLINK_")}
    run = subprocess.run(
        [sys.executable, "-m", "linkage", "nightly", "--inbox", str(inbox), "--db", str(db),
         "--model", str(demo_model()), "--memory-limit", "2GB"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "Traceback" not in run.stderr
    report = json.loads((store_paths(db).work_dir / "runs" / "run-000001.json").read_text())
    assert report["status"] == "ok"
    by_name = {Path(f["path"]).name: f for f in report["files"]}
    assert set(by_name) == {h.name for h in CORPUS} | {f.name for f in demo_files}
    for f in report["files"]:
        assert f["read"] == f["stored"] + f["updated"] + f["unchanged"] + f["quarantined"], f
    rows = report["rows"]
    assert rows["read"] == rows["stored"] + rows["updated"] + rows["unchanged"] + rows["quarantined"]
    assert rows["rejected_files"] == sum(h.outcome == "rejected" for h in CORPUS)
    for h in CORPUS:
        assert by_name[h.name]["status"] == ("rejected" if h.outcome == "rejected" else "ingested"), h.name

    con = duckdb.connect(str(db), read_only=True)
    try:
        for h in CORPUS:
            check_outcome(con, h, inbox / h.name)
        stored_hostile = con.execute(
            "SELECT count(*) FROM records r JOIN ingested_files f USING (file_id) WHERE f.path IN ?",
            [[str((inbox / h.name).resolve()) for h in CORPUS]]).fetchall()[0][0]
    finally:
        con.close()
    assert stored_hostile == sum(len(h.stored) for h in CORPUS)

    snapshot = duckdb.connect(str(current_snapshot(store_paths(db))), read_only=True)
    try:
        published = {r for (r,) in snapshot.execute(
            "SELECT r.record_id FROM records r JOIN record_person USING (rid)").fetchall()}
    finally:
        snapshot.close()
    assert {r for h in CORPUS for r in h.stored} <= published  # every stored hostile record has a person

    out = base / "clusters.csv"
    exported = CliRunner().invoke(app, ["export", "clusters", "--db", str(db), "--out", str(out)])
    assert exported.exit_code == 0, exported.output
    with out.open(encoding="utf-8", newline="") as f:
        cells = [cell for line in csv.reader(f) for cell in line]
    for value in (v.strip() for v in FORMULAS.values()):  # the record_ids as stored: a key loses its outer blanks
        assert "'" + value in cells and value not in cells, value  # neutralised, not dropped
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
