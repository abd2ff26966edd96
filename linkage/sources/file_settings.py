"""Mapping settings kept per ingested file, and the settings each source's records are read by.

A file keeps the settings its mapping had when it was read (``province_is``, ``one_record_per_person``): the
records it brought are read by them. A store migrated to a new setting has it NULL for every earlier file, and
those files are never read again (same content: "already ingested"), so a repatriation list ingested before
``province_is: event_place`` would never be marked. The mapping of the same name, as loaded now, fills them.

A source's settings (:func:`source_settings_sql`, the one definition) are those of its latest file read from the
inbox (``file_sources``: the sources each file read, unchanged rows included). Real-time matching reads a record of
the source by them, and the nightly reads the records posted through the API (``linkage/sources/api_records.py``)
by them too, each night anew (:func:`record_setting_sql`; an API file keeps the settings its records were first read
by, for the record): those files (mapping ``API_FILES_MAPPING``) never decide a source's settings, or one posted
record would change how every later record of its source is read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import duckdb

from linkage.sources.mapping import Mapping
from linkage.store import API_FILES_MAPPING, has_table

SETTINGS = ("placeholder_birth_dates", "province_is", "one_record_per_person", "date_era")  # per file


@dataclass(frozen=True)
class SourceSettings:
    """The mapping settings of a source's records (NULL columns of a file from before a setting as None)."""

    placeholder_birth_dates: str = "auto"
    province_is: str | None = "home"
    one_record_per_person: bool | None = False
    date_era: str | None = "auto"


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


def source_settings_sql(con: duckdb.DuckDBPyConnection) -> str:
    """SQL of ``(source, placeholder_birth_dates, province_is, one_record_per_person, date_era)``, one row per source
    of a store or snapshot: the settings of the latest file read from the inbox that read some of its records
    (``file_sources``, unchanged rows included), wherever its records are now (a posted update moves a record to
    its API file); NULL settings (the defaults) for a source no inbox file has read."""
    known = {c for (c,) in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database()"
        " AND schema_name = 'main' AND table_name = 'ingested_files'").fetchall()}
    columns = ", ".join(f"f.{c}" if c in known else f"NULL AS {c}" for c in SETTINGS)  # a snapshot from before one
    # a snapshot from before file_sources: the files its records came from
    read = "file_sources" if has_table(con, "file_sources") else "(SELECT DISTINCT file_id, source FROM records)"
    return f"""SELECT source, coalesce(placeholder_birth_dates, 'auto') AS placeholder_birth_dates, province_is,
                      one_record_per_person, date_era
               FROM (SELECT s.source, {columns} FROM (SELECT DISTINCT source FROM records) s
                     LEFT JOIN (SELECT r.source, max(r.file_id) AS file_id FROM {read} r JOIN ingested_files i
                                USING (file_id) WHERE i.mapping <> '{API_FILES_MAPPING}' GROUP BY r.source) latest
                     USING (source)
                     LEFT JOIN ingested_files f USING (file_id))"""


def record_setting_sql(setting: str, file: str = "f", source: str = "s") -> str:
    """SQL of the setting a record is read by: its file's (``file``: the record's ingested_files row), or, for a record
    posted through the API, its source's as the night finds it (``source``: the source's row of
    :func:`source_settings_sql`), so that a source's records posted before its list arrived or before its mapping was
    mended are read as the list's are, and as real-time matching reads them."""
    return f"CASE WHEN {file}.mapping = '{API_FILES_MAPPING}' THEN {source}.{setting} ELSE {file}.{setting} END"


def source_settings(con: duckdb.DuckDBPyConnection) -> dict[str, SourceSettings]:
    """Each source's settings (:func:`source_settings_sql`)."""
    return {row[0]: SourceSettings(*row[1:]) for row in con.execute(source_settings_sql(con)).fetchall()}
