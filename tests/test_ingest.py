import codecs
import csv
import datetime as dt
import io
import json
import zipfile

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mapping_samples import MOLSW_MAPPING
from typer.testing import CliRunner

from linkage.cli import app
from linkage.cli.sources import print_report
from linkage.sources.exchange_format import EXCHANGE_COLUMNS, OPTIONAL_COLUMNS
from linkage.sources.ingest import ingest_files
from linkage.sources.ingest_report import IngestReport
from linkage.sources.mapping import MappingError
from linkage.sources.readers import ReadLimits
from linkage.store import connect

HEADER = [c for c in EXCHANGE_COLUMNS if c not in OPTIONAL_COLUMNS]  # as most files: without the case columns


def row(record_id, source="MOLSW-DSW", **fields):
    values = {"record_id": record_id, "source": source, **fields}
    return [values.get(c, "") for c in HEADER]


def write_csv(path, rows, header=HEADER, encoding="utf-8"):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


@pytest.fixture
def con(store_con):
    return store_con


def ingest(con, paths, **kwargs) -> IngestReport:
    report = ingest_files(con, paths, **kwargs)
    check_adds_up(con, report)
    return report


def check_adds_up(con, report):
    """Per file and in total: read = stored + updated + unchanged + quarantined, and the store agrees."""
    for f in report.files:
        assert f.adds_up, f
        if f.status == "ingested":
            stored = con.execute(
                "SELECT rows_read, rows_stored, rows_updated, rows_unchanged, rows_quarantined, status"
                " FROM ingested_files WHERE file_id = ?", [f.file_id]).fetchall()[0]
            assert stored == (f.read, f.stored, f.updated, f.unchanged, f.quarantined, "ingested")
            (quarantined,) = con.execute("SELECT count(*) FROM quarantine WHERE file_id = ?",
                                         [f.file_id]).fetchall()[0]
            assert quarantined == f.quarantined
    assert report.read == report.stored + report.updated + report.unchanged + report.quarantined


def quarantine(con):
    return con.execute("SELECT line_no, field, reason FROM quarantine ORDER BY file_id, line_no").fetchall()


def records(con):
    return con.execute("SELECT source, record_id, full_name, version FROM records ORDER BY rid").fetchall()


# ---------------------------------------------------------------- bad rows, each with its exact reason


def test_good_rows_stored_raw_and_untouched(con, tmp_path):
    path = write_csv(tmp_path / "a.csv", [
        row("DSW-1", full_name="  Ms Bouasy  Thammasack ", sex="ຍິງ", date_of_birth="04/07/2544", phone="020 5555 0101"),
        row(" DSW-2 ", source=" MOLSW-DSW ", full_name="ບົວສີ ທຳມະສັກ", age="  "),
    ])
    report = ingest(con, [path])
    f = report.files[0]
    assert (f.status, f.mapping, f.encoding, f.read, f.stored, f.quarantined) == (
        "ingested", "exchange", "utf-8", 2, 2, 0)
    got = con.execute("SELECT source, record_id, full_name, sex, date_of_birth, phone, age, line_no, version,"
                      " std_version, full_name_std FROM records ORDER BY line_no").fetchall()
    assert got == [
        ("MOLSW-DSW", "DSW-1", "  Ms Bouasy  Thammasack ", "ຍິງ", "04/07/2544", "020 5555 0101", None, 2, 1, None, None),
        ("MOLSW-DSW", "DSW-2", "ບົວສີ ທຳມະສັກ", None, None, None, None, 3, 1, None, None),
    ]
    assert con.execute("SELECT source FROM sources").fetchall() == [("MOLSW-DSW",)]


@pytest.mark.parametrize(
    ("bad", "field", "reason"),
    [
        (row(""), "record_id", "no record_id"),
        (row("   "), "record_id", "no record_id"),
        (row("X-9", source=""), "source", "no source"),
        (row("X-9", full_name="Noy\x00"), "full_name", "contains a NUL byte"),
        (row("X-9", village="v" * 4097), "village", "value is 4097 characters long, over the limit of 4096"),
        (row("X-9")[:5], None, "ragged line: 5 field(s) where the header has 16"),
        (row("X-9") + ["extra"], None, "more columns than the header: 17 field(s) where the header has 16"),
    ],
)
def test_each_bad_row_is_quarantined_with_its_reason(con, tmp_path, bad, field, reason):
    path = write_csv(tmp_path / "a.csv", [row("DSW-1"), bad, row("DSW-3")])
    report = ingest(con, [path])
    assert (report.read, report.stored, report.quarantined) == (3, 2, 1)
    assert quarantine(con) == [(3, field, reason)]
    assert [r[1] for r in records(con)] == ["DSW-1", "DSW-3"]
    (raw,) = con.execute("SELECT raw_line FROM quarantine").fetchall()[0]
    assert "X-9" in raw or bad[0] in raw  # the row's values are kept with the reason


def test_duplicates_within_the_file_after_the_first_are_quarantined(con, tmp_path):
    path = write_csv(tmp_path / "a.csv", [
        row("DSW-1", full_name="first"), row("DSW-2"), row("DSW-1", full_name="second"),
        row("DSW-1", source="MOPS-AHTD"), row("DSW-1", full_name="third"),
    ])
    report = ingest(con, [path])
    assert (report.read, report.stored, report.quarantined) == (5, 3, 2)
    reason = "duplicate of line 2: record_id 'DSW-1' appears more than once in this file"
    assert quarantine(con) == [(4, "record_id", reason), (6, "record_id", reason)]
    assert ("MOLSW-DSW", "DSW-1", "first", 1) in records(con)


def test_quarantined_line_numbers_count_physical_lines(con, tmp_path):
    path = tmp_path / "a.csv"
    text = ",".join(HEADER) + "\n" + ",".join(row("A-1", full_name='"two\nlines"')) + "\n\n" + ",".join(row("")) + "\n"
    path.write_text(text, encoding="utf-8")
    ingest(con, [path])
    assert quarantine(con) == [(5, "record_id", "no record_id")]
    assert con.execute("SELECT full_name, line_no FROM records").fetchall() == [("two\nlines", 2)]


MOLSW_HEADER = ["ລະຫັດ / Case No", "ຊື່ / Name", "DOB", "Province of origin", "Remarks"]


@pytest.fixture
def mappings_dir(tmp_path):
    directory = tmp_path / "mappings"
    directory.mkdir()
    (directory / "molsw.yaml").write_text(MOLSW_MAPPING, encoding="utf-8")
    return directory


def test_mandatory_date_unreadable_or_missing_is_quarantined(con, tmp_path, mappings_dir):
    future = (dt.date.today().year + 544)
    path = write_csv(tmp_path / "molsw_dsw_2024.csv", [
        ["DSW-1", "Bouasy", "15/03/2541", "Savannakhet", ""],
        ["DSW-2", "Noy", "31/02/2541", "Savannakhet", ""],
        ["DSW-3", "Phet", "", "Savannakhet", ""],
        ["DSW-4", "Souk", "unknown", "", ""],
        ["DSW-5", "Khamla", f"01/01/{future}", "", ""],
        ["DSW-6", "Vanh", "sometime", "", ""],
    ], header=MOLSW_HEADER)
    report = ingest(con, [path], mappings_dir=mappings_dir)
    f = report.files[0]
    assert (f.mapping, f.read, f.stored, f.quarantined) == ("molsw_dsw", 6, 1, 5)
    assert f.ignored_headers == ["Remarks"]
    got = quarantine(con)
    assert [(line, field) for line, field, _ in got] == [(3, "date_of_birth"), (4, "date_of_birth"),
                                                         (5, "date_of_birth"), (6, "date_of_birth"),
                                                         (7, "date_of_birth")]
    assert got[1][2] == "mandatory field is empty"
    assert got[2][2] == "mandatory date is not known: 'unknown'"
    assert got[0][2].startswith("unreadable date '31/02/2541': ")
    assert got[3][2].startswith(f"unreadable date '01/01/{future}': ")
    assert got[4][2].startswith("unreadable date 'sometime': ")
    assert records(con) == [("MOLSW-DSW", "DSW-1", "Bouasy", 1)]


def test_mapping_with_own_headers_from_xlsx(con, tmp_path, mappings_dir):
    path = tmp_path / "molsw_dsw_march.xlsx"
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(MOLSW_HEADER)
    ws.append(["DSW-1", "ບົວສີ ທຳມະສັກ", dt.datetime(1998, 3, 15), "ສະຫວັນນະເຂດ", "note"])
    ws.append([None] * 5)
    ws.append(["DSW-2", "Noy", "15/03/2541", "Savannakhet"])
    ws.append(["DSW-3", "Phet", "2001", "Savannakhet", None, "stray cell"])
    ws.append(["DSW-4", "Souk", None, "Savannakhet"])
    book.save(path)
    report = ingest(con, [path], mappings_dir=mappings_dir)
    f = report.files[0]
    assert (f.mapping, f.encoding, f.read, f.stored, f.quarantined) == ("molsw_dsw", None, 4, 2, 2)
    assert con.execute("SELECT source, record_id, full_name, date_of_birth, province, line_no FROM records"
                       " ORDER BY rid").fetchall() == [
        ("MOLSW-DSW", "DSW-1", "ບົວສີ ທຳມະສັກ", "1998-03-15", "ສະຫວັນນະເຂດ", 2),
        ("MOLSW-DSW", "DSW-2", "Noy", "15/03/2541", "Savannakhet", 4),
    ]
    assert quarantine(con) == [
        (5, None, "more columns than the header: 6 field(s) where the header has 5"),
        (6, "date_of_birth", "mandatory field is empty"),
    ]


@pytest.mark.parametrize(
    ("encoding", "bom", "detected"),
    [("utf-8", b"", "utf-8"), ("utf-8", codecs.BOM_UTF8, "utf-8-sig"), ("utf-16-le", codecs.BOM_UTF16_LE, "utf-16"),
     ("utf-16-be", codecs.BOM_UTF16_BE, "utf-16"), ("cp874", b"", "cp874")],
)
def test_every_encoding_ingests_the_same_records(con, tmp_path, encoding, bom, detected):
    rows = [row("TH-1", source="TH-REPAT", full_name="นางสาว บัวสี ทำมะสัก", sex="หญิง", date_of_birth="04/07/2544"),
            row("TH-2", source="TH-REPAT", full_name="นาย สมพอน", nationality="ลาว")]
    path = tmp_path / "th.csv"
    path.write_bytes(bom + write_csv(tmp_path / "plain.csv", rows).read_text(encoding="utf-8").encode(encoding))
    report = ingest(con, [path])
    assert (report.files[0].encoding, report.stored) == (detected, 2)
    assert con.execute("SELECT record_id, full_name, sex, date_of_birth, nationality FROM records ORDER BY rid"
                       ).fetchall() == [("TH-1", "นางสาว บัวสี ทำมะสัก", "หญิง", "04/07/2544", None),
                                        ("TH-2", "นาย สมพอน", None, None, "ลาว")]


# ---------------------------------------------------------------- files rejected whole


def _zip_bomb(path):
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (20 << 20))


@pytest.mark.parametrize(
    ("name", "make", "reason"),
    [
        ("bad.csv", lambda p: p.write_bytes(",".join(HEADER).encode() + b"\nA,S,\xdb\xfc\n"),
         "is not UTF-8, UTF-16 or Thai Windows-874 text (as UTF-8 it fails at line 2, byte offset "),
        ("short.csv", lambda p: write_csv(p, [["A-1", "S"]], header=["record_id", "source"]),
         "lacks the header(s) 'role', 'full_name', "),
        ("twice.csv", lambda p: write_csv(p, [row("A-1") + ["x"]], header=HEADER + ["full_name"]),
         "has the header(s) 'full_name' more than once; cannot tell which column to use"),
        ("notzip.xlsx", lambda p: p.write_text("record_id\n"), "is not an XLSX workbook (not a zip archive)"),
        ("bomb.xlsx", _zip_bomb, "member xl/worksheets/sheet1.xml compresses "),
        ("empty.csv", lambda p: p.write_bytes(b""), "is empty: no header row"),
        ("big.csv", lambda p: write_csv(p, [row(f"A-{i}") for i in range(2000)]), "bytes, over the limit of 30,000"),
    ],
)
def test_unreadable_file_is_rejected_whole_and_recorded(con, tmp_path, name, make, reason):
    path = tmp_path / name
    make(path)
    good = write_csv(tmp_path / "good.csv", [row("G-1")])
    report = ingest(con, [path, good], limits=ReadLimits(max_file_bytes=30_000))
    bad = report.files[0]
    assert bad.status == "rejected"
    assert reason in bad.reason
    assert (bad.read, bad.stored, bad.quarantined) == (0, 0, 0)
    assert report.files[1].status == "ingested"  # the next file is not held up
    assert [r[1] for r in records(con)] == ["G-1"]
    assert con.execute("SELECT status, reason FROM ingested_files WHERE file_id = ?", [bad.file_id]).fetchall() == [
        ("rejected", bad.reason)]
    assert con.execute("SELECT line_no, reason FROM quarantine WHERE file_id = ?", [bad.file_id]).fetchall() == [
        (None, f"file rejected: {bad.reason}")]
    again = ingest(con, [path], limits=ReadLimits(max_file_bytes=30_000))
    assert again.files[0].status == "already rejected"
    assert con.execute("SELECT count(*) FROM ingested_files").fetchall() == [(2,)]


def test_file_failing_to_decode_late_is_never_half_stored(con, tmp_path):
    lines = [",".join(row(f"A-{i}", full_name="ບົວສີ")) for i in range(5000)]
    path = tmp_path / "late.csv"
    path.write_bytes(("\n".join([",".join(HEADER), *lines]) + "\n").encode() + b"B,S,\xff\n")
    report = ingest_files(con, [path])
    f = report.files[0]
    assert f.status == "rejected"
    assert f.reason.startswith("is not UTF-8, UTF-16 or Thai Windows-874 text (as UTF-8 it fails at line 5002")
    assert con.execute("SELECT count(*) FROM records").fetchall() == [(0,)]


def test_declared_encoding_failing_mid_stream_rolls_back(con, tmp_path):
    directory = tmp_path / "m"
    directory.mkdir()
    (directory / "utf8.yaml").write_text(
        "name: utf8only\nfile_pattern: '*'\nencoding: utf-8\ncolumns: {record_id: record_id, source: source}\n")
    rows = "".join(f"A-{i},S\n" for i in range(300_000))
    path = tmp_path / "late.csv"
    path.write_bytes(b"record_id,source\n" + rows.encode() + b"B,\xff\n")
    offset = len(b"record_id,source\n" + rows.encode()) + 2
    report = ingest_files(con, [path], mapping="utf8only", mappings_dir=directory)
    f = report.files[0]
    assert (f.status, f.reason) == (
        "rejected", f"cannot be decoded as utf-8: line 300002, byte offset {offset}: bytes ff (invalid start byte)")
    assert con.execute("SELECT count(*) FROM records").fetchall() == [(0,)]
    assert con.execute("SELECT count(*) FROM quarantine WHERE line_no IS NOT NULL").fetchall() == [(0,)]


# ---------------------------------------------------------------- idempotence and updates


def test_same_file_twice_changes_nothing(con, tmp_path):
    path = write_csv(tmp_path / "a.csv", [row("A-1", full_name="Noy"), row(""), row("A-2")])
    first = ingest(con, [path])
    snapshot = [con.execute(f"SELECT * EXCLUDE (quarantined_at) FROM {t} ORDER BY ALL").fetchall()
                if t == "quarantine" else con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
                for t in ("records", "quarantine", "ingested_files", "record_history", "sources")]
    second = ingest(con, [path])
    assert (first.stored, first.quarantined) == (2, 1)
    f = second.files[0]
    assert (f.status, f.file_id, f.read, f.stored, f.quarantined) == ("already ingested", first.files[0].file_id,
                                                                       0, 0, 0)
    assert f.reason.startswith(f"same content as file {first.files[0].file_id} (")
    again = [con.execute(f"SELECT * EXCLUDE (quarantined_at) FROM {t} ORDER BY ALL").fetchall()
             if t == "quarantine" else con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
             for t in ("records", "quarantine", "ingested_files", "record_history", "sources")]
    assert again == snapshot


def test_other_file_with_identical_rows_is_unchanged(con, tmp_path):
    rows = [row("A-1", full_name="Noy"), row("A-2", full_name="Phet")]
    ingest(con, [write_csv(tmp_path / "a.csv", rows)])
    report = ingest(con, [write_csv(tmp_path / "b.csv", list(reversed(rows)) + [row("A-3")])])
    f = report.files[0]
    assert (f.status, f.read, f.stored, f.updated, f.unchanged) == ("ingested", 3, 1, 0, 2)
    assert records(con) == [("MOLSW-DSW", "A-1", "Noy", 1), ("MOLSW-DSW", "A-2", "Phet", 1),
                            ("MOLSW-DSW", "A-3", None, 1)]
    assert con.execute("SELECT count(*) FROM record_history").fetchall() == [(0,)]


def test_changed_record_updates_and_keeps_history(con, tmp_path):
    ingest(con, [write_csv(tmp_path / "a.csv", [row("A-1", full_name="Noy", phone="020 1"), row("A-2")])])
    con.execute("UPDATE records SET std_version = 1, full_name_std = 'noy', dob_year = 1998")
    (rid,) = con.execute("SELECT rid FROM records WHERE record_id = 'A-1'").fetchall()[0]
    report = ingest(con, [write_csv(tmp_path / "b.csv", [row("A-1", full_name="Noy Keomany", phone="020 1"),
                                                          row("A-2")])])
    f = report.files[0]
    assert (f.read, f.stored, f.updated, f.unchanged) == (2, 0, 1, 1)
    assert con.execute("SELECT rid, full_name, phone, version, file_id, std_version, full_name_std, dob_year"
                       " FROM records WHERE record_id = 'A-1'").fetchall() == [
        (rid, "Noy Keomany", "020 1", 2, f.file_id, None, None, None)]
    assert con.execute("SELECT std_version FROM records WHERE record_id = 'A-2'").fetchall() == [(1,)]
    assert con.execute("SELECT rid, record_id, full_name, version, file_id, replaced_by_file_id FROM record_history"
                       ).fetchall() == [(rid, "A-1", "Noy", 1, 1, f.file_id)]
    # a third version keeps both earlier ones; emptying a field is a change too
    report = ingest(con, [write_csv(tmp_path / "c.csv", [row("A-1", full_name="Noy Keomany")])])
    assert report.updated == 1
    assert con.execute("SELECT version, phone FROM records WHERE record_id = 'A-1'").fetchall() == [(3, None)]
    assert con.execute("SELECT version, full_name, phone FROM record_history ORDER BY version").fetchall() == [
        (1, "Noy", "020 1"), (2, "Noy Keomany", "020 1")]


def test_files_are_never_modified(con, tmp_path):
    path = write_csv(tmp_path / "a.csv", [row("A-1"), row("")])
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    ingest(con, [path])
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["A-1", "A-2", "A-3", "", " "]), st.sampled_from(["x", "y", ""]),
                          st.sampled_from(["MOLSW-DSW", "TH-REPAT", ""])), max_size=12),
       st.lists(st.tuples(st.sampled_from(["A-1", "A-2", "A-4"]), st.sampled_from(["x", "z"])), max_size=6))
def test_counts_always_add_up(tmp_path_factory, first_rows, second_rows):
    directory = tmp_path_factory.mktemp("prop")
    con = connect(directory / "store.duckdb")
    try:
        first = ingest(con, [write_csv(directory / "1.csv", [row(r, source=s, full_name=n) for r, n, s in first_rows])])
        second = ingest(con, [write_csv(directory / "2.csv", [row(r, full_name=n) for r, n in second_rows])])
        valid = {(s, r) for r, _, s in first_rows if r.strip() and s} | {("MOLSW-DSW", r) for r, _ in second_rows}
        assert con.execute("SELECT count(*) FROM records").fetchall() == [(len(valid),)]
        assert first.stored == len({(s, r) for r, _, s in first_rows if r.strip() and s})
        (versions,) = con.execute("SELECT coalesce(sum(version - 1), 0) FROM records").fetchall()[0]
        assert versions == second.updated == con.execute("SELECT count(*) FROM record_history").fetchall()[0][0]
    finally:
        con.close()


# ---------------------------------------------------------------- command line


def test_cli_prints_the_summary_and_fails_on_a_rejected_file(tmp_path):
    db = tmp_path / "store.duckdb"
    good = write_csv(tmp_path / "a.csv", [row("A-1"), row("")])
    runner = CliRunner()
    result = runner.invoke(app, ["ingest", str(good), "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert f"{good}: ingested (mapping exchange, encoding utf-8): read 2 = stored 1 + updated 0 + unchanged 0" \
           " + quarantined 1" in result.output
    assert "total: 1 file(s), 0 rejected: read 2 = stored 1 + updated 0 + unchanged 0 + quarantined 1" in result.output
    bad = tmp_path / "b.xlsx"
    bad.write_text("nope")
    result = runner.invoke(app, ["ingest", str(good), str(bad), "--db", str(db)])
    assert result.exit_code == 1
    assert "already ingested" in result.output
    assert "rejected" in result.output and "is not an XLSX workbook" in result.output
    result = runner.invoke(app, ["ingest", str(good), "--db", str(db), "--mapping", "nosuch"])
    assert result.exit_code == 2
    assert "no mapping named 'nosuch'" in result.output


def test_unknown_mapping_name_ingests_nothing(con, tmp_path):
    with pytest.raises(MappingError, match="no mapping named 'nosuch'; known mappings: .*exchange"):
        ingest_files(con, [write_csv(tmp_path / "a.csv", [row("A-1")])], mapping="nosuch")
    assert con.execute("SELECT count(*) FROM ingested_files").fetchall() == [(0,)]


def test_quarantine_keeps_the_raw_values(con, tmp_path):
    path = write_csv(tmp_path / "a.csv", [row("", full_name="ນາງ ນ້ອຍ", phone="020")])
    ingest(con, [path])
    (raw,) = con.execute("SELECT raw_line FROM quarantine").fetchall()[0]
    assert json.loads(raw)["full_name"] == "ນາງ ນ້ອຍ"
    assert json.loads(raw)["phone"] == "020"


def test_missing_file_is_reported_not_recorded(con, tmp_path):
    report = ingest(con, [tmp_path / "nowhere.csv", tmp_path])
    assert [(f.status, f.reason) for f in report.files] == [("rejected", "is not a readable file")] * 2
    assert con.execute("SELECT count(*) FROM ingested_files").fetchall() == [(0,)]


def test_rich_table_summary(con, tmp_path, capsys):
    report = ingest(con, [write_csv(tmp_path / "a.csv", [row("A-1"), row("")])])
    print_report(report, rich_table=True)
    out = capsys.readouterr().out
    assert "a.csv" in out and "exchange" in out and "total" in out
    totals = [line.replace("│", " ").split()[-5:] for line in out.splitlines() if "total" in line]
    assert totals == [["2", "1", "0", "0", "1"]]


def test_demo_sources_quarantine_exactly_the_rows_the_generator_broke(con, tmp_path):
    """The demo generator lists the rows it broke on purpose; ingest must find those and no others."""
    from linkage.demo_data.generate import generate

    out = tmp_path / "demo"
    generate(out, n_persons=300, seed=11, night=1)
    sources = sorted(p for p in out.iterdir() if p.name.startswith("night1_"))
    report = ingest(con, sources)
    assert [f.status for f in report.files] == ["ingested"] * len(sources)
    assert {f.mapping for f in report.files} >= {"molsw_dsw", "th_repat", "border_fb1", "exchange"}
    with (out / "expected_quarantine.csv").open(encoding="utf-8") as f:
        expected = {(r["file"], int(r["line"]), r["field"]) for r in csv.DictReader(f)}
    got = {(path.rsplit("/", 1)[-1], line, field) for path, line, field in con.execute(
        "SELECT path, line_no, field FROM quarantine").fetchall()}
    assert got == expected


def test_columns_no_mapping_uses_are_reported(con, tmp_path):
    path = write_csv(tmp_path / "a.csv", [row("A-1") + ["y", "note"]], header=HEADER + ["", "Remarks"])
    f = ingest(con, [path]).files[0]
    assert (f.stored, f.ignored_headers) == (1, ["(column 17, no header)", "Remarks"])
    assert con.execute("SELECT ignored_headers FROM ingested_files").fetchall() == [
        ("(column 17, no header), Remarks",)]
