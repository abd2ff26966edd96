"""One record standardized in Python exactly as the nightly ``standardize`` step fills its columns in SQL.

Real-time matching standardizes the record it is sent with the same per-field parsers
(``standardize.LOOKUPS``) and combines their outputs with the rules the nightly applies after parsing, each
defined once for both: the age rule (``age_rule``), a province from a district that exists once
(``province_fill``), the source's placeholder birth dates (``placeholder_dates``) and event places
(``event_place``) and the dates' era; the last three are per source, read from the store (:func:`source_rules`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import duckdb

from linkage.errors import FieldError
from linkage.fields.age_rule import fill_from_age
from linkage.fields.event_place import EVENT_PLACE, province_is_event
from linkage.fields.placeholder_dates import placeholder_decisions, read_placeholder_as_year
from linkage.fields.province_fill import fill_province
from linkage.sources.file_settings import source_settings
from linkage.store import STANDARDIZED_COLUMNS


@dataclass(frozen=True)
class SourceRules:
    """How a source writes its records, as the store holds it (its settings: ``file_settings.source_settings_sql``):
    what the nightly applies to its files' records, and to those posted through the API."""

    placeholder_month_days: tuple[str, ...] = ()  # birth month-days it writes for 'year only' ('01-01')
    province_is_event: bool = False  # its mapping says province_is: event_place
    date_era: str | None = None  # its mapping's buddhist_era ('be', 'ce', 'auto')


@dataclass(frozen=True)
class FieldIssue:
    """A value that could not be read: the nightly leaves its standardized field empty and lists it (std_issues)."""

    field: str  # the exchange-format field
    value: str | None
    reason: str


def source_rules(con: duckdb.DuckDBPyConnection) -> dict[str, SourceRules]:
    """Each source's rules from a store or a snapshot of it (the decisions the nightly made for it)."""
    placeholders = {d.source: d.month_days for d in placeholder_decisions(con)}
    return {source: SourceRules(placeholders.get(source, ()), s.province_is == EVENT_PLACE, s.date_era)
            for source, s in source_settings(con).items()}


def read_record(
    record: Mapping[str, Any], rules: SourceRules | None = None
) -> tuple[dict[str, Any], list[FieldIssue]]:
    """The standardized columns of one exchange-format record as the nightly standardizer fills them, and the
    values it could not read (their fields left empty, as the nightly leaves them). ``rules``: the record's source's
    (:func:`source_rules`), none when the source is unknown."""
    from linkage.fields.standardize import LOOKUPS

    def text(column: str) -> str | None:
        value = record.get(column)
        if value is None:
            return None
        value = str(value)
        return value if value.strip() else None

    out: dict[str, Any] = {}
    issues: list[FieldIssue] = []
    rules = rules or SourceRules()
    for lookup in LOOKUPS:  # the lookup's context (a date's era) from the source's rules, its values from the record
        values = [rules.date_era if c in lookup.context else text(c) for c in lookup.raw]
        try:
            parsed = lookup.read(*values)
        except FieldError as exc:
            # Name the exchange-format field (parsers name their own kind of value, e.g. "date").
            field_name = exc.field if exc.field in lookup.raw else lookup.raw[0]
            issues.append(FieldIssue(field_name, values[lookup.raw.index(field_name)], exc.reason))
            parsed = None
        for i, (name, _) in enumerate(lookup.outputs):
            out[name] = None if parsed is None else parsed[i]
    # as standardize()'s UPDATE combines them, then its placeholder-date and event-place steps
    out.update(fill_from_age(out))  # ages give birth-year ranges
    out["province_code"] = fill_province(out.get("province_code"), out.get("district_code"))
    out.update(read_placeholder_as_year(out, rules.placeholder_month_days))
    out["province_is_event"] = province_is_event(out, rules.province_is_event)
    return {c: out.get(c) for c in STANDARDIZED_COLUMNS if c != "std_version"}, issues


def standardize_record(record: Mapping[str, Any], rules: SourceRules | None = None) -> dict[str, Any]:
    """:func:`read_record`'s standardized columns; raises FieldError naming the exchange-format field of the first
    value that cannot be read."""
    out, issues = read_record(record, rules)
    if issues:
        raise FieldError(issues[0].reason, field=issues[0].field, value=issues[0].value)
    return out
