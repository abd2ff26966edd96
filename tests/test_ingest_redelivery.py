"""Files sent again, moved, mended or not readable, and what a file does not say: nothing read is lost, nothing
unsaid is overwritten (from a read-only review of ingest, each a reproduced fault)."""

import hashlib
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from mapping_samples import write_csv_mapping
from test_ingest import HEADER, check_adds_up, records, row, write_csv

from linkage.sources.exchange_format import EXCHANGE_COLUMNS
from linkage.sources.ingest import ingest_files
from linkage.store import connect


def ingest(con, paths, **kwargs):
    report = ingest_files(con, paths, **kwargs)
    check_adds_up(con, report)
    return report


def _ingest_as_nobody(body: str) -> list[str]:
    """The lines ``body`` prints, run with ``locked`` and ``readable`` (an upload of another user, mode 000, and a
    readable file) and ``con`` (a new store). Root reads any file, so as root it runs as nobody, in a folder outside
    pytest's (owner-only) one."""
    with tempfile.TemporaryDirectory(dir="/tmp") as name:
        root = Path(name)
        root.chmod(0o755)
        locked = write_csv(root / "a.csv", [row("A-1", full_name="Bouasy")])
        readable = write_csv(root / "b.csv", [row("B-1", full_name="Noy")])
        locked.chmod(0o000)
        (root / "store").mkdir()
        if os.geteuid() == 0:
            os.chown(root / "store", 65534, 65534)
        script = textwrap.dedent(f"""
            import os
            from linkage.store import connect
            from linkage.sources.ingest import ingest_files
            warm = connect({str(root / 'warm.duckdb')!r})  # what ingest imports on its way, while it can
            ingest_files(warm, [{str(readable)!r}])
            warm.close()
            if os.geteuid() == 0:
                os.setgid(65534); os.setuid(65534)
            con = connect({str(root / 'store' / 's.duckdb')!r})
            locked, readable = {str(locked)!r}, {str(readable)!r}
        """) + textwrap.dedent(body)
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_a_file_the_nightly_may_not_read_is_reported_and_the_files_after_it_are_ingested():
    """Another user's upload (mode 000 here): rejected with the reason, not a crash of the whole night, and recorded
    as other rejected files are (ingested_files and a quarantine row), so that the store shows it after the night."""
    assert _ingest_as_nobody("""
        for f in ingest_files(con, [locked, readable]).files:
            print(f.status, f.stored, f.file_id, f.reason)
        for table in ("ingested_files", "quarantine"):
            print(con.execute(f"SELECT file_id, parse_filename(path), reason FROM {table} ORDER BY file_id").fetchall())
    """) == [
        "rejected 0 1 cannot be read: Permission denied", "ingested 1 2 None",
        "[(1, 'a.csv', 'cannot be read: Permission denied'), (2, 'b.csv', None)]",
        "[(1, 'a.csv', 'file rejected: cannot be read: Permission denied')]"]


def test_a_file_the_nightly_may_not_read_is_recorded_once_a_night():
    """A night killed after reading its inbox and run again (the same night, ``night_started``) records the unreadable
    file once, not once per attempt; the next night records it again."""
    assert _ingest_as_nobody("""
        now = lambda: con.execute("SELECT CAST(current_timestamp AS TIMESTAMP)").fetchall()[0][0]
        night = now()
        for next_night in (False, False, True):  # the night, the night run again, the next night
            night = now() if next_night else night
            print([(f.status, f.file_id) for f in ingest_files(con, [locked], night_started=night).files])
        print(con.execute("SELECT count(*) FROM ingested_files").fetchall(),
              con.execute("SELECT file_id FROM quarantine ORDER BY file_id").fetchall())
    """) == ["[('rejected', 1)]", "[('rejected', 1)]", "[('rejected', 2)]", "[(2,)] [(1,), (2,)]"]


def test_a_file_moved_to_its_right_source_folder_is_read_again(store_con, tmp_path):
    """Dropped in another source's folder every row is refused; moved to its own, the same bytes are read again."""
    path = write_csv(tmp_path / "cases.csv", [row("P-1", source="PROV-CPS", full_name="Bouasy")])
    wrong = ingest(store_con, [path], folder_source={path: "MOPS-AHTD"}).files[0]
    assert (wrong.status, wrong.stored, wrong.quarantined) == ("ingested", 0, 1)
    right = ingest(store_con, [path], folder_source={path: "PROV-CPS"}).files[0]
    assert (right.status, right.stored, right.quarantined) == ("ingested", 1, 0)
    again = ingest(store_con, [path], folder_source={path: "PROV-CPS"}).files[0]
    assert again.status == "already ingested"
    assert records(store_con) == [("PROV-CPS", "P-1", "Bouasy", 1)]


def test_a_file_rejected_under_a_mapping_is_read_again_once_the_mapping_is_mended(store_con, tmp_path):
    mappings = tmp_path / "mappings"
    mappings.mkdir()
    path = tmp_path / "night1_prov_x.csv"
    path.write_text("Case No,Name,Telephone\nX1,Noy Keo,020 5555 1234\n", encoding="utf-8")
    columns = {"record_id": "Case No", "full_name": "Name"}
    write_csv_mapping(mappings, "prov_x", "PROV-X", {**columns, "phone": "Phone"}, "priority: 10")
    first = ingest(store_con, [path], mappings_dir=mappings).files[0]
    assert first.status == "rejected" and "'Phone'" in first.reason
    assert ingest(store_con, [path], mappings_dir=mappings).files[0].status == "already rejected"
    write_csv_mapping(mappings, "prov_x", "PROV-X", {**columns, "phone": "Telephone"}, "priority: 10")
    mended = ingest(store_con, [path], mappings_dir=mappings).files[0]
    assert (mended.status, mended.stored) == ("ingested", 1)


def test_invisible_characters_and_blanks_around_a_record_id_are_the_same_record(store_con, tmp_path):
    first = write_csv(tmp_path / "one.csv", [row("A1", full_name="Bouasy")])
    ingest(store_con, [first])
    again = write_csv(tmp_path / "two.csv", [row("A1\u200d", full_name="Bouasy"), row("\tA1\u00a0", full_name="Bouasy"),
                                             row("\u200d\u00ad", full_name="Noy")])
    report = ingest(store_con, [again]).files[0]
    assert (report.unchanged, report.stored, report.quarantined) == (1, 0, 2)  # the second A1 repeats the first
    assert store_con.execute("SELECT line_no, field, reason FROM quarantine ORDER BY line_no").fetchall() == [
        (3, "record_id", "duplicate of line 2: record_id 'A1' appears more than once in this file"),
        (4, "record_id", "no record_id"),
    ]
    assert records(store_con) == [("MOLSW-DSW", "A1", "Bouasy", 1)]


def test_a_list_without_the_optional_columns_keeps_their_stored_values(store_con, tmp_path):
    """An older list without the case columns says nothing about them: unchanged, nothing set to NULL."""
    full = [c for c in EXCHANGE_COLUMNS]
    values = {"record_id": "A1", "source": "MOPS-AHTD", "full_name": "Bouasy", "case_type": "Human trafficking",
              "exploitation": "Sexual exploitation"}
    ingest(store_con, [write_csv(tmp_path / "new.csv", [[values.get(c, "") for c in full]], header=full)])
    old = ingest(store_con, [write_csv(tmp_path / "old.csv", [[values.get(c, "") for c in HEADER]])]).files[0]
    assert (old.unchanged, old.updated) == (1, 0)
    changed = {**values, "full_name": "Bouasi"}
    update = ingest(store_con, [write_csv(tmp_path / "old2.csv", [[changed.get(c, "") for c in HEADER]])]).files[0]
    assert update.updated == 1
    assert store_con.execute("SELECT full_name, case_type, exploitation, version FROM records").fetchall() == [
        ("Bouasi", "Human trafficking", "Sexual exploitation", 2)]


def test_a_mandatory_date_with_an_invisible_character_is_read(store_con, tmp_path):
    mappings = tmp_path / "mappings"
    mappings.mkdir()
    write_csv_mapping(mappings, "th_x", "TH-X", {"record_id": "Case No", "full_name": "Name", "date_of_birth": "DOB"},
                      "mandatory: [date_of_birth]\nbuddhist_era: true\npriority: 10")
    path = tmp_path / "night1_th_x.csv"
    path.write_text("Case No,Name,DOB\nT1,Noy,10/05/2540\u200b\n", encoding="utf-8")
    report = ingest(store_con, [path], mappings_dir=mappings).files[0]
    assert (report.stored, report.quarantined) == (1, 0)


def test_the_store_keeps_the_mapping_digest_of_each_file(tmp_path):
    con = connect(tmp_path / "s.duckdb")
    try:
        path = write_csv(tmp_path / "cases.csv", [row("A1", full_name="Bouasy")])
        ingest(con, [path])
        digest = con.execute("SELECT mapping_digest FROM ingested_files").fetchall()[0][0]
        assert digest is not None and len(digest) == 16
    finally:
        con.close()


def test_a_files_dates_are_standardized_as_its_mapping_reads_them(store_con, tmp_path):
    """A Thai list in Buddhist-era years (mapping buddhist_era: true) writes two-digit years too: ingest checked
    15/08/62 as 2019, and standardize reads it so, not as 1962; a list without the setting is read as before."""
    from linkage.fields.standardize import standardize

    mappings = tmp_path / "mappings"
    mappings.mkdir()
    columns = {"record_id": "Case No", "full_name": "Name", "date_of_birth": "DOB", "age": "Age",
               "event_date": "Date"}
    write_csv_mapping(mappings, "th_be", "TH-BE", columns, "buddhist_era: true\npriority: 10")
    write_csv_mapping(mappings, "th_auto", "TH-AUTO", columns, "priority: 10")
    rows = "Case No,Name,DOB,Age,Date\nT1,Noy,17/03/45,,10/05/60\nT2,Keo,,17,10/05/60\nT3,Phet,17/03/2545,,\n"
    for name in ("night1_th_be.csv", "night1_th_auto.csv"):
        (tmp_path / name).write_text(rows, encoding="utf-8")
    ingest(store_con, [tmp_path / "night1_th_be.csv", tmp_path / "night1_th_auto.csv"], mappings_dir=mappings)
    assert dict(store_con.execute("SELECT mapping, date_era FROM ingested_files").fetchall()) == {
        "th_be": "be", "th_auto": "auto"}
    standardize(store_con)
    got = store_con.execute("SELECT source, record_id, dob, event_date_std, dob_year_min, dob_year_max FROM records"
                            " ORDER BY source, record_id").fetchall()
    be = [g[2:] for g in got if g[0] == "TH-BE"]
    assert [(str(d) if d else None, str(e) if e else None) for d, e, _, _ in be] == [
        ("2002-03-17", "2017-05-10"), (None, "2017-05-10"), ("2002-03-17", None)]
    assert be[1][2:] == (1999, 2000)  # aged 17 in 2017
    auto = [g[2:] for g in got if g[0] == "TH-AUTO"]
    assert str(auto[2][0]) == "2002-03-17"  # a four-digit Buddhist-era year is told without the setting
    assert str(auto[0][0]) != "2002-03-17"  # a two-digit one is not
    # real-time matching reads a record of the source as the nightly read its file
    from linkage.fields.standardize_one import read_record, source_rules

    rules = source_rules(store_con)
    assert rules["TH-BE"].date_era == "be"
    raw = store_con.execute("SELECT record_id, full_name, date_of_birth, age, event_date, dob, event_date_std"
                            " FROM records WHERE source = 'TH-BE' ORDER BY record_id").fetchall()
    for record_id, name, dob_raw, age, event, dob, event_std in raw:
        out, issues = read_record({"record_id": record_id, "source": "TH-BE", "full_name": name,
                                   "date_of_birth": dob_raw, "age": age, "event_date": event}, rules["TH-BE"])
        assert (out["dob"], out["event_date_std"], issues) == (dob, event_std, [])


def test_the_digest_kept_is_that_of_the_mapping_the_file_was_read_by(tmp_path):
    """A mapping file edited while a night reads its files: the digest kept with a file is that of the content the
    mapping was loaded from, by which the file was read, not of the file as edited since."""
    from linkage.sources.ingest import ingest_file
    from linkage.sources.mapping import load_mapping

    mappings = tmp_path / "mappings"
    mappings.mkdir()
    write_csv_mapping(mappings, "th_x", "TH-X", {"record_id": "Case No", "full_name": "Name"}, "priority: 10")
    loaded = load_mapping(mappings / "th_x.yaml")
    first = hashlib.sha256((mappings / "th_x.yaml").read_bytes()).hexdigest()[:16]
    write_csv_mapping(mappings, "th_x", "TH-X", {"record_id": "Case No", "full_name": "Name"}, "priority: 11")
    path = tmp_path / "night1_th_x.csv"
    path.write_text("Case No,Name\nT1,Noy\n", encoding="utf-8")
    con = connect(tmp_path / "s.duckdb")
    try:
        assert ingest_file(con, path, loaded).stored == 1
        assert con.execute("SELECT mapping_digest FROM ingested_files").fetchall() == [(first,)]
    finally:
        con.close()
