"""The standardization cache: each distinct raw value parsed once per standardizer version, ever.

One table per parser in the store (``std_cache_<name>``: the raw key columns, the parser's outputs), holding
what the parser made of every distinct raw value it has read. A night reads only the values it has not seen;
the rest come from the table by a join. A cache table is valid for one *context*, kept in ``std_state``: the
standardizer version and the table's shape, plus the gazetteer's digest (its table and alias files) for places,
the digest of the deployment's words for role, case type and exploitation (``vocabulary``) for those fields,
and the current year for dates (two-digit and Buddhist-era years are read against it). When the context changes
the table is emptied. Values a parser refused are not cached: their reason can name the day ("after today"), and
they are few, so they are read again each time.

Values not in the cache are parsed in worker processes when there are enough of them to pay for the workers: the new
values of all parsers at once (one pool), their keys inherited by the forked workers as Arrow tables (never pickled),
each worker's outputs sent back as Arrow columns, so this process handles no value one by one.
"""

from __future__ import annotations

import gc
import os
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from multiprocessing import get_context
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from linkage.errors import FieldError

if TYPE_CHECKING:
    from linkage.fields.standardize import _Lookup

# Below this many values to parse, one process is faster than starting workers (about 0.3 s to start them).
PARALLEL_MIN_VALUES = 20_000
_CHUNK = 5_000
# Parsers that read process state besides their code (the deployment's alias file and words): never in a worker.
_IN_PROCESS_ONLY = frozenset({"province", "district", "role", "case_type", "exploitation"})
_WORDS = frozenset({"role", "case_type", "exploitation"})  # read with the deployment's words (``vocabulary``)
_DATED = frozenset({"date_of_birth", "event_date", "age"})  # read two-digit and Buddhist-era years by today

NULL_KEY = "\x00"  # a key column's value standing for NULL, so lookups join with plain equality
Parsed = tuple[Sequence[Any] | None, str | None]  # (outputs or None, the parser's reason when it refused)


def table_name(lookup: _Lookup) -> str:
    return f"std_cache_{lookup.name}"


def _columns(lookup: _Lookup) -> list[tuple[str, str]]:
    """(column, DuckDB type) of the lookup's cache table: key columns, outputs, reason."""
    types = {pa.string(): "VARCHAR", pa.bool_(): "BOOLEAN", pa.date32(): "DATE", pa.int32(): "INTEGER"}
    return ([(f"k_{c}", "VARCHAR") for c in lookup.raw] + [(n, types[t]) for n, t in lookup.outputs]
            + [("reason", "VARCHAR")])


def open_cache(con: duckdb.DuckDBPyConnection, lookup: _Lookup, *, std_version: int, alias_digest: str) -> str:
    """The lookup's cache table, created or emptied when its context changed; returns its name."""
    columns = _columns(lookup)
    context = f"v{std_version}|" + ",".join(f"{n} {t}" for n, t in columns)
    if lookup.name in ("province", "district"):
        context += f"|aliases {alias_digest}"
    if lookup.name in _WORDS:  # no deployment words: the context of the built-in words alone, as before there were any
        from linkage.fields.vocabulary import vocabulary_digest

        context += f"|words {words}" if (words := vocabulary_digest(lookup.name)) else ""
    if lookup.name in _DATED:
        context += f"|year {date.today().year}"
    table = table_name(lookup)
    state_key = f"cache:{lookup.name}"
    last = con.execute("SELECT value FROM std_state WHERE name = ?", [state_key]).fetchall()
    exists = con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database()"
                         " AND schema_name = 'main' AND table_name = ?", [table]).fetchall()[0][0]
    if not (exists and last and last[0][0] == context):
        con.execute(f"DROP TABLE IF EXISTS main.{table}")
        con.execute(f"CREATE TABLE main.{table} ({', '.join(f'{n} {t}' for n, t in columns)})")
        con.execute("INSERT OR REPLACE INTO std_state VALUES (?, ?)", [state_key, context])
    return table


def _parse_one(lookup: _Lookup, key: Sequence[str | None]) -> Parsed:
    try:
        return lookup.read(*key), None
    except FieldError as exc:
        return None, exc.reason


def _parse_rows(lookup: _Lookup, keys: pa.Table) -> pa.Table:
    """The lookup's outputs and the parser's reason for each row of ``keys`` (its key columns, NULL written as
    ``NULL_KEY``), as fresh Arrow columns in the rows' order.

    The garbage collector waits meanwhile: the values' tuples make no cycles, and its passes over the hundreds of
    thousands of them (and over everything a forked worker inherits) took 40% of a worker's time."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        arrays = _parsed_arrays(lookup, keys)
    finally:
        if collecting:
            gc.enable()
    return pa.Table.from_arrays(arrays, schema=pa.schema([*lookup.outputs, ("reason", pa.string())]))


def _parsed_arrays(lookup: _Lookup, keys: pa.Table) -> list[pa.Array]:
    raws = [pc.if_else(pc.equal(column, NULL_KEY), pa.scalar(None, pa.string()), column).to_pylist()
            for column in keys.columns]
    parsed = [_parse_one(lookup, key) for key in zip(*raws, strict=True)]
    width = len(lookup.outputs)
    outputs = list(zip(*((None,) * width if out is None else out for out, _ in parsed), strict=True)) or [()] * width
    arrays = [pa.array(values, type=kind) for values, (_, kind) in zip(outputs, lookup.outputs, strict=True)]
    arrays.append(pa.array([reason for _, reason in parsed], type=pa.string()))
    return arrays


# The key tables of one parse_each call: set before the workers fork, so each inherits them and is sent only a
# (table, first row, end row) range; a slice of an Arrow table pickles with its whole buffers.
_FORKED_KEYS: list[tuple[str, pa.Table]] = []


def _parse_range(job: int, start: int, stop: int) -> pa.Table:
    """Worker: parse rows start..stop of an inherited key table with its lookup (a lookup itself does not pickle)."""
    from linkage.fields.standardize import LOOKUPS

    name, keys = _FORKED_KEYS[job]
    return _parse_rows(next(lk for lk in LOOKUPS if lk.name == name), keys.slice(start, stop - start))


def parse_each(jobs: Sequence[tuple[_Lookup, pa.Table]], *, workers: int | None = None,
               min_parallel: int = PARALLEL_MIN_VALUES) -> Iterator[tuple[int, pa.Table]]:
    """(index, table) of each job as soon as its keys are parsed: its key table (its lookup's key columns
    ``k_<raw>``, NULL written as ``NULL_KEY``) with the lookup's outputs and the parser's reason added, as the
    lookup's cache table holds them. The keys of all jobs are parsed together, in worker processes when there are
    ``min_parallel`` or more of them, the first job's first; the lookups that read process state are parsed in this
    process meanwhile and given first. The caller may store a job's table while the workers parse the next jobs."""
    workers = workers if workers is not None else (os.cpu_count() or 1)
    in_workers = [i for i, (lookup, _) in enumerate(jobs) if lookup.name not in _IN_PROCESS_ONLY]
    if workers < 2 or sys.platform != "linux" or sum(jobs[i][1].num_rows for i in in_workers) < min_parallel:
        in_workers = []
    here = [i for i in range(len(jobs)) if i not in in_workers]
    if not in_workers:
        for i in here:
            yield i, _with_keys(jobs[i][1], [_parse_rows(*jobs[i])])
        return
    size = min(_CHUNK, -(-sum(jobs[i][1].num_rows for i in in_workers) // workers))
    ranges = [(i, start, min(start + size, jobs[i][1].num_rows))
              for i in in_workers for start in range(0, jobs[i][1].num_rows, size)]
    _FORKED_KEYS[:] = [(lookup.name, keys) for lookup, keys in jobs]
    # fork: workers start at once with the parsers loaded and never re-run the caller's main module (spawn and
    # forkserver do, which breaks a script without a main guard); they run only Python parsers, never DuckDB
    try:
        with ProcessPoolExecutor(max_workers=min(workers, len(ranges)), mp_context=get_context("fork")) as pool:
            done = pool.map(_parse_range, *zip(*ranges, strict=True))
            for i in here:
                yield i, _with_keys(jobs[i][1], [_parse_rows(*jobs[i])])
            left = Counter(i for i, _, _ in ranges)
            parts: list[pa.Table] = []
            for (i, _, _), part in zip(ranges, done, strict=True):
                parts.append(part)
                left[i] -= 1
                if not left[i]:
                    yield i, _with_keys(jobs[i][1], parts)
                    parts = []
            for i in in_workers:
                if i not in left:  # no keys
                    yield i, _with_keys(jobs[i][1], [_parse_rows(*jobs[i])])
    finally:
        _FORKED_KEYS.clear()


def _with_keys(keys: pa.Table, parts: list[pa.Table]) -> pa.Table:
    """The key table beside its rows' outputs and reasons (``parts`` in the rows' order)."""
    outputs = pa.concat_tables(parts)
    return pa.Table.from_arrays([*keys.columns, *outputs.columns], names=[*keys.column_names, *outputs.column_names])
