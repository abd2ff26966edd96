"""The age rule: an age at an event gives the birth-year range when the date of birth gives none.

The years come from ``dates.birth_years_from_age`` (the lookup outputs ``age_year_min``/``age_year_max``);
how they fill a record's birth columns is defined here once, as SQL for the nightly ``standardize`` UPDATE
(:func:`age_fill_sql`) and as Python for the single record real-time matching standardizes
(:func:`fill_from_age`), both read from the same constants.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

AGE_PRECISION = "range"  # the dob_precision of a birth known only from an age
PRECISION_COLUMN = "dob_precision"
# birth column <- the age output filling it when the date of birth leaves it empty
FILLED_FROM_AGE: tuple[tuple[str, str], ...] = (("dob_year_min", "age_year_min"), ("dob_year_max", "age_year_max"))
AGE_OUTPUTS = tuple(age for _, age in FILLED_FROM_AGE)
_AGE_GIVEN = FILLED_FROM_AGE[0][1]  # an age that gives years gives both


def age_fill_sql(alias: str) -> dict[str, str]:
    """Each birth column the rule sets, and its SQL expression over the lookup outputs of table ``alias``."""
    exprs = {PRECISION_COLUMN: f"coalesce({alias}.{PRECISION_COLUMN}, "
                               f"CASE WHEN {alias}.{_AGE_GIVEN} IS NOT NULL THEN '{AGE_PRECISION}' END)"}
    exprs.update({dob: f"coalesce({alias}.{dob}, {alias}.{age})" for dob, age in FILLED_FROM_AGE})
    return exprs


def fill_from_age(parts: Mapping[str, Any]) -> dict[str, Any]:
    """The birth columns the rule sets, from one record's lookup outputs, as :func:`age_fill_sql` sets them."""
    precision = parts.get(PRECISION_COLUMN)
    if precision is None and parts.get(_AGE_GIVEN) is not None:
        precision = AGE_PRECISION
    out: dict[str, Any] = {PRECISION_COLUMN: precision}
    out.update({dob: parts[dob] if parts.get(dob) is not None else parts.get(age) for dob, age in FILLED_FROM_AGE})
    return out
