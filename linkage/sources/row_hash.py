"""A stored record's row hash, and what a file that lacks an optional column says about it (nothing).

The hash tells an unchanged record from a changed one when a file is read again (linkage/sources/ingest.py).
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb

from linkage.sources.exchange_format import EXCHANGE_COLUMNS, OPTIONAL_COLUMNS
from linkage.sources.mapping import Mapping


def row_hash_sql(value: Callable[[str], str] = lambda c: f"c_{c}") -> str:
    """SQL of a checked row's hash from each exchange column's ``value``. The optional columns count only when
    filled, so a record's hash is the same as before they existed."""
    hashed = ", ".join(f"'{c}=' || {value(c)}" if c in OPTIONAL_COLUMNS else f"coalesce({value(c)}, chr(30))"
                       for c in EXCHANGE_COLUMNS)
    return f"md5(concat_ws(chr(31), {hashed}))"


def keep_unwritten_optional(con: duckdb.DuckDBPyConnection, checked: str, mapping: Mapping) -> None:
    """A file without an optional column (an older list without case columns) says nothing about it: its rows of
    stored records take the stored values there, so they neither count as changed nor lose them."""
    absent = [c for c in OPTIONAL_COLUMNS if c not in mapping.columns]
    if not absent:
        return
    con.execute(f"""
        UPDATE {checked} k SET {', '.join(f'c_{c} = r.{c}' for c in absent)},
            row_hash = {row_hash_sql(lambda c: f'r.{c}' if c in absent else f'k.c_{c}')}
        FROM records r
        WHERE r.source = k.c_source AND r.record_id = k.c_record_id AND k.problem IS NULL
          AND ({' OR '.join(f'r.{c} IS NOT NULL' for c in absent)})""")
