"""Event places (mapping ``province_is: event_place``): carried into the store per record, and a province
disagreement with such a record is no evidence in the place comparison."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import yaml

from linkage.fields.standardize import standardize
from linkage.model.comparisons import place_comparison
from linkage.model.model_input import model_input_sql
from linkage.sources.ingest import ingest_files
from linkage.sources.mapping import MappingError, parse_mapping
from linkage.store import connect
from tests.mapping_samples import csv_mapping_yaml, write_csv_mapping

COLUMNS = {"record_id": "ID", "full_name": "Name", "date_of_birth": "DOB", "province": "Province",
           "district": "District"}


def _mapping(directory: Path, name: str, source: str, setting: str = "") -> None:
    write_csv_mapping(directory, name, source, COLUMNS, setting)


def _file(directory: Path, name: str, province: str, district: str = "") -> Path:
    path = directory / f"{name}.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["ID", "Name", "DOB", "Province", "District"])
        writer.writerow([f"{name}-1", "Bounmy Phommavong", "12/03/1990", province, district])
    return path


@pytest.mark.parametrize(("setting", "value"), [("", "home"), ("province_is: home", "home"),
                                                ("province_is: event_place", "event_place")])
def test_mapping_setting(setting: str, value: str) -> None:
    data = yaml.safe_load(csv_mapping_yaml("m", "S", COLUMNS, setting))
    assert parse_mapping(data, Path("m.yaml")).province_is == value


def test_bad_setting_names_the_file() -> None:
    data = yaml.safe_load(csv_mapping_yaml("m", "S", COLUMNS, "province_is: checkpoint"))
    with pytest.raises(MappingError, match=r"m\.yaml.*province_is.*checkpoint"):
        parse_mapping(data, Path("m.yaml"))


def test_packaged_repatriation_mapping_says_event_place() -> None:
    from linkage.sources.mapping import PACKAGED_MAPPINGS_DIR

    settings = {p.stem: yaml.safe_load(p.read_text(encoding="utf-8")).get("province_is", "home")
                for p in PACKAGED_MAPPINGS_DIR.glob("*.yaml")}
    assert settings["th_repat"] == "event_place"
    assert settings["border_fb1"] == settings["molsw_dsw"] == "home"  # a passport's place of birth


def _levels(con) -> list[str]:
    """The place comparison's level label for each pair of records of the store, by rids."""
    levels = place_comparison().get_comparison("duckdb").comparison_levels
    mi = f"({model_input_sql('records', 'std_version IS NOT NULL')})"
    columns = ["province_code", "province_is_event", "district_code", "village_id"]
    select = ", ".join(f'l.{c} AS "{c}_l", r.{c} AS "{c}_r"' for c in columns)
    case = " ".join(f"WHEN {lv.sql_condition} THEN {i}" for i, lv in enumerate(levels) if lv.sql_condition != "ELSE")
    return [levels[i].label_for_charts for (i,) in con.execute(
        f"SELECT CASE {case} ELSE {len(levels) - 1} END FROM (SELECT {select} FROM {mi} l JOIN {mi} r "
        f"ON l.rid < r.rid ORDER BY l.rid, r.rid)").fetchall()]


def test_event_place_disagreement_is_no_evidence(tmp_path: Path) -> None:
    maps, inbox = tmp_path / "maps", tmp_path / "inbox"
    maps.mkdir()
    inbox.mkdir()
    _mapping(maps, "clinic", "CLINIC")
    _mapping(maps, "checkpoint", "CHECKPOINT", "province_is: event_place")
    con = connect(tmp_path / "store.duckdb")
    ingest_files(con, [_file(inbox, "clinic", "Savannakhet"), _file(inbox, "clinic2", "Champasak"),
                       _file(inbox, "checkpoint", "Vientiane Capital")], mappings_dir=maps)
    standardize(con)
    assert con.execute("SELECT source, province_code IS NOT NULL, province_is_event FROM records ORDER BY rid"
                       ).fetchall() == [("CLINIC", True, False), ("CLINIC", True, False), ("CHECKPOINT", True, True)]
    # with a district the same source writes the person's home: not an event place
    ingest_files(con, [_file(inbox, "checkpoint_night2", "Savannakhet", "Kaysone Phomvihane")], mappings_dir=maps,
                 mapping="checkpoint")
    standardize(con)
    assert con.execute("SELECT district_code IS NOT NULL, province_is_event FROM records WHERE record_id = "
                       "'checkpoint_night2-1'").fetchall() == [(True, False)]
    # clinic-clinic, clinic-checkpoint, clinic-home checkpoint, clinic2-checkpoint, ...
    assert _levels(con)[:3] == ["different province", "province missing or an event's",
                                "same province, district missing on one side"]


def test_files_ingested_before_the_setting_take_it_from_their_mapping(tmp_path: Path) -> None:
    maps, inbox = tmp_path / "maps", tmp_path / "inbox"
    maps.mkdir()
    inbox.mkdir()
    _mapping(maps, "checkpoint", "CHECKPOINT", "province_is: event_place")
    con = connect(tmp_path / "store.duckdb")
    ingest_files(con, [_file(inbox, "checkpoint", "Vientiane Capital")], mappings_dir=maps)
    standardize(con)
    con.execute("UPDATE records SET scored_version = 1")
    # as a store migrated to the setting holds a file read before it: NULL, its records unmarked
    con.execute("UPDATE ingested_files SET province_is = NULL, one_record_per_person = NULL")
    con.execute("UPDATE records SET province_is_event = false")
    ingest_files(con, [], mappings_dir=maps)  # the next night loads the mappings
    assert con.execute("SELECT province_is, one_record_per_person FROM ingested_files").fetchall() == [
        ("event_place", False)]
    standardize(con)
    assert con.execute("SELECT province_is_event, scored_version FROM records").fetchall() == [(True, None)]
