import codecs
import datetime as dt
import json
import zipfile

import openpyxl
import pytest

from linkage.errors import InputFileError
from linkage.sources.readers import (
    ReadLimits,
    cell_text,
    detect_encoding,
    has_error_cells,
    normalize_header,
    open_source,
)

THAI_ROWS = [
    ["record_id", "full_name", "province"],
    ["TH-1", "นางสาว บัวสี ทำมะสัก", "สะหวันนะเขต"],
    ["TH-2", "นาย สมพอน แก้วมะนี", "เวียงจันทน์"],
]
LAO_ROWS = [
    ["record_id", "full_name", "province"],
    ["AHTD-1", "ບົວສີ ທຳມະສັກ", "ສະຫວັນນະເຂດ"],
    ["AHTD-2", "ນາງ ນ້ອຍ", "Vientiane Capital"],
]


def csv_text(rows):
    return "".join(",".join(r) + "\r\n" for r in rows)


def read_all(path, **kwargs):
    """(headers, [(line_no, cells...)], problems, encoding) of a whole file."""
    with open_source(path, **kwargs) as source:
        n = len(source.headers)
        rows, problems = [], []
        for batch in source.batches(list(range(n)), [f"c{i}" for i in range(n)], batch_rows=2):
            rows += [tuple(r.values()) for r in batch.table.to_pylist()]
            problems += batch.problems
        return source.headers, rows, problems, source.encoding


@pytest.mark.parametrize(
    ("encoding", "bom", "rows", "detected"),
    [
        ("utf-8", b"", LAO_ROWS, "utf-8"),
        ("utf-8", codecs.BOM_UTF8, LAO_ROWS, "utf-8-sig"),
        ("utf-16-le", codecs.BOM_UTF16_LE, LAO_ROWS, "utf-16"),
        ("utf-16-be", codecs.BOM_UTF16_BE, LAO_ROWS, "utf-16"),
        ("utf-16-le", b"", LAO_ROWS, "utf-16-le"),
        ("utf-16-be", b"", THAI_ROWS, "utf-16-be"),
        ("cp874", b"", THAI_ROWS, "cp874"),
        ("utf-8", b"", THAI_ROWS, "utf-8"),
    ],
)
def test_every_encoding_is_read_correctly(tmp_path, encoding, bom, rows, detected):
    path = tmp_path / "f.csv"
    path.write_bytes(bom + csv_text(rows).encode(encoding))
    assert detect_encoding(path) == detected
    headers, got, problems, used = read_all(path)
    assert used == detected
    assert headers == rows[0]
    assert got == [(i + 2, *r) for i, r in enumerate(rows[1:])]
    assert problems == []


def test_declared_encoding_is_used_and_a_bom_still_wins(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(csv_text(THAI_ROWS).encode("cp874"))
    assert read_all(path, encoding="cp874")[1][0][2] == "นางสาว บัวสี ทำมะสัก"
    path.write_bytes(codecs.BOM_UTF8 + csv_text(LAO_ROWS).encode("utf-8"))
    assert detect_encoding(path, "cp874") == "utf-8-sig"


@pytest.mark.parametrize(("declared", "written", "bom", "rows", "read_as"), [
    ("utf-16", "utf-16-le", b"", LAO_ROWS, "utf-16-le"),  # no BOM, told by its NUL bytes
    ("utf-16", "utf-8", b"", LAO_ROWS, "utf-8"),  # the list saved as UTF-8 this time
    ("cp874", "utf-8", b"", THAI_ROWS, "utf-8"),  # read as Windows-874 it would be refused
])
def test_a_file_not_in_its_declared_encoding_is_read_by_its_own_evidence(tmp_path, declared, written, bom, rows,
                                                                          read_as):
    path = tmp_path / "f.csv"
    path.write_bytes(bom + csv_text(rows).encode(written))
    headers, got, problems, used = read_all(path, encoding=declared)
    assert (used, headers, got, problems) == (read_as, rows[0], [(i + 2, *r) for i, r in enumerate(rows[1:])], [])


def test_utf16_without_a_bom_or_its_nul_bytes_is_rejected_not_a_crash(tmp_path):
    path = tmp_path / "f.csv"
    lao = "ບົວສີທຳມະສັກ" * 40  # hardly any ASCII: too few NUL bytes to tell UTF-16 by
    path.write_bytes(csv_text([["ລະຫັດ", "ຊື່"], ["ກ", lao]]).encode("utf-16-le"))
    with pytest.raises(InputFileError) as err, open_source(path, encoding="utf-16") as source:
        list(source.batches([0, 1], ["a", "b"]))
    assert err.value.path == str(path)
    assert err.value.reason == "cannot be decoded as utf-16: UTF-16 stream does not start with BOM"


def test_undecodable_file_is_rejected_with_the_place(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(b"record_id,full_name\nA,ok\nB,\xdb\xfc bad\n")
    with pytest.raises(InputFileError) as err:
        open_source(path)
    assert err.value.path == str(path)
    assert err.value.reason == (
        "is not UTF-8, UTF-16 or Thai Windows-874 text (as UTF-8 it fails at line 3, byte offset 27: "
        "bytes db (invalid continuation byte))"
    )


def test_declared_utf8_failing_mid_file_is_rejected_when_reached(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes("record_id,full_name\nA,ບົວສີ\n".encode() + "B,บัวสี\n".encode("cp874"))
    with pytest.raises(InputFileError) as err, open_source(path, encoding="utf-8") as source:
        list(source.batches([0, 1], ["a", "b"]))
    assert err.value.reason == "cannot be decoded as utf-8: line 3, byte offset 40: bytes ba (invalid start byte)"


def test_a_stray_quote_that_takes_the_next_rows_into_one_cell_is_a_problem_not_a_record(tmp_path):
    header = "record_id,full_name,sex,province,note\n"
    path = tmp_path / "f.csv"
    path.write_text(header + "A1,Noy,F,Vientiane,\nA2,\"Nang Bouakham,F,Vientiane,\nA3,Somchai,M,Vientiane,\n"
                    "A4,Phet \"Noy\",F,Vientiane,\nA5,Seng,M,Vientiane,\"Ban Phonxay,\nnear the market\"\n",
                    encoding="utf-8")
    _, rows, problems, _ = read_all(path)
    assert [r[:2] for r in rows] == [(2, "A1"), (6, "A5")]  # A5's note spans two lines with one comma: a note
    assert rows[1][5] == "Ban Phonxay,\nnear the market"
    assert [(p.line_no, p.reason) for p in problems] == [
        (3, "a quote opened in column 2 on line 3 closes on line 5: the lines between read as rows of their own (an"
            " unbalanced quote?); they are kept here, not stored")]
    assert "A3,Somchai,M,Vientiane," in json.loads(problems[0].raw)[1]


def test_line_numbers_are_physical_lines(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text('record_id,note\n\nA,"two\nlines"\nB,plain\n\n\nC,"x"\n', encoding="utf-8")
    _, rows, problems, _ = read_all(path)
    assert rows == [(3, "A", "two\nlines"), (5, "B", "plain"), (8, "C", "x")]
    assert problems == []


def test_rows_that_do_not_fit_the_header_are_problems(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("a,b,c\n1,2,3\n1,2\n1,2,3,4\n1,2,3,,\n", encoding="utf-8")
    _, rows, problems, _ = read_all(path)
    assert rows == [(2, "1", "2", "3"), (5, "1", "2", "3")]  # empty trailing cells lose nothing
    assert [(p.line_no, p.reason, json.loads(p.raw)) for p in problems] == [
        (3, "ragged line: 2 field(s) where the header has 3", ["1", "2"]),
        (4, "more columns than the header: 4 field(s) where the header has 3", ["1", "2", "3", "4"]),
    ]


def test_runaway_quote_rejects_the_file(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text('a,b\n1,"never closed\n' + "2,x\n" * 200, encoding="utf-8")
    with open_source(path, limits=ReadLimits(max_field_chars=100)) as source, pytest.raises(InputFileError) as err:
        list(source.batches([0, 1], ["a", "b"]))
    assert "CSV structure broken after line" in err.value.reason
    assert "unbalanced quote" in err.value.reason


def test_empty_file_and_size_cap(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(InputFileError, match="is empty: no header row"):
        open_source(empty)
    big = tmp_path / "big.csv"
    big.write_text("a\n" + "x\n" * 100)
    with pytest.raises(InputFileError, match="is 202 bytes, over the limit of 100"):
        open_source(big, limits=ReadLimits(max_file_bytes=100))


def make_xlsx(path, rows, sheet="Sheet1"):
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = sheet
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            if value is not None:
                ws.cell(row=r, column=c, value=value)
    book.save(path)


def test_xlsx_rows_with_sheet_row_numbers_and_text_values(tmp_path):
    path = tmp_path / "f.xlsx"
    make_xlsx(path, [
        ["ລະຫັດ / Case No", "ຊື່ / Name", "DOB", "Phone"],
        ["DSW-1", "ບົວສີ ທຳມະສັກ", dt.datetime(2001, 7, 4), 2055550101],
        [None, None, None, None],
        ["DSW-2", "Noy", "15/03/2541", 2055550102.0],
        ["DSW-3", "Phet", None, None, "stray"],
    ])
    headers, rows, problems, encoding = read_all(path)
    assert encoding is None
    assert headers == ["ລະຫັດ / Case No", "ຊື່ / Name", "DOB", "Phone"]
    assert rows == [(2, "DSW-1", "ບົວສີ ທຳມະສັກ", "2001-07-04", "2055550101"),
                    (4, "DSW-2", "Noy", "15/03/2541", "2055550102")]
    assert [(p.line_no, p.reason) for p in problems] == [
        (5, "more columns than the header: 5 field(s) where the header has 4")]


def test_xlsx_with_an_error_cell_reads_the_same_and_keeps_the_error_text(tmp_path):
    """calamine (the fast reader) drops error cells: such a workbook goes through openpyxl, and both agree."""
    rows = [
        [None, None, None],
        ["record_id", "full_name", "date_of_birth", "phone"],
        ["A-1", "ບົວສີ ທຳມະສັກ", dt.datetime(1998, 3, 15), 2055550101],
        ["A-2", None, dt.date(2001, 7, 4), 2055550102.0],
        ["A-3", "Noy", "2003 (approx.)", "+856 20 5555 0103"],
    ]
    plain, with_error = tmp_path / "plain.xlsx", tmp_path / "error.xlsx"
    make_xlsx(plain, rows)
    make_xlsx(with_error, [*rows, ["A-4", "#DIV/0!", None, None]])
    book = openpyxl.load_workbook(with_error)
    book.active.cell(6, 2).data_type = "e"
    book.save(with_error)
    assert not has_error_cells(plain) and has_error_cells(with_error)  # calamine reads one, openpyxl the other
    headers, read, problems, _ = read_all(plain)
    assert headers == ["record_id", "full_name", "date_of_birth", "phone"] and problems == []
    assert read == [(3, "A-1", "ບົວສີ ທຳມະສັກ", "1998-03-15", "2055550101"), (4, "A-2", None, "2001-07-04", "2055550102"),
                    (5, "A-3", "Noy", "2003 (approx.)", "+856 20 5555 0103")]
    assert read_all(with_error)[1] == [*read, (6, "A-4", "#DIV/0!", None, None)]


def test_an_error_cell_however_its_xml_is_quoted_keeps_its_text(tmp_path):
    """A writer other than Excel may quote the type attribute with ' or put spaces around =: still an error cell."""
    made = tmp_path / "made.xlsx"
    make_xlsx(made, [["record_id", "full_name"], ["A-1", "#DIV/0!"]])
    book = openpyxl.load_workbook(made)
    book.active.cell(2, 2).data_type = "e"
    book.save(made)
    quoted = tmp_path / "quoted.xlsx"
    with zipfile.ZipFile(made) as source, zipfile.ZipFile(quoted, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                assert b't="e"' in data
                data = data.replace(b't="e"', b"t = 'e'")
            out.writestr(item, data)
    assert has_error_cells(quoted)
    assert read_all(quoted)[1] == [(2, "A-1", "#DIV/0!")]


def test_xlsx_named_sheet(tmp_path):
    path = tmp_path / "f.xlsx"
    make_xlsx(path, [["a"], ["1"]], sheet="Cases")
    assert read_all(path, sheet="Cases")[1] == [(2, "1")]
    with pytest.raises(InputFileError, match="has no sheet 'Other' \\(sheets: Cases\\)"):
        open_source(path, sheet="Other")


def test_not_a_workbook(tmp_path):
    path = tmp_path / "f.xlsx"
    path.write_text("record_id\n1\n")
    with pytest.raises(InputFileError, match="is not an XLSX workbook \\(not a zip archive\\)"):
        open_source(path)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(InputFileError, match="a zip archive but not an XLSX workbook"):
        open_source(path)


def test_zip_bomb_is_refused_before_opening(tmp_path):
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (20 << 20))
    with pytest.raises(InputFileError, match=r"member xl/worksheets/sheet1.xml compresses [\d,]+:1, over the limit"
                                             r" of 200:1 \(a zip bomb\?\)"):
        open_source(path)
    with pytest.raises(InputFileError, match=r"would unpack to [\d,]+ bytes, over the limit of 1,000"):
        open_source(path, limits=ReadLimits(max_xlsx_uncompressed_bytes=1000))


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, None), ("x", "x"), (True, "TRUE"), (17, "17"), (17.5, "17.5"), (2055550101.0, "2055550101"),
     (dt.datetime(1998, 3, 15), "1998-03-15"), (dt.datetime(1998, 3, 15, 8, 30), "1998-03-15 08:30:00"),
     (dt.date(1998, 3, 15), "1998-03-15")],
)
def test_cell_text(value, text):
    assert cell_text(value) == text


def test_normalize_header():
    assert normalize_header("\ufeff  Date  of Birth ") == normalize_header("date of birth")


def test_trailing_delimiter_on_the_header_line(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("a,b,\n1,2,\n3,4,x\n", encoding="utf-8")
    headers, rows, problems, _ = read_all(path)
    assert headers == ["a", "b"]
    assert rows == [(2, "1", "2")]
    assert [(p.line_no, p.reason) for p in problems] == [
        (3, "more columns than the header: 3 field(s) where the header has 2")]
