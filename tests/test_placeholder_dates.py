"""Placeholder birth dates (01/01/YYYY for "born in YYYY") read as the year only, per source: the mapping
setting, the automatic decision from the store's own share of 1 January births, and its reversal."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from linkage.fields.dates import parse_date
from linkage.fields.placeholder_dates import placeholder_decisions
from linkage.fields.standardize import standardize
from linkage.sources.ingest import ingest_files
from linkage.sources.mapping import MappingError, parse_mapping
from linkage.store import connect
from tests.mapping_samples import csv_mapping_yaml, write_csv_mapping

COLUMNS = {"record_id": "ID", "full_name": "Name", "date_of_birth": "DOB"}


def _mapping(directory: Path, name: str, source: str, setting: str = "") -> None:
    write_csv_mapping(directory, name, source, COLUMNS, setting)


def _file(directory: Path, name: str, births: list[str]) -> Path:
    path = directory / f"{name}.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["ID", "Name", "DOB"])
        for i, dob in enumerate(births):
            writer.writerow([f"{name}-{i}", f"Person {i}", dob])
    return path


def _spread(n: int, year: int = 1990) -> list[str]:
    """n birth dates spread over the year (no placeholder habit)."""
    return [(dt.date(year + i % 10, 1, 1) + dt.timedelta(days=(i * 37) % 365)).strftime("%d/%m/%Y")
            for i in range(n)]


@pytest.mark.parametrize(
    ("setting", "stored"),
    [("", "auto"), ("placeholder_birth_dates: auto", "auto"), ("placeholder_birth_dates: none", "none"),
     ("placeholder_birth_dates: [01/07, 01/01]", "01-01,07-01"), ("placeholder_birth_dates: ['1/1']", "01-01")],
)
def test_mapping_setting(setting: str, stored: str) -> None:
    import yaml

    data = yaml.safe_load(csv_mapping_yaml("m", "S", COLUMNS, setting))
    assert parse_mapping(data, Path("m.yaml")).placeholder_birth_dates == stored


@pytest.mark.parametrize("setting", ["[31/02]", "[1998]", "[]", "yes", "[01-01]"])
def test_bad_mapping_setting_names_the_file(setting: str) -> None:
    import yaml

    data = yaml.safe_load(csv_mapping_yaml("m", "S", COLUMNS, f"placeholder_birth_dates: {setting}"))
    with pytest.raises(MappingError) as err:
        parse_mapping(data, Path("/srv/mappings/m.yaml"))
    assert "/srv/mappings/m.yaml" in str(err.value) and "placeholder_birth_dates" in str(err.value)


@pytest.mark.parametrize("text", ["00/00/1998", "0/0/1998", "00-00-2541"])
def test_zero_day_and_month_is_the_year(text: str) -> None:
    d = parse_date(text)
    assert d is not None and (d.precision, d.year, d.month, d.day) == ("year", 1998, None, None)


def test_each_source_by_its_setting_or_its_own_share_of_1_january(tmp_path) -> None:
    maps, inbox = tmp_path / "mappings", tmp_path / "inbox"
    maps.mkdir()
    inbox.mkdir()
    _mapping(maps, "habit", "PROV-HABIT")  # auto: 30 of 130 births on 1 January
    _mapping(maps, "plain", "PROV-PLAIN")  # auto: dates spread over the year
    _mapping(maps, "july", "PROV-JULY", "placeholder_birth_dates: [01/07]")
    _mapping(maps, "never", "PROV-NEVER", "placeholder_birth_dates: none")
    files = [
        _file(inbox, "habit", _spread(100) + [f"01/01/{1980 + i}" for i in range(30)]),
        _file(inbox, "plain", _spread(100)),
        _file(inbox, "july", ["01/07/1985", "15/03/1985", "01/01/1986"]),
        _file(inbox, "never", _spread(20) + [f"01/01/{1980 + i}" for i in range(30)]),
    ]
    con = connect(tmp_path / "store.duckdb")
    ingest_files(con, files, mappings_dir=maps)
    report = standardize(con)
    decisions = {d.source: d.month_days for d in placeholder_decisions(con)}
    assert decisions == {"PROV-HABIT": ("01-01",), "PROV-PLAIN": (), "PROV-JULY": ("07-01",), "PROV-NEVER": ()}
    year_only = dict(con.execute(
        "SELECT source, count(*) FILTER (WHERE dob_placeholder IS NOT NULL) FROM records GROUP BY 1").fetchall())
    plain_jan1 = sum(d.startswith("01/01/") for d in _spread(100))
    assert year_only == {"PROV-HABIT": 30 + plain_jan1, "PROV-PLAIN": 0, "PROV-JULY": 1, "PROV-NEVER": 0}
    assert report.placeholder_dates == (31 + plain_jan1, 0)
    row = con.execute("SELECT dob, dob_precision, dob_year, dob_month, dob_day, dob_year_min, dob_year_max,"
                      " dob_placeholder FROM records WHERE record_id = 'july-0'").fetchall()
    assert row == [(None, "year", 1985, None, None, 1985, 1985, "07-01")]
    assert con.execute("SELECT dob_precision FROM records WHERE record_id = 'july-2'").fetchall() == [("day",)]

    # The July source's next file says it writes real dates now: its full dates come back, scored again.
    con.execute("UPDATE records SET scored_version = version")
    _mapping(maps, "july", "PROV-JULY", "placeholder_birth_dates: none")
    ingest_files(con, [_file(inbox, "july_night2", ["20/05/1990"])], mappings_dir=maps, mapping="july")
    again = standardize(con)
    assert again.placeholder_dates == (0, 1)
    assert con.execute("SELECT dob, dob_precision, dob_placeholder, scored_version FROM records"
                       " WHERE record_id = 'july-0'").fetchall() == [(dt.date(1985, 7, 1), "day", None, None)]
    assert standardize(con).placeholder_dates == (0, 0)
    con.close()
