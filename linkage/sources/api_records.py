"""Records posted to ``POST /match?persist=true``, ingested by the nightly as records of their sources.

Real-time matching read such a record by its source's settings (``file_settings.source_settings_sql``: its
placeholder birth dates, event places, dates' era), and the nightly reads it so too: the waiting records are
written one exchange-format file per source and each file is read by the exchange mapping with that source's
settings, under the mapping name ``API_FILES_MAPPING``. Such files never decide a source's settings. Of a record
posted more than once before a night, the last post is stored and the earlier ones are marked superseded by it.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb

from linkage.faults import fault_point
from linkage.fields.invisible import key_or_none
from linkage.sources.exchange_format import EXCHANGE_COLUMNS
from linkage.sources.file_settings import SourceSettings, source_settings
from linkage.sources.ingest import ingest_file
from linkage.sources.ingest_report import FileReport
from linkage.sources.mapping import Mapping
from linkage.store import API_FILES_MAPPING

# in a waiting row: (pending_id, *EXCHANGE_COLUMNS)
_SOURCE, _RECORD_ID = (1 + EXCHANGE_COLUMNS.index(column) for column in ("source", "record_id"))


@dataclass
class PostedIngest:
    """What ingesting the waiting records did: each source's file, and each post that a later post of the same record
    replaced -> that later post's pending_id (the service database marks them so: none vanishes unaccounted)."""

    files: list[FileReport]
    superseded: dict[int, int]


def latest_posts(rows: Sequence[tuple]) -> tuple[list[tuple], dict[int, int]]:
    """The waiting records ``(pending_id, *EXCHANGE_COLUMNS)`` to store, in arrival order: each record's last post
    (its source and record_id read as ingest reads them); and each earlier post -> the post that replaced it. A
    correction posted before the night is stored, not the first version with the correction quarantined as a
    record_id repeated in the file."""
    last = {}
    for row in rows:
        key = (key_or_none(row[_SOURCE]), key_or_none(row[_RECORD_ID]))
        if None not in key:  # a row without one is quarantined, each
            last[key] = row[0]
    kept, superseded = [], {}
    for row in rows:
        later = last.get((key_or_none(row[_SOURCE]), key_or_none(row[_RECORD_ID])), row[0])
        if later == row[0]:
            kept.append(row)
        else:
            superseded[row[0]] = later
    return kept, superseded


def write_api_record_files(rows: Sequence[tuple], folder: Path, run_id: int) -> list[tuple[str, Path]]:
    """Write waiting records ``(pending_id, *EXCHANGE_COLUMNS)`` as exchange-format CSV files, one per source,
    owner-only (they hold personal data); return (source, file) in source order."""
    by_source: dict[str, list[tuple]] = {}
    for row in rows:
        by_source.setdefault(key_or_none(row[_SOURCE]) or "", []).append(row[1:])  # the source ingest stores
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    written = []
    for k, source in enumerate(sorted(by_source)):
        out = folder / f"pending-run-{run_id:06d}-{rows[0][0]}-{rows[-1][0]}-source-{k + 1}.csv"
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)  # also when a killed run left the file behind with other permissions
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(EXCHANGE_COLUMNS)
            writer.writerows(by_source[source])
        written.append((source, out))
    return written


def remove_api_record_files(folder: Path) -> int:
    """Remove the files of waiting records that an earlier attempt of a night left in ``folder`` (killed while it read
    them: they hold victims' names, and the service database keeps the records); return how many."""
    left = sorted(folder.glob("pending-run-*.csv")) if folder.is_dir() else []
    for path in left:
        path.unlink(missing_ok=True)
    return len(left)


def api_files_mapping(exchange: Mapping, settings: SourceSettings | None) -> Mapping:
    """The exchange mapping with a source's settings (the defaults for a source without files)."""
    s = settings or SourceSettings()
    return replace(exchange, name=API_FILES_MAPPING, placeholder_birth_dates=s.placeholder_birth_dates,
                   province_is=s.province_is or "home", one_record_per_person=bool(s.one_record_per_person),
                   buddhist_era={"be": True, "ce": False}.get(s.date_era or ""))


def ingest_api_records(con: duckdb.DuckDBPyConnection, rows: Sequence[tuple], folder: Path, run_id: int,
                       exchange: Mapping, night_started: dt.datetime | None = None) -> PostedIngest:
    """Ingest the waiting records (each record's last post, :func:`latest_posts`), each source's by its settings;
    the files are removed once read (the service database keeps the records). ``night_started``: when the night
    began (a night run again after a kill does not read its own files again: ``linkage/sources/read_again.py``)."""
    kept, superseded = latest_posts(rows)
    settings = source_settings(con)
    files = write_api_record_files(kept, folder, run_id)
    try:
        fault_point("ingest:posted-files-written")  # killed while they exist: the next attempt removes them
        return PostedIngest([ingest_file(con, path, api_files_mapping(exchange, settings.get(source)),
                                         night_started=night_started) for source, path in files], superseded)
    finally:
        for _, path in files:
            path.unlink(missing_ok=True)
