"""Merge a file's checked rows (``linkage/sources/staged_rows.py``) into ``records``, with set-based SQL.

A good row the store does not hold becomes a record, in file order; a changed one updates its record (version + 1,
standardized columns reset) after the old version is copied to ``record_history``; an equal one is unchanged, and
comes from this file from now on when its mapping's settings differ from its old file's.
"""

from __future__ import annotations

import duckdb

from linkage.sources.exchange_format import EXCHANGE_COLUMNS
from linkage.sources.file_settings import SETTINGS
from linkage.sources.mapping import Mapping
from linkage.sources.row_hash import keep_unwritten_optional
from linkage.sources.staged_rows import CHECKED, GOOD, STAGED, check_staged, quarantine_checked
from linkage.store import API_FILES_MAPPING, STANDARDIZED_COLUMNS, draw_contiguous

RAW_COLUMNS: tuple[str, ...] = tuple(c for c in EXCHANGE_COLUMNS if c not in ("source", "record_id"))
_KNOWN = "_ingest_known"


def merge_checked(con: duckdb.DuckDBPyConnection, mapping: Mapping, file_id: int, path: str,
                  max_cell_chars: int, claimed: dict[str, str]) -> dict[str, int]:
    """Validate the staged rows and merge them into records; returns the counts."""
    check_staged(con, mapping, max_cell_chars, claimed)
    quarantined = quarantine_checked(con, mapping, file_id, path)
    keep_unwritten_optional(con, CHECKED, mapping)
    con.execute(f"""
        INSERT INTO sources (source)
        SELECT DISTINCT c_source FROM {CHECKED}
        WHERE problem IS NULL AND c_source NOT IN (SELECT source FROM sources)
    """)
    # the good rows whose record the store holds (their rid and hash), not a copy of every good row
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {_KNOWN} AS
        SELECT k.line_no, r.rid, r.row_hash <> k.row_hash AS changed
        FROM {CHECKED} k JOIN records r ON r.source = k.c_source AND r.record_id = k.c_record_id WHERE {GOOD}
    """)
    (good,) = con.execute(f"SELECT count(*) FROM {CHECKED} k WHERE {GOOD}").fetchall()[0]
    updated, unchanged = con.execute(
        f"SELECT count(*) FILTER (changed), count(*) FILTER (NOT changed) FROM {_KNOWN}").fetchall()[0]
    counts = {"stored": good - updated - unchanged, "updated": updated, "unchanged": unchanged}
    con.execute(f"INSERT INTO file_sources SELECT ?, c_source, count(*) FROM {CHECKED} k WHERE {GOOD} GROUP BY c_source"
                " ORDER BY c_source", [file_id])  # the sources it read, unchanged rows too (file_settings.py)
    if counts["unchanged"]:
        _read_by_new_settings(con, file_id)
    if counts["updated"]:
        _update_changed(con, file_id)
    if counts["stored"]:
        _insert_new(con, file_id)
    (read,) = con.execute(f"SELECT count(*) FROM {STAGED}").fetchall()[0]
    con.execute(f"DROP TABLE {STAGED}; DROP TABLE {CHECKED}; DROP TABLE {_KNOWN}")
    return {"staged": read, "quarantined": quarantined, **counts}


def _read_by_new_settings(con: duckdb.DuckDBPyConnection, file_id: int) -> None:
    """Records delivered again unchanged by a file whose mapping settings differ from those of the file they came from
    (a mapping mended since) now come from this file: read by its settings, as real-time matching reads their source
    (``file_settings.source_settings_sql``), so standardized and scored again. A record a post moved to an API file is
    read by its source's settings already (``file_settings.record_setting_sql``) and stays there."""
    old, new = (", ".join(f"{f}.{c}" for c in SETTINGS) for f in ("old", "new"))
    con.execute(f"""
        UPDATE records SET file_id = new.file_id, line_no = k.line_no, std_version = NULL, scored_version = NULL
        FROM {_KNOWN} k, ingested_files old, ingested_files new
        WHERE records.rid = k.rid AND NOT k.changed AND old.file_id = records.file_id AND new.file_id = ?
          AND old.mapping <> '{API_FILES_MAPPING}' AND ({old}) IS DISTINCT FROM ({new})
    """, [file_id])


def _update_changed(con: duckdb.DuckDBPyConnection, file_id: int) -> None:
    """Keep the replaced versions of changed records in ``record_history``, then update them (their standardized
    columns reset, so the next standardize fills them again)."""
    raw_list = ", ".join(RAW_COLUMNS)
    con.execute(f"""
        INSERT INTO record_history (rid, source, record_id, {raw_list}, row_hash, version, file_id, line_no,
                                    replaced_by_file_id)
        SELECT r.rid, r.source, r.record_id, {', '.join(f'r.{c}' for c in RAW_COLUMNS)}, r.row_hash, r.version,
               r.file_id, r.line_no, ?
        FROM records r JOIN {_KNOWN} g ON g.rid = r.rid
        WHERE g.changed
    """, [file_id])
    resets = ", ".join(f"{c} = NULL" for c in STANDARDIZED_COLUMNS)
    con.execute(f"""
        UPDATE records SET {', '.join(f'{c} = g.c_{c}' for c in RAW_COLUMNS)},
            row_hash = g.row_hash, version = records.version + 1, file_id = ?, line_no = g.line_no,
            updated_at = current_timestamp, {resets}
        FROM (SELECT c.*, k.rid FROM {CHECKED} c JOIN {_KNOWN} k USING (line_no) WHERE k.changed) g
        WHERE records.rid = g.rid
    """, [file_id])


def _insert_new(con: duckdb.DuckDBPyConnection, file_id: int) -> None:
    """Insert the records the store does not hold yet, in file order."""
    raw_list = ", ".join(RAW_COLUMNS)
    # The column default would draw rids row by row (2 s of a million-row insert). Drawn in one statement instead,
    # one per line from the first new record's to the last's, so that a record's rid is first + its line's offset:
    # increasing in line order without numbering the rows (the lines of unchanged or quarantined rows in between
    # leave gaps, as rolled-back draws do). Only ingest draws them, in one transaction: they come out contiguous.
    new = f"{CHECKED} k WHERE {GOOD} AND k.line_no NOT IN (SELECT line_no FROM {_KNOWN})"
    low, high = con.execute(f"SELECT min(line_no), max(line_no) FROM {new}").fetchall()[0]
    first = draw_contiguous(con, "record_rid_seq", high - low + 1, f"record ids for lines {low}..{high}")
    con.execute(f"""
        INSERT INTO records (rid, source, record_id, {raw_list}, row_hash, file_id, line_no)
        SELECT ? + line_no - ?, c_source, c_record_id, {', '.join(f'c_{c}' for c in RAW_COLUMNS)}, row_hash, ?, line_no
        FROM {new} ORDER BY line_no
    """, [first, low, file_id])
