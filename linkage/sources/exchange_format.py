"""The person-record exchange format every source file is mapped onto (see shared/record-schema.md)."""

from __future__ import annotations

EXCHANGE_COLUMNS: tuple[str, ...] = (
    "record_id",
    "source",
    "role",
    "full_name",
    "given_name",
    "family_name",
    "sex",
    "date_of_birth",
    "age",
    "nationality",
    "province",
    "district",
    "village",
    "phone",
    "id_number",
    "event_date",
)

REQUIRED_COLUMNS: tuple[str, ...] = ("record_id", "source")

ROLES: frozenset[str] = frozenset({"victim", "suspect", "witness"})
