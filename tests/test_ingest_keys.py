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


def test_keys_stay_unique_without_an_index_over_resent_repeated_and_changed_records(tmp_path):
    """``records`` has no unique index (migration 15): ingest alone keeps (source, record_id) and rid unique."""
    header = ",".join(EXCHANGE_COLUMNS)

    def row(record_id: str, name: str) -> str:
        values = {c: "" for c in EXCHANGE_COLUMNS} | {"record_id": record_id, "source": "MOPS-AHTD",
                                                       "full_name": name}
        return ",".join(values[c] for c in EXCHANGE_COLUMNS)

    files = {
        "1.csv": [row("A1", "Noy Vongsa"), row("A2", "Keo Phet"), row("A2", "Keo Phet"), row("A3", "Bua Sy")],
        "2.csv": [row("A2", "Keo Phetsamone"), row("A4", "Lamphone Sy"), row("A4", "Lamphone Sy"),
                  row("A1", "Noy Vongsa")],
        "3.csv": [row(f"A{k}", f"Name {k}") for k in range(1, 7)] + [row("A6", "Name 6")],
        "4.csv": [row("A7", "Vanh Sy"), row("A1", "Noy Vongsa")],
        "5.csv": [row("A7", "Vanh Sy"), row("A1", "Noy Vongsay")],
    }
    for name, rows in files.items():
        (tmp_path / name).write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    with open_store(tmp_path / "s.duckdb") as con:
        for name in ("1.csv", "2.csv", "3.csv"):
            ingest_files(con, [tmp_path / name])
        ingest_files(con, [tmp_path / "4.csv", tmp_path / "5.csv"])  # two files of one run, keys in both
        keys, distinct_keys, distinct_rids = con.execute(
            "SELECT count(*), count(DISTINCT (source, record_id)), count(DISTINCT rid) FROM records").fetchall()[0]
        names = dict(con.execute("SELECT record_id, full_name FROM records").fetchall())
    assert keys == distinct_keys == distinct_rids == 7
    assert names["A1"] == "Noy Vongsay" and names["A6"] == "Name 6"  # the last file read wins for a changed record
