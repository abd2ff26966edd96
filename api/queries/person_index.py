"""An in-memory index of the published snapshot for person look-ups, built once per snapshot.

The snapshot file is compressed and has no indexes, so every point look-up (a person's
row, its records, its links, its history) scans or decompresses a column of a million
values: 5-15 ms each. This copies the tables a person page needs into an in-memory DuckDB
with ART indexes, where each look-up is an index scan (under a millisecond). The price is
memory: about 350 MB per million records, built in a few seconds on first use.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import duckdb

from api.queries.records import RECORD_SELECT
from linkage.publishing.publish import snapshot_identity
from linkage.store import has_table

_TABLES = {
    "records": (f"SELECT {RECORD_SELECT}, rp.person_id AS _person_id FROM records r "
                "LEFT JOIN record_person rp ON rp.rid = r.rid",
                ["rid", "_person_id", "given_key", "family_key", "phone_e164"]),
    "persons": ("SELECT person_id, status, alias_of, created_run_id, updated_run_id, n_records FROM persons",
                ["person_id"]),
    "record_person": ("SELECT rid, person_id FROM record_person", ["person_id", "rid"]),
    "id_history": ('SELECT event_id, person_id, event, other_person_id, n_records, CAST(detail AS VARCHAR) AS detail, '
                   'run_id, "at" FROM id_history', ["person_id", "other_person_id"]),
    "review_queue": ("SELECT * FROM review_queue", ["item_id"]),
    "predictions": ("SELECT rid_l, rid_r, match_weight, match_probability, model_version, run_id FROM predictions",
                    ["rid_l"]),
}


@dataclass
class PersonIndex:
    path: str
    con: duckdb.DuckDBPyConnection

    def cursor(self) -> duckdb.DuckDBPyConnection:
        return self.con.cursor()


def build_person_index(con: duckdb.DuckDBPyConnection, path: str) -> PersonIndex:
    mem = duckdb.connect()
    for table, (sql, indexed) in _TABLES.items():
        if not has_table(con, table):
            continue
        mem.register("src", con.sql(sql).to_arrow_reader(100_000))  # streamed, not all in Arrow at once
        mem.execute(f"CREATE TABLE {table} AS SELECT * FROM src")
        mem.unregister("src")
        for column in indexed:
            mem.execute(f'CREATE INDEX {table}_{column} ON {table} ("{column}")')
    return PersonIndex(path, mem)


_cache: dict[str, PersonIndex] = {}
_lock = threading.Lock()


def person_index_for(con: duckdb.DuckDBPyConnection) -> PersonIndex:
    """The index of the snapshot ``con`` reads (built on first use; an older snapshot's is dropped)."""
    path = snapshot_identity(con)
    with _lock:
        index = _cache.get(path)
        if index is None:
            index = build_person_index(con, path)
            for old in [p for p in _cache if p != path]:
                del _cache[old]  # closed when the last request using it lets go
            _cache[path] = index
    return index
