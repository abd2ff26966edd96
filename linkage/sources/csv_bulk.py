"""Read a plain UTF-8 CSV file with DuckDB's CSV reader instead of row by row in Python.

Used by ``CsvSource.batches`` when the file can be read this way with exactly the rows, cells and line numbers
the Python reader gives; ``None`` otherwise, and the Python reader reads it (and reports its problems: ragged
lines, broken quotes, undecodable bytes, cells over the limit, all with their line). A file qualifies when:

- it is UTF-8 (other encodings are read by Python);
- no quote stands where the two readers differ (DuckDB drops spaces around a quoted cell, Python keeps them): a
  quote is next to a delimiter, a line end, the file's ends or another quote;
- DuckDB reads it in strict mode (any ragged line or broken quote makes it refuse) into exactly as many rows as
  the file has lines after the header, so each row is one line and its line number is its position;
- no cell is longer than the limit, and it has at most 256 columns.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path

import duckdb
import pyarrow as pa

from linkage.sources.readers import ReadLimits, RowBatch

_CHUNK = 1 << 24
_MAX_COLUMNS = 256  # a sheet wider than any exchange file is read by Python (and its SQL stays small)


def _lines_and_quotes_fit(path: Path, delimiter: str) -> int | None:
    """The file's number of lines, or None when a quote stands where DuckDB and Python read differently."""
    other = b'[^' + re.escape(delimiter.encode()) + b'\r\n"]'
    misplaced = re.compile(other + b'"' + other)
    lines, last = 0, b""
    with path.open("rb") as f:
        head = b"\n"  # the file's start counts as a line start
        while chunk := f.read(_CHUNK):
            window = head + chunk
            # a quote at the end of the chunk is checked with the next one (or the file's end, which fits)
            if b'"' in chunk and misplaced.search(window):
                return None
            lines += chunk.count(b"\n")
            head, last = chunk[-2:], chunk[-1:]
    return lines + (1 if last and last != b"\n" else 0)


def bulk_batches(path: Path, *, encoding: str, delimiter: str, header_lines: int, width: int,
                 wanted: Sequence[int], names: Sequence[str], batch_rows: int, limits: ReadLimits
                 ) -> Iterator[RowBatch] | None:
    """The data rows (after ``header_lines``) in batches as the Python reader gives them, or None (see module)."""
    if (encoding not in ("utf-8", "utf-8-sig") or len(delimiter) != 1 or delimiter in '"\r\n'
            or not 0 < width <= _MAX_COLUMNS):
        return None
    lines = _lines_and_quotes_fit(path, delimiter)
    if lines is None:
        return None
    con = duckdb.connect()
    columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width))
    try:
        con.execute(
            f"""CREATE TABLE rows_read AS SELECT * FROM read_csv(?, header = false, skip = {header_lines},
                columns = {{{columns}}}, delim = ?, quote = '"', escape = '"', strict_mode = true,
                null_padding = false, auto_detect = false, encoding = 'utf-8', max_line_size = 4194304)""",
            [str(path), delimiter])
    except duckdb.Error:
        con.close()
        return None
    cells = [f"coalesce(c{i}, '')" for i in range(width)]
    longest = con.execute(f"SELECT count(*), max(greatest({', '.join(f'length({c})' for c in cells)}))"
                          " FROM rows_read").fetchall()[0]
    if longest[0] != lines - header_lines or (longest[1] or 0) > limits.max_field_chars:
        con.close()
        return None
    return _batches(con, header_lines, cells, wanted, names, batch_rows)


def _batches(con: duckdb.DuckDBPyConnection, header_lines: int, cells: list[str], wanted: Sequence[int],
             names: Sequence[str], batch_rows: int) -> Iterator[RowBatch]:
    picked = ", ".join(f"{cells[i]} AS \"{name}\"" for i, name in zip(wanted, names, strict=True))
    try:
        reader = con.sql(
            f"""SELECT {header_lines + 1} + rowid AS line_no, {picked} FROM rows_read
                WHERE concat({", ".join(cells)}) <> '' ORDER BY rowid""").to_arrow_reader(batch_rows)
        for batch in reader:
            yield RowBatch(pa.Table.from_batches([batch]), [])
    finally:
        con.close()
