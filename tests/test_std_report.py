"""`laolink std report`: unparsed values by field and frequency, with the reason, as a table and as CSV."""

from __future__ import annotations

import csv

from typer.testing import CliRunner

from linkage.cli import app
from linkage.fields.standardize import standardize
from linkage.fields.std_report import unparsed_values
from linkage.store import connect

ROWS = [  # source, province, phone, date_of_birth
    ("MOLSW-DSW", "Vientiane", "020 5555 0101", "1998"),
    ("MOPS-AHTD", "Vientiane", "12345", "31/02/1998"),
    ("MOPS-AHTD", "Vientiane", None, "=1+1"),
    ("TH-REPAT", "Atlantis", "12345", None),
    ("TH-REPAT", "LPB", "55512345", "2003 (approx.)"),
]


def _store(tmp_path):
    db = tmp_path / "store.duckdb"
    con = connect(db)
    for i, (source, province, phone, dob) in enumerate(ROWS):
        con.execute("INSERT INTO records (source, record_id, row_hash, file_id, line_no, province, phone,"
                    " date_of_birth) VALUES (?, ?, 'h', 1, ?, ?, ?, ?)", [source, f"R{i}", i, province, phone, dob])
    standardize(con)
    return db, con


def test_values_are_grouped_by_field_and_reason_most_frequent_first(tmp_path) -> None:
    _, con = _store(tmp_path)
    got = [(v.field, v.value, v.records, v.sources) for v in unparsed_values(con)]
    con.close()
    assert got == [
        ("date_of_birth", "31/02/1998", 1, "MOPS-AHTD"),
        ("date_of_birth", "=1+1", 1, "MOPS-AHTD"),
        ("phone", "12345", 2, "MOPS-AHTD, TH-REPAT"),
        ("province", "Vientiane", 3, "MOLSW-DSW, MOPS-AHTD"),
        ("province", "Atlantis", 1, "TH-REPAT"),
    ]


def test_report_command_prints_the_table_and_writes_a_safe_owner_only_csv(tmp_path) -> None:
    db, con = _store(tmp_path)
    con.close()
    out = tmp_path / "reports" / "unparsed.csv"
    result = CliRunner().invoke(app, ["std", "report", "--db", str(db), "--out", str(out), "--limit", "1"])
    assert result.exit_code == 0, result.output
    assert "province: 4 records, 2 distinct values unparsed" in result.output
    assert "may be Vientiane Province (LA-VI) or Vientiane Capital" in result.output
    assert "1 more values" in result.output and "Atlantis" not in result.output
    with out.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 5 and {r["field"] for r in rows} == {"date_of_birth", "phone", "province"}
    assert "'=1+1" in {r["value"] for r in rows}  # a spreadsheet does not run it
    assert next(r for r in rows if r["value"] == "Atlantis")["reason"] == "not a province of Laos in the gazetteer"
    assert out.stat().st_mode & 0o077 == 0
