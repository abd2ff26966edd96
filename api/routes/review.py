"""Review: the queue of candidate pairs and flagged clusters, one pair side by side, and decisions.

Stewards see records in full and decide; analysts and admins may read the queue and pairs with
personal fields masked but not decide (``linkage.service.decisions.DECIDING_ROLES``, as on the pages).
A decision is never edited or deleted: a newer decision changes it, and a steward who names the
decision they saw (``expected_decision_id``) gets 409 instead of silently overwriting a decision
made meanwhile. A key limited to some sources decides only on pairs of its own sources' records.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Path, Query, Request

from api.decision_publisher import publish_after_decision
from api.deps import Pagination, PublishedCursor, ServiceDb, audit, role_dependency
from api.errors import ApiError
from api.masking import visible_prediction, visible_record
from api.queries.persons import persons_of_rids
from api.queries.review import (
    QUEUE_ROLES,
    item_in_scope,
    province_filter,
    review_pair,
    review_queue,
    rid_of,
    role_filter,
)
from api.schemas import PageInfo
from api.schemas_data import DecisionCreated, DecisionRequest, PairOut, QueueResponse
from linkage.errors import FieldError
from linkage.service.decisions import (
    DECIDING_ROLES,
    NO_DECISION,
    DecisionConflict,
    DecisionRefused,
    check_may_decide,
    decide,
)

router = APIRouter(tags=["review"])
READERS = ("steward", "admin", "analyst")
JUDGEMENTS = {"same": "positive", "not_same": "negative", "unsure": "unsure"}
Reader = role_dependency(*READERS)
Decider = role_dependency(*DECIDING_ROLES)


@router.get("/review/queue", response_model=QueueResponse)
def read_queue(
    request: Request,
    page: Pagination,
    principal: Reader,
    con: PublishedCursor,
    kind: Literal["pair", "cluster"] | None = Query(None),
    source: str | None = Query(None, max_length=100, description="items with a record from this source"),
    province: str | None = Query(None, max_length=100, description="items with a record from this province"),
    role: str | None = Query(None, max_length=100, description=(
        f"items with a record of this role: {', '.join(QUEUE_ROLES)}, or the role as records write it"
        " (ຜູ້ຕ້ອງສົງໄສ, offender); another role is refused (422)")),
) -> QueueResponse:
    """Queue items, highest priority first, with the count of matching items by kind and by source."""
    try:
        role = role_filter(role)
    except FieldError as exc:
        audit(request, "review.queue", outcome="error", status=422, detail={"reason": "unknown_role"})
        raise ApiError(422, exc.reason, field="role") from None
    q = review_queue(con, kind=kind, source=source, province=province_filter(province), role=role,
                     scope=principal.sources, limit=page.page_size, offset=page.offset)
    for item in q["items"]:
        for side in ("record_l", "record_r"):
            if item[side] is not None:
                item[side] = visible_record(item[side], principal)
    rids = [r for it in q["items"] for r in (it["rid_l"], it["rid_r"]) if r is not None]
    person_ids = sorted(set(persons_of_rids(con, rids).values()) | {it["person_id"] for it in q["items"]
                                                                    if it["person_id"]})
    audit(request, "review.queue", person_ids=person_ids, status=200,
          detail={"kind": kind, "source": source, "province": province, "role": role, "total": q["total"]})
    return QueueResponse(
        page=PageInfo(page=page.page, page_size=page.page_size, total=q["total"]),
        by_kind=q["by_kind"], by_source=q["by_source"], items=q["items"],
    )


@router.get("/review/pairs/{item_id}", response_model=PairOut, responses={404: {"description": "no such pair item"}})
def read_pair(
    request: Request,
    principal: Reader,
    con: PublishedCursor,
    service: ServiceDb,
    item_id: int = Path(ge=1, le=2**62),
) -> PairOut:
    """Both records side by side (raw and standardized), each comparison's stored level label, gamma and
    match weight, the overall probability, and the pair's current decision (send its decision_id back as
    expected_decision_id)."""
    pair = review_pair(con, service, item_id)
    if pair is None or not item_in_scope(con, item_id, principal.sources):  # as the queue lists it
        audit(request, "review.pair", outcome="error", status=404,
              detail={"item_id": item_id, "reason": "no_such_item" if pair is None else "scope"})
        raise ApiError(404, f"no pair item {item_id} on the review queue", field="item_id")
    pair["record_l"] = visible_record(pair["record_l"], principal)
    pair["record_r"] = visible_record(pair["record_r"], principal)
    pair["prediction"] = visible_prediction(pair["prediction"], principal)
    for row in pair["fields"]:  # the side-by-side fields carry the same personal values: masked the same way
        for side in ("l", "r"):  # (with the record's source, so a source-limited key hides other sources)
            raw, std = f"raw_{side}", f"standardized_{side}"
            masked = visible_record({**row[std], row["field"]: row[raw],
                                     "source": pair[f"record_{side}"]["source"]}, principal)
            row[raw] = masked.get(row["field"])
            row[std] = {k: masked.get(k) for k in row[std]}
    ids = sorted({p for p in (pair["person_id_l"], pair["person_id_r"]) if p})
    audit(request, "review.pair", person_ids=ids, status=200, detail={"item_id": item_id})
    return PairOut.model_validate(pair)


@router.post("/decisions", response_model=DecisionCreated, status_code=201,
             responses={403: {"description": "a record is outside the key's sources"},
                        404: {"description": "a record is unknown"},
                        409: {"description": "the pair was decided again since expected_decision_id"}})
def create_decision(
    request: Request,
    principal: Decider,
    con: PublishedCursor,
    service: ServiceDb,
    body: DecisionRequest,
) -> DecisionCreated:
    """Record that two records are the same person, not the same, or unsure, with an optional note.
    Name the decision you saw as current in expected_decision_id (null when there was none): if another
    decision was made meanwhile the answer is 409 and nothing is stored."""
    if (body.source_l, body.record_id_l) == (body.source_r, body.record_id_r):
        audit(request, "decision.create", outcome="error", status=422, detail={"reason": "same_record"})
        raise ApiError(422, "a decision needs two different records", field="record_id_r")
    pair = (body.source_l, body.record_id_l, body.source_r, body.record_id_r)
    try:
        check_may_decide(principal, [pair])  # before the look-up: a 404 would tell which records exist
    except DecisionRefused as exc:
        audit(request, "decision.create", outcome="denied", status=403, detail={"reason": "scope"})
        raise ApiError(403, exc.reason, field=exc.field) from exc
    rids = []
    for side in ("l", "r"):
        rid = rid_of(con, getattr(body, f"source_{side}"), getattr(body, f"record_id_{side}"))
        if rid is None:
            audit(request, "decision.create", outcome="error", status=404,
                  detail={"reason": "no_such_record", "field": f"record_id_{side}"})
            raise ApiError(404, f"no published record {getattr(body, f'source_{side}')}/"
                                f"{getattr(body, f'record_id_{side}')}", field=f"record_id_{side}")
        rids.append(rid)
    person_ids = sorted(set(persons_of_rids(con, rids).values()))
    expected = NO_DECISION if body.expected_decision_id is None else body.expected_decision_id
    try:
        d = decide(service, pair, JUDGEMENTS[body.judgement], principal, note=body.note, expected_current=expected)
    except DecisionConflict as exc:
        audit(request, "decision.create", person_ids=person_ids, outcome="error", status=409,
              detail={"expected": exc.expected or None, "current": exc.current})
        raise ApiError(409, str(exc), field="expected_decision_id") from exc
    audit(request, "decision.create", person_ids=person_ids, status=201,
          detail={"decision_id": d.decision_id, "judgement": d.judgement, "supersedes": d.supersedes})
    publish_after_decision(request.app)
    return DecisionCreated(
        decision_id=d.decision_id, judgement=d.judgement, decided_by=d.decided_by, decided_at=d.decided_at,
        note=d.note, source_l=d.source_l, record_id_l=d.record_id_l, source_r=d.source_r,
        record_id_r=d.record_id_r, supersedes=d.supersedes,
    )
