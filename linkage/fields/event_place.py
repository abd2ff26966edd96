"""Event places: a source whose province is where something happened, not where the person is from.

A border checkpoint writes its own province, a repatriation centre the centre's: two records of one
person then disagree on the province although nothing about the person differs. The mapping says so
(``province_is: event_place``, ``linkage/sources/mapping.py``). Such sources still write a person's home
address when they have one, with district or village: only a record of such a source with a province and
neither district nor village is marked (``records.province_is_event``, from the setting of the file the record
last came from; a record posted through the API: its source's). The place comparison
(``linkage/model/comparisons.py``) reads a province disagreement with a marked record as no evidence.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import duckdb

from linkage.sources.file_settings import record_setting_sql, source_settings_sql

EVENT_PLACE = "event_place"  # the mapping's province_is of such a source
WRITTEN, EMPTY = ("province_code",), ("district_code", "village_key")  # a record marked: only a province


def _marked_sql(alias: str) -> str:
    return " AND ".join([*(f"{alias}.{c} IS NOT NULL" for c in WRITTEN), *(f"{alias}.{c} IS NULL" for c in EMPTY)])


def province_is_event(parts: Mapping[str, Any], event_source: bool) -> bool:
    """``province_is_event`` of one standardized record, as :func:`apply_event_places` sets it (real-time matching:
    ``event_source`` says the record's source maps ``province_is: event_place``)."""
    return event_source and all(parts.get(c) is not None for c in WRITTEN) and all(parts.get(c) is None for c in EMPTY)


def apply_event_places(con: duckdb.DuckDBPyConnection) -> int:
    """Set ``province_is_event`` of every standardized record from its file's mapping (a record posted through the
    API: its source's, ``file_settings.record_setting_sql``); return the rows changed. A changed record is scored
    again (its place comparison changed): ``scored_version`` is cleared."""
    event = f"{record_setting_sql('province_is')} IS NOT DISTINCT FROM '{EVENT_PLACE}' AND {_marked_sql('records')}"
    rows = con.execute(
        f"""UPDATE records SET province_is_event = ({event}), scored_version = NULL
            FROM ingested_files f, ({source_settings_sql(con)}) s
            WHERE records.file_id = f.file_id AND records.source = s.source AND records.std_version IS NOT NULL
              AND records.province_is_event IS DISTINCT FROM ({event})"""
    ).fetchall()
    return int(rows[0][0]) if rows else 0
