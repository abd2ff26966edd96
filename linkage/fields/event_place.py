"""Event places: a source whose province is where something happened, not where the person is from.

A border checkpoint writes its own province, a repatriation centre the centre's: two records of one
person then disagree on the province although nothing about the person differs. The mapping says so
(``province_is: event_place``, ``linkage/sources/mapping.py``). Such sources still write a person's home
address when they have one, with district or village: only a record of such a source with a province and
neither district nor village is marked (``records.province_is_event``, from the setting of the file the record
last came from). The place comparison (``linkage/model/comparisons.py``) reads a province disagreement with a
marked record as no evidence.
"""

from __future__ import annotations

import duckdb


def apply_event_places(con: duckdb.DuckDBPyConnection) -> int:
    """Set ``province_is_event`` of every standardized record from its file's mapping; return the rows changed.
    A changed record is scored again (its place comparison changed): ``scored_version`` is cleared."""
    event = ("f.province_is IS NOT DISTINCT FROM 'event_place' AND records.province_code IS NOT NULL "
             "AND records.district_code IS NULL AND records.village_key IS NULL")
    rows = con.execute(
        f"""UPDATE records SET province_is_event = ({event}), scored_version = NULL
            FROM ingested_files f
            WHERE records.file_id = f.file_id AND records.std_version IS NOT NULL
              AND records.province_is_event IS DISTINCT FROM ({event})"""
    ).fetchall()
    return int(rows[0][0]) if rows else 0
