"""The standardization cache (linkage/fields/std_cache.py): the same standardized store with and without it,
values read before taken from it, emptied when its context changes, and the worker processes' parse the same."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from linkage.demo_data.generate import generate
from linkage.errors import FieldError
from linkage.fields.standardize import LOOKUPS, STD_VERSION, standardize
from linkage.fields.std_cache import NULL_KEY, parse_each
from linkage.sources.exchange_format import EXCHANGE_COLUMNS
from linkage.sources.ingest import ingest_files
from linkage.store import STANDARDIZED_COLUMNS, connect

# Values the parsers refuse or read in unusual ways, beside the demo's own
ODD_ROWS = [
    {"full_name": "THAMMASACK Bouasy", "date_of_birth": "31/02/1990", "phone": "12", "province": "Nowhere"},
    {"full_name": "Mr. Noy (Bee) Keomany", "date_of_birth": "01/01/1985", "age": "about 30", "event_date": "2015"},
    {"given_name": "ນ້ອຍ", "family_name": "ແກ້ວມະນີ", "date_of_birth": "2590", "phone": "020 5555 0101"},
    {"full_name": "Phet", "date_of_birth": "01/13/2001", "id_number": "ສຳມະໂນຄົວ 9476/35", "sex": "?"},
]


def _store_columns(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    columns = ", ".join(c for c in STANDARDIZED_COLUMNS if c != "std_version")
    return con.execute(f"SELECT source, record_id, {columns} FROM records ORDER BY source, record_id").fetchall()


def _issues(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute("SELECT r.source, r.record_id, i.field, i.value, i.reason FROM std_issues i"
                       " JOIN records r USING (rid) ORDER BY ALL").fetchall()


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    generate(out, 150, seed=7)
    generate(out, 150, seed=7, night=2)
    with (out / "night1_odd.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(EXCHANGE_COLUMNS))
        writer.writeheader()
        for i, row in enumerate(ODD_ROWS):
            writer.writerow({c: "" for c in EXCHANGE_COLUMNS} | {"source": "MOPS-AHTD", "record_id": f"ODD-{i}"} | row)
    return out


def test_cached_and_uncached_standardize_give_the_same_store(demo, tmp_path):
    plain, cached = connect(tmp_path / "plain.duckdb"), connect(tmp_path / "cached.duckdb")
    for night in (1, 2):  # night 2 takes most of its values from the cache night 1 filled
        files = sorted(demo.glob(f"night{night}_*"))
        for con in (plain, cached):
            ingest_files(con, files)
        report = standardize(cached)
        assert report.lines() == standardize(plain, cached=False).lines()
        assert report.records > 0
        assert _store_columns(cached) == _store_columns(plain)
        assert _issues(cached) == _issues(plain)
        assert any(reason for *_, reason in _issues(plain))  # the odd rows' refusals are compared too
    not_cached = cached.execute("""SELECT count(*) FROM records r ANTI JOIN std_cache_name c
        ON c.k_full_name = coalesce(r.full_name, '\x00') AND c.k_given_name = coalesce(r.given_name, '\x00')
           AND c.k_family_name = coalesce(r.family_name, '\x00')""").fetchall()
    assert not_cached == [(0,)]  # every name in the store was read once and kept
    assert plain.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE 'std_cache_%'"
                         ).fetchall() == [(0,)]


def test_values_read_before_come_from_the_cache_until_its_context_changes(demo, tmp_path):
    con = connect(tmp_path / "store.duckdb")
    ingest_files(con, sorted(demo.glob("night1_*")))
    standardize(con)
    phone = con.execute("SELECT phone FROM records WHERE phone_e164 IS NOT NULL LIMIT 1").fetchall()[0][0]
    con.execute("UPDATE std_cache_phone SET phone_e164 = '+000' WHERE k_phone = ?", [phone])
    standardize(con, everything=True)
    assert {v for (v,) in con.execute("SELECT phone_e164 FROM records WHERE phone = ?", [phone]).fetchall()} == {
        "+000"}  # read from the cache, not parsed again
    con.execute("UPDATE std_state SET value = 'v0' WHERE name = 'cache:phone'")  # as after a new std version
    standardize(con, everything=True)
    assert "+000" not in {v for (v,) in con.execute("SELECT phone_e164 FROM records WHERE phone = ?",
                                                    [phone]).fetchall()}


def test_refused_values_are_not_cached(demo, tmp_path):
    con = connect(tmp_path / "store.duckdb")
    ingest_files(con, sorted(demo.glob("night1_*")))
    standardize(con)
    assert con.execute("SELECT count(*) FROM std_cache_date_of_birth WHERE reason IS NOT NULL").fetchall() == [(0,)]
    assert con.execute("SELECT count(*) FROM std_cache_date_of_birth WHERE k_date_of_birth = '31/02/1990'"
                       ).fetchall() == [(0,)]


def _key_table(con: duckdb.DuckDBPyConnection, lookup) -> pa.Table:
    """The lookup's distinct keys in the stored records as standardize hands them to parse_each (NULL as NULL_KEY,
    a date's era its file's)."""
    columns = ", ".join(f"coalesce({'f.date_era' if c in lookup.context else f'r.{c}'}, '{NULL_KEY}') AS k_{c}"
                        for c in lookup.raw)
    return con.sql(f"SELECT DISTINCT {columns} FROM records r LEFT JOIN ingested_files f USING (file_id)"
                   " ORDER BY ALL").to_arrow_table()


@pytest.mark.parametrize("name", ["name", "date_of_birth", "age"])
def test_worker_processes_parse_as_one_process_does(demo, tmp_path, name):
    lookup = next(lk for lk in LOOKUPS if lk.name == name)
    con = connect(tmp_path / "store.duckdb")
    ingest_files(con, sorted(demo.glob("night1_*")))
    keys = _key_table(con, lookup)
    assert keys.num_rows > 100
    (in_workers,), (in_one,) = (parse_tables([(lookup, keys)], workers=2, min_parallel=1),
                                parse_tables([(lookup, keys)], workers=1))
    assert in_workers.equals(in_one)
    assert in_one.column_names == [f"k_{c}" for c in lookup.raw] + [n for n, _ in lookup.outputs] + ["reason"]
    rows = in_one.to_pylist()
    assert rows == [{**key, **dict(zip(in_one.column_names[len(lookup.raw):], _parsed(lookup, key), strict=True))}
                    for key in keys.to_pylist()]  # each key as the lookup reads it alone


def _parsed(lookup, key: dict) -> tuple:
    """The lookup's outputs and reason for one key row, read alone (NULL_KEY as NULL)."""
    values = [None if v == NULL_KEY else v for v in key.values()]
    try:
        out = lookup.read(*values)
    except FieldError as exc:
        return (None,) * len(lookup.outputs) + (exc.reason,)
    return (*(out or (None,) * len(lookup.outputs)), None)


def parse_tables(jobs, **options):
    """parse_each's tables in the jobs' order."""
    done = dict(parse_each(jobs, **options))
    return [done[i] for i in range(len(jobs))]


def test_every_lookup_parsed_together_as_each_alone(demo, tmp_path):
    """parse_each hands the keys of all lookups to the workers at once (those reading process state, places and
    words, stay in this process): each lookup's table is the one it gets parsed alone in one process."""
    con = connect(tmp_path / "store.duckdb")
    ingest_files(con, sorted(demo.glob("night1_*")))
    jobs = [(lookup, _key_table(con, lookup)) for lookup in LOOKUPS]
    together = parse_tables(jobs, workers=2, min_parallel=1)
    assert [t.num_rows for t in together] == [keys.num_rows for _, keys in jobs]
    given = [i for i, _ in parse_each(jobs, workers=2, min_parallel=1)]  # as each is parsed, once
    assert sorted(given) == list(range(len(jobs)))
    for job, table in zip(jobs, together, strict=True):
        assert table.equals(parse_tables([job], workers=1)[0]), job[0].name


@pytest.mark.parametrize("everything", [False, True])
def test_a_store_read_again_holds_what_its_first_reading_gave(demo, tmp_path, everything):
    """standardize writes only the records whose standardized columns change, the others take the version alone:
    with one column of each record lost, a store read again holds every column its first reading gave."""
    first, again = connect(tmp_path / "first.duckdb"), connect(tmp_path / "again.duckdb")
    for con in (first, again):
        ingest_files(con, sorted(demo.glob("night1_*")))
        standardize(con)
    columns = [c for c in STANDARDIZED_COLUMNS if c != "std_version"]
    for i, column in enumerate(columns):
        again.execute(f"UPDATE records SET {column} = NULL WHERE rid % {len(columns)} = {i}")
    assert _store_columns(again) != _store_columns(first)
    if not everything:
        again.execute("UPDATE records SET std_version = NULL")
    report = standardize(again, everything=everything)
    assert report.records == again.execute("SELECT count(*) FROM records").fetchall()[0][0]
    assert _store_columns(again) == _store_columns(first)
    assert _issues(again) == _issues(first)
    assert again.execute("SELECT DISTINCT std_version FROM records").fetchall() == [(STD_VERSION,)]
