"""DuckDB reads a plain UTF-8 CSV file (linkage/sources/csv_bulk.py) into the same rows, cells and line numbers as
the Python reader; files where the two could differ are left to the Python reader."""

from __future__ import annotations

from pathlib import Path

import pytest

from linkage.sources.csv_bulk import bulk_batches
from linkage.sources.readers import CsvSource, ReadLimits

HEADER = "record_id,full_name,phone\n"
# (name, file text, whether DuckDB reads it)
FILES = [
    ("plain", HEADER + "A-1,Bouasy Thammasack,020 5555 0101\nA-2,Noy,\n", True),
    ("quoted cells", HEADER + 'A-1,"Thammasack, Bouasy","020"\nA-2,"He said ""Noy""",""\n', True),
    ("spaces kept", HEADER + "A-1,  Bouasy  , 020 \n", True),
    ("lao and thai", HEADER + "A-1,ບົວສີ ທຳມະສັກ,๐๒๐\n", True),
    ("crlf, no last line end", HEADER.replace("\n", "\r\n") + "A-1,Noy,1\r\nA-2,Phet,2", True),
    ("bom", "\ufeff" + HEADER + "A-1,Noy,1\n", True),
    ("empty rows dropped", HEADER + "A-1,Noy,1\n,,\nA-2,Phet,2\n", True),
    ("quote inside a cell", HEADER + 'A-1,Noy 5",1\n', True),
    ("blank header lines", "\n\n" + HEADER + "A-1,Noy,1\n", True),
    ("blank line", HEADER + "A-1,Noy,1\n\nA-2,Phet,2\n", False),
    ("line end in a quoted cell", HEADER + 'A-1,"Noy\nPhet",1\nA-2,Phet,2\n', False),
    ("space before a quote", HEADER + 'A-1, "Noy",1\n', False),
    ("space after a quote", HEADER + 'A-1,"Noy" ,1\n', False),
    ("ragged line", HEADER + "A-1,Noy\nA-2,Phet,2\n", False),
    ("extra empty cells", HEADER + "A-1,Noy,1,,\n", True),
    ("extra cells", HEADER + "A-1,Noy,1,x\nA-2,Phet,2\n", False),
    ("lone carriage returns", HEADER.replace("\n", "\r") + "A-1,Noy,1\rA-2,Phet,2\r", False),
]


def _rows(source: CsvSource) -> tuple[list[dict], list]:
    rows, problems = [], []
    for batch in source.batches([0, 1, 2], ["record_id", "full_name", "phone"], batch_rows=2):
        rows.extend(batch.table.to_pylist())
        problems.extend(batch.problems)
    return rows, problems


@pytest.mark.parametrize(("name", "text", "bulk"), FILES, ids=[f[0] for f in FILES])
def test_duckdb_reads_what_python_reads(tmp_path: Path, name: str, text: str, bulk: bool) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(text.encode("utf-8"))
    limits = ReadLimits()
    python = CsvSource(path, encoding="auto", delimiter=",", limits=limits, bulk=False)
    either = CsvSource(path, encoding="auto", delimiter=",", limits=limits)
    read_by_duckdb = bulk_batches(path, encoding=either.encoding, delimiter=",", header_lines=either._last_line,
                                  width=3, wanted=[0, 1, 2], names=["a", "b", "c"], batch_rows=10, limits=limits)
    assert (read_by_duckdb is not None) == bulk
    expected = _rows(python)
    assert expected[0] or expected[1]
    assert _rows(either) == expected


def test_semicolons_and_a_cell_over_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text("record_id;full_name;phone\nA-1;Noy;1\nA-2;" + "x" * 50 + ";2\n", encoding="utf-8")
    small = ReadLimits(max_field_chars=40)
    args = {"encoding": "utf-8", "delimiter": ";", "header_lines": 1, "width": 3, "wanted": [0, 1, 2],
            "names": ["a", "b", "c"], "batch_rows": 10}
    assert bulk_batches(path, limits=small, **args) is None  # the Python reader names the cell over the limit
    rows = [r for b in bulk_batches(path, limits=ReadLimits(), **args) for r in b.table.to_pylist()]
    assert rows == [{"line_no": 2, "a": "A-1", "b": "Noy", "c": "1"},
                    {"line_no": 3, "a": "A-2", "b": "x" * 50, "c": "2"}]
