"""Record keys are compared as keys: a byte-order mark or zero-width space glued to an ID is not part of it."""

from linkage.sources.exchange_format import EXCHANGE_COLUMNS
from linkage.sources.ingest import ingest_files
from linkage.store import open_store


def _write(path, record_id: str) -> None:
    values = {c: "" for c in EXCHANGE_COLUMNS}
    values |= {"record_id": record_id, "source": "MOPS-AHTD", "full_name": "Noy Vongsa"}
    path.write_text(",".join(EXCHANGE_COLUMNS) + "\n" + ",".join(values[c] for c in EXCHANGE_COLUMNS) + "\n",
                    encoding="utf-8")


def test_invisible_characters_around_a_record_id_do_not_make_a_new_record(tmp_path):
    _write(tmp_path / "a.csv", "\ufeffAHTD-1")
    _write(tmp_path / "b.csv", "AHTD-1\u200b ")
    with open_store(tmp_path / "s.duckdb") as con:
        report = ingest_files(con, [tmp_path / "a.csv", tmp_path / "b.csv"])
        ids = con.execute("SELECT record_id FROM records").fetchall()
    assert ids == [("AHTD-1",)]
    assert report.stored == 1 and report.unchanged == 1
