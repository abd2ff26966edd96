"""The in-memory copy of a snapshot that real-time matching reads, and the way it queries it.

``mi`` holds the model input of every published record with its source, record_id and person;
``bk`` one hash per record and key rule (``blocking_sql.KeyRule``), sorted. A lookup there costs about
a millisecond, where scanning the compressed snapshot file for the same keys costs tens.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np

from linkage.model.blocking_sql import KeyRule, filter_params
from linkage.model.model_input import model_input_sql
from linkage.model.person_tf import Own, person_tf_value, sharing_pairs_sql, tf_scale
from linkage.store import STANDARDIZED_COLUMNS

_parsed = threading.local()  # per thread: SQL text -> its parsed statement
MAX_PARSED = 32


def build_mirror(con: duckdb.DuckDBPyConnection, rules: list[KeyRule]) -> duckdb.DuckDBPyConnection:
    """Copy the model input of every published record (with source, record_id, person) into memory,
    and one hash per record and key rule, sorted so a lookup reads one row group."""
    table = con.sql(
        f"""SELECT m.*, r.source AS _source, r.record_id AS _record_id, rp.person_id AS _person_id
            FROM ({model_input_sql('records', 'std_version IS NOT NULL')}) m
            JOIN records r USING (rid) LEFT JOIN record_person rp USING (rid)"""
    ).to_arrow_reader(100_000)  # streamed in batches
    mirror = duckdb.connect()
    mirror.register("mi_arrow", table)
    mirror.execute("CREATE TABLE mi AS SELECT * FROM mi_arrow ORDER BY rid")
    mirror.unregister("mi_arrow")
    hashes = []
    for r in rules:
        columns = ", ".join(f'"{c}"' for c in r.right)
        not_null = " AND ".join(f'"{c}" IS NOT NULL' for c in r.right)
        hashes.append(f"SELECT hash({r.number}, {columns}) AS h, rid FROM mi WHERE {not_null}")
    union = " UNION ALL ".join(hashes) or "SELECT 0::UBIGINT AS h, 0::BIGINT AS rid LIMIT 0"
    mirror.execute(f"CREATE TABLE bk AS SELECT * FROM ({union}) ORDER BY h")
    # ART indexes turn the point lookups into index scans (about 0.2 s to build per million rows).
    mirror.execute("CREATE UNIQUE INDEX mi_rid ON mi (rid)")
    mirror.execute("CREATE INDEX bk_h ON bk (h)")
    return mirror


def sorted_key_hashes(mirror: duckdb.DuckDBPyConnection) -> dict[str, np.ndarray]:
    """``bk`` as two numpy arrays ordered by hash (about 16 bytes per record and key rule)."""
    arrays = mirror.execute("SELECT h, rid FROM bk ORDER BY h").fetchnumpy()
    return {"bk_hash": np.asarray(arrays["h"], dtype=np.uint64), "bk_rid": np.asarray(arrays["rid"], dtype=np.int64)}


@dataclass(frozen=True)
class TermCounts:
    """The records of a snapshot carrying each value of a term-frequency column, ``total`` of them carrying one, and
    the expected records of one person carrying its value (``own``: ``linkage.model.person_tf``; None where the
    level keeps Splink's plain frequencies)."""

    counts: dict[Any, int]
    total: int
    own: Own | None = None
    scale: float = 1.0  # linkage.model.person_tf.tf_scale

    def frequency(self, value: Any, *, held: bool, replaces: bool = False) -> float | None:
        """The term frequency the night gives ``value``: over the snapshot's records for a query record the snapshot
        holds with this value (None for a value none of them carries), else with the query record counted too, as
        the next night counts it: (k + 1 - own) / (T + 1), or (k + 1 - own) / T when it ``replaces`` another value
        of a record the snapshot holds (the record is among the T already). Counted without it, a name on one
        record of 5,669 weighed 3.96 bits more in /match than the next night stored."""
        k = self.counts.get(value)
        if held and k is None:
            return None
        k, total = (k, self.total) if held else ((k or 0) + 1, self.total + (0 if replaces else 1))
        return (k / total if self.own is None else person_tf_value(k, total, self.own)) * self.scale


def term_counts(con: duckdb.DuckDBPyConnection, columns: list[str], own: Mapping[str, Own],
                level_u: Mapping[str, float]) -> dict[str, TermCounts]:
    """Each column's :class:`TermCounts` over ``mi`` (``own`` per column whose frequencies leave a person's own
    records out; ``level_u`` per column whose level asks more than equality: ``person_tf.level_u_of_columns``)."""
    n_records = con.execute("SELECT count(*) FROM mi").fetchall()[0][0]
    out = {}
    for col in columns:
        counts = dict(con.execute(f'SELECT "{col}", count(*) FROM mi WHERE "{col}" IS NOT NULL GROUP BY 1').fetchall())
        scale = (tf_scale(level_u[col], int(con.execute(sharing_pairs_sql("mi", col)).fetchall()[0][0]), n_records)
                 if col in level_u else 1.0)  # as the nightly counts it (engines.register_term_frequencies)
        out[col] = TermCounts(counts, sum(counts.values()), own.get(col), scale)
    return out


def record_keys(mirror: duckdb.DuckDBPyConnection) -> dict[str, np.ndarray]:
    """Each record's hash of (source, record_id), sorted, and its rid in the same order (16 bytes a record)."""
    arrays = mirror.execute("SELECT hash(_source, _record_id) AS h, rid FROM mi ORDER BY h, rid").fetchnumpy()
    return {"key_hash": np.asarray(arrays["h"], dtype=np.uint64), "key_rid": np.asarray(arrays["rid"], dtype=np.int64)}


def snapshot_records(
    cur: duckdb.DuckDBPyConnection, key_hash: np.ndarray, key_rid: np.ndarray,
    keys: list[tuple[str, str] | None], hashes: list[int | None], columns: list[str],
) -> list[dict[str, Any] | None]:
    """Per query record, the snapshot's record of its (source, record_id) key: its rid and ``columns`` (None when
    the snapshot holds none, or the record has no key). ``hashes`` are the keys' ``hash(source, record_id)``, as
    :func:`record_keys` hashes the snapshot's; the rids of a held hash are found by binary search, and confirmed
    (the key itself compared) in one query for all the records, none when no hash is held."""
    maybe: list[list[int]] = [[] for _ in keys]
    at = [j for j, (key, h) in enumerate(zip(keys, hashes, strict=True)) if key is not None and h is not None]
    if at:
        wanted = np.asarray([hashes[j] for j in at], dtype=np.uint64)
        lo, hi = np.searchsorted(key_hash, wanted, "left"), np.searchsorted(key_hash, wanted, "right")
        for j, a, b in zip(at, lo.tolist(), hi.tolist(), strict=True):
            maybe[j] = key_rid[a:b].tolist()
    rids = sorted({rid for found in maybe for rid in found})
    if not rids:
        return [None] * len(keys)
    selected = "".join(f', "{c}"' for c in columns)
    stored = {row[0]: row for row in run_query(  # about 1 ms at 1M records, per batch with a held record
        cur, f"SELECT rid, _source, _record_id{selected} FROM mi WHERE rid = ANY($_held::BIGINT[])", {"_held": rids})}
    out: list[dict[str, Any] | None] = []
    for key, found in zip(keys, maybe, strict=True):
        row = next((stored[rid] for rid in found if (stored[rid][1], stored[rid][2]) == key), None)
        out.append(None if row is None else {"rid": row[0], **dict(zip(columns, row[3:], strict=True))})
    return out


def run_query(cur: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]) -> list[tuple]:
    """Execute with only the parameters the SQL names (DuckDB refuses extra ones)."""
    used = set(filter_params(sql))
    return execute_parsed(cur, sql, {k: v for k, v in params.items() if k in used}).fetchall()


def execute_parsed(cur: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]) -> duckdb.DuckDBPyConnection:
    """``cur.execute(sql, params)``, the SQL parsed once per thread: the scoring queries are the same text each
    time (their values are list parameters), and parsing them is about a third of their cost."""
    cache: dict[str, Any] | None = getattr(_parsed, "statements", None)
    if cache is None or len(cache) >= MAX_PARSED:
        cache = _parsed.statements = {}
    statement = cache.get(sql)
    if statement is None:
        statement = cache[sql] = cur.extract_statements(sql)[0]
    return cur.execute(statement, params)


@dataclass(frozen=True)
class NameCounts:
    """How many records of the store carry each whole name, given name and family name key (None: no key),
    counted once when the scorer is built; the rarity blocking rules read them."""

    whole: dict[tuple[str | None, str | None], int]
    given: dict[str | None, int]
    family: dict[str | None, int]

    @classmethod
    def of_table(cls, con: duckdb.DuckDBPyConnection, table: str) -> NameCounts:
        rows = con.execute(f"SELECT given_key, family_key, count(*) FROM {table} GROUP BY ALL").fetchall()
        whole, given, family = {}, {}, {}
        for g, f, n in rows:
            whole[(g, f)] = n
            given[g] = given.get(g, 0) + n
            family[f] = family.get(f, 0) + n
        return cls(whole, given, family)

    def with_query(self, record: Mapping[str, Any]) -> tuple[int, int, int]:
        """The counts of a query record's keys in the store with the record itself added."""
        g, f = record.get("given_key"), record.get("family_key")
        return self.whole.get((g, f), 0) + 1, self.given.get(g, 0) + 1, self.family.get(f, 0) + 1


def _model_input_query(
    con: duckdb.DuckDBPyConnection, standardized: list[Mapping[str, Any]], extra: list[str], counts: NameCounts,
    extra_params: Mapping[str, Any] | None = None,
) -> tuple[list[dict[str, Any]], list[tuple]]:
    """Model input rows, and per row the values of the ``extra`` expressions over its columns (query ``j`` is the
    row whose ``rid`` is j; ``extra_params`` the list parameters they read); how many records share each name comes
    from the store's ``counts`` with the query record added, never from the records of one batch: a record matches
    the same alone or in a batch."""
    columns = [c for c in STANDARDIZED_COLUMNS if c != "std_version"]
    values = ", ".join(f"unnest(CAST($v_{c} AS {STANDARDIZED_COLUMNS[c]}[])) AS {c}" for c in columns)
    model_input = model_input_sql(f"(SELECT unnest($_j::BIGINT[]) AS rid, {values}) records")
    count_columns = ("name_key_records", "given_key_records", "family_key_records")
    replaced = ", ".join(f"$_n_{c}[rid + 1] AS {c}" for c in count_columns)
    sql = (f"WITH q AS ({model_input}), m AS (SELECT * REPLACE ({replaced}) FROM q) "
           f"SELECT {', '.join(['m.*', *extra])} FROM m ORDER BY rid")
    per_record = [counts.with_query(s) for s in standardized]
    params_counts = {f"_n_{c}": [n[i] for n in per_record] for i, c in enumerate(count_columns)}
    params = {f"v_{c}": [s.get(c) for s in standardized] for c in columns}
    cur = execute_parsed(con, sql, {"_j": list(range(len(standardized))), **params, **params_counts,
                                    **(extra_params or {})})
    names = [d[0] for d in cur.description][:len(cur.description) - len(extra)]
    rows = cur.fetchall()
    return ([{**dict(zip(names, row[:len(names)], strict=True)), "rid": 0} for row in rows],
            [tuple(row[len(names):]) for row in rows])
