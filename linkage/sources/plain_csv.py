"""Read a plain CSV file natively (pyarrow's multithreaded parser), about ten times Python's csv module.

"Plain" is checked, never assumed: text (another encoding than UTF-8 is transcoded to UTF-8 first) with its
header alone on line 1 (no empty header cell at its end), no NUL byte, no carriage return but in CRLF line
ends, every cell at most the field limit, and exactly one record per physical line (counted at the end: as
many records as data lines, so no quoted cell spans a line). Then a record's line number is its position + 1,
and the cells are those Python's csv module reads (``tests/test_plain_csv.py`` compares both on generated
files full of quotes, delimiters and blank lines). Anything else is declined (also after batches were given
out: the caller drops them) and the file is read again by :class:`linkage.sources.readers.CsvSource`'s Python
reader, which names every misfit row and broken line.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

_CHUNK = 16 << 20
BLOCK_BYTES = 8 << 20  # pyarrow's parse block; a record longer than it is declined


class Declined(Exception):  # noqa: N818 - a decision, not a failure
    """The file is not plain (the reason says why): read it with the Python reader."""


def utf8_copy(path: Path, encoding: str, into: BinaryIO) -> None:
    """``path`` transcoded from ``encoding`` to UTF-8 into the open file ``into``, in steps; Declined when it does
    not decode (the Python reader then names the place) or cannot be written (a full disk: Python needs no copy)."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    try:
        with path.open("rb") as src:
            while True:
                chunk = src.read(_CHUNK)
                into.write(decoder.decode(chunk, final=not chunk).encode("utf-8"))
                if not chunk:
                    break
        into.flush()
    except UnicodeError as exc:
        raise Declined(f"not {encoding} text: {exc}") from exc
    except OSError as exc:
        raise Declined(f"no room for a UTF-8 copy: {exc}") from exc


def physical_lines(path: Path) -> int:
    """Lines as Python's csv module counts them, after checking for NUL bytes and lone carriage returns."""
    newlines = returns = crlf = 0
    last = b""
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            if b"\0" in chunk:
                raise Declined("a NUL byte")
            newlines += chunk.count(b"\n")
            returns += chunk.count(b"\r")
            if returns:  # counting CRLF takes longer than the rest: only for a file that has carriage returns
                crlf += chunk.count(b"\r\n") + (last == b"\r" and chunk[:1] == b"\n")
            last = chunk[-1:]
    if returns != crlf:
        raise Declined("a carriage return that does not end a line")
    return newlines + (last not in (b"", b"\n"))


def plain_batches(path: Path, *, delimiter: str, width: int, wanted: Sequence[int], names: Sequence[str],
                  max_field_chars: int) -> PlainRead:
    """A stream of ``line_no`` plus the ``wanted`` cells under ``names``, without the records whose cells are all
    empty (as the Python reader skips them). The header, on line 1, has ``width`` cells. Raises Declined
    when the file is not plain at first sight (pyarrow reads as Python only with an ASCII delimiter that is neither
    the quote nor a line end; mappings refuse those two); what is found while reading ends the stream and is kept in
    ``declined``."""
    if not delimiter.isascii() or delimiter in '"\r\n':
        raise Declined(f"the delimiter {delimiter!r}")
    data_lines = physical_lines(path) - 1
    columns = [f"c{i}" for i in range(width)]
    try:
        reader = pa_csv.open_csv(
            path,
            read_options=pa_csv.ReadOptions(column_names=columns, skip_rows=1, block_size=BLOCK_BYTES),
            parse_options=pa_csv.ParseOptions(delimiter=delimiter, quote_char='"', double_quote=True,
                                              escape_char=False, newlines_in_values=True, ignore_empty_lines=False),
            convert_options=pa_csv.ConvertOptions(column_types=dict.fromkeys(columns, pa.string()),
                                                  strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise Declined(str(exc)) from exc
    schema = pa.schema([("line_no", pa.int64()), *((n, pa.string()) for n in names)])
    return PlainRead(_batches(reader, schema, wanted, data_lines, max_field_chars), schema)


class PlainRead:
    """A native read. Whoever consumes ``stream`` checks ``declined`` at its end: when set (the reason), the file
    turned out not plain while read, the stream stopped there, and what it gave must be dropped."""

    def __init__(self, batches: Iterator[pa.RecordBatch], schema: pa.Schema) -> None:
        self.declined: str | None = None
        self.stream = pa.RecordBatchReader.from_batches(schema, self._until_declined(batches))

    def _until_declined(self, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        try:
            yield from batches
        except Declined as exc:  # the stream just ends: an exception through DuckDB would abort its transaction
            self.declined = str(exc)


def _batches(reader: pa_csv.CSVStreamingReader, schema: pa.Schema, wanted: Sequence[int], data_lines: int,
             max_field_chars: int) -> Iterator[pa.RecordBatch]:
    records = 0
    while True:
        try:
            batch = reader.read_next_batch()
        except StopIteration:
            break
        except pa.ArrowInvalid as exc:  # a ragged row, bad UTF-8, a record over the block
            raise Declined(str(exc)) from exc
        lines = pa.array(np.arange(records + 2, records + 2 + batch.num_rows, dtype=np.int64))
        records += batch.num_rows
        cells = batch.columns
        # bytes bound characters: count characters only where the bytes could be over the limit
        if any(pc.max(pc.binary_length(c)).as_py() > max_field_chars
               and pc.max(pc.utf8_length(c)).as_py() > max_field_chars for c in cells if len(c)):
            raise Declined("a cell over the field limit")
        filled = pc.not_equal(cells[0], "")
        for c in cells[1:]:
            filled = pc.or_(filled, pc.not_equal(c, ""))
        yield pa.RecordBatch.from_arrays([lines, *(cells[i] for i in wanted)], schema=schema).filter(filled)
    if records != data_lines:
        raise Declined(f"{records} records on {data_lines} data lines: a quoted cell spans lines, or a blank line")
