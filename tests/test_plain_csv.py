"""The native CSV read (linkage/sources/plain_csv.py) gives exactly what the Python reader gives, or declines."""

import codecs
import random
import tempfile

import pytest

from linkage.sources.exchange_format import EXCHANGE_COLUMNS
from linkage.sources.ingest import ingest_files
from linkage.sources.plain_csv import Declined, utf8_copy
from linkage.sources.readers import CsvSource, open_source
from linkage.store import open_store

# Cells full of what trips CSV parsers: quotes (doubled, stray, opening a cell), delimiters, line ends of
# both kinds, blanks, tabs, Lao text.
_PIECES = ["a", "b", " ", '"', ",", "\n", "\r\n", "ບົວ", '""', "\t", "x y"]


def _cell(rng):
    text = "".join(rng.choice(_PIECES) for _ in range(rng.randint(0, 4)))
    if rng.random() < 0.8:  # mostly on one line
        text = text.replace("\r", "").replace("\n", "")
    if rng.random() < 0.5:
        return '"' + text.replace('"', '""') + '"'
    return text.replace(",", "") if rng.random() < 0.9 else text


def _python_rows(path, delimiter=","):
    with open_source(path, delimiter=delimiter) as source:
        n = len(source.headers)
        rows, problems = [], []
        for batch in source.batches(list(range(n)), [f"c{i}" for i in range(n)]):
            rows += [tuple(r.values()) for r in batch.table.to_pylist()]
            problems += batch.problems
        return rows, problems


def _native_rows(path, delimiter=","):
    """The native read's rows, or None when it declines."""
    with open_source(path, delimiter=delimiter) as source:
        n = len(source.headers)
        try:
            read = source.native_read(list(range(n)), [f"c{i}" for i in range(n)])
        except Declined:
            return None
        table = read.stream.read_all()
        if read.declined is not None:
            return None
        return [tuple(r.values()) for r in table.to_pylist()]


@pytest.mark.parametrize("delimiter", [",", "\t"])
def test_generated_files_read_the_same_natively_or_are_declined(tmp_path, delimiter):
    rng = random.Random(20261206)
    accepted = declined = 0
    for k in range(1500):
        width = rng.randint(1, 4)
        if k % 2:  # free text
            body = "".join(rng.choice(_PIECES) for _ in range(rng.randint(0, 40)))
        else:  # rows of cells, some quoted as Excel quotes them, some not, with a stray piece now and then
            body = "".join(delimiter.join(_cell(rng) for _ in range(width)) + rng.choice(["\n", "\r\n"])
                           for _ in range(rng.randint(1, 6)))
        text = delimiter.join(f"h{i}" for i in range(width)) + rng.choice(["\n", "\r\n"]) + body
        path = tmp_path / f"f{k}.csv"
        path.write_bytes(text.encode())
        native = _native_rows(path, delimiter)
        if native is None:
            declined += 1
            continue
        rows, problems = _python_rows(path, delimiter)
        assert not problems, text  # a misfit row is never read natively
        assert native == rows, text
        accepted += 1
    # both sides are exercised: plenty of tricky files are read natively, plenty are left to Python
    assert accepted > 300 and declined > 300, (accepted, declined)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ('id,name\n1,"two\nlines"\n2,b\n', "data lines"),  # a quoted cell spans two lines
        ("id,name\n1,a\n2\n", "columns"),  # a short row
        ("id,name\n1,a,extra\n", "columns"),  # a misfit row
        ("id,name\r1,a\r", "carriage return"),  # old Mac line ends
        ("id,name\n1,a\x00b\n" + "2,a longer name that keeps it UTF-8\n" * 3, "NUL"),
    ],
)
def test_files_that_are_not_plain_are_declined_with_the_reason(tmp_path, text, why):
    path = tmp_path / "f.csv"
    path.write_bytes(text.encode())
    with open_source(path) as source:
        try:
            read = source.native_read([0, 1], ["a", "b"])
        except Declined as exc:
            reason = str(exc)
        else:
            read.stream.read_all()
            reason = read.declined
    assert reason is not None and why in reason


@pytest.mark.parametrize(("encoding", "bom"), [("utf-16-le", codecs.BOM_UTF16_LE), ("cp874", b""), ("utf-8", b"")])
def test_other_encodings_are_read_natively_through_a_copy_no_one_can_see(tmp_path, monkeypatch, encoding, bom):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    path = tmp_path / "f.csv"
    text = "id,name\r\n" + "".join(f'{i},"นาง บัวสี, {i}"\r\n' for i in range(50))
    path.write_bytes(bom + text.encode(encoding))
    with open_source(path) as source:
        read = source.native_read([0, 1], ["a", "b"])
        rows = [tuple(r.values()) for r in read.stream.read_all().to_pylist()]
        named = list(scratch.iterdir())
    assert read.declined is None and rows == _python_rows(path)[0]
    assert rows[7] == (9, "7", "นาง บัวสี, 7")
    assert named == []  # the copy has no name: nothing of the records stays on disk, even if the process dies


def test_the_open_file_is_read_not_one_put_in_its_place(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("id,name\n1,first\n")
    with open_source(path) as source:
        path.unlink()
        path.write_text("id,name\n1,replaced\n2,more\n")
        rows = source.native_read([0, 1], ["a", "b"]).stream.read_all().to_pylist()
    assert rows == [{"line_no": 2, "a": "1", "b": "first"}]


@pytest.mark.parametrize("delimiter", ["¦", '"'])
def test_a_delimiter_pyarrow_reads_otherwise_is_left_to_python(tmp_path, delimiter):
    path = tmp_path / "exchange_odd.csv"
    path.write_text(delimiter.join(["record_id", "source", "full_name"]) + "\n"
                    + delimiter.join(["R1", "MOLSW-DSW", "A"]) + "\n")
    with open_source(path, delimiter=delimiter) as source, pytest.raises(Declined, match="delimiter"):
        source.native_read([0, 1, 2], ["a", "b", "c"])


def test_a_copy_that_cannot_be_written_is_declined(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes("id,name\n1,บัวสี\n".encode("cp874"))

    class Full:
        def write(self, data):
            raise OSError(28, "No space left on device")

        def flush(self):
            pass

    with pytest.raises(Declined, match="no room"):
        utf8_copy(path, "cp874", Full())


def test_a_header_below_line_one_is_read_by_python(tmp_path):
    late = tmp_path / "late.csv"
    late.write_text("\n\nid,name\n1,a\n")
    with open_source(late) as source, pytest.raises(Declined):
        source.native_read([0, 1], ["a", "b"])


def _exchange_file(path, names):
    """An exchange-format file, one record per name (cells as written, so a name may hold quotes and line ends;
    None: a row of two cells)."""
    header = ",".join(EXCHANGE_COLUMNS)
    assert EXCHANGE_COLUMNS[:4] == ("record_id", "source", "role", "full_name")
    blanks = "," * (len(EXCHANGE_COLUMNS) - 4)
    path.write_text(header + "\n" + "".join(f"R{i},MOLSW-DSW,,{name}{blanks}\n" if name is not None
                                            else f"R{i},MOLSW-DSW\n" for i, name in enumerate(names)))
    return path


def test_a_file_declined_half_way_is_ingested_whole_by_python_with_physical_line_numbers(tmp_path):
    names = [f"Name {i}" for i in range(5000)]
    names[4000] = '"Name\nspread over two lines"'  # found only at the end of the native read
    names[4500] = None  # a ragged row
    path = _exchange_file(tmp_path / "exchange_late.csv", names)
    with open_store(tmp_path / "s.duckdb") as con:
        report = ingest_files(con, [path])
        assert (report.read, report.stored, report.quarantined) == (5000, 4999, 1)
        lines = dict(con.execute("SELECT record_id, line_no FROM records").fetchall())
        quarantined = con.execute("SELECT line_no FROM quarantine WHERE line_no IS NOT NULL").fetchall()
    assert (lines["R3999"], lines["R4000"], lines["R4001"]) == (4001, 4002, 4004)
    assert quarantined == [(4503,)]


def test_a_plain_file_is_ingested_natively_with_line_numbers(tmp_path, monkeypatch):
    path = _exchange_file(tmp_path / "exchange_plain.csv", [f'"Name, {i}"' for i in range(3000)])
    with path.open("a") as f:
        f.write("," * (len(EXCHANGE_COLUMNS) - 1) + "\n")  # a row of empty cells is skipped, as Python skips it

    def refuse(*args, **kwargs):
        raise AssertionError("the Python reader was used for a plain file")

    monkeypatch.setattr(CsvSource, "batches", refuse)
    with open_store(tmp_path / "s.duckdb") as con:
        report = ingest_files(con, [path])
        assert (report.read, report.stored, report.quarantined) == (3000, 3000, 0)
        assert con.execute("SELECT line_no, full_name FROM records WHERE record_id = 'R2999'").fetchall() == [
            (3001, "Name, 2999")]
        rids = [r for (r,) in con.execute("SELECT rid FROM records ORDER BY line_no").fetchall()]
    assert rids == list(range(rids[0], rids[0] + 3000))  # drawn in one go, given out in line order


def test_record_ids_increase_in_line_order_across_files_and_skip_the_lines_not_stored(tmp_path):
    names = [f"Name {i}" for i in range(10)]
    first = _exchange_file(tmp_path / "exchange_1.csv", names)
    names[3], names[6] = None, "Name 6 changed"  # a ragged row, a changed record
    second = _exchange_file(tmp_path / "exchange_2.csv", names + ["Name 10", "Name 11"])
    with open_store(tmp_path / "s.duckdb") as con:
        ingest_files(con, [first])
        before = dict(con.execute("SELECT record_id, rid FROM records").fetchall())
        report = ingest_files(con, [second])
        after = dict(con.execute("SELECT record_id, rid FROM records").fetchall())
    assert (report.stored, report.updated, report.unchanged, report.quarantined) == (2, 1, 8, 1)
    assert {k: after[k] for k in before} == before  # a record keeps its rid
    assert before["R0"] < before["R9"] < after["R10"] < after["R11"]
    assert len(set(after.values())) == 12
