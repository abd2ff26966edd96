"""Every `laolink` error is one line naming the problem and a non-zero exit, never a traceback."""

import subprocess
import sys

import duckdb
from typer.testing import CliRunner

from linkage.cli import app
from linkage.cli.errors import TRACEBACK_ENV


def test_export_before_anything_is_published_is_one_line_and_exit_1(tmp_path):
    db, out = tmp_path / "store.duckdb", tmp_path / "clusters.csv"
    run = subprocess.run(
        [sys.executable, "-m", "linkage", "export", "clusters", "--db", str(db), "--out", str(out)],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )
    assert run.returncode == 1
    assert run.stdout == ""
    assert run.stderr == f"error: nothing is published yet for {db}: run `laolink nightly` first\n"
    assert not out.exists()


def test_an_unexpected_error_names_its_type_and_how_to_see_where(tmp_path):
    folder = tmp_path / "a_folder"
    folder.mkdir()
    result = CliRunner().invoke(app, ["standardize", "--db", str(folder)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: IOException: "), result.output
    assert lines[0].endswith(f"(set {TRACEBACK_ENV}=1 to see where)")
    shown = CliRunner().invoke(app, ["standardize", "--db", str(folder)], env={TRACEBACK_ENV: "1"})
    assert isinstance(shown.exception, duckdb.IOException)


def test_a_step_that_cannot_use_its_input_exits_2_and_says_what_to_do(tmp_path):
    db = tmp_path / "store.duckdb"
    runner = CliRunner()
    no_truth = runner.invoke(app, ["evaluate", "--db", str(db)])
    assert (no_truth.exit_code, no_truth.output) == (2, "error: give --truth FILE and/or --decisions\n")
    truth = tmp_path / "truth.csv"
    truth.write_text("source,record_id,person_id\n", encoding="utf-8")
    no_predictions = runner.invoke(app, ["evaluate", "--db", str(db), "--truth", str(truth)])
    assert no_predictions.exit_code == 2
    assert no_predictions.output == "error: no predictions stored: run `laolink predict` first\n"


def test_a_refusal_in_a_command_group_exits_1(tmp_path):
    db = tmp_path / "store.duckdb"
    result = CliRunner().invoke(app, ["users", "disable", "nobody", "--db", str(db)])
    assert result.exit_code == 1
    assert len(result.output.splitlines()) == 1 and result.output.startswith("error: ") and "nobody" in result.output


def test_usage_errors_stay_typers_own(tmp_path):
    result = CliRunner().invoke(app, ["demo-data", "--out", str(tmp_path), "--night", "0"])
    assert result.exit_code == 2 and "--night" in result.output
