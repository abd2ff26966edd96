"""The province a district gives: a record whose province is missing or ambiguous ('Vientiane') takes the
province of its district when the district exists once (a district's code begins with its province's).

Defined once, as SQL for the nightly ``standardize`` UPDATE (:func:`province_fill_sql`) and as Python for the single
record real-time matching standardizes (:func:`fill_province`).
"""

from __future__ import annotations

PROVINCE_CODE_LENGTH = 5  # 'LA-VT' of the district 'LA-VT-03'


def province_fill_sql(province: str, district: str) -> str:
    """SQL of the province code from the expressions of the parsed province and district codes."""
    return f"coalesce({province}, substr({district}, 1, {PROVINCE_CODE_LENGTH}))"


def fill_province(province: str | None, district: str | None) -> str | None:
    """The province code of one record from its parsed province and district codes, as :func:`province_fill_sql`."""
    if province is not None or district is None:
        return province
    return district[:PROVINCE_CODE_LENGTH]
