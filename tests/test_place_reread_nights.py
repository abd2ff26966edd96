"""Places read again through real nights (a real store, the LaoLink model with fixed m/u): a changed gazetteer
table re-reads the place values it touches, and `laolink std report` then lists only what is still unread."""

from __future__ import annotations

import csv

import pytest
from typer.testing import CliRunner

from linkage.cli import app
from linkage.errors import InputFileError
from linkage.fields.places import GAZETTEER_ENV, packaged_gazetteer_text, use_deployment_aliases
from tests.test_posted_records import Deployment  # a store beside a CSV mapping (Province, District) and a model

ROWS = [
    ("home-1", "Bouasy Thammasack", "F", "10/01/1990", "Savannakhet", "Xenoville"),  # no such district (yet)
    ("home-2", "Khamla Sisavath", "F", "11/02/1991", "Champasak", "Pakse"),
    ("home-3", "Noy Phommachanh", "M", "12/03/1992", "Savannakhet", "Kaysone Phomvihane"),
]


@pytest.fixture
def deployment(tmp_path, monkeypatch) -> Deployment:
    monkeypatch.delenv(GAZETTEER_ENV, raising=False)
    yield Deployment(tmp_path)
    monkeypatch.delenv(GAZETTEER_ENV, raising=False)
    use_deployment_aliases(None)  # the packaged table again for the tests after this one


def _places(deployment: Deployment) -> list[tuple]:
    return deployment.query("SELECT record_id, province_code, district_code, scored_version IS NOT NULL"
                            " FROM records ORDER BY record_id")


def test_a_changed_gazetteer_table_alone_reads_the_places_it_touches_again(deployment, tmp_path, monkeypatch):
    """The gazetteer CSV (here a copy named by LAOLINK_GAZETTEER, as a deployment would edit the packaged one) learns
    a spelling; no alias changes, and the next night reads the records that write it, and only those, again."""
    table = tmp_path / "gazetteer.csv"
    table.write_text(packaged_gazetteer_text(), encoding="utf-8")
    monkeypatch.setenv(GAZETTEER_ENV, str(table))
    deployment.night(ROWS)
    assert _places(deployment) == [("home-1", "LA-SV", None, True), ("home-2", "LA-CH", "LA-CH-01", True),
                                   ("home-3", "LA-SV", "LA-SV-01", True)]
    assert deployment.night().standardize["records"] == 0  # nothing changed: nothing read again

    lines = table.read_text(encoding="utf-8").splitlines(keepends=True)
    table.write_text("".join(line.replace("Atsaphang Thong\n", "Atsaphang Thong|Xenoville\n")
                             if line.startswith("LA-SV-03,") else line for line in lines), encoding="utf-8")
    again = deployment.night()
    assert again.standardize["records"] == 1 and again.standardize["redone_for_aliases"] == 1
    assert _places(deployment) == [("home-1", "LA-SV", "LA-SV-03", True), ("home-2", "LA-CH", "LA-CH-01", True),
                                   ("home-3", "LA-SV", "LA-SV-01", True)]
    assert deployment.query("SELECT field, value FROM std_issues") == []
    assert deployment.night().standardize["records"] == 0


def test_a_gazetteer_table_without_a_column_is_refused_with_its_name(tmp_path, monkeypatch) -> None:
    table = tmp_path / "places.csv"
    table.write_text("code,level,name\nLA-VT,province,Vientiane Capital\n", encoding="utf-8")
    monkeypatch.setenv(GAZETTEER_ENV, str(table))
    try:
        with pytest.raises(InputFileError) as err:
            use_deployment_aliases(None)
        assert err.value.path == str(table) and "missing: province_code, name_lo, spellings" in err.value.reason
    finally:
        monkeypatch.delenv(GAZETTEER_ENV)
        use_deployment_aliases(None)


def _std_report(deployment: Deployment) -> list[tuple[str, str, str]]:
    """(field, value, reason) of every row `laolink std report --out` writes."""
    out = deployment.root / "std_report.csv"
    result = CliRunner().invoke(app, ["std", "report", "--db", str(deployment.db), "--out", str(out)])
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8", newline="") as f:
        return sorted((row["field"], row["value"], row["reason"]) for row in csv.DictReader(f))


def test_an_alias_for_an_unread_province_takes_it_off_the_std_report(deployment):
    """'PKZ' is no province the standardizer reads, but its record's district (Pakse) gives the province all the same:
    the alias changes no code of the record, and the report must still stop listing the value once it is read."""
    deployment.night([*ROWS[1:], ("home-4", "Vanh Sisouk", "M", "13/04/1993", "PKZ", "Pakse"),
                      ("home-5", "Phet Sihalath", "F", "14/05/1994", "Atlantis", None)])
    unread = [("province", "Atlantis", "not a province of Laos in the gazetteer"),
              ("province", "PKZ / Pakse", "not a province of Laos in the gazetteer")]
    assert _std_report(deployment) == unread
    assert deployment.query("SELECT province_code FROM records WHERE record_id = 'home-4'") == [("LA-CH",)]

    added = CliRunner().invoke(app, ["gazetteer", "alias", "add", "PKZ", "LA-CH", "--db", str(deployment.db)])
    assert added.exit_code == 0, added.output
    deployment.night()
    assert _std_report(deployment) == unread[:1]
    assert deployment.query("SELECT record_id, province_code, district_code, scored_version IS NOT NULL FROM records"
                            " WHERE record_id IN ('home-4', 'home-5') ORDER BY 1") == [
        ("home-4", "LA-CH", "LA-CH-01", True), ("home-5", None, None, True)]
