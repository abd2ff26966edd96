"""Persons: look one up by ID (following aliases and splits), or search by name, birth date, place, phone."""

from __future__ import annotations

import json

from fastapi import APIRouter, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from api.deps import Pagination, PublishedCursor, PublishedSnapshot, audit, audit_async, role_dependency
from api.errors import ApiError
from api.masking import query_rights, sees_every_field, visible_record
from api.published import Snapshot
from api.queries.persons import PERSON_ID_MAX_LENGTH, get_person
from api.queries.search import parse_search, search_persons
from api.schemas import PageInfo
from api.schemas_data import PersonOut, SearchResponse
from linkage.errors import FieldError

router = APIRouter(prefix="/persons", tags=["persons"])
READERS = ("admin", "steward", "analyst", "system")
Reader = role_dependency(*READERS)


@router.get("/{person_id}", response_model=PersonOut, responses={404: {"description": "unknown person ID"}})
async def read_person(
    request: Request,
    principal: Reader,
    snapshot: PublishedSnapshot,
    person_id: str = Path(min_length=1, max_length=PERSON_ID_MAX_LENGTH),
) -> Response:
    """A person's records (masked per role and source scope), the scored links inside the cluster, and its
    ID history. An ID merged into another answers 200 with ``status: alias`` and ``resolved_to``; an ID
    whose records were all split off answers ``status: retired`` with ``successors``."""
    # An active person's answer was written when the snapshot was published (linkage.publishing.person_docs): one
    # keyed read. Other IDs (aliases, retired), and snapshots without the document file, are read live.
    entry = snapshot.docs.entry(person_id) if snapshot.docs is not None else None
    if entry is None:
        person = await run_in_threadpool(_live_person, snapshot, person_id)
    elif sees_every_field(principal):
        # The stored document is exactly PersonOut's JSON of the unmasked person: sent as it is.
        doc, records = entry
        await audit_async(request, "person.read", person_ids=[person_id], status=200, detail={"records": records})
        return Response(content=doc, media_type="application/json")
    else:
        person = json.loads(entry[0])
    if person is None:
        await audit_async(request, "person.read", person_ids=[person_id], outcome="error", status=404)
        raise ApiError(404, f"no person {person_id}", field="person_id")
    person["records"] = [visible_record(r, principal) for r in person["records"]]
    ids = [person_id] + [p for p in [person["resolved_to"], *person["successors"]] if p and p != person_id]
    await audit_async(request, "person.read", person_ids=ids, status=200, detail={"records": len(person["records"])})
    return Response(content=PersonOut.model_validate(person).model_dump_json(), media_type="application/json")


def _live_person(snapshot: Snapshot, person_id: str) -> dict | None:
    with snapshot.cursor() as con:
        return get_person(con, person_id)


@router.get("", response_model=SearchResponse)
def find_persons(
    request: Request,
    page: Pagination,
    principal: Reader,
    con: PublishedCursor,
    name: str | None = Query(None, max_length=200, description="a name in Lao, Thai or Latin script, any spelling"),
    dob: str | None = Query(None, max_length=50, description="birth date as written (15/03/1998, 1998, 03/2541...)"),
    province: str | None = Query(None, max_length=100, description="province name in any spelling, or its code"),
    phone: str | None = Query(None, max_length=50, description="phone number in any usual format"),
) -> SearchResponse:
    """Persons whose records match, best first; give a name or a phone, optionally a birth date and place."""
    try:
        query = parse_search(name=name, dob=dob, province=province, phone=phone, rights=query_rights(principal))
    except FieldError as exc:
        raise ApiError(422, exc.reason, field=exc.field) from exc
    hits, total = search_persons(con, query, limit=page.page_size, offset=page.offset)
    for hit in hits:
        if hit["best_record"] is not None:
            hit["best_record"] = visible_record(hit["best_record"], principal)
    terms = [t for t, v in (("name", name), ("dob", dob), ("province", province), ("phone", phone)) if v]
    audit(request, "person.search", person_ids=[h["person_id"] for h in hits], status=200,
          detail={"terms": terms, "total": total})
    return SearchResponse(page=PageInfo(page=page.page, page_size=page.page_size, total=total), items=hits)
