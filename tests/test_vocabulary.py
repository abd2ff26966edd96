"""A deployment's own words for role, case type and exploitation (``linkage/fields/vocabulary.py``): taught with
`laolink vocabulary add`, read by the next real night (a real store, the LaoLink model with fixed m/u), refused when
they contradict a built-in word or name no field or code."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest
import yaml
from typer.testing import CliRunner

from linkage.cli import app
from linkage.errors import FieldError, InputFileError
from linkage.fields.case_codes import exploitation_code, role_code
from linkage.fields.standardize_one import read_record
from linkage.fields.vocabulary import parse_vocabulary_text, use_deployment_vocabulary
from linkage.fields.vocabulary_reread import changed_fields
from linkage.paths import store_paths
from linkage.publishing.publish import current_snapshot
from tests.test_posted_records import Deployment  # a store beside a CSV mapping and a model

COLUMNS = {"record_id": "ID", "full_name": "Name", "sex": "Sex", "date_of_birth": "DOB", "province": "Province",
           "role": "Role", "exploitation": "Exploitation"}
DECEIVED = "ຜູ້ຖືກຫຼອກລວງ"  # 'one who was deceived': a Lao office's word for a victim no built-in word reads
ROWS = [
    ("case-1", "Bouasy Thammasack", "F", "10/01/1990", "Savannakhet", DECEIVED, "ແຮງງານ"),
    ("case-2", "Khamla Sisavath", "F", "11/02/1991", "Champasak", "victim", "rubber tapping"),
    ("case-3", "Noy Phommachanh", "M", "12/03/1992", "Savannakhet", "hero", None),
    ("case-4", "Vanh Sisouk", "M", "13/04/1993", "Savannakhet", f" {DECEIVED} ", None),
]


class Store(Deployment):
    """A store beside a CSV mapping with role and exploitation columns and a model; ``night(rows)`` runs a night."""

    columns = COLUMNS

    def codes(self, db: Path | None = None) -> list[tuple]:
        """(record_id, role_code, exploitation_code) of the store's records, or of a snapshot's (``db``)."""
        with duckdb.connect(str(db or self.db), read_only=True) as con:
            return con.execute("SELECT record_id, role_code, exploitation_code FROM records ORDER BY 1").fetchall()

    def std_report(self) -> list[tuple[str, str]]:
        """(field, value) of every row `laolink std report --out` writes."""
        out = self.root / "std_report.csv"
        result = CliRunner().invoke(app, ["std", "report", "--db", str(self.db), "--out", str(out)])
        assert result.exit_code == 0, result.output
        with out.open(encoding="utf-8", newline="") as f:
            return sorted((row["field"], row["value"]) for row in csv.DictReader(f))

    def add(self, *args: str) -> str:
        result = CliRunner().invoke(app, ["vocabulary", "add", *args, "--db", str(self.db)])
        assert result.exit_code == 0, result.output
        return result.output


@pytest.fixture
def store(tmp_path) -> Store:
    yield Store(tmp_path)
    use_deployment_vocabulary(None)  # the built-in words alone for the tests after this one


def test_a_word_taught_is_read_by_the_next_night_and_leaves_the_std_report(store):
    """An office's role word no built-in word reads is reported; `vocabulary add` teaches it; the next night gives
    its records the code (no record scored again: a role is no evidence the model weighs), the report stops listing
    it, the unrelated unread values (a role, a form of exploitation) stay; the night after reads nothing again."""
    store.night(ROWS)
    assert store.codes() == [("case-1", None, "labour"), ("case-2", "victim", None), ("case-3", None, None),
                             ("case-4", None, None)]
    unread = sorted([("exploitation", "rubber tapping"), ("role", "hero"), ("role", DECEIVED),
                     ("role", f" {DECEIVED} ")])
    assert store.std_report() == unread
    scored = store.query("SELECT record_id, scored_version FROM records ORDER BY 1")
    pairs = store.query("SELECT count(*) FROM predictions")

    assert "now reads as victim" in store.add("role", DECEIVED, "victim")
    report = store.night()
    assert report.standardize["records"] == 0  # no record standardized whole: its role alone is read again
    assert report.standardize["reread_for_words"] == 2  # the night's report says how many it read again
    assert store.codes() == [("case-1", "victim", "labour"), ("case-2", "victim", None), ("case-3", None, None),
                             ("case-4", "victim", None)]
    assert store.std_report() == [("exploitation", "rubber tapping"), ("role", "hero")]
    assert store.query("SELECT record_id, scored_version FROM records ORDER BY 1") == scored
    assert store.query("SELECT count(*) FROM predictions") == pairs
    assert store.codes(current_snapshot(store_paths(store.db))) == store.codes()  # the night published the codes

    before = store.query("SELECT value FROM std_state WHERE name LIKE 'cache:%' ORDER BY name")
    again = store.night()
    assert again.standardize["records"] == 0 and again.standardize["reread_for_words"] == 0
    con = duckdb.connect(str(store.db), read_only=True)
    try:
        assert changed_fields(con, use_deployment_vocabulary(store_paths(store.db).vocabulary)) == []
    finally:
        con.close()
    assert store.query("SELECT value FROM std_state WHERE name LIKE 'cache:%' ORDER BY name") == before
    assert store.std_report() == [("exploitation", "rubber tapping"), ("role", "hero")]


def test_a_word_moved_or_removed_by_hand_is_read_anew_not_from_the_cache(store):
    """The standardization cache keeps what each value read as; a deployment that edits its file (a word given
    another code, a word taken out) must not get the old reading back from it."""
    store.add("exploitation", "rubber tapping", "labour")
    store.night(ROWS)
    assert store.codes()[1] == ("case-2", "victim", "labour")
    path = store_paths(store.db).vocabulary
    path.write_text("exploitation:\n  other: [rubber tapping]\nrole:\n  witness: [hero]\n", encoding="utf-8")
    store.night()
    assert store.codes() == [("case-1", None, "labour"), ("case-2", "victim", "other"), ("case-3", "witness", None),
                             ("case-4", None, None)]
    path.write_text("role:\n  witness: [hero]\n", encoding="utf-8")
    store.night()
    assert store.codes()[1] == ("case-2", "victim", None)
    assert ("exploitation", "rubber tapping") in store.std_report()
    # a new record writing the word is read as the file says now too
    store.night([("case-5", "Phet Sihalath", "F", "14/05/1994", "Savannakhet", "Hero", "rubber tapping")])
    assert store.codes()[4] == ("case-5", "witness", None)


def test_vocabulary_add_refuses_what_it_cannot_teach_and_names_why(tmp_path):
    db = tmp_path / "store.duckdb"
    runner = CliRunner()

    def add(*args: str):
        return runner.invoke(app, ["vocabulary", "add", *args, "--db", str(db)])

    try:
        refused = {
            ("colour", "red", "victim"): "not a field a deployment teaches words for: role, case_type, exploitation",
            ("role", DECEIVED, "hero"): "not one of the role codes: victim, suspect, witness, smuggled_migrant",
            ("case_type", "trafficking case", "victim"): "not one of the case_type codes: TIP, SOM, other",
            ("exploitation", "rubber tapping", "slavery"): "not one of the exploitation codes: labour, sexual,"
                                                           " forced_marriage",
            ("role", "ຜູ້ເຄາະຮ້າຍ", "witness"): "'ຜູ້ເຄາະຮ້າຍ' is the built-in word 'ຜູ້ເຄາະຮ້າຍ' for victim; a deployment"
                                                " word may not make it witness",
            ("role", "Trafficker", "victim"): "'Trafficker' is the built-in word 'trafficker' for suspect",
            ("exploitation", "n/a", "unknown"): "a blank value is read as no value",
            ("role", "\u200b", "victim"): "a blank value is read as no value",
        }
        for args, reason in refused.items():
            result = add(*args)
            assert result.exit_code == 1 and reason in result.output, (args, result.output)
        assert not store_paths(db).vocabulary.exists()

        assert "role 'Victims' already reads as victim; nothing added" in add("role", "Victims", "victim").output
        assert "now reads as TIP" in add("case-type", "trafficking case", "tip").output
        assert "now reads as victim" in add("role", DECEIVED, "victim").output
        assert "already reads as victim; nothing added" in add("role", f"{DECEIVED}\u200b", "Victim").output
        moved = add("role", DECEIVED, "witness")
        assert moved.exit_code == 1 and "already this deployment's word for victim" in moved.output
        path = store_paths(db).vocabulary
        assert yaml.safe_load(path.read_text(encoding="utf-8")) == {"role": {"victim": [DECEIVED]},
                                                                    "case_type": {"TIP": ["trafficking case"]}}
        assert path.stat().st_mode & 0o077 == 0
    finally:
        use_deployment_vocabulary(None)


@pytest.mark.parametrize(("text", "reason"), [
    ("- victim\n", "must map fields to codes to lists of words"),
    ("colour: {red: [x]}\n", "'colour': not a field a deployment teaches words for"),
    ("role: [victim]\n", "role: must map codes to lists of words"),
    ("role: {hero: [x]}\n", "role: 'hero' is not one of the role codes"),
    ("role: {victim: [1]}\n", "role.victim: words must be a list of texts"),
    ("role: {witness: [victims]}\n", "role.witness: 'victims' is the built-in word 'victims' for victim"),
    ("role: {victim: [ຜູ້ຖືກຫຼອກລວງ], witness: [ຜູ້ຖືກ ຫຼອກລວງ]}\n", "is listed for both victim and witness"),
    ("role: {victim: [ok\n", "not valid YAML"),
])
def test_a_bad_vocabulary_file_names_the_file_and_what_is_wrong(text: str, reason: str) -> None:
    with pytest.raises(InputFileError) as err:
        parse_vocabulary_text(text, "deployment.vocabulary.yaml")
    assert err.value.path == "deployment.vocabulary.yaml" and reason in err.value.reason, err.value.reason


def test_a_bad_vocabulary_file_stops_the_night_naming_it(store):
    store.night(ROWS[:1])
    store_paths(store.db).vocabulary.write_text("role: {hero: [x]}\n", encoding="utf-8")
    with pytest.raises(InputFileError) as err:
        store.night()
    assert err.value.path == str(store_paths(store.db).vocabulary)
    assert "'hero' is not one of the role codes" in err.value.reason


def test_built_in_words_read_first_and_one_record_reads_as_the_night_does(tmp_path):
    """The deployment's words only add: every built-in word keeps its code, and a record read alone (/match) takes the
    deployment's words as the night does."""
    path = tmp_path / "laolink.vocabulary.yaml"
    path.write_text(f"role:\n  victim: ['{DECEIVED}']\nexploitation:\n  labour: [rubber tapping]\n", encoding="utf-8")
    try:
        with pytest.raises(FieldError):
            role_code(DECEIVED)
        use_deployment_vocabulary(path)
        assert (role_code(DECEIVED), role_code("Witness"), exploitation_code("Rubber  Tapping")) == (
            "victim", "witness", "labour")
        standardized, issues = read_record({"role": DECEIVED, "exploitation": "rubber tapping"})
        assert (standardized["role_code"], standardized["exploitation_code"], issues) == ("victim", "labour", [])
        use_deployment_vocabulary(None)
        _, issues = read_record({"role": DECEIVED})
        assert [issue.field for issue in issues] == ["role"]
    finally:
        use_deployment_vocabulary(None)


def test_match_reads_a_role_with_the_deployments_words(tmp_path):
    """A real server (`laolink serve`): /match warns about a role no word reads, as the night lists it, and stops once
    the deployment's file teaches the word (read per request, as the gazetteer aliases are)."""
    from api_server import start_api_server
    from snapshot_builder import build_snapshot

    db = tmp_path / "laolink.duckdb"
    build_snapshot(db, [{"source": "MOLSW-DSW", "record_id": "R1", "full_name": "Khounda Phouvilai", "sex": "F",
                         "date_of_birth": "01/07/1995"}], standardize=True, persons=[{"person_id": "LA-P-0000101"}],
                   record_person={("MOLSW-DSW", "R1"): "LA-P-0000101"})
    record = {"full_name": "Khounda Phouvilai", "sex": "F", "date_of_birth": "01/07/1995", "role": DECEIVED,
              "exploitation": "rubber tapping"}

    def warned() -> list[str]:
        answer = server.client_as("system").post("/api/v1/match", json=record)
        assert answer.status_code == 200, answer.text
        return sorted(w["field"] for w in answer.json()["warnings"])

    with start_api_server(db) as server:
        assert warned() == ["exploitation", "role"]
        store_paths(db).vocabulary.write_text(f"role:\n  victim: ['{DECEIVED}']\n", encoding="utf-8")
        assert warned() == ["exploitation"]


def test_a_key_of_other_sources_sees_a_role_the_deployment_taught_in_a_fresh_server(tmp_path):
    """A role word the deployment's file teaches is a role to every request, not only after a /match: a key limited
    to another source sees the record's role on the person (a fresh `laolink serve`, nothing matched before)."""
    from api_server import start_api_server
    from snapshot_builder import build_snapshot

    db = tmp_path / "laolink.duckdb"
    person = "LA-P-0000101"
    build_snapshot(db, [{"source": "MOLSW-DSW", "record_id": "R1", "full_name": "Khounda Phouvilai", "sex": "F",
                         "role": DECEIVED},
                        {"source": "MPS-AHTD", "record_id": "A1", "full_name": "Khounda Phouvilai", "sex": "F",
                         "role": "victim"}],
                   persons=[{"person_id": person}],
                   record_person={("MOLSW-DSW", "R1"): person, ("MPS-AHTD", "A1"): person})

    def roles_seen() -> dict[str, str | None]:
        answer = server.client_as("system", sources=["MPS-AHTD"]).get(f"/api/v1/persons/{person}")
        assert answer.status_code == 200, answer.text
        return {r["record_id"]: r["role"] for r in answer.json()["records"]}

    with start_api_server(db) as server:
        assert roles_seen() == {"R1": None, "A1": "victim"}  # a source's own text no word reads: never shown
    store_paths(db).vocabulary.write_text(f"role:\n  victim: ['{DECEIVED}']\n", encoding="utf-8")
    try:
        with start_api_server(db) as server:
            assert roles_seen() == {"R1": DECEIVED, "A1": "victim"}
    finally:
        use_deployment_vocabulary(None)
