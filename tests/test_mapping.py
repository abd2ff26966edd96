from pathlib import Path

import pytest
from mapping_samples import MOLSW_MAPPING

from linkage.sources.exchange_format import EXCHANGE_COLUMNS
from linkage.sources.mapping import (
    PACKAGED_MAPPINGS_DIR,
    MappingError,
    choose_mapping,
    load_mapping,
    load_mappings,
    parse_mapping,
)


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def test_packaged_exchange_mapping_is_the_identity():
    exchange = load_mapping(PACKAGED_MAPPINGS_DIR / "exchange.yaml")
    assert exchange.name == "exchange"
    assert exchange.columns == {c: c for c in EXCHANGE_COLUMNS}
    assert exchange.source is None
    assert exchange.file_pattern == "*"
    assert exchange.priority < 0


def test_mapping_in_the_documented_format_loads(tmp_path):
    m = load_mapping(write(tmp_path, "molsw.yaml", MOLSW_MAPPING))
    assert (m.name, m.source, m.format, m.encoding, m.sheet) == ("molsw_dsw", "MOLSW-DSW", "xlsx", "auto", None)
    assert m.columns["record_id"] == "ລະຫັດ / Case No"
    assert m.mandatory == ("date_of_birth",)
    assert m.buddhist_era is None
    assert m.headers == ("ລະຫັດ / Case No", "ຊື່ / Name", "DOB", "Province of origin")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("columns:\n", "columns:\n  birth_place: Place\n"), "unknown exchange column 'birth_place' in columns"),
        (('  record_id: "ລະຫັດ / Case No"\n', ""), "columns.record_id is missing"),
        (("format: xlsx", "format: xls"), "format 'xls' is not one of csv, xlsx"),
        (("encoding: auto", "encoding: latin-1"), "encoding 'latin-1' is not one of"),
        (("source: MOLSW-DSW\n", ""), "give a constant 'source' or map columns.source"),
        (("mandatory: [date_of_birth]", "mandatory: [phone]"), "mandatory column 'phone' is not mapped"),
        (("mandatory: [date_of_birth]", "mandatory: [birthday]"), "unknown exchange column 'birthday' in mandatory"),
        (("buddhist_era: null", "buddhist_era: maybe"), "buddhist_era must be true, false or null"),
        (("sheet: null", "sheets: null"), "unknown key(s) sheets"),
        (("name: molsw_dsw", "name: ''"), "'name' must be a non-empty text"),
        (('  full_name: "ຊື່ / Name"', "  full_name: ''"), "columns.full_name must name a header"),
        (("buddhist_era: null", "buddhist_era: null\nsources: ''"), "'sources' must be a list of the source codes"),
        (("buddhist_era: null", "buddhist_era: null\nsources: [MOLSW-DSW, 'MOLSW DSW']"),
         "'sources' must be a list of the source codes"),
        (("buddhist_era: null", "buddhist_era: null\ndelimiter: '\"'"), "not the quote or a line end"),
        (("buddhist_era: null", "buddhist_era: null\ndelimiter: ';;'"), "delimiter must be one character"),
    ],
)
def test_invalid_mapping_is_refused_naming_the_file(tmp_path, change, message):
    path = write(tmp_path, "broken.yaml", MOLSW_MAPPING.replace(*change))
    with pytest.raises(MappingError) as err:
        load_mapping(path)
    assert str(path) in str(err.value)
    assert message in str(err.value)


def test_unparseable_yaml_names_the_file(tmp_path):
    path = write(tmp_path, "bad.yaml", "name: [unclosed\n")
    with pytest.raises(MappingError, match="bad.yaml: cannot be read"):
        load_mapping(path)


def test_not_a_mapping_at_all(tmp_path):
    with pytest.raises(MappingError, match="must be a YAML mapping"):
        parse_mapping(["a", "b"], tmp_path / "list.yaml")


def test_extra_directory_adds_and_overrides(tmp_path):
    write(tmp_path, "molsw.yaml", MOLSW_MAPPING)
    write(tmp_path, "exchange.yaml", (PACKAGED_MAPPINGS_DIR / "exchange.yaml").read_text().replace(
        "priority: -100", "priority: -50"))
    packaged = load_mappings()
    mappings = load_mappings(tmp_path)
    assert set(mappings) == set(packaged) | {"molsw_dsw"}
    assert mappings["molsw_dsw"].path == tmp_path / "molsw.yaml"
    assert mappings["exchange"].priority == -50
    assert mappings["exchange"].path == tmp_path / "exchange.yaml"


def test_duplicate_name_in_one_directory_is_an_error(tmp_path):
    write(tmp_path, "a.yaml", MOLSW_MAPPING)
    write(tmp_path, "b.yaml", MOLSW_MAPPING)
    with pytest.raises(MappingError, match="already used by"):
        load_mappings(tmp_path)


def test_a_source_listed_as_its_own_by_two_mappings_is_an_error(tmp_path):
    write(tmp_path, "a.yaml", MOLSW_MAPPING.replace("buddhist_era: null", "buddhist_era: null\nsources: [MOLSW-DSW]"))
    write(tmp_path, "b.yaml", MOLSW_MAPPING.replace("name: molsw_dsw", "name: molsw_copy").replace(
        "buddhist_era: null", "buddhist_era: null\nsources: [' MOLSW-DSW ']"))
    with pytest.raises(MappingError, match="source 'MOLSW-DSW' is already listed as its own by mapping"):
        load_mappings(tmp_path)


def test_missing_extra_directory(tmp_path):
    with pytest.raises(MappingError, match="does not exist"):
        load_mappings(tmp_path / "nowhere")


@pytest.mark.parametrize(
    ("file_name", "expected"),
    [
        ("molsw_dsw_2024.xlsx", "molsw_dsw"),
        ("MOLSW_DSW_march.csv", "molsw_dsw"),  # patterns match regardless of case
        ("ahtd_cases.csv", "exchange"),
        ("records.csv", "exchange"),
    ],
)
def test_choose_mapping_by_file_name(tmp_path, file_name, expected):
    mappings = load_mappings(tmp_path) | {"molsw_dsw": load_mapping(write(tmp_path, "m.yaml", MOLSW_MAPPING))}
    assert choose_mapping(file_name, mappings.values()).name == expected


def test_two_mappings_at_the_same_priority_are_ambiguous(tmp_path):
    a = load_mapping(write(tmp_path, "a.yaml", MOLSW_MAPPING))
    b = load_mapping(write(tmp_path, "b.yaml", MOLSW_MAPPING.replace("name: molsw_dsw", "name: molsw_dsw2")))
    with pytest.raises(MappingError, match="matches mappings molsw_dsw, molsw_dsw2 at the same priority"):
        choose_mapping("molsw_dsw.xlsx", [a, b])


def test_no_mapping_matches(tmp_path):
    a = load_mapping(write(tmp_path, "a.yaml", MOLSW_MAPPING))
    with pytest.raises(MappingError, match="no mapping's file_pattern matches 'other.csv'"):
        choose_mapping("other.csv", [a])
