"""Placeholder birth dates: the day and month a source writes when only the year is known.

Many registers write 01/01/1998 (some 01/07/1998) for "born in 1998". Compared as a full date, two
such records look like the same birthday, and one of them against the person's real birthday looks
like a different one. Per source, such dates are read as the year only: ``dob``, ``dob_month`` and
``dob_day`` are cleared, ``dob_precision`` becomes 'year' and ``dob_placeholder`` keeps the month-day,
so the full date is restored if the source's setting changes.

Which day/months a source uses for this comes from its mapping (``placeholder_birth_dates``, see
``linkage/sources/mapping.py``; the source's setting applies, ``file_settings.source_settings_sql``). With
``auto``, 1 January is a placeholder for a source when the store shows its share of 1 January births far above
1/365: at least ``AUTO_MIN_JAN1`` such births and a share over ``AUTO_FACTOR`` times 1/365. ``00/00/1998`` is
always read as the year (``dates.parse_date``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import duckdb

from linkage.sources.file_settings import source_settings_sql

AUTO_FACTOR = 10  # 1 January over ten times as common as any day: the source writes it for "unknown"
AUTO_MIN_JAN1 = 10
_JAN1 = "01-01"
FULL_PRECISION, YEAR_PRECISION = "day", "year"  # dob_precision of a full birth date, of one read as the year only
CLEARED = ("dob", "dob_month", "dob_day")  # what a placeholder birth date read as the year only leaves empty


@dataclass(frozen=True)
class SourcePlaceholders:
    source: str
    setting: str  # auto | none | '01-01,07-01'
    month_days: tuple[str, ...]  # what is read as the year only for this source
    jan1_share: float | None  # of this source's full birth dates (placeholders included)


def placeholder_decisions(con: duckdb.DuckDBPyConnection) -> list[SourcePlaceholders]:
    """Per source: its setting, the 1 January share in the store, and the month-days read as year only."""
    rows = con.execute(
        f"""WITH setting AS (SELECT source, placeholder_birth_dates AS setting FROM ({source_settings_sql(con)})),
           dated AS (
               SELECT source,
                      count(*) FILTER (WHERE (dob_month = 1 AND dob_day = 1) OR dob_placeholder = '01-01') AS jan1,
                      count(*) FILTER (WHERE dob_precision = 'day' OR dob_placeholder IS NOT NULL) AS full_dates
               FROM records WHERE std_version IS NOT NULL GROUP BY source)
           SELECT s.source, s.setting, coalesce(d.jan1, 0), coalesce(d.full_dates, 0)
           FROM setting s LEFT JOIN dated d USING (source) ORDER BY s.source"""
    ).fetchall()
    decisions = []
    for source, setting, jan1, full_dates in rows:
        share = jan1 / full_dates if full_dates else None
        if setting == "auto":
            far_above = share is not None and jan1 >= AUTO_MIN_JAN1 and share > AUTO_FACTOR / 365
            month_days: tuple[str, ...] = (_JAN1,) if far_above else ()
        elif setting == "none":
            month_days = ()
        else:
            month_days = tuple(setting.split(","))
        decisions.append(SourcePlaceholders(source, setting, month_days, share))
    return decisions


def apply_placeholder_birth_dates(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """Read each source's placeholder birth dates as the year only, and restore full dates a source no
    longer treats so. Changed records are scored again. Returns (made year-only, restored)."""
    decisions = [(d.source, list(d.month_days)) for d in placeholder_decisions(con)]
    if not decisions:
        return 0, 0
    con.execute("CREATE OR REPLACE TEMP TABLE placeholder_rule (source VARCHAR, month_days VARCHAR[])")
    con.executemany("INSERT INTO placeholder_rule VALUES (?, ?)", decisions)
    month_day = "lpad(CAST(dob_month AS VARCHAR), 2, '0') || '-' || lpad(CAST(dob_day AS VARCHAR), 2, '0')"
    cleared = ", ".join(f"{c} = NULL" for c in CLEARED)
    made = con.execute(
        f"""UPDATE records SET dob_placeholder = {month_day}, {cleared},
                   dob_precision = '{YEAR_PRECISION}', scored_version = NULL
            FROM placeholder_rule p
            WHERE records.source = p.source AND records.dob_precision = '{FULL_PRECISION}'
              AND list_contains(p.month_days, {month_day})"""
    ).fetchall()[0][0]
    restored = con.execute(
        """UPDATE records SET dob_month = CAST(split_part(dob_placeholder, '-', 1) AS INTEGER),
                   dob_day = CAST(split_part(dob_placeholder, '-', 2) AS INTEGER),
                   dob = make_date(dob_year, CAST(split_part(dob_placeholder, '-', 1) AS INTEGER),
                                   CAST(split_part(dob_placeholder, '-', 2) AS INTEGER)),
                   dob_precision = 'day', dob_placeholder = NULL, scored_version = NULL
            FROM placeholder_rule p
            WHERE records.source = p.source AND records.dob_placeholder IS NOT NULL
              AND NOT list_contains(p.month_days, records.dob_placeholder)"""
    ).fetchall()[0][0]
    con.execute("DROP TABLE placeholder_rule")
    return made, restored


def read_placeholder_as_year(parts: Mapping[str, Any], month_days: tuple[str, ...]) -> dict[str, Any]:
    """The birth columns of one standardized record as :func:`apply_placeholder_birth_dates` leaves them when its
    source writes ``month_days`` for the year only (real-time matching: the record's source's decision)."""
    out = {"dob_placeholder": None}
    if parts.get("dob_precision") != FULL_PRECISION or parts.get("dob_month") is None or parts.get("dob_day") is None:
        return out
    month_day = f"{parts['dob_month']:02d}-{parts['dob_day']:02d}"
    if month_day in month_days:
        out.update({c: None for c in CLEARED}, dob_placeholder=month_day, dob_precision=YEAR_PRECISION)
    return out
