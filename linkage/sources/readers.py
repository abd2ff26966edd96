"""Read source files (CSV in any of the encodings Lao offices use, or XLSX) into Arrow batches.

Each batch carries the physical line number (CSV) or sheet row number (XLSX) of every row, so a
steward can find a quarantined row in the file. Rows whose cell count does not fit the header
come back as :class:`RowProblem` instead of being guessed at. A file that cannot be read at all
(undecodable bytes, not a workbook, a zip bomb, over the size cap) raises ``InputFileError``.

Encodings: a BOM decides (UTF-8 or UTF-16 LE/BE); otherwise ``auto`` takes UTF-16 when many bytes
at even (or odd) positions are NUL and almost none at the others, then UTF-8 when the whole file
decodes as UTF-8, then Thai Windows-874 (cp874) unless that reads as impossible Thai (Western accents).
A mapping's declared encoding is used instead of ``auto``, except that UTF-16 without a BOM is still told by
its NUL bytes, and a file declared UTF-16 or Windows-874 that decodes whole as UTF-8 is read as UTF-8 (a source
that now and then saves its list as UTF-8: read as declared it would be refused, or turned into other letters).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import json
import operator
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import pyarrow as pa

from linkage.errors import InputFileError
from linkage.sources.plain_csv import Declined, PlainRead, plain_batches, utf8_copy

DEFAULT_BATCH_ROWS = 100_000
_OPEN_FILES = Path("/proc/self/fd")  # an open file by its descriptor (Linux)
_CHUNK = 1 << 20


@dataclass(frozen=True)
class ReadLimits:
    """Caps that protect the service from files that would exhaust it."""

    max_file_bytes: int = 4 << 30
    max_xlsx_uncompressed_bytes: int = 4 << 30
    max_xlsx_ratio: int = 200  # uncompressed / compressed size of one zip member
    max_field_chars: int = 1 << 20  # a CSV field longer than this means a runaway quote


@dataclass(frozen=True)
class RowProblem:
    """A row that does not fit the header: reported, never guessed at."""

    line_no: int
    reason: str
    raw: str  # the row's cells as a JSON list


@dataclass
class RowBatch:
    table: pa.Table  # line_no (int64) + one string column per requested name
    problems: list[RowProblem]

    @property
    def rows_read(self) -> int:
        return self.table.num_rows + len(self.problems)


def normalize_header(text: str) -> str:
    """Header comparison form: BOM and outer spaces dropped, inner spaces collapsed, case folded."""
    return " ".join(text.replace("\ufeff", "").split()).casefold()


# ---------------------------------------------------------------- encodings


def first_decode_error(path: Path, encoding: str) -> str | None:
    """Where ``path`` first fails to decode as ``encoding`` ('line N, byte offset M: ...'), or None."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    offset = 0
    lines = 1
    with path.open("rb") as f:
        while True:
            chunk = f.read(_CHUNK)
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                good = decoder.__class__("strict").decode(chunk[: exc.start], final=False) if exc.start else ""
                line = lines + good.count("\n")
                bad = chunk[exc.start : exc.end].hex(" ")
                return f"line {line}, byte offset {offset + exc.start}: bytes {bad} ({exc.reason})"
            if not chunk:
                return None
            lines += text.count("\n")
            offset += len(chunk)


# Latin letter + Thai combining mark, or a Thai character alone between Latin letters: never real Thai,
# but what Latin-1/Windows-1252 accents (é, í, ó, ...) become when read as Windows-874.
_IMPOSSIBLE_THAI = re.compile(r"[A-Za-z][\u0e31\u0e34-\u0e3a\u0e47-\u0e4e]|[A-Za-z][\u0e01-\u0e5b][A-Za-z]")


def _western_read_as_thai(path: Path) -> str | None:
    """Where ``path`` read as cp874 first spells impossible Thai ('line N'), or None. No text: it may be a name."""
    lines = 1
    with path.open(encoding="cp874", errors="strict", newline="") as f:
        while chunk := f.read(_CHUNK):
            found = _IMPOSSIBLE_THAI.search(chunk)
            if found:
                return f"line {lines + chunk.count(chr(10), 0, found.start())}"
            lines += chunk.count("\n")
    return None


# Declared encodings that a file's own evidence overrides: a source that writes UTF-16 or Windows-874 sometimes
# sends a list saved as UTF-8 (or UTF-16 without its BOM); read as declared it would be refused or misread.
_DETECTED_OVER_DECLARED = frozenset({"utf-16", "utf-16-le", "utf-16-be", "cp874", "windows-874", "tis-620"})


def detect_encoding(path: Path, declared: str = "auto") -> str:
    """The encoding to read a CSV file with: its BOM, else ``declared``, else detected (see module doc)."""
    with path.open("rb") as f:
        head = f.read(4096)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    even, odd = head[0::2].count(0), head[1::2].count(0)
    if len(head) >= 8 and max(even, odd) * 10 >= len(head) // 2 and min(even, odd) * 100 <= len(head) // 2:
        return "utf-16-be" if even > odd else "utf-16-le"  # ASCII characters of UTF-16 text without a BOM
    if declared != "auto" and not (declared.replace("_", "-").lower() in _DETECTED_OVER_DECLARED
                                   and first_decode_error(path, "utf-8") is None):
        return declared
    utf8_error = first_decode_error(path, "utf-8")
    if utf8_error is None:
        return "utf-8"
    if first_decode_error(path, "cp874") is None:
        western = _western_read_as_thai(path)
        if western is None:
            return "cp874"
        raise InputFileError(str(path), f"is not UTF-8 and reads as Windows-874 only as impossible Thai ({western}:"
                                        " a Thai mark or letter inside a Latin word); Latin-1/Windows-1252 text?"
                                        " Save it as UTF-8")
    raise InputFileError(
        str(path), f"is not UTF-8, UTF-16 or Thai Windows-874 text (as UTF-8 it fails at {utf8_error})"
    )


# ---------------------------------------------------------------- sources


class SourceFile:
    """An open source file: its ``headers`` and its data rows in batches."""

    path: Path
    kind: str
    encoding: str | None
    headers: list[str]

    def batches(self, wanted: Sequence[int], names: Sequence[str], batch_rows: int = DEFAULT_BATCH_ROWS
                ) -> Iterator[RowBatch]:
        """Batches of the data rows, keeping header positions ``wanted`` under ``names``."""
        raise NotImplementedError

    def native_read(self, wanted: Sequence[int], names: Sequence[str]) -> PlainRead:
        """The data rows (``line_no`` + the wanted cells) read natively, when the file allows; else Declined."""
        raise Declined(f"no native reader for {self.kind}")

    def close(self) -> None:
        """Release the file."""

    def __enter__(self) -> SourceFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _picker(wanted: Sequence[int]) -> Callable[[Sequence[Any]], tuple[Any, ...]]:
    if len(wanted) == 1:
        index = wanted[0]
        return lambda row: (row[index],)
    return operator.itemgetter(*wanted)


def _to_batch(lines: list[int], rows: list[tuple[Any, ...]], names: Sequence[str],
              problems: list[RowProblem]) -> RowBatch:
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    arrays = [pa.array(lines, type=pa.int64())] + [pa.array(c, type=pa.string()) for c in columns]
    return RowBatch(pa.Table.from_arrays(arrays, names=["line_no", *names]), problems)


def _width_problem(line_no: int, cells: Sequence[Any], width: int) -> RowProblem:
    n = len(cells)
    if n < width:
        reason = f"ragged line: {n} field(s) where the header has {width}"
    else:
        reason = f"more columns than the header: {n} field(s) where the header has {width}"
    return RowProblem(line_no, reason, json.dumps(list(cells), ensure_ascii=False, default=str))


def _swallowed_rows(row: Sequence[str], width: int, delimiter: str) -> int | None:
    """The column whose quoted cell holds a line that reads as a whole row of the file (as many delimiters as the
    header has between its columns): a stray quote that took the rows after it into one cell. None for a cell
    with line breaks of its own (an address, a note), which never holds that many delimiters on one line."""
    if width < 3:
        return None
    for column, cell in enumerate(row):
        if "\n" in cell and any(line.count(delimiter) >= width - 1 for line in cell.splitlines()[1:]):
            return column
    return None


class CsvSource(SourceFile):
    kind = "csv"

    def __init__(self, path: Path, *, encoding: str, delimiter: str, limits: ReadLimits) -> None:
        self.path = path
        self.encoding = detect_encoding(path, encoding)
        self._limits = limits
        self._delimiter = delimiter
        self._utf8_copy: BinaryIO | None = None
        self._file = path.open(encoding=self.encoding, newline="", errors="strict")
        csv.field_size_limit(limits.max_field_chars)
        self._reader = csv.reader(self._file, delimiter=delimiter)
        self._last_line = 0
        header: list[str] = []
        for row in self._guard(self._reader):
            if any(c.strip() for c in row):
                header = row
                break
        self._last_line = self._reader.line_num
        if not header:
            raise InputFileError(str(path), "is empty: no header row")
        headers = [h.replace("\ufeff", "").strip() for h in header]
        while headers and not headers[-1]:
            headers.pop()  # a trailing delimiter on the header line; data under it is a misfit row
        self.headers = headers
        self._plain_header = self._last_line == 1 and len(headers) == len(header)

    def _guard(self, rows: Iterator[list[str]]) -> Iterator[list[str]]:
        """Turn decoding and CSV-structure failures into an InputFileError naming the place."""
        try:
            yield from rows
        except UnicodeError as exc:  # UnicodeDecodeError, or a codec's own refusal (UTF-16 without its BOM)
            where = (first_decode_error(self.path, self.encoding) if isinstance(exc, UnicodeDecodeError)
                     else None) or str(exc)
            raise InputFileError(str(self.path), f"cannot be decoded as {self.encoding}: {where}") from exc
        except csv.Error as exc:
            hint = (f"a cell over {self._limits.max_field_chars:,} characters: an unbalanced quote, or a cell"
                    " too big to be a record field" if "field limit" in str(exc) else "an unbalanced quote?")
            raise InputFileError(
                str(self.path), f"CSV structure broken after line {self._reader.line_num}: {exc} ({hint})") from exc

    def batches(self, wanted: Sequence[int], names: Sequence[str], batch_rows: int = DEFAULT_BATCH_ROWS
                ) -> Iterator[RowBatch]:
        width = len(self.headers)
        pick = _picker(wanted)
        reader = self._reader
        last = self._last_line
        lines: list[int] = []
        rows: list[tuple[Any, ...]] = []
        problems: list[RowProblem] = []
        for row in self._guard(reader):
            start = last + 1
            last = reader.line_num
            if not any(row):
                continue  # blank line: nothing to keep
            swallowed = _swallowed_rows(row, width, self._delimiter) if last > start else None
            if swallowed is not None:
                problems.append(RowProblem(start, f"a quote opened in column {swallowed + 1} on line {start} closes on"
                                                  f" line {last}: the lines between read as rows of their own (an"
                                                  " unbalanced quote?); they are kept here, not stored",
                                           json.dumps(list(row), ensure_ascii=False)))
            elif len(row) == width or (len(row) > width and not any(c.strip() for c in row[width:])):
                rows.append(pick(row))
                lines.append(start)
                if len(rows) >= batch_rows:
                    yield _to_batch(lines, rows, names, problems)
                    lines, rows, problems = [], [], []
            else:
                problems.append(_width_problem(start, row, width))
        yield _to_batch(lines, rows, names, problems)

    def native_read(self, wanted: Sequence[int], names: Sequence[str]) -> PlainRead:
        """The data rows read natively (``linkage.sources.plain_csv``), from the file this source opened (by its
        descriptor: a file replaced since is not read); another encoding than UTF-8 through a UTF-8 copy in an
        unnamed temporary file (nothing of the records is left on disk, even if the process is killed). Declined
        unless the file is plain, and where the system cannot read an open file by its descriptor."""
        if not self._plain_header:
            raise Declined("a header not alone on line 1")
        if not _OPEN_FILES.is_dir():
            raise Declined(f"no {_OPEN_FILES}")
        path = _OPEN_FILES / str(self._file.fileno())
        if self.encoding not in ("utf-8", "utf-8-sig"):
            self._utf8_copy = tempfile.TemporaryFile()  # noqa: SIM115 - open until close()
            utf8_copy(path, self.encoding, self._utf8_copy)
            path = _OPEN_FILES / str(self._utf8_copy.fileno())
        return plain_batches(path, delimiter=self._delimiter, width=len(self.headers), wanted=wanted,
                             names=names, max_field_chars=self._limits.max_field_chars)

    def close(self) -> None:
        self._file.close()
        if self._utf8_copy is not None:
            self._utf8_copy.close()


def cell_text(value: Any) -> str | None:
    """An XLSX cell as the text a person sees: dates ISO, whole numbers without '.0'; an empty cell None."""
    if value is None or isinstance(value, str):
        return value or None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def check_xlsx_container(path: Path, limits: ReadLimits) -> None:
    """Refuse what is not an XLSX zip, or what would unpack to more than the limits allow."""
    if not zipfile.is_zipfile(path):
        raise InputFileError(str(path), "is not an XLSX workbook (not a zip archive); save it as .xlsx or CSV")
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except Exception as exc:  # zipfile raises many kinds (BadZipFile, OSError, a name flagged UTF-8 that is not, ...)
        raise InputFileError(str(path), f"is a damaged zip archive: {exc}") from exc
    if "xl/workbook.xml" not in {m.filename for m in members}:
        raise InputFileError(str(path), "is a zip archive but not an XLSX workbook (no xl/workbook.xml)")
    macros = [m.filename for m in members if m.filename.lower().endswith(("vbaproject.bin", "vbaprojectsignature.bin"))]
    if macros:
        raise InputFileError(str(path), f"contains a macro project ({macros[0]}); macros are never run or stored:"
                                        " save the sheet as .xlsx without macros, or as CSV")
    total = sum(m.file_size for m in members)
    if total > limits.max_xlsx_uncompressed_bytes:
        raise InputFileError(
            str(path), f"would unpack to {total:,} bytes, over the limit of {limits.max_xlsx_uncompressed_bytes:,}"
            " (a zip bomb?)")
    for m in members:
        if m.file_size > (1 << 20) and m.file_size > limits.max_xlsx_ratio * max(m.compress_size, 1):
            raise InputFileError(
                str(path), f"member {m.filename} compresses {m.file_size // max(m.compress_size, 1):,}:1,"
                f" over the limit of {limits.max_xlsx_ratio}:1 (a zip bomb?)")


class XlsxSource(SourceFile):
    """An XLSX sheet, read by calamine (Rust; python-calamine), about six times openpyxl's read-only speed.

    calamine reads an error cell (``#DIV/0!``, ``#REF!``) as empty, so a workbook whose sheets hold any is read
    by openpyxl instead, which gives the error text as written. The container is checked first
    (``check_xlsx_container``: no macros, no zip bomb). Rows are numbered as the sheet numbers them."""

    kind = "xlsx"
    encoding = None

    def __init__(self, path: Path, *, sheet: str | None, limits: ReadLimits) -> None:
        self.path = path
        check_xlsx_container(path, limits)
        self._close: Callable[[], None] = lambda: None
        try:
            rows = self._openpyxl_rows(sheet) if has_error_cells(path) else self._calamine_rows(sheet)
        except InputFileError:
            raise
        except Exception as exc:  # both libraries raise many kinds for damaged workbooks
            raise InputFileError(str(path), f"cannot be opened as an XLSX workbook: {exc}") from exc
        self._rows = self._guard(enumerate(rows, start=1))
        header: tuple[Any, ...] = ()
        for _, row in self._rows:
            if any(v is not None and str(v).strip() for v in row):
                header = row
                break
        if not header:
            self.close()
            raise InputFileError(str(path), "has no header row (the sheet is empty)")
        headers = [(cell_text(v) or "").strip() for v in header]
        while headers and not headers[-1]:
            headers.pop()
        self.headers = headers

    def _calamine_rows(self, sheet: str | None) -> Iterator[Sequence[Any]]:
        from python_calamine import CalamineWorkbook

        book = CalamineWorkbook.from_path(str(self.path))
        self._close = book.close
        self._check_sheets(book.sheet_names, sheet)
        ws = book.get_sheet_by_name(sheet) if sheet is not None else book.get_sheet_by_index(0)
        return ws.iter_rows()

    def _openpyxl_rows(self, sheet: str | None) -> Iterator[Sequence[Any]]:
        import openpyxl

        book = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        self._close = book.close
        self._check_sheets(book.sheetnames, sheet)
        ws = book[sheet] if sheet is not None else book.worksheets[0]
        ws.reset_dimensions()  # the stored dimension tag is often wrong; read what is there
        return ws.iter_rows(min_row=1, values_only=True)

    def _check_sheets(self, names: Sequence[str], sheet: str | None) -> None:
        if sheet is not None and sheet not in names:
            self.close()
            raise InputFileError(str(self.path), f"has no sheet {sheet!r} (sheets: {', '.join(names)})")
        if not names:  # a damaged workbook can list no sheet at all
            self.close()
            raise InputFileError(str(self.path), "has no worksheet (a damaged workbook?)")

    def _guard(self, rows: Iterator[tuple[int, tuple[Any, ...]]]) -> Iterator[tuple[int, tuple[Any, ...]]]:
        """Turn a sheet that breaks while read (bad XML, an entity bomb, a bad CRC) into an InputFileError."""
        number = 0
        try:
            for number, row in rows:
                yield number, row
        except Exception as exc:  # the XML parser and zipfile raise many kinds
            raise InputFileError(str(self.path), f"sheet cannot be read after row {number}: {exc}") from exc

    def batches(self, wanted: Sequence[int], names: Sequence[str], batch_rows: int = DEFAULT_BATCH_ROWS
                ) -> Iterator[RowBatch]:
        width = len(self.headers)
        pick = _picker(wanted)
        pad = (None,) * width
        lines: list[int] = []
        rows: list[tuple[Any, ...]] = []
        problems: list[RowProblem] = []
        for number, row in self._rows:
            cells = [cell_text(v) for v in row]
            if not any(c is not None and c.strip() for c in cells):
                continue
            if any(c is not None and c.strip() for c in cells[width:]):
                problems.append(_width_problem(number, cells, width))
                continue
            rows.append(pick((*cells[:width], *pad[len(cells):])))
            lines.append(number)
            if len(rows) >= batch_rows:
                yield _to_batch(lines, rows, names, problems)
                lines, rows, problems = [], [], []
        yield _to_batch(lines, rows, names, problems)

    def close(self) -> None:
        self._close()


_ERROR_CELL = re.compile(rb"""\bt\s*=\s*["']e["']""")  # a cell of type error, however the XML quotes it
_ERROR_CELL_SPAN = 16  # longer than any match: a match cut by a chunk boundary is found in the carried tail


def has_error_cells(path: Path) -> bool:
    """Whether any worksheet of the (checked) workbook holds an error cell (``t="e"``), read in 1 MB chunks."""
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
                continue
            with archive.open(name) as member:
                tail = b""
                while chunk := member.read(1 << 20):
                    if _ERROR_CELL.search(tail + chunk):
                        return True
                    tail = chunk[-_ERROR_CELL_SPAN:]
    return False


def open_source(path: str | Path, *, fmt: str = "csv", encoding: str = "auto", sheet: str | None = None,
                delimiter: str = ",", limits: ReadLimits | None = None) -> SourceFile:
    """Open a source file for reading; the file's extension (.csv/.xlsx) decides over ``fmt``."""
    path = Path(path)
    limits = limits or ReadLimits()
    if not path.is_file():
        raise InputFileError(str(path), "is not a readable file")
    size = path.stat().st_size
    if size > limits.max_file_bytes:
        raise InputFileError(str(path), f"is {size:,} bytes, over the limit of {limits.max_file_bytes:,}")
    suffix = path.suffix.lower()
    kind = "xlsx" if suffix in (".xlsx", ".xlsm") else "csv" if suffix in (".csv", ".txt", ".tsv") else fmt
    if kind == "xlsx":
        return XlsxSource(path, sheet=sheet, limits=limits)
    return CsvSource(path, encoding=encoding, delimiter=delimiter, limits=limits)
