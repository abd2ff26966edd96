"""Issue #20 row 10: what a row may say. Record ids without path tricks or control characters, sources a file may
write; every row stored or quarantined with the reason, counts adding up. A role is read as the standardizer reads
it and is never a reason to quarantine."""

from __future__ import annotations

import json

import pytest

from linkage.fields.standardize import standardize
from linkage.sources.exchange_format import EXCHANGE_COLUMNS, OPTIONAL_COLUMNS
from linkage.sources.ingest import ingest_files
from linkage.sources.mapping import MappingError, load_mapping
from tests.test_ingest import write_csv

HEADER = [c for c in EXCHANGE_COLUMNS if c not in OPTIONAL_COLUMNS]


def _csv(path, rows: list[dict], header=HEADER):
    return write_csv(path, [[r.get(c, "") for c in header] for r in rows], header=header)


@pytest.fixture
def con(store_con):
    return store_con


def _outcome(con, report) -> tuple[set[str], dict[str, tuple[str, str]]]:
    f = report.files[0]
    assert f.status == "ingested", f.reason
    assert f.read == f.stored + f.updated + f.unchanged + f.quarantined  # every row stored or quarantined
    stored = {r for (r,) in con.execute("SELECT record_id FROM records WHERE file_id = ?", [f.file_id]).fetchall()}
    rows = con.execute("SELECT field, reason, raw_line FROM quarantine WHERE file_id = ?", [f.file_id]).fetchall()
    quarantined = {json.loads(raw)["record_id"]: (field, reason) for field, reason, raw in rows}
    assert len(stored) + len(quarantined) == f.read
    return stored, quarantined


def _roles_read(con) -> dict[str, tuple[str | None, str | None]]:
    """record_id -> (role_code, the standardizer's reason when it could not read the role)."""
    standardize(con)
    return {r: (code, why) for r, code, why in con.execute(
        "SELECT record_id, role_code, i.reason FROM records LEFT JOIN std_issues i ON i.rid = records.rid"
        " AND i.field = 'role'").fetchall()}


def test_a_role_no_word_reads_is_stored_with_no_role_and_listed_not_quarantined(con, tmp_path):
    """The role is optional (record-schema.md): a victim's record is not lost for one word. Roles in Lao, Thai or
    English are read to their codes; any other value is stored as written, its role_code empty, and listed by the
    standardizer with the reason (``laolink std report``)."""
    rows = [{"record_id": f"R-{i}", "source": "MOPS-AHTD", "role": role} for i, role in enumerate(
        ["victim", "Victim", "ຜູ້ເຄາະຮ້າຍ", "ผู้ต้องหา", "witness", "smuggled_migrant", "smuggled migrant", "",
         "<script>alert(1)</script>", "boss", "victim; DROP TABLE records"])]
    stored, quarantined = _outcome(con, ingest_files(con, [_csv(tmp_path / "roles.csv", rows)]))
    assert stored == {f"R-{i}" for i in range(11)} and quarantined == {}
    read = _roles_read(con)
    assert {r: code for r, (code, _) in read.items()} == {
        "R-0": "victim", "R-1": "victim", "R-2": "victim", "R-3": "suspect", "R-4": "witness",
        "R-5": "smuggled_migrant", "R-6": "smuggled_migrant", "R-7": None, "R-8": None, "R-9": None, "R-10": None}
    assert {r for r, (_, why) in read.items() if why} == {"R-8", "R-9", "R-10"}
    assert "victim, suspect, witness, smuggled_migrant" in read["R-9"][1]
    assert con.execute("SELECT role FROM records WHERE record_id = 'R-9'").fetchall() == [("boss",)]


def test_role_words_of_lao_and_thai_offices_are_stored(con, tmp_path):
    """Words the police, provincial and Thai protection offices write for a role (quarantined before)."""
    words = ["VoT", "returnee", "ຜູ້ເຂົ້າເມືອງຜິດກົດໝາຍ", "ແຮງງານຜິດກົດໝາຍ", "ຜູ້ຖືກຫາ", "แรงงานหลบหนีเข้าเมือง",
             "ผู้ถูกลักลอบขนคน", "ผู้หลบหนีเข้าเมือง"]
    rows = [{"record_id": f"W-{i}", "source": "MOPS-AHTD", "role": role} for i, role in enumerate(words)]
    stored, quarantined = _outcome(con, ingest_files(con, [_csv(tmp_path / "office_roles.csv", rows)]))
    assert stored == {f"W-{i}" for i in range(len(words))} and quarantined == {}


def test_a_role_with_invisible_characters_is_read_as_the_standardizer_reads_it(con, tmp_path):
    rows = [{"record_id": f"I-{i}", "source": "MOPS-AHTD", "role": role}
            for i, role in enumerate(["victim\u200c", "\u200evictim", "\u200e", "bo\u200bss"])]
    stored, quarantined = _outcome(con, ingest_files(con, [_csv(tmp_path / "invisible_roles.csv", rows)]))
    assert stored == {"I-0", "I-1", "I-2", "I-3"} and quarantined == {}
    read = _roles_read(con)
    assert {r: code for r, (code, _) in read.items()} == {"I-0": "victim", "I-1": "victim", "I-2": None, "I-3": None}
    assert {r for r, (_, why) in read.items() if why} == {"I-3"}  # an invisible character alone is no role at all


def test_record_ids_with_path_tricks_or_control_characters_are_quarantined(con, tmp_path):
    ids = ["SVK/2019/00001", "LA-1", "DSW-..-2", "../../../../etc/passwd", "/etc/passwd", "a/../b", "..",
           "..\\..\\windows", "ESC\x1b[31m", "NL\nx", "DEL\x7f"]
    rows = [{"record_id": i, "source": "MOPS-AHTD"} for i in ids]
    stored, quarantined = _outcome(con, ingest_files(con, [_csv(tmp_path / "ids.csv", rows)]))
    assert stored == {"SVK/2019/00001", "LA-1", "DSW-..-2"}  # a '/' inside a case number is real
    assert set(quarantined) == set(ids) - stored
    assert all(f == "record_id" and "control character" in why for f, why in quarantined.values())


def test_a_source_must_be_a_source_code_the_file_may_write(con, tmp_path):
    mappings = tmp_path / "mappings"
    mappings.mkdir()
    (mappings / "mops.yaml").write_text(  # MOPS-AHTD's own mapping, which reads the source column
        "name: mops_ahtd\nfile_pattern: '*mops_ahtd*'\npriority: 10\nsources: [MOPS-AHTD]\n"
        "columns: {record_id: record_id, source: source, full_name: full_name}\n", encoding="utf-8")
    own = _csv(tmp_path / "night1_mops_ahtd.csv", [
        {"record_id": "M-1", "source": "MOPS-AHTD", "full_name": "Bouasy"},
        {"record_id": "M-2", "source": "PROV-SVK", "full_name": "Bouasy"}], header=["record_id", "source", "full_name"])
    stored, quarantined = _outcome(con, ingest_files(con, [own], mappings_dir=mappings))
    assert stored == {"M-1"} and quarantined["M-2"][0] == "source"
    assert "not one this file may write (mapping mops_ahtd writes MOPS-AHTD)" in quarantined["M-2"][1]
    # another ministry's file, in the generic exchange format, claims MOPS-AHTD's record: quarantined, unchanged
    other = _csv(tmp_path / "night1_prov_svk.csv", [
        {"record_id": "M-1", "source": "MOPS-AHTD", "full_name": "Somebody Else"},
        {"record_id": "S-1", "source": "PROV-SVK", "full_name": "Khamla"},
        {"record_id": "S-2", "source": "<script>alert(1)</script>"},
        {"record_id": "S-3", "source": "=cmd|' /C calc'!A0"}])
    stored, quarantined = _outcome(con, ingest_files(con, [other], mappings_dir=mappings))
    assert stored == {"S-1"}
    assert quarantined["M-1"] == ("source", "source 'MOPS-AHTD' belongs to mapping mops_ahtd: only its files may "
                                            "write it")
    assert all(quarantined[r][0] == "source" and "not a source code" in quarantined[r][1] for r in ("S-2", "S-3"))
    assert con.execute("SELECT full_name FROM records WHERE record_id = 'M-1'").fetchall() == [("Bouasy",)]


def test_a_mapping_with_a_constant_source_writes_only_that_source(con, tmp_path):
    mappings = tmp_path / "mappings"
    mappings.mkdir()
    (mappings / "dsw.yaml").write_text(
        "name: dsw_csv\nfile_pattern: '*dsw*'\npriority: 10\nsource: MOLSW-DSW\n"
        "columns: {record_id: record_id, source: source}\n", encoding="utf-8")
    path = _csv(tmp_path / "dsw.csv", [{"record_id": "D-1"}, {"record_id": "D-2", "source": "MOLSW-DSW"},
                                       {"record_id": "D-3", "source": "TH-REPAT"}], header=["record_id", "source"])
    stored, quarantined = _outcome(con, ingest_files(con, [path], mappings_dir=mappings))
    assert stored == {"D-1", "D-2"} and quarantined["D-3"][0] == "source"
    (bad := tmp_path / "bad.yaml").write_text("name: x\nsource: A\nsources: [B]\ncolumns: {record_id: id}\n")
    with pytest.raises(MappingError, match="not in its own sources"):
        load_mapping(bad)


def test_a_file_refused_for_its_folder_is_read_once_moved_and_refused_once_while_it_stays(con, tmp_path):
    import yaml

    from linkage.sources.ingest import ingest_file
    from linkage.sources.mapping import parse_mapping
    from tests.mapping_samples import csv_mapping_yaml

    text = csv_mapping_yaml("clinic", "CLINIC", {"record_id": "ID", "full_name": "Name"})
    mapping = parse_mapping(yaml.safe_load(text), tmp_path / "clinic.yaml")
    path = tmp_path / "clinic_list.csv"
    path.write_text("ID,Name\nC-1,Bounmy Phommavong\n", encoding="utf-8")
    wrong = ingest_file(con, path, mapping, only_source="MOPS-AHTD")
    assert wrong.status == "rejected" and "its folder holds source MOPS-AHTD only" in wrong.reason
    again = ingest_file(con, path, mapping, only_source="MOPS-AHTD")  # left where it is: one rejection, not two
    assert again.status == "already rejected"
    moved = ingest_file(con, path, mapping, only_source="CLINIC")
    assert moved.status == "ingested" and moved.stored == 1
    assert con.execute("SELECT count(*) FROM ingested_files WHERE status = 'rejected'").fetchall()[0][0] == 1
