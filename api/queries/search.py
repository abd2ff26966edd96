"""Find persons by a name in any script or spelling, a birth date, a place or a phone.

The name goes through the Lao name key (``linkage.fields.name_key``), so ``ບົວສີ``, ``บัวสี`` and
``Bouasy``/``Buasy`` find the same records; parts may come in any order. Birth date and
province narrow the result (records whose known value contradicts them drop out) and
raise the rank of records that agree.

Terms follow what the asker may see (``api.masking.query_rights``): a source-limited principal searches
its own sources' records only, and a masked role's birth date counts by its year only, its phone
not at all (422) and its name by the initials of its parts only (the initials the role sees of a record's
name), so no answer depends on a value it cannot see.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import duckdb

from api.masking import EVERYTHING, QueryRights
from api.queries.person_index import person_index_for
from api.queries.records import records_by_rid, rows_as_dicts
from linkage.errors import FieldError

T = TypeVar("T")


@dataclass(frozen=True)
class SearchQuery:
    name_keys: list[str]
    name_romanized: str | None
    dob_year_min: int | None
    dob_year_max: int | None
    dob: str | None
    province_code: str | None
    phone_e164: str | None
    sources: list[str] | None = None  # only these sources' records are searched (None: all)
    # a masked role's name term: the initials of its romanized parts, matched against the initials the role sees
    # (name_keys and name_romanized are then empty)
    name_initials: list[str] | None = None


def parse_search(
    name: str | None = None, dob: str | None = None, province: str | None = None, phone: str | None = None,
    rights: QueryRights = EVERYTHING,
) -> SearchQuery:
    """Standardize the search terms as records are standardized, within ``rights``; FieldError names the bad
    term (a phone from a principal that sees phones masked is one)."""
    from linkage.fields.dates import parse_date
    from linkage.fields.phones import phone_e164
    from linkage.fields.places import province_code

    name = (name or "").strip() or None
    keys: list[str] = []
    romanized = None
    if name:
        from linkage.fields.name_key import name_key, romanize_name

        keys = [k for k in name_key(name).split() if k]
        romanized = romanize_name(name) or None
        if not keys:
            raise FieldError("no letters to search by in this name", field="name", value=name)
    parsed = _term(dob, "dob", parse_date)
    prov = _term(province, "province", province_code)
    tel = _term(phone, "phone", phone_e164)
    if tel is not None and not rights.whole_fields:
        raise FieldError("phone numbers are masked for this role, so they cannot be searched by", field="phone")
    if not keys and tel is None:
        raise FieldError("give a name or a phone number to search by", field="name")
    initials = None if rights.whole_fields or not keys else name_initials(name)
    if initials == []:
        raise FieldError("no letters of a name to search by in this name", field="name", value=name)
    return SearchQuery(
        name_keys=keys if initials is None else [],
        name_romanized=romanized if initials is None else None,
        name_initials=initials,
        dob_year_min=parsed.year_min if parsed else None,
        dob_year_max=parsed.year_max if parsed else None,
        # a masked role sees the birth year only: its full date counts as that year
        dob=parsed.date.isoformat() if parsed and parsed.date and rights.whole_fields else None,
        province_code=prov,
        phone_e164=tel,
        sources=sorted(rights.sources) if rights.sources is not None else None,
    )


def name_initials(name: str) -> list[str]:
    """The first letters of a name's romanized parts, titles left out: what a masked role sees of a name
    (``api.masking.initials`` of ``full_name_std``)."""
    from linkage.fields.name_parse import parse_name

    parsed = parse_name(name, None, None)
    words = " ".join(p for p in (parsed.given_std, parsed.family_std) if p).split()
    return sorted({w[0] for w in words})


def _term(text: str | None, field: str, parse: Callable[[str], T]) -> T | None:
    """``parse(text)``, None for a blank term; a FieldError is raised again naming the search term."""
    if not (text and text.strip()):
        return None
    try:
        return parse(text)
    except FieldError as exc:
        raise FieldError(exc.reason, field=field, value=text) from exc


# A masked role's name term scores this much on a record whose initials include the term's: whatever the spelling.
INITIALS_SCORE = 2

# Records sharing a name key part or the phone are found through the index's ART indexes
# (one equality look-up each), a masked role's initials by a scan, then scored; records of no person are left out.
_SEARCH_SQL = f"""
WITH found AS (
    SELECT rid FROM records WHERE given_key = ANY($keys::VARCHAR[])
    UNION SELECT rid FROM records WHERE family_key = ANY($keys::VARCHAR[])
    UNION SELECT rid FROM records WHERE phone_e164 = $phone
    UNION SELECT rid FROM records WHERE $initials::VARCHAR[] IS NOT NULL
        AND list_has_all(list_transform(string_split(full_name_std, ' '), lambda w: left(w, 1)), $initials::VARCHAR[])
),
hits AS (
    SELECT r.rid, r._person_id AS person_id,
        (CASE WHEN list_contains($keys::VARCHAR[], r.given_key) THEN 2 ELSE 0 END
         + CASE WHEN list_contains($keys::VARCHAR[], r.family_key) THEN 2 ELSE 0 END
         + CASE WHEN $rom IS NOT NULL AND r.full_name_std IS NOT NULL
                THEN jaro_winkler_similarity(r.full_name_std, $rom) ELSE 0 END
         + CASE WHEN $initials::VARCHAR[] IS NOT NULL AND r.full_name_std IS NOT NULL
                AND list_has_all(list_transform(string_split(r.full_name_std, ' '), lambda w: left(w, 1)),
                                 $initials::VARCHAR[]) THEN {INITIALS_SCORE} ELSE 0 END
         + CASE WHEN $phone IS NOT NULL AND r.phone_e164 = $phone THEN 3 ELSE 0 END
         + CASE WHEN $dob IS NOT NULL AND r.dob = CAST($dob AS DATE) THEN 2
                WHEN $ymin IS NOT NULL AND coalesce(r.dob_year_min, r.dob_year) <= $ymax
                     AND coalesce(r.dob_year_max, r.dob_year) >= $ymin THEN 1 ELSE 0 END
         + CASE WHEN $prov IS NOT NULL AND r.province_code = $prov THEN 1 ELSE 0 END) AS score
    FROM records r
    WHERE r.rid IN (SELECT rid FROM found) AND r._person_id IS NOT NULL
      AND ($sources::VARCHAR[] IS NULL OR list_contains($sources::VARCHAR[], r.source))
      AND ($ymin IS NULL OR coalesce(r.dob_year_min, r.dob_year) IS NULL
           OR (coalesce(r.dob_year_min, r.dob_year) <= $ymax + 1 AND coalesce(r.dob_year_max, r.dob_year) >= $ymin - 1))
      AND ($prov IS NULL OR r.province_code IS NULL OR r.province_code = $prov)
),
per_person AS (
    SELECT person_id, max(score) AS score, arg_max(rid, score) AS best_rid, count(*) AS records_matched
    FROM hits GROUP BY person_id
)
SELECT person_id, score, best_rid, records_matched, count(*) OVER () AS total
FROM per_person ORDER BY score DESC, person_id
LIMIT $limit OFFSET $offset
"""


def search_persons(
    con: duckdb.DuckDBPyConnection, query: SearchQuery, *, limit: int = 50, offset: int = 0
) -> tuple[list[dict[str, Any]], int]:
    """Ranked persons (best-matching record of each) and the total number of persons found.

    Reads go through the snapshot's in-memory index (``api.queries.person_index``).
    """
    idx = person_index_for(con).cursor()
    try:
        rows = rows_as_dicts(idx.execute(_SEARCH_SQL, _params(query, limit, offset)))
        total = rows[0]["total"] if rows else _count(idx, query) if offset else 0
        records = records_by_rid(idx, [r["best_rid"] for r in rows])
    finally:
        idx.close()
    results = [
        {
            "person_id": r["person_id"],
            "score": round(float(r["score"]), 4),
            "records_matched": r["records_matched"],
            "best_record": records.get(r["best_rid"]),
        }
        for r in rows
    ]
    return results, total


def _params(query: SearchQuery, limit: int, offset: int) -> dict[str, Any]:
    return {
        "keys": query.name_keys, "rom": query.name_romanized, "initials": query.name_initials,
        "phone": query.phone_e164,
        "dob": query.dob, "ymin": query.dob_year_min, "ymax": query.dob_year_max,
        "prov": query.province_code, "sources": query.sources, "limit": limit, "offset": offset,
    }


def _count(con: duckdb.DuckDBPyConnection, query: SearchQuery) -> int:
    """Total when the requested page is past the end (no row carries the window count then)."""
    rows = con.execute(_SEARCH_SQL, _params(query, 1, 0)).fetchall()
    return rows[0][4] if rows else 0
