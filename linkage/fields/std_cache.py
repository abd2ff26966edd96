"""The standardization cache: each distinct raw value parsed once per standardizer version, ever.

One table per parser in the store (``std_cache_<name>``: the raw key columns, the parser's outputs), holding
what the parser made of every distinct raw value it has read. A night reads only the values it has not seen;
the rest come from the table by a join. A cache table is valid for one *context*, kept in ``std_state``: the
standardizer version and the table's shape, plus the gazetteer's digest (its table and alias files) for places,
the digest of the deployment's words for role, case type and exploitation (``vocabulary``) for those fields,
and the current year for dates (two-digit and Buddhist-era years are read against it). When the context changes
the table is emptied. Values a parser refused are not cached: their reason can name the day ("after today"), and
they are few, so they are read again each time.

Values not in the cache are parsed in worker processes when there are enough of them to pay for the workers.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from multiprocessing import get_context
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

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


def _parse_chunk(lookup_name: str, keys: list[tuple[str | None, ...]]) -> list[Parsed]:
    """Worker: parse a chunk of keys with the named lookup (the lookup itself does not pickle)."""
    from linkage.fields.standardize import LOOKUPS

    lookup = next(lk for lk in LOOKUPS if lk.name == lookup_name)
    return [_parse_one(lookup, key) for key in keys]


def parse_keys(lookup: _Lookup, keys: list[tuple[str | None, ...]], *, workers: int | None = None,
               min_parallel: int = PARALLEL_MIN_VALUES) -> list[Parsed]:
    """Parse each key (NULLs as None) with the lookup, in worker processes when there are ``min_parallel`` keys
    or more."""
    workers = workers if workers is not None else (os.cpu_count() or 1)
    if (workers < 2 or len(keys) < min_parallel or lookup.name in _IN_PROCESS_ONLY
            or sys.platform != "linux"):
        return [_parse_one(lookup, key) for key in keys]
    size = min(_CHUNK, -(-len(keys) // workers))
    chunks = [keys[i:i + size] for i in range(0, len(keys), size)]
    # fork: workers start at once with the parsers loaded and never re-run the caller's main module (spawn and
    # forkserver do, which breaks a script without a main guard); they run only Python parsers, never DuckDB
    with ProcessPoolExecutor(max_workers=min(workers, len(chunks)), mp_context=get_context("fork")) as pool:
        out: list[Parsed] = []
        for part in pool.map(_parse_chunk, [lookup.name] * len(chunks), chunks):
            out.extend(part)
    return out
