"""What the standardizer could not read: each unparsed value with its field, reason and how often it occurs.

Read from ``std_issues`` (one row per record and field the standardizer could not parse), so a steward
sees the values worth teaching first (an alias, a mapping setting) and why each was refused.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

REPORT_COLUMNS = ("field", "value", "records", "sources", "reason")


@dataclass(frozen=True)
class UnparsedValue:
    field: str
    value: str
    records: int
    sources: str  # the sources whose records hold it, comma-separated
    reason: str


def unparsed_values(con: duckdb.DuckDBPyConnection) -> list[UnparsedValue]:
    """Every distinct unparsed value per field and reason, most frequent first within each field."""
    rows = con.execute(
        """SELECT i.field, regexp_replace(coalesce(i.value, ''), '( / )+$', ''), count(*),
                  string_agg(DISTINCT r.source, ', ' ORDER BY r.source), i.reason
           FROM std_issues i JOIN records r USING (rid)
           GROUP BY ALL
           ORDER BY i.field, count(*) DESC, 2"""
    ).fetchall()
    return [UnparsedValue(*row) for row in rows]


def totals_by_field(values: list[UnparsedValue]) -> dict[str, tuple[int, int]]:
    """field -> (records, distinct values), fields with the most records first."""
    totals: dict[str, tuple[int, int]] = {}
    for v in values:
        records, distinct = totals.get(v.field, (0, 0))
        totals[v.field] = (records + v.records, distinct + 1)
    return dict(sorted(totals.items(), key=lambda item: -item[1][0]))


def _cell(text: object) -> object:
    """A text a spreadsheet would run as a formula gets an apostrophe in front (as exports do)."""
    if isinstance(text, str) and text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def write_report_csv(values: list[UnparsedValue], out: Path) -> None:
    """The whole report as CSV, owner-only (values are personal data)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(REPORT_COLUMNS)
        for v in values:
            writer.writerow([_cell(getattr(v, c)) for c in REPORT_COLUMNS])
    os.chmod(tmp, 0o600)
    os.replace(tmp, out)
