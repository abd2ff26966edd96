"""A source's settings (placeholder birth dates, event places, dates' era, one record per person) are its latest inbox
file's (``linkage/sources/file_settings.py``), whatever files its records are held by now: real ingests into a real
store, the records posted through the API ingested as the nightly ingests them."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

from linkage.sources.api_records import ingest_api_records
from linkage.sources.exchange_format import EXCHANGE_COLUMNS
from linkage.sources.file_settings import SourceSettings, source_settings
from linkage.sources.ingest import ingest_files
from linkage.sources.mapping import load_mappings
from linkage.store import migrate
from tests.mapping_samples import write_csv_mapping
from tests.store_builders import store_at_migration

COLUMNS = {"record_id": "ID", "full_name": "Name", "sex": "Sex", "date_of_birth": "DOB", "province": "Province"}
PEOPLE = [("Bouasy Thammasack", "F"), ("Khamla Sisavath", "F"), ("Noy Phommachanh", "M"), ("Somphone Keo", "M"),
          ("Vanh Douangmala", "F"), ("Phet Sayavong", "M")]
MENDED = "province_is: event_place\nbuddhist_era: true\nplaceholder_birth_dates: [01/07]"
LIST = SourceSettings("07-01", "event_place", False, "be")  # the mended mapping, as a file keeps it


def _list(folder: Path, name: str, rows: list[tuple[str, str, str]]) -> Path:
    """A Thai repatriation list: ID, name, sex, birth date, the checkpoint's province."""
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(list(COLUMNS.values()))
        writer.writerows([*row, "Champasak"] for row in rows)
    return path


def _rows(people: list[tuple[str, str]], first: int = 0) -> list[tuple[str, str, str]]:
    return [(f"TH-{first + i}", n, s, f"{10 + i}/0{1 + i}/{2533 + i}") for i, (n, s) in enumerate(people)]


def test_a_posted_update_of_a_lists_records_leaves_the_list_deciding(store_con, tmp_path):
    """The mended list's own records updated through the API move to the API's file: the list still decides (an
    older list, read by the mapping before it was mended, decided before: 15/08/45 became 1945)."""
    maps = tmp_path / "mappings"
    maps.mkdir()
    write_csv_mapping(maps, "repat", "TH-EVENT", COLUMNS)
    ingest_files(store_con, [_list(tmp_path / "n1", "repat_1", _rows(PEOPLE[:4]))], mappings_dir=maps)
    write_csv_mapping(maps, "repat", "TH-EVENT", COLUMNS, MENDED)
    ingest_files(store_con, [_list(tmp_path / "n2", "repat_2", _rows(PEOPLE))], mappings_dir=maps)
    assert source_settings(store_con)["TH-EVENT"] == LIST
    posted = [{"record_id": record_id, "source": "TH-EVENT", "full_name": name, "sex": sex, "date_of_birth": dob,
               "province": "Champasak", "phone": "020 5555 1234"} for record_id, name, sex, dob in _rows(PEOPLE)[4:]]
    reports = ingest_api_records(store_con, [(k, *(p.get(c) for c in EXCHANGE_COLUMNS)) for k, p in
                                             enumerate(posted, start=1)], tmp_path / "pending", 3,
                                 load_mappings(maps)["exchange"]).files
    assert [(r.mapping, r.updated) for r in reports] == [("(api)", 2)]
    assert source_settings(store_con)["TH-EVENT"] == LIST


def test_a_list_delivered_again_with_every_row_unchanged_decides(store_con, tmp_path):
    """README: a source's settings are its latest file's read from the inbox; a list delivered again under the
    mended mapping, its rows unchanged (here in another order), is read and decides."""
    maps = tmp_path / "mappings"
    maps.mkdir()
    write_csv_mapping(maps, "repat", "TH-EVENT", COLUMNS)
    ingest_files(store_con, [_list(tmp_path / "n1", "repat_1", _rows(PEOPLE))], mappings_dir=maps)
    assert source_settings(store_con)["TH-EVENT"] == SourceSettings("auto", "home", False, "auto")
    write_csv_mapping(maps, "repat", "TH-EVENT", COLUMNS, MENDED)
    report = ingest_files(store_con, [_list(tmp_path / "n2", "repat_2", _rows(PEOPLE)[::-1])], mappings_dir=maps)
    assert [(f.status, f.unchanged) for f in report.files] == [("ingested", 6)]
    assert source_settings(store_con)["TH-EVENT"] == LIST
    assert store_con.execute("SELECT * FROM file_sources ORDER BY file_id").fetchall() == [
        (1, "TH-EVENT", 6), (2, "TH-EVENT", 6)]


def test_a_store_from_before_finds_the_files_a_source_was_read_from_in_its_records_history(tmp_path):
    """Migration 20 fills ``file_sources`` from the files the records and their earlier versions came from: a list
    whose records a posted update moved to the API's file keeps deciding once the store is migrated."""
    con = store_at_migration(tmp_path / "store.duckdb", 19)
    try:
        con.execute("INSERT INTO ingested_files (file_id, path, sha256, mapping, placeholder_birth_dates, province_is,"
                    " one_record_per_person, date_era) VALUES"
                    " (1, '/srv/inbox/repat_1.csv', 'a', 'repat', 'auto', 'home', false, 'auto'),"
                    " (2, '/srv/inbox/repat_2.csv', 'b', 'repat', '07-01', 'event_place', false, 'be'),"
                    " (3, '/srv/laolink.work/pending/pending-run-000003-1-1-source-1.csv', 'c', '(api)', '07-01',"
                    " 'event_place', false, 'be'), (4, '/srv/inbox/home.csv', 'd', 'home', 'auto', 'home', false,"
                    " 'auto')")
        con.execute("INSERT INTO records (source, record_id, row_hash, file_id, line_no) VALUES"
                    " ('TH-EVENT', 'TH-0', 'h', 1, 2), ('TH-EVENT', 'TH-4', 'h2', 3, 2),"
                    " ('PROV-HOME', 'H-0', 'h', 4, 2)")
        con.execute("INSERT INTO record_history (rid, source, record_id, row_hash, version, file_id, line_no,"
                    " replaced_by_file_id) VALUES (2, 'TH-EVENT', 'TH-4', 'h', 1, 2, 6, 3)")
        migrate(con)
        assert con.execute("SELECT * FROM file_sources ORDER BY ALL").fetchall() == [
            (1, "TH-EVENT", None), (2, "TH-EVENT", None), (3, "TH-EVENT", None), (4, "PROV-HOME", None)]
        assert source_settings(con)["TH-EVENT"] == LIST
    finally:
        con.close()


def _post(con, folder: Path, maps: Path, records: list[dict], run_id: int) -> None:
    """Ingest ``records`` as the nightly ingests the records posted with ``/match?persist=true``."""
    rows = [(k, *(r.get(c) for c in EXCHANGE_COLUMNS)) for k, r in enumerate(records, start=1)]
    ingest_api_records(con, rows, folder / "pending", run_id, load_mappings(maps)["exchange"])


def test_a_record_posted_before_its_sources_list_is_read_again_by_the_list_once_it_arrives(store_con, tmp_path):
    """A Thai list's record posted before the list's first delivery is read by the defaults (15/08/45 is 1945); the
    night the list arrives (Buddhist-era years, event places) reads it as the list's own records, as real-time
    matching reads it; a night after that reads nothing again."""
    from linkage.fields.standardize import standardize
    from linkage.fields.standardize_one import read_record, source_rules

    maps = tmp_path / "mappings"
    maps.mkdir()
    write_csv_mapping(maps, "repat", "TH-EVENT", COLUMNS, MENDED)
    posted = {"record_id": "API-1", "source": "TH-EVENT", "full_name": "Bouasy Thammasack", "sex": "F",
              "date_of_birth": "15/08/45", "province": "Champasak"}
    _post(store_con, tmp_path, maps, [posted], run_id=1)
    standardize(store_con)

    def stored() -> tuple:
        return store_con.execute("SELECT dob, province_is_event FROM records WHERE record_id = 'API-1'").fetchall()[0]

    assert stored() == (dt.date(1945, 8, 15), False)
    ingest_files(store_con, [_list(tmp_path / "n2", "repat", _rows(PEOPLE))], mappings_dir=maps)
    report = standardize(store_con)
    assert stored() == (dt.date(2002, 8, 15), True)
    assert (report.redone_for_era, report.records) == (1, 1 + len(PEOPLE))
    real_time, _ = read_record(posted, source_rules(store_con)["TH-EVENT"])
    assert (real_time["dob"], real_time["province_is_event"]) == stored()
    assert (standardize(store_con).records, stored()) == (0, (dt.date(2002, 8, 15), True))


def test_a_record_posted_before_a_registers_list_leaves_the_register_listed_once(store_con, tmp_path):
    """A register (one_record_per_person) whose record was posted before its first list: once the list arrives the
    source lists each person once, the posted record being one of its records."""
    from linkage.clusters.one_to_one import LISTED_ONCE_TABLE, listed_once_sources

    maps = tmp_path / "mappings"
    maps.mkdir()
    write_csv_mapping(maps, "reg", "REG", COLUMNS, "one_record_per_person: true")
    _post(store_con, tmp_path, maps, [{"record_id": "API-1", "source": "REG", "full_name": "Somchai Inthavong"}], 1)
    assert listed_once_sources(store_con) == 0
    ingest_files(store_con, [_list(tmp_path / "n2", "reg", _rows(PEOPLE))], mappings_dir=maps)
    assert listed_once_sources(store_con) == 1
    assert store_con.execute(f"SELECT * FROM {LISTED_ONCE_TABLE}").fetchall() == [("REG", 1 + len(PEOPLE))]


def test_a_posted_source_with_an_invisible_character_is_read_by_that_sources_settings(store_con, tmp_path):
    """A source copied with a zero-width space (or a byte-order mark, a no-break space, a tab): stored as that source
    (ingest removes the character) and read by its settings, as real-time matching reads it."""
    from linkage.fields.standardize import standardize

    maps = tmp_path / "mappings"
    maps.mkdir()
    write_csv_mapping(maps, "repat", "TH-EVENT", COLUMNS, MENDED)
    ingest_files(store_con, [_list(tmp_path / "n1", "repat", _rows(PEOPLE))], mappings_dir=maps)
    keys = ["TH-EVENT\u200b", "\ufeff TH-EVENT\t", "\u00a0TH-EVENT\r\n", "TH\u200d-EVENT"]
    _post(store_con, tmp_path, maps, [{"record_id": f"API-{i}", "source": key, "full_name": "Bouasy Thammasack",
                                       "date_of_birth": "15/08/45", "province": "Champasak"}
                                      for i, key in enumerate(keys)], run_id=2)
    standardize(store_con)
    assert store_con.execute("SELECT source, dob, province_is_event FROM records WHERE record_id LIKE 'API-%'"
                             ).fetchall() == [("TH-EVENT", dt.date(2002, 8, 15), True)] * len(keys)


def test_the_api_reads_a_records_keys_as_ingest_reads_them(store_con, tmp_path):
    """What the API does with a posted record's source and record_id (``key_or_none``, ``key_problem``) is what
    ingest does with them: stored as cleaned, or quarantined for the same reason (the API refuses it then)."""
    from linkage.fields.invisible import key_or_none
    from linkage.sources.row_rules import key_problem

    sources = ["TH-EVENT\u200b", "\u00a0TH-EVENT\r\n", "\u2003TH-EVENT", "TH EVENT", "ທ-1", "S.1_a-b"]
    record_ids = ["R/1", " R-2\u200b", "../x", "/abs", "a\\b", "R\x0b3", "R\t4"]
    posted = [{"record_id": f"{record_id}-{i}", "source": source, "full_name": "Bouasy Thammasack"}
              for i, source in enumerate(sources) for record_id in record_ids]
    _post(store_con, tmp_path, tmp_path, posted, run_id=1)
    stored = set(store_con.execute("SELECT source, record_id FROM records").fetchall())
    quarantined = {json.loads(raw)["record_id"]: (field, reason) for field, reason, raw in
                   store_con.execute("SELECT field, reason, raw_line FROM quarantine").fetchall()}
    for record in posted:
        problems = [(name, key_problem(name, record[name])) for name in ("record_id", "source")]
        problems = [(name, problem) for name, problem in problems if problem]
        if problems:
            assert quarantined[record["record_id"]] == problems[0], record
        else:
            assert (key_or_none(record["source"]), key_or_none(record["record_id"])) in stored, record
    assert len(stored) + len(quarantined) == len(posted) and stored and quarantined


def test_a_list_delivered_again_unchanged_under_a_mended_mapping_has_its_records_read_by_it(store_con, tmp_path):
    """The records of a list delivered again, every row unchanged, under a mended mapping are read by the mended
    mapping at the next standardize, as real-time matching reads a record of their source (by the source's settings,
    the latest list's): before, they kept the first file's settings and the two paths disagreed on the province."""
    from linkage.fields.event_place import apply_event_places
    from linkage.fields.standardize import standardize

    maps = tmp_path / "mappings"
    maps.mkdir()
    write_csv_mapping(maps, "repat", "TH-EVENT", COLUMNS)
    ingest_files(store_con, [_list(tmp_path / "n1", "repat_1", _rows(PEOPLE))], mappings_dir=maps)
    standardize(store_con)
    apply_event_places(store_con)
    store_con.execute("UPDATE records SET scored_version = 1")  # as a night leaves them
    assert store_con.execute("SELECT bool_or(province_is_event) FROM records").fetchall() == [(False,)]
    write_csv_mapping(maps, "repat", "TH-EVENT", COLUMNS, MENDED)
    report = ingest_files(store_con, [_list(tmp_path / "n2", "repat_2", _rows(PEOPLE)[::-1])], mappings_dir=maps)
    assert [(f.status, f.unchanged, f.updated) for f in report.files] == [("ingested", 6, 0)]
    assert source_settings(store_con)["TH-EVENT"] == LIST
    # read again by the file that brought them last: standardized and scored again
    assert store_con.execute("SELECT file_id, count(*), count(std_version), count(scored_version), max(version)"
                             " FROM records GROUP BY file_id").fetchall() == [(2, 6, 0, 0, 1)]
    assert store_con.execute("SELECT line_no FROM records ORDER BY record_id").fetchall() == [
        (7,), (6,), (5,), (4,), (3,), (2,)]
    standardize(store_con)
    apply_event_places(store_con)
    assert store_con.execute("SELECT bool_and(province_is_event) FROM records").fetchall() == [(True,)]
    # the list again in another order, same settings: nothing to read again
    rows = _rows(PEOPLE)
    report = ingest_files(store_con, [_list(tmp_path / "n3", "repat_3", rows[1:] + rows[:1])], mappings_dir=maps)
    assert [(f.status, f.unchanged) for f in report.files] == [("ingested", 6)]
    assert store_con.execute("SELECT DISTINCT file_id, count(std_version) FROM records GROUP BY ALL").fetchall() == [
        (2, 6)]
