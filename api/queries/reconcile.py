"""Reconciliation answers over published persons (W3C Reconciliation API 0.2): candidates, suggestions, cards, columns.

Each query of a batch is answered on its own: a query the service cannot read gets an empty result and an
error entry naming its field, and the other queries are answered. Every record shown, and every term searched
by, follows what the caller may see (``api.masking``).
"""

from __future__ import annotations

import itertools
import re
from typing import Any

import duckdb
from pydantic import ValidationError

from api.masking import query_rights, visible_record
from api.queries.persons import get_person
from api.queries.search import INITIALS_SCORE, parse_search, search_persons
from api.reconcile_spec import EntityValue, Query
from linkage.clusters.person_ids import PERSON_ID_PREFIX
from linkage.errors import FieldError
from linkage.service.auth import Principal

PERSON_TYPE = {"id": "person", "name": "Person"}
# Properties a query may match on (pid, name, description), and columns data extension can fetch.
MATCH_PROPERTIES = (
    ("name", "Name", "a name in Lao, Thai or Latin script, any spelling (instead of or beside the query text)"),
    ("dob", "Date of birth", "as written: 15/03/1998, 1998, 03/2541 (Buddhist Era)..."),
    ("province", "Province", "a province name in any spelling, or its code"),
    ("phone", "Phone", "a phone number in any usual format"),
)
EXTEND_PROPERTIES = (
    ("person_id", "Person ID", "the active person ID (an alias ID leads to the person it was merged into)"),
    ("n_records", "Number of records", "records of the person, in every source"),
    ("sources", "Sources", "the sources that hold records of the person"),
    ("first_event_year", "First event year", "year of the earliest event the caller may see"),
    ("last_event_year", "Last event year", "year of the latest event the caller may see"),
)
DEFAULT_LIMIT, MAX_LIMIT = 3, 25
MAX_VARIANTS = 16  # value combinations one query may ask for (list values multiply)
PERSON_ID = re.compile(rf"{re.escape(PERSON_ID_PREFIX)}\d+", re.IGNORECASE)
# Search scores: name key parts 2 each (given, family), romanized similarity up to 1, birth up to 2, province 1,
# phone 3 (api.queries.search); a candidate's score is its share of what the query's terms allow, in percent.
NAME_MAX, DOB_MAX, PROVINCE_MAX, PHONE_MAX = 5.0, 2.0, 1.0, 3.0


def answer_query(
    con: duckdb.DuckDBPyConnection, key: str, raw: Any, principal: Principal, id_prefixes: tuple[str, ...]
) -> dict[str, Any]:
    """``{"result": [...]}`` for one query; an unreadable query gets ``[]`` and ``error`` {field, message}."""
    try:
        query = Query.model_validate(raw)
        return {"result": candidates(con, query, principal, id_prefixes)}
    except ValidationError as exc:
        problem = exc.errors()[0]
        field = ".".join(["queries", key, *(str(part) for part in problem["loc"])])
        return {"result": [], "error": {"field": field, "message": problem["msg"]}}
    except FieldError as exc:
        return {"result": [], "error": {"field": f"queries.{key}.{exc.field}", "message": exc.reason}}


def entity_id(text: str, id_prefixes: tuple[str, ...]) -> str | None:
    """The person ID ``text`` is (bare, or inside one of the service's own URLs), else None."""
    text = text.strip()
    for prefix in id_prefixes:
        if text.startswith(prefix):
            text = text[len(prefix):]
            break
    return text.upper() if PERSON_ID.fullmatch(text) else None


def candidates(
    con: duckdb.DuckDBPyConnection, query: Query, principal: Principal, id_prefixes: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    """Candidates best first; ``match`` on the first when it is clearly the one (score ≥ 90, 10 ahead)."""
    limit = min(query.limit or DEFAULT_LIMIT, MAX_LIMIT)
    pid = entity_id(query.query, id_prefixes) if query.query else None
    if pid is not None:
        found = person_candidate(con, pid, principal)
        return [found] if found else []
    values = _property_values(query)
    names = ([query.query] if query.query else []) + values.pop("name", [])
    others = (values.get(pid) or [None] for pid in ("dob", "province", "phone"))
    variants = list(itertools.product(names or [None], *others))
    if len(variants) > MAX_VARIANTS:
        raise FieldError(f"at most {MAX_VARIANTS} combinations of property values per query", field="properties")
    rights = query_rights(principal)
    best: dict[str, dict[str, Any]] = {}
    for name, dob, province, phone in variants:
        try:
            terms = parse_search(name=name and name[:200], dob=dob, province=province, phone=phone, rights=rights)
        except FieldError as exc:
            from_text = exc.field == "name" and query.query is not None and name == query.query
            field = "query" if from_text else f"properties.{exc.field}"
            raise FieldError(exc.reason, field=field) from exc
        name_max = NAME_MAX if terms.name_keys else INITIALS_SCORE if terms.name_initials else 0
        allowed = (name_max + (PHONE_MAX if terms.phone_e164 else 0)
                   + (0 if dob is None else DOB_MAX if terms.dob else 1) + (PROVINCE_MAX if province else 0))
        hits, _ = search_persons(con, terms, limit=limit)
        for hit in hits:
            score = round(100 * min(hit["score"], allowed) / allowed, 1)
            if score > best.get(hit["person_id"], {}).get("score", -1):
                best[hit["person_id"]] = _candidate(hit["person_id"], hit["best_record"], principal, score)
    results = sorted(best.values(), key=lambda c: (-c["score"], c["id"]))[:limit]
    if results and results[0]["score"] >= 90 and (len(results) == 1 or results[0]["score"] - results[1]["score"] >= 10):
        results[0]["match"] = True
    return results


def _property_values(query: Query) -> dict[str, list[str]]:
    """Each property's values as text (a list value gives several); unknown properties are errors."""
    known = {pid for pid, _, _ in MATCH_PROPERTIES}
    out: dict[str, list[str]] = {}
    for prop in query.properties or []:
        if prop.pid not in known:
            raise FieldError(f"unknown property {prop.pid!r}: this service matches on {', '.join(sorted(known))}",
                             field=f"properties.{prop.pid}")
        for value in prop.v if isinstance(prop.v, list) else [prop.v]:
            if isinstance(value, bool):
                raise FieldError("true/false is not a value of this property", field=f"properties.{prop.pid}")
            if isinstance(value, EntityValue):
                value = value.name or value.id
            elif isinstance(value, float) and value.is_integer():
                value = int(value)
            if str(value).strip():
                out.setdefault(prop.pid, []).append(str(value))
    return out


def _label(record: dict[str, Any], person_id: str) -> str:
    given_family = " ".join(p for p in (record.get("given_name"), record.get("family_name")) if p)
    return record.get("full_name") or given_family or person_id


def _description(record: dict[str, Any]) -> str:
    """A short line from what the caller may see of the record: role, sex, birth, province, source."""
    parts = [record.get("role"), record.get("sex"), record.get("date_of_birth") and f"born {record['date_of_birth']}",
             record.get("province"), record.get("source")]
    return " · ".join(str(p) for p in parts if p)


def _candidate(person_id: str, record: dict[str, Any] | None, principal: Principal, score: float) -> dict[str, Any]:
    shown = visible_record(record or {}, principal)
    return {"id": person_id, "name": _label(shown, person_id), "description": _description(shown),
            "score": score, "match": False, "type": [PERSON_TYPE]}


def active_person(con: duckdb.DuckDBPyConnection, person_id: str) -> dict[str, Any] | None:
    """The active person an ID leads to (an alias ID leads to the person it was merged into), or None."""
    person = get_person(con, person_id)
    if person is not None and person["status"] != "active" and person["resolved_to"]:
        person = get_person(con, person["resolved_to"])
    return person if person is not None and person["status"] == "active" else None


def person_candidate(con: duckdb.DuckDBPyConnection, person_id: str, principal: Principal) -> dict[str, Any] | None:
    """The person as a sure candidate (its ID was the query), named by its first record the caller may see."""
    person = active_person(con, person_id)
    if person is None:
        return None
    shown = [visible_record(r, principal) for r in person["records"]]
    record = next((r for r in shown if _label(r, "")), shown[0] if shown else {})
    return {**_candidate(person["person_id"], None, principal, 100.0), "name": _label(record, person["person_id"]),
            "description": _description(record), "match": True}


def suggest_entities(con: duckdb.DuckDBPyConnection, prefix: str, cursor: int, principal: Principal,
                     id_prefixes: tuple[str, ...], limit: int = 10) -> list[dict[str, Any]]:
    """Persons for an auto-complete field: by person ID, or by name (an unreadable prefix suggests nothing)."""
    pid = entity_id(prefix, id_prefixes)
    if pid is not None:
        found = person_candidate(con, pid, principal)
        items = [found] if found and cursor == 0 else []
    else:
        try:
            terms = parse_search(name=prefix[:200], rights=query_rights(principal))
        except FieldError:
            return []
        hits, _ = search_persons(con, terms, limit=limit, offset=cursor)
        items = [_candidate(h["person_id"], h["best_record"], principal, 0) for h in hits]
    return [{"id": c["id"], "name": c["name"], "description": c["description"], "notable": [PERSON_TYPE]}
            for c in items]


def suggest_properties(prefix: str) -> list[dict[str, str]]:
    """Properties (to match on, or to fetch) whose id or name contains ``prefix``, ignoring case."""
    needle = prefix.strip().lower()
    return [{"id": pid, "name": name, "description": text}
            for pid, name, text in (*MATCH_PROPERTIES, *EXTEND_PROPERTIES)
            if needle in pid.lower() or needle in name.lower()]


def person_summary(con: duckdb.DuckDBPyConnection, person_id: str, principal: Principal) -> dict[str, Any] | None:
    """What a preview card and extension columns show of a person, from its records as the caller sees them."""
    person = active_person(con, person_id)
    if person is None:
        return None
    shown = [visible_record(r, principal) for r in person["records"]]
    named = next((r for r in shown if _label(r, "")), {})
    years = sorted(y for y in map(_event_year, shown) if y is not None)
    return {
        "person_id": person["person_id"],
        "name": _label(named, person["person_id"]),
        "description": _description(named),
        "n_records": len(shown),
        "sources": sorted({r["source"] for r in shown if r.get("source")}),
        "first_event_year": years[0] if years else None,
        "last_event_year": years[-1] if years else None,
    }


def _event_year(record: dict[str, Any]) -> int | None:
    """The record's event year: from its standardized date, else from the date as written when that is a year."""
    from linkage.fields.dates import parse_date

    if record.get("event_date_std"):
        return int(str(record["event_date_std"])[:4])
    try:
        parsed = parse_date(str(record["event_date"])) if record.get("event_date") else None
    except FieldError:
        return None
    return parsed.year_min if parsed and parsed.year_min == parsed.year_max else None


def extension_row(summary: dict[str, Any] | None, properties: list[str]) -> dict[str, list[dict[str, Any]]]:
    """One row of a data extension answer: each asked property's values (none for an unknown person)."""
    row: dict[str, list[dict[str, Any]]] = {}
    for pid in properties:
        value = summary.get(pid) if summary else None
        if pid == "sources":
            row[pid] = [{"str": s} for s in value or []]
        elif pid == "person_id":
            row[pid] = [{"id": value, "name": summary["name"]}] if value else []
        elif value is None:
            row[pid] = []
        else:
            row[pid] = [{"int": value}]
    return row
