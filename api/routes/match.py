"""Real-time matching: one exchange-format record in, the best candidate persons out, with reasons."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from api.deps import PublishedSnapshot, audit_async, role_dependency
from api.errors import ApiError
from api.masking import query_rights
from api.published import Snapshot
from api.schemas_data import ExchangeRecord, MatchResponse, PendingOut
from api.scorer_cache import ServedScorer, built_scorer, scorer_for
from linkage.errors import FieldError, LaoLinkError
from linkage.fields.invisible import key_or_none
from linkage.service.pending_records import add_pending_record
from linkage.sources.row_rules import key_problem

router = APIRouter(tags=["match"])
# Roles that see records whole (admins see them masked, so a score or label would tell what the mask hides).
MATCHERS = ("system", "steward")
Matcher = role_dependency(*MATCHERS)


@router.post("/match", response_model=MatchResponse, responses={403: {"description": "source outside the key's scope"}})
async def match(
    request: Request,
    principal: Matcher,
    snapshot: PublishedSnapshot,
    record: ExchangeRecord,
    top_k: int = Query(5, ge=1, le=50, description="how many candidate persons to return"),
    min_probability: float = Query(0.0, ge=0.0, le=1.0, description="leave out candidates below this probability"),
    persist: bool = Query(False, description="also store the record for the next nightly run"),
) -> Response:
    """Score the record against every published record sharing a blocking key with it; answer the best
    persons with their match probability and, per comparison, the level reached and its match weight.

    A key limited to some sources is scored against those sources' records only: a score or label on a
    record it sees only as (source, record_id, role) would reveal the fields it may not see."""
    if persist:  # the keys as ingest reads them: invisible characters removed, blanks trimmed (a copied source)
        for name in ("record_id", "source"):
            if key_or_none(getattr(record, name)) is None:
                raise ApiError(422, f"{name} is required to store the record (persist=true)", field=name)
            if problem := key_problem(name, getattr(record, name)):  # the night would quarantine it
                raise ApiError(422, problem, field=name)
        if principal.sources is not None and key_or_none(record.source) not in principal.sources:
            raise ApiError(403, f"this key may not store records of source {record.source}", field="source")
    try:
        # The scorer is built once per snapshot (at warm-up); building it reads the snapshot: not on the loop.
        scorer = built_scorer(snapshot.identity) or await run_in_threadpool(_scorer_of, snapshot)
        standardized, issues = scorer.read_record(record.model_dump())  # as the nightly reads the record's source
        result = await scorer.score_async(standardized, top_k=top_k, min_probability=min_probability,
                                          sources=query_rights(principal).sources)
    except FieldError as exc:
        raise ApiError(422, exc.reason, field=exc.field) from exc
    except LaoLinkError as exc:
        raise ApiError(503, str(exc)) from exc
    persisted = None
    if persist:  # a service database connection only when it is needed (most matches only read)
        persisted = await run_in_threadpool(_persist, request, record, principal.actor)
    person_ids = [p.person_id for p in result.persons if p.person_id]
    await audit_async(request, "match", person_ids=person_ids, status=200,
                      detail={"candidates_scored": result.candidates_scored,
                              "persisted": persisted.pending_id if persisted else None})
    answer = MatchResponse(
        model_version=result.model_version,
        candidates_scored=result.candidates_scored,
        persons=[
            {
                "person_id": p.person_id, "match_probability": p.match_probability, "match_weight": p.match_weight,
                "source": p.source, "record_id": p.record_id, "records_compared": p.records_compared,
                "fields": [f.__dict__ for f in p.fields],
            }
            for p in result.persons
        ],
        persisted=persisted,
        warnings=[issue.__dict__ for issue in issues],
    )
    return Response(content=answer.model_dump_json(), media_type="application/json")  # validated once, above


def _scorer_of(snapshot: Snapshot) -> ServedScorer:
    with snapshot.cursor() as con:
        return scorer_for(con)


def _persist(request: Request, record: ExchangeRecord, received_by: str) -> PendingOut:
    service = request.app.state.service.open()
    try:
        stored = add_pending_record(service, record.model_dump(), received_by)
        return PendingOut(pending_id=stored.pending_id, received_at=stored.received_at)
    finally:
        service.close()
