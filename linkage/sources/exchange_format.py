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
    "case_type",
    "exploitation",
)

# A file may leave these out (its mapping names them, the file lacks the header): they are then empty.
OPTIONAL_COLUMNS: tuple[str, ...] = ("case_type", "exploitation")

REQUIRED_COLUMNS: tuple[str, ...] = ("record_id", "source")
