"""One record standardized in Python exactly as the nightly ``standardize`` step fills its columns in SQL.

Real-time matching standardizes the record it is sent with the same per-field parsers
(``standardize.LOOKUPS``) and combines their outputs as ``standardize``'s UPDATE does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from linkage.errors import FieldError
from linkage.fields.age_rule import fill_from_age
from linkage.store import STANDARDIZED_COLUMNS


def standardize_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """The standardized columns of one exchange-format record, as the nightly standardizer fills them.

    Raises FieldError naming the exchange-format field when a value cannot be parsed.
    """
    from linkage.fields.standardize import LOOKUPS

    def text(column: str) -> str | None:
        value = record.get(column)
        if value is None:
            return None
        value = str(value)
        return value if value.strip() else None

    out: dict[str, Any] = {}
    for lookup in LOOKUPS:
        values = [text(c) for c in lookup.raw]
        try:
            parsed = lookup.read(*values)
        except FieldError as exc:
            # Name the exchange-format field (parsers name their own kind of value, e.g. "date").
            field_name = exc.field if exc.field in lookup.raw else lookup.raw[0]
            value = values[lookup.raw.index(field_name)]
            raise FieldError(exc.reason, field=field_name, value=value) from exc
        for i, (name, _) in enumerate(lookup.outputs):
            out[name] = None if parsed is None else parsed[i]
    out.update(fill_from_age(out))  # as standardize()'s UPDATE combines them (ages give birth-year ranges)
    return {c: out.get(c) for c in STANDARDIZED_COLUMNS if c != "std_version"}
