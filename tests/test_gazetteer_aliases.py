"""Gazetteer aliases: the packaged ones, a deployment's own file, `laolink gazetteer alias add`, and the
standardizer redoing exactly the records whose place a new alias reads differently."""

from __future__ import annotations

import pytest
import yaml
from typer.testing import CliRunner

from linkage.cli import app
from linkage.errors import FieldError, InputFileError
from linkage.fields.gazetteer_aliases import built_in_alias_text, parse_alias_text
from linkage.fields.places import district_code, load_gazetteer, province_code, use_deployment_aliases
from linkage.fields.standardize import STD_VERSION, standardize
from linkage.paths import store_paths
from linkage.store import connect


@pytest.fixture(autouse=True)
def built_in_only():
    use_deployment_aliases(None)
    yield
    use_deployment_aliases(None)


def test_every_built_in_alias_reads_as_its_code_and_only_it() -> None:
    places = load_gazetteer().places
    for code, values in yaml.safe_load(built_in_alias_text()).items():
        for value in values:
            found = province_code(value) if places[code].level == "province" else district_code(value)
            assert found == code, (value, code)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("LA-VT: [a\n", "not valid YAML"),
        ("- VTE\n", "must map gazetteer codes to lists of values"),
        ("VT: [VTE]\n", "'VT' is not a gazetteer code"),
        ("LA-QQ: [X]\n", "LA-QQ: no such province or district in the gazetteer"),
        ("LA-VT: [VTE, '']\n", "LA-VT: values must be a list of non-empty texts"),
        ("LA-VT: {a: 1}\n", "LA-VT: values must be a list of non-empty texts"),
    ],
)
def test_a_bad_alias_file_names_the_file_and_what_is_wrong(text: str, reason: str) -> None:
    with pytest.raises(InputFileError) as err:
        parse_alias_text(text, "/srv/laolink/store.gazetteer_aliases.yaml", set(load_gazetteer().places))
    assert err.value.path == "/srv/laolink/store.gazetteer_aliases.yaml"
    assert reason in err.value.reason


def test_the_deployments_aliases_win_over_the_built_in_ones(tmp_path) -> None:
    path = tmp_path / "store.gazetteer_aliases.yaml"
    path.write_text("LA-VT: [Vientiane, ວຽງຈັນ]\nLA-SV-03: [Ban Lao]\nLA-CH: [PKZ]\n", encoding="utf-8")
    with pytest.raises(FieldError):
        province_code("Vientiane")
    use_deployment_aliases(path)
    assert province_code("Vientiane") == province_code("ວຽງຈັນ") == "LA-VT"
    assert district_code("Ban Lao") == "LA-SV-03" and province_code("PKZ") == "LA-CH"
    assert province_code("pkz") == "LA-CH" and province_code("Savannakhet") == "LA-SV"
    use_deployment_aliases(None)
    with pytest.raises(FieldError):
        province_code("PKZ")


@pytest.mark.parametrize("alias", ["LA-VT: [Vientiane, ວຽງຈັນ]", "LA-VI: [Vientiane, ວຽງຈັນ]"])
def test_an_alias_for_vientiane_leaves_the_words_province_and_capital_their_meaning(tmp_path, alias) -> None:
    """A deployment whose records write 'Vientiane' for one of the two still reads the other by its words."""
    path = tmp_path / "store.gazetteer_aliases.yaml"
    path.write_text(alias + "\n", encoding="utf-8")
    use_deployment_aliases(path)
    assert province_code("Vientiane") == province_code("ວຽງຈັນ") == alias[:5]
    for written in ("Vientiane Province", "Vientiane Prov.", "ແຂວງວຽງຈັນ", "Province of Vientiane"):
        assert province_code(written) == "LA-VI", written
    for written in ("Vientiane Capital", "ນະຄອນຫຼວງວຽງຈັນ", "Vientiane Prefecture"):
        assert province_code(written) == "LA-VT", written
    assert district_code("Phonhong", province_code("Vientiane Province")) == "LA-VI-01"


def test_alias_add_writes_the_file_beside_the_store_and_says_when_nothing_is_needed(tmp_path) -> None:
    db = tmp_path / "store.duckdb"
    runner = CliRunner()
    added = runner.invoke(app, ["gazetteer", "alias", "add", "Ban Lao", "LA-SV-03", "--db", str(db)])
    assert added.exit_code == 0, added.output
    assert "now reads as Atsaphangthong (LA-SV-03)" in added.output
    again = runner.invoke(app, ["gazetteer", "alias", "add", "ban lao", "la-sv-03", "--db", str(db)])
    assert again.exit_code == 0 and "already reads as" in again.output
    known = runner.invoke(app, ["gazetteer", "alias", "add", "LPB", "LA-LP", "--db", str(db)])
    assert "already reads as Luang Prabang (LA-LP); nothing added" in known.output
    path = store_paths(db).gazetteer_aliases
    assert yaml.safe_load(path.read_text(encoding="utf-8")) == {"LA-SV-03": ["Ban Lao"]}
    assert path.stat().st_mode & 0o077 == 0
    bad = runner.invoke(app, ["gazetteer", "alias", "add", "Ban Lao", "LA-ZZ-99", "--db", str(db)])
    assert bad.exit_code == 1 and "not a gazetteer code" in bad.output


def _insert(con, rows: list[tuple[str, str | None, str | None]]) -> None:
    for i, (record_id, province, district) in enumerate(rows):
        con.execute("INSERT INTO records (source, record_id, row_hash, file_id, line_no, full_name, province, district)"
                    " VALUES ('S', ?, 'h', 1, ?, 'Bouasy Thammasack', ?, ?)", [record_id, i, province, district])


def test_the_next_standardize_redoes_only_the_records_a_new_alias_touches(tmp_path) -> None:
    db = tmp_path / "store.duckdb"
    con = connect(db)
    _insert(con, [("A", "Savannakhet", "Ban Lao"), ("B", "Savannakhet", "Kaysone"), ("C", "PKZ", None),
                  ("D", "Champasak", "Pakse"), ("E", "Vientiane", None)])
    first = standardize(con)
    assert first.records == 5 and first.redone_for_aliases == 0
    con.execute("UPDATE records SET scored_version = version")  # as a nightly's scoring leaves them
    assert con.execute("SELECT field, value FROM std_issues ORDER BY 1, 2").fetchall() == [
        ("district", "Ban Lao / Savannakhet"), ("province", "PKZ / "), ("province", "Vientiane / ")]
    assert standardize(con).records == 0  # nothing changed: nothing redone

    runner = CliRunner()
    for value, code in (("Ban Lao", "LA-SV-03"), ("PKZ", "LA-CH"), ("Vientiane", "LA-VT")):
        result = runner.invoke(app, ["gazetteer", "alias", "add", value, code, "--db", str(db)])
        assert result.exit_code == 0, result.output
    again = standardize(con)
    assert again.records == again.redone_for_aliases == 3
    rows = con.execute("SELECT record_id, province_code, district_code, std_version, scored_version IS NULL"
                       " FROM records ORDER BY record_id").fetchall()
    assert rows == [("A", "LA-SV", "LA-SV-03", STD_VERSION, True), ("B", "LA-SV", "LA-SV-01", STD_VERSION, False),
                    ("C", "LA-CH", None, STD_VERSION, True), ("D", "LA-CH", "LA-CH-01", STD_VERSION, False),
                    ("E", "LA-VT", None, STD_VERSION, True)]
    assert con.execute("SELECT count(*) FROM std_issues").fetchall() == [(0,)]
    assert standardize(con).records == 0
    con.close()
