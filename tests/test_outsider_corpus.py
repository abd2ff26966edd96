"""The outsider corpus (benchmarks/outsider): the same seed writes the same bytes, the truth file names every
record, and a small corpus goes through the real `laolink ingest` with every row stored or counted in quarantine."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from collections import Counter
from pathlib import Path

import duckdb
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.outsider.corpus import MAPPINGS_DIR, OFFICES, generate  # noqa: E402

LAOLINK = str(Path(sys.executable).parent / "laolink")
PERSONS = 300


def _all_bytes(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_the_same_seed_writes_the_same_bytes_and_another_seed_other_bytes(tmp_path):
    generate(tmp_path / "a", PERSONS, 7)
    generate(tmp_path / "b", PERSONS, 7)
    generate(tmp_path / "c", PERSONS, 8)
    a, b, c = (_all_bytes(tmp_path / x) for x in "abc")
    assert len(a) == len(OFFICES) + 1  # one file per office and the truth
    assert a == b
    assert a.keys() == c.keys() and a != c


def test_every_record_is_in_the_truth_file_once(tmp_path):
    written = generate(tmp_path, PERSONS, 7)
    with open(written.truth, encoding="utf-8", newline="") as f:
        truth = list(csv.DictReader(f))
    in_files = []
    for office in OFFICES:
        mapping = next(yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(MAPPINGS_DIR.glob("*.yaml"))
                       if yaml.safe_load(p.read_text(encoding="utf-8"))["source"] == office.source)
        assert mapping["columns"]["record_id"] == office.id_header
        assert mapping["encoding"] == office.encoding and mapping.get("delimiter", ",") == office.delimiter
        text = written.files[office.source].read_bytes().decode(office.encoding)
        rows = list(csv.DictReader(io.StringIO(text, newline=""), delimiter=office.delimiter))
        assert len(rows) == written.rows[office.source] > 0
        in_files += [(office.source, r[office.id_header]) for r in rows]
    keys = [(r["source"], r["record_id"]) for r in truth]
    assert sorted(in_files) == sorted(keys)
    assert max(Counter(keys).values()) == 1
    assert len({r["person_id"] for r in truth}) == PERSONS == written.persons
    assert len(truth) == written.records


def test_records_per_person_are_overdispersed(tmp_path):
    written = generate(tmp_path, 1000, 11)
    with open(written.truth, encoding="utf-8") as f:
        per_person = Counter(r["person_id"] for r in csv.DictReader(f))
    sizes = Counter(per_person.values())
    assert 0.35 < sizes[1] / 1000 < 0.65  # many persons recorded once
    assert sum(n for k, n in sizes.items() if k >= 5) / 1000 > 0.05  # some five times or more
    assert 2.0 < written.records / 1000 < 3.0


def test_a_small_corpus_ingests_through_the_cli_with_every_row_counted(tmp_path):
    written = generate(tmp_path / "corpus", PERSONS, 7)
    db = tmp_path / "store.duckdb"
    files = [str(written.files[o.source]) for o in OFFICES]
    done = subprocess.run([LAOLINK, "ingest", *files, "--db", str(db), "--mappings", str(MAPPINGS_DIR)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    con = duckdb.connect(str(db), read_only=True)
    try:
        by_file = con.execute("SELECT path, mapping, rows_read, rows_stored, rows_quarantined FROM ingested_files"
                              " ORDER BY path").fetchall()
        stored_by_source = dict(con.execute("SELECT source, count(*) FROM records GROUP BY source").fetchall())
        quarantine_rows = con.execute("SELECT count(*) FROM quarantine").fetchone()[0]
    finally:
        con.close()
    assert len(by_file) == len(OFFICES)
    written_by_path = {str(written.files[s]): n for s, n in written.rows.items()}
    for path, mapping, read, stored, quarantined in by_file:
        assert mapping.startswith("outsider_"), (path, mapping)  # the deployment's own mapping read it
        assert read == written_by_path[path] == stored + quarantined, path
    quarantined = sum(row[4] for row in by_file)
    assert quarantine_rows == quarantined
    assert sum(stored_by_source.values()) + quarantined == written.records
    assert quarantined <= 0.02 * written.records, f"{quarantined} rows quarantined: is the file shape wrong?"
