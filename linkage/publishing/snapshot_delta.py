"""Publishing what changed: a night's snapshot written as the previous snapshot plus the rows that differ.

The previous snapshot file is copied under the new snapshot's temporary name and each published table
of the copy is brought to the store's rows: the keys whose rows differ (a row changed, came or went) are
found by one join of the two tables, their old rows deleted and the store's rows inserted. The result
holds exactly the store's rows, as a whole copy would (``tests/test_publish_delta.py`` compares the two),
and the person documents are rebuilt for the persons those keys touch only. Small tables are copied
whole. A table whose columns changed (a migration, a new model's comparisons) or of which a large share
changed is copied whole, and so is everything every ``MAX_DELTA_CHAIN`` nights, so deleted rows left in
the file do not add up night after night.
"""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from linkage.store import multiset_hash_sql, sql_literal

# Tables large enough to be worth a delta, with the columns that identify a row (not always uniquely: a key of
# predictions and cluster_links may have several rows, compared as a multiset, ``_find_changed_keys``).
DELTA_KEYS: dict[str, tuple[str, ...]] = {
    "records": ("rid",),
    "record_person": ("rid",),
    "persons": ("person_id",),
    "id_history": ("event_id",),
    "predictions": ("rid_l", "rid_r"),
    "cluster_links": ("rid_l", "rid_r", "origin"),
    "clustering_flags": ("run_id",),
}
# Tables whose every key holds many rows (a run's flags: 22,000 a night at 1M): compared per key as multisets
# straight away, the row-by-row join would pair each row of a key with every other. A night adds its own run's
# flags and leaves the others': copied whole, the 210,000 flags of ten nights at 1M took 0.35-0.45 s (their JSON
# details written again), by delta the night's own.
_GROUPED_KEYS = {"clustering_flags"}
_UNIQUE_KEYS = {"records", "record_person", "persons", "id_history"}  # one row per key: checked by _same_keys
# Tables the person documents are built from: one copied whole means every document is rebuilt.
DOC_TABLES = {"records", "record_person", "persons", "id_history", "predictions"}
# Over this share of a table's rows changed, copying it whole is cheaper than deleting and inserting.
MAX_CHANGED_SHARE = 0.3
MAX_DELTA_CHAIN = 30
# A previous snapshot file more than this share free is copied table by table into a compact file, not byte for
# byte (``copy_snapshot_file``).
MAX_FREE_SHARE = 0.5
log = logging.getLogger("laolink.publish")


@dataclass
class SnapshotDelta:
    """What a publish copied: the tables written whole, rows replaced per delta table, the persons touched."""

    whole_tables: list[str] = field(default_factory=list)
    changed_keys: dict[str, int] = field(default_factory=dict)
    changed_persons: list[str] | None = None  # None: every document must be rebuilt

    @property
    def docs_whole(self) -> bool:
        return self.changed_persons is None


def copy_snapshot_file(con: duckdb.DuckDBPyConnection, previous: Path, to: Path) -> None:
    """Copy a closed snapshot file: byte for byte (the kernel copies it, no pass through Python), or table by table
    into a compact file when over ``MAX_FREE_SHARE`` of its blocks are free.

    A table a night writes whole into the copy (a new model's predictions, a retrain, an upgrade) leaves the old
    table's blocks free; DuckDB reuses free blocks but never shrinks a file, so every later night copied and synced
    them: the 1M demo's snapshot after an upgrade night held 1,069 free blocks of 1,951 (488 MB, 219 MB once
    compact). Compacting it took 4.2 s, once; each later night's copy is then the data's size."""
    con.execute(f"ATTACH {sql_literal(previous)} AS prev_copy (READ_ONLY)")
    try:
        free, total = con.execute("SELECT free_blocks, total_blocks FROM pragma_database_size()"
                                  " WHERE database_name = 'prev_copy'").fetchall()[0]
        compact = free > MAX_FREE_SHARE * total
        if compact:
            log.info("publish: the previous snapshot is %d of %d blocks free: copied compact", free, total)
            old_umask = os.umask(0o077)  # personal data: never readable by others, not even while written
            try:
                con.execute(f"ATTACH {sql_literal(to)} AS compact_copy")
            finally:
                os.umask(old_umask)
            try:
                con.execute("COPY FROM DATABASE prev_copy TO compact_copy")
            finally:
                con.execute("DETACH compact_copy")
    finally:
        con.execute("DETACH prev_copy")
    if not compact:
        shutil.copyfile(previous, to)
    to.chmod(0o600)


def delta_chain(con: duckdb.DuckDBPyConnection, snapshot: Path) -> int | None:
    """Nights since ``snapshot`` was last written whole (None: unknown, the next one is written whole)."""
    con.execute(f"ATTACH {sql_literal(snapshot)} AS prev_snap (READ_ONLY)")
    try:
        columns = {r[0] for r in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE database_name = 'prev_snap' "
            "AND table_name = 'snapshot_info'").fetchall()}
        if "delta_nights" not in columns:
            return None
        rows = con.execute("SELECT delta_nights FROM prev_snap.snapshot_info").fetchall()
    finally:
        con.execute("DETACH prev_snap")
    return int(rows[0][0]) if rows and rows[0][0] is not None else None


def _columns(con: duckdb.DuckDBPyConnection, database: str | None) -> dict[str, list[tuple[str, str]]]:
    """Per table of ``database`` (None: the store, the connection's own database): its columns' (name, type).
    One query for every table: duckdb_columns() lists the columns of every attached database each time it is
    read (36 reads, one per table and side, took 0.2 s)."""
    columns: dict[str, list[tuple[str, str]]] = {}
    for table, name, data_type in con.execute(
        "SELECT table_name, column_name, data_type FROM duckdb_columns() WHERE database_name = "
        "coalesce(?, current_database()) AND schema_name = 'main' ORDER BY table_name, column_index", [database],
    ).fetchall():
        columns.setdefault(table, []).append((name, data_type))
    return columns


def _snapshot_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = 'snap' AND schema_name = 'main'"
    ).fetchall()}


def _row_hashes(database: str, table: str, keys: tuple[str, ...]) -> str:
    """Each row's key and a 64-bit hash of the whole row."""
    return f"SELECT {', '.join(keys)}, hash(t) AS h FROM {database}.{table} t"


def _key_sums(database: str, table: str, keys: tuple[str, ...]) -> str:
    """Per key: its number of rows and the sum of their hashes (the rows of a key as a multiset)."""
    return (f"SELECT {', '.join(keys)}, count(*) AS n, {multiset_hash_sql('t')} AS h "
            f"FROM {database}.{table} t GROUP BY ALL")


def _find_changed_keys(con: duckdb.DuckDBPyConnection, table: str, keys: tuple[str, ...]) -> int:
    """``_dk_<table>``: the keys whose rows differ between ``snap.<table>`` and ``main.<table>``.

    Rows are compared by their 64-bit hashes (3-4 times faster than comparing their values): a changed
    row would be missed only if its new hash equalled its old one, a chance of 2^-64 per changed row.
    Both sides are joined row by row on the key: a key whose rows on the two sides are not all the same row is
    changed. That misses only a key whose rows are all one row held a different number of times on each side
    (predictions and cluster_links are not one row per key by any constraint): for those tables the keys not
    found must have as many rows on both sides (``_same_counts``), else the keys' rows are compared as multisets,
    per key its number of rows and the sum of their hashes (a GROUP BY of every key: 3 times as long; the night of
    100,000 new records at 1M, load 4-5: predictions 3.9 -> 1.0 s, cluster links 2.2 -> 0.5 s with the buckets
    of rows compared first, as this did before, which found 92 % of the buckets changed). A key held more than
    once may be found (and more than once) though its rows are the same on both sides: they are then replaced by
    equal ones. A table of ``_GROUPED_KEYS`` goes per key as multisets straight away.
    """
    on = " AND ".join(f"s.{k} = m.{k}" for k in keys)
    key_out = ", ".join(f"coalesce(m.{k}, s.{k}) AS {k}" for k in keys)
    by_row = (f"FROM ({_row_hashes('snap', table, keys)}) s FULL JOIN ({_row_hashes('main', table, keys)}) m "
              f"ON {on} WHERE s.h IS DISTINCT FROM m.h")
    if table not in _GROUPED_KEYS:
        con.execute(f"CREATE OR REPLACE TEMP TABLE _dk_{table} AS SELECT {key_out} {by_row}")
    if table in _GROUPED_KEYS or (table not in _UNIQUE_KEYS and not _same_counts(con, table, keys)):
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _dk_{table} AS SELECT {key_out} "
            f"FROM ({_key_sums('snap', table, keys)}) s FULL JOIN ({_key_sums('main', table, keys)}) m "
            f"ON {on} WHERE (s.n, s.h) IS DISTINCT FROM (m.n, m.h)"
        )
    return con.execute(f"SELECT count(*) FROM _dk_{table}").fetchall()[0][0]


def _same_counts(con: duckdb.DuckDBPyConnection, table: str, keys: tuple[str, ...]) -> bool:
    """Whether the keys not in ``_dk_<table>`` have as many rows in ``snap.<table>`` as in ``main.<table>`` (the
    number of rows and the sum of their keys' hashes; 0.2-0.3 s for predictions at 1M)."""
    on = " AND ".join(f"t.{k} = d.{k}" for k in keys)
    fingerprint = (f"SELECT count(*), {multiset_hash_sql(', '.join(f't.{k}' for k in keys))} "
                   f"FROM {{}}.{table} t ANTI JOIN _dk_{table} d ON {on}")
    return con.execute(fingerprint.format("snap")).fetchall() == con.execute(fingerprint.format("main")).fetchall()


def _same_keys(con: duckdb.DuckDBPyConnection, table: str, keys: tuple[str, ...]) -> bool:
    """Whether ``snap.<table>``, its changed keys replaced, holds each key as often as ``main.<table>`` (the number
    of rows and the sum of their keys' hashes): what the key-by-key join of a table with one row per key takes
    for granted. A key that one side holds twice, in rows equal to the other side's one, is not found by it
    (the rows it joins are equal); nothing in the store forbids such rows. Both sides: 10-12 ms for 1M rows of
    integer keys, 24 ms for 500,000 person IDs."""
    fingerprint = f"SELECT count(*), {multiset_hash_sql(', '.join(keys))} FROM {{}}.{table}"
    return con.execute(fingerprint.format("snap")).fetchall() == con.execute(fingerprint.format("main")).fetchall()


def _apply_changed_keys(con: duckdb.DuckDBPyConnection, table: str, keys: tuple[str, ...]) -> None:
    """Replace the rows of ``snap.<table>`` whose keys are in ``_dk_<table>`` by the store's rows."""
    on = " AND ".join(f"t.{k} = d.{k}" for k in keys)
    con.execute(f"DELETE FROM snap.{table} t WHERE EXISTS (SELECT 1 FROM _dk_{table} d WHERE {on})")
    con.execute(f"INSERT INTO snap.{table} SELECT t.* FROM main.{table} t SEMI JOIN _dk_{table} d ON {on}")


def _changed_persons(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Persons whose document may differ: read before the deltas are applied (``snap`` still the old night).
    Each join is on one equality (a join on ``a OR b`` is a nested loop over both tables).

    A document lists the links between its own records only: a prediction that changed rewrites the document of
    the person holding both its records, not those of two persons it compares (a night of 100,000 new records at
    1M: 352,854 new predictions touched 137,085 persons, 68,096 of them inside one). A pair whose records were one
    person's and are no longer (or the reverse) moved a record: the record_person rows name both persons."""
    return [r[0] for r in con.execute(
        """
        SELECT person_id FROM _dk_persons
        UNION SELECT rp.person_id FROM snap.record_person rp SEMI JOIN _dk_record_person d ON d.rid = rp.rid
        UNION SELECT rp.person_id FROM main.record_person rp SEMI JOIN _dk_record_person d ON d.rid = rp.rid
        UNION SELECT rp.person_id FROM main.record_person rp SEMI JOIN _dk_records d ON d.rid = rp.rid
        UNION SELECT pl.person_id FROM _dk_predictions d
              JOIN main.record_person pl ON pl.rid = d.rid_l JOIN main.record_person pr ON pr.rid = d.rid_r
              WHERE pl.person_id = pr.person_id
        UNION SELECT h.person_id FROM main.id_history h SEMI JOIN _dk_id_history d ON d.event_id = h.event_id
        UNION SELECT h.other_person_id FROM main.id_history h SEMI JOIN _dk_id_history d ON d.event_id = h.event_id
        UNION SELECT h.person_id FROM snap.id_history h SEMI JOIN _dk_id_history d ON d.event_id = h.event_id
        UNION SELECT h.other_person_id FROM snap.id_history h SEMI JOIN _dk_id_history d ON d.event_id = h.event_id
        """
    ).fetchall() if r[0] is not None]


def write_tables_delta(con: duckdb.DuckDBPyConnection, tables: list[str]) -> SnapshotDelta:
    """Bring the attached copy ``snap`` of the previous snapshot to the store's ``tables``; what was done."""
    delta = SnapshotDelta()
    in_snap = _snapshot_tables(con)
    for stale in in_snap - set(tables) - {"snapshot_info"}:
        con.execute(f"DROP TABLE snap.{stale}")
    by_delta: list[str] = []
    snap_columns, store_columns = _columns(con, "snap"), _columns(con, None)
    for table in tables:
        same_columns = table in in_snap and snap_columns.get(table) == store_columns.get(table)
        if table in DELTA_KEYS and same_columns:
            rows = con.execute(f"SELECT count(*) FROM main.{table}").fetchall()[0][0]
            changed = _find_changed_keys(con, table, DELTA_KEYS[table])
            if changed <= MAX_CHANGED_SHARE * max(rows, 1):
                delta.changed_keys[table] = changed
                by_delta.append(table)
                continue
        delta.whole_tables.append(table)
    if set(by_delta) >= DOC_TABLES:
        delta.changed_persons = _changed_persons(con)
    for table in by_delta:
        _apply_changed_keys(con, table, DELTA_KEYS[table])
        con.execute(f"DROP TABLE _dk_{table}")
        if table in _UNIQUE_KEYS and not _same_keys(con, table, DELTA_KEYS[table]):
            keys = ", ".join(DELTA_KEYS[table])
            extra = con.execute(f"SELECT count(*) - count(DISTINCT ({keys})) FROM main.{table}").fetchall()[0][0]
            log.warning("publish: %s holds a key (%s) more than once (%s), which its delta, one row per key, cannot "
                        "bring over: the table is copied whole and every person document rebuilt", table, keys,
                        f"{extra} rows over one per key in the store" if extra else "in the previous snapshot")
            del delta.changed_keys[table]
            delta.whole_tables.append(table)
            delta.changed_persons = None  # the persons of the duplicated keys are not known: every document
    for table in delta.whole_tables:
        con.execute(f"DROP TABLE IF EXISTS snap.{table}")
        con.execute(f"CREATE TABLE snap.{table} AS SELECT * FROM main.{table}")
    return delta
