"""Mapping settings kept per ingested file, filled in for files ingested before a setting existed.

A file keeps the settings its mapping had when it was read (``province_is``, ``one_record_per_person``): the
records it brought are read by them. A store migrated to a new setting has it NULL for every earlier file, and
those files are never read again (same content: "already ingested"), so a repatriation list ingested before
``province_is: event_place`` would never be marked. The mapping of the same name, as loaded now, fills them.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb

from linkage.sources.mapping import Mapping


def date_era(mapping: Mapping) -> str:
    """The mapping's ``buddhist_era`` as kept per file: 'be' (always Buddhist-era years), 'ce' (never), 'auto'."""
    return {True: "be", False: "ce"}.get(mapping.buddhist_era, "auto")


def backfill_file_settings(con: duckdb.DuckDBPyConnection, mappings: Iterable[Mapping]) -> int:
    """Fill the NULL per-file settings of ingested files from their mapping (by name, read from a source folder or
    not); return the files filled."""
    filled = 0
    for m in mappings:
        rows = con.execute(
            "UPDATE ingested_files SET province_is = coalesce(province_is, ?),"
            " one_record_per_person = coalesce(one_record_per_person, ?), date_era = coalesce(date_era, ?)"
            " WHERE (mapping = ? OR starts_with(mapping, ? || '@')) AND status = 'ingested'"
            " AND (province_is IS NULL OR one_record_per_person IS NULL OR date_era IS NULL)",
            [m.province_is, m.one_record_per_person, date_era(m), m.name, m.name]).fetchall()
        filled += int(rows[0][0]) if rows else 0
    return filled
