"""What each principal may see of a record: full for stewards, masked for analysts, scoped for system keys.

- steward, and a system key without a source list: every field.
- analyst and admin: personal fields masked (names to initials, birth date to the
  year, phone and ID numbers to their last two characters, village and name keys
  dropped); the rest (source, record_id, role, sex, province, district, dates of
  events, standardized codes) is kept.
- a system key limited to some sources: its own sources' records in full; any other
  record only as (source, record_id, role), the role only when it is a role word (a source's own
  text in the role column that no role word reads is stored and listed, never shown to another source).

Routes pass every record they answer with through :func:`visible_record`, and every search term or
comparison they make through :func:`query_rights`: what may be queried or compared follows what may be
seen, so two answers that differ only in a value the principal cannot see are identical.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from linkage.service.auth import Principal

NAME_FIELDS = ("full_name", "given_name", "family_name", "given_name_std", "family_name_std", "full_name_std")
TAIL_FIELDS = ("phone", "phone_e164", "id_number", "id_number_std")
DROPPED_FIELDS = ("given_key", "family_key", "village", "village_key", "dob_month", "dob_day")
SCOPED_FIELDS = ("source", "record_id", "role")


def _is_role_word(text: Any) -> bool:
    """Whether ``text`` is a role as the nightly reads roles (``case_codes.role_code``)."""
    from linkage.errors import FieldError
    from linkage.fields.case_codes import role_code
    from linkage.fields.invisible import visible_or_none

    try:
        return isinstance(text, str) and role_code(visible_or_none(text)) is not None
    except FieldError:
        return False


def initials(name: str) -> str:
    """'Somchai Phommavong' -> 'S. P.'; works for Lao and Thai script too (first letter of each word)."""
    return " ".join(f"{word[0]}." for word in name.split())


def last_two(value: str) -> str:
    return "*" * max(len(value) - 2, 0) + value[-2:] if len(value) > 2 else "*" * len(value)


def _birth_year(value: Any) -> Any:
    if value is None:
        return None
    text = str(value)
    digits = [part for part in text.replace("/", "-").replace(".", "-").split("-") if len(part) == 4 and part.isdigit()]
    return digits[0] if digits else None


def masked_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """The record with personal fields masked (what an analyst sees)."""
    out = dict(record)
    for key in NAME_FIELDS:
        if out.get(key):
            out[key] = initials(str(out[key]))
    for key in TAIL_FIELDS:
        if out.get(key):
            out[key] = last_two(str(out[key]))
    for key in DROPPED_FIELDS:
        if key in out:
            out[key] = None
    if "date_of_birth" in out:
        out["date_of_birth"] = _birth_year(out["date_of_birth"])
    if "dob" in out:
        out["dob"] = None
    return out


FULL_VIEW_ROLES = ("steward", "system")  # roles that see records unmasked (within their source scope)


def visible_record(record: Mapping[str, Any], principal: Principal) -> dict[str, Any]:
    """``record`` as ``principal`` may see it (see the module docstring).

    A source list limits any key that has one, whatever its role: other sources'
    records shrink to (source, record_id, role) before the role's own masking.
    """
    if principal.sources is not None and record.get("source") not in principal.sources:
        scoped = {key: record.get(key) for key in SCOPED_FIELDS}
        return {**scoped, "role": scoped["role"] if _is_role_word(scoped["role"]) else None}
    if principal.role in FULL_VIEW_ROLES:
        return dict(record)
    return masked_record(record)


def sees_every_field(principal: Principal) -> bool:
    """Whether :func:`visible_record` gives ``principal`` every record whole (no source list, a full-view role)."""
    return principal.sources is None and principal.role in FULL_VIEW_ROLES


def sees_personal_fields(principal: Principal) -> bool:
    """Whether ``principal`` sees at least some records unmasked (pages use it to show or hide controls)."""
    return principal.role in FULL_VIEW_ROLES


@dataclass(frozen=True)
class QueryRights:
    """What a principal may search by, be scored on or compared against (derived from what it may see).

    ``sources``: only these sources' records are searched, scored or compared (None: every source), since
    other sources' records show nothing but (source, record_id, role). ``whole_fields``: personal fields
    count whole; otherwise only at the precision :func:`masked_record` shows (birth year; no phone or ID).
    """

    sources: frozenset[str] | None
    whole_fields: bool


EVERYTHING = QueryRights(sources=None, whole_fields=True)


def query_rights(principal: Principal) -> QueryRights:
    """The :class:`QueryRights` matching :func:`visible_record` for ``principal``."""
    return QueryRights(principal.sources, principal.role in FULL_VIEW_ROLES)


# Comparisons over fields masked_record hides in part: their level tells what the mask hides (a "same full birth
# date" beside two years, "same village" with villages dropped, a name level beside initials).
MASKED_COMPARISONS = ("name", "birth", "place", "phone", "id_number")


def visible_prediction(prediction: Mapping[str, Any] | None, principal: Principal) -> dict[str, Any] | None:
    """A stored pair prediction as ``principal`` may see it: a masked role gets no level, label or weight for
    the comparisons of :data:`MASKED_COMPARISONS` (the others, and the overall probability, are kept)."""
    if prediction is None:
        return None
    if principal.role in FULL_VIEW_ROLES:
        return dict(prediction)
    hidden = {"gamma": None, "label": None, "match_weight": None}
    return {**prediction, "comparisons": [{**c, **hidden} if c["comparison"] in MASKED_COMPARISONS else dict(c)
                                          for c in prediction.get("comparisons") or []]}
