"""When a file is read again (README, "The nightly job").

- The same content read the same way (by the same mapping, from the same source folder) is "already ingested"; a file
  rejected under a mapping is read again once the mapping file changed (it may have been mended for it).
- A file of the records posted through the API (mapping ``API_FILES_MAPPING``, ``linkage/sources/api_records.py``)
  is read by each night that writes it, whatever its content: an earlier night's file of the same bytes holds a post
  made again since (a list may have changed the record in between), to be applied again. A night reads it once: run
  again after a kill, it finds what its first attempt read (``night_started``: when the run began).
- A file the service user may not read has no content to compare: it is recorded (``ingested_files``, a quarantine
  row) each night it stays unreadable, once a night.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from linkage.store import API_FILES_MAPPING


def earlier_reading(con: duckdb.DuckDBPyConnection, sha256: str, mapping: str, digest: str | None,
                    night_started: dt.datetime | None) -> tuple[int, str, dt.datetime, str] | None:
    """(file_id, path, ingested_at, status) of the reading that makes reading this content by ``mapping`` (its
    digest ``digest``) again needless, None when it is to be read."""
    rows = con.execute(
        "SELECT file_id, path, ingested_at, status FROM ingested_files WHERE sha256 = ? AND mapping = ?"
        " AND (status = 'ingested' OR (status = 'rejected' AND mapping_digest IS NOT DISTINCT FROM ?))"
        " AND (mapping <> ? OR ingested_at >= ?) ORDER BY status = 'ingested' DESC, file_id LIMIT 1",
        [sha256, mapping, digest, API_FILES_MAPPING, night_started]).fetchall()
    return rows[0] if rows else None


def unreadable_recorded(con: duckdb.DuckDBPyConnection, path: str, night_started: dt.datetime | None) -> int | None:
    """The file_id under which the night that began at ``night_started`` recorded the file at ``path`` as unreadable
    already (a night run again after a kill), None when it has not."""
    rows = con.execute("SELECT min(file_id) FROM ingested_files WHERE path = ? AND sha256 = '' AND status = 'rejected'"
                       " AND ingested_at >= ?", [path, night_started]).fetchall()
    return rows[0][0]
