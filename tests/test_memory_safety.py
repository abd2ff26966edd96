"""Memory safety of the nightly job: a blocking cap stops it before scoring, and a tight DuckDB memory limit spills.

Real demo files, a real store, the real `laolink nightly` command.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from linkage.cli import app
from linkage.demo_data.generate import generate


@pytest.fixture(scope="module")
def inbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    demo = tmp_path_factory.mktemp("demo")
    generate(demo, 300, 21, 1)
    folder = demo / "inbox"
    folder.mkdir()
    for f in demo.iterdir():
        if f.name.startswith("night1_"):
            f.rename(folder / f.name)
    return folder


def test_blocking_cap_stops_the_night_before_scoring_and_names_the_rule(inbox: Path, tmp_path: Path) -> None:
    db = tmp_path / "capped.duckdb"
    result = CliRunner().invoke(app, ["nightly", "--inbox", str(inbox), "--db", str(db), "--max-pairs", "50"])
    assert result.exit_code == 1
    message = result.output
    assert re.search(r"BlockingCapError: blocking rule '[^']+' pushes the pairs to score to about [\d,]+, "
                     r"over the cap of 50", message), message  # fmt: skip
    con = duckdb.connect(str(db), read_only=True)
    try:
        scored = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'predictions'"
        ).fetchall()[0][0] and con.execute("SELECT count(*) FROM predictions").fetchall()[0][0]
        run = con.execute("SELECT status, report->>'error' FROM runs ORDER BY run_id DESC LIMIT 1").fetchall()[0]
        ingested = con.execute("SELECT count(*) FROM records WHERE std_version IS NOT NULL").fetchall()[0][0]
    finally:
        con.close()
    assert not scored, "nothing may be scored past the cap"
    assert run[0] == "failed" and "over the cap of 50" in run[1]
    assert ingested > 500  # the steps before predicting did their work and kept it

    # Raising the cap lets the same store finish: the run resumes and scores.
    result = CliRunner().invoke(app, ["nightly", "--inbox", str(inbox), "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert re.search(r"pairs scored [1-9]", result.output)


def test_a_tight_memory_limit_still_finishes_by_spilling(inbox: Path, tmp_path: Path) -> None:
    roomy, tight = tmp_path / "roomy.duckdb", tmp_path / "tight.duckdb"
    for db, limit in ((roomy, "4GB"), (tight, "200MB")):
        result = CliRunner().invoke(app, ["nightly", "--inbox", str(inbox), "--db", str(db), "--memory-limit", limit])
        assert result.exit_code == 0, result.output
    counts = []
    for db in (roomy, tight):
        con = duckdb.connect(str(db), read_only=True)
        try:
            counts.append(con.execute("SELECT count(*), count(DISTINCT person_id) FROM record_person").fetchall()[0])
        finally:
            con.close()
    assert counts[0] == counts[1]
