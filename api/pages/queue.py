"""The review queue page (filtered, 50 items a page) and the jump to the next undecided item."""

from __future__ import annotations

import math

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import PublishedCursor, audit
from api.masking import visible_record
from api.pages.render import PageUser, filter_query, render
from api.queries import review as review_queries
from api.queries.persons import persons_of_rids
from linkage.errors import FieldError
from linkage.publishing.decision_publish import served_decisions_through
from linkage.service.auth import Principal
from linkage.service.decisions import current_decision_ids, normalise_pair

router = APIRouter(include_in_schema=False)


@router.get("/queue", response_class=HTMLResponse)
def queue_page(
    request: Request,
    principal: PageUser,
    con: PublishedCursor,
    kind: str | None = None,
    source: str | None = None,
    province: str | None = None,
    role: str | None = None,
    page: int = Query(1, ge=1, le=1_000_000),
) -> Response:
    try:
        filters = queue_filters(kind, source, province, role)
    except FieldError as exc:
        return _unknown_filter(request, principal, exc)
    queue = review_queries.review_queue(con, limit=50, offset=(page - 1) * 50, scope=principal.sources,
                                        **_as_queried(filters))
    for item in queue["items"]:
        item["record_l"] = visible_record(item["record_l"], principal) if item["record_l"] else None
        item["record_r"] = visible_record(item["record_r"], principal) if item["record_r"] else None
    # every person whose record the page shows, as the API's review.queue row names them
    rids = [r for i in queue["items"] for r in (i["rid_l"], i["rid_r"]) if r is not None]
    person_ids = set(persons_of_rids(con, rids).values()) | {i["person_id"] for i in queue["items"] if i["person_id"]}
    audit(request, "page.queue", person_ids=sorted(person_ids), status=200)
    sources = sorted(review_queries.review_queue(con, limit=1, offset=0, scope=principal.sources)["by_source"])
    seconds = request.app.state.settings.seconds_per_review_item
    return render(request, principal, "queue.html", queue=queue, filters={**filters, "province": province or ""},
                  filter_query=filter_query(filters), roles=review_queries.QUEUE_ROLES,
                  kinds=review_queries.QUEUE_KINDS, sources=sources, page=page,
                  pages=max(1, math.ceil(queue["total"] / 50)),
                  seconds_per_item=seconds, steward_time=steward_time(queue["total"] * seconds))


def queue_filters(kind: str | None, source: str | None, province: str | None, role: str | None
                  ) -> dict[str, str | None]:
    """The queue's filters as the queue page, the pair page and /queue/next carry them (blank: none; the role as
    its code, ``review_queries.role_filter``); FieldError for a kind or role the queue does not know."""
    return {"kind": review_queries.kind_filter(kind), "source": source or None, "province": province or None,
            "role": review_queries.role_filter(role)}


def _as_queried(filters: dict[str, str | None]) -> dict[str, str | None]:
    """``filters`` as the queue's queries take them: the province as its gazetteer code."""
    return {**filters, "province": review_queries.province_filter(filters["province"])}


def _unknown_filter(request: Request, principal: Principal, error: FieldError) -> Response:
    """The answer to a queue filtered by a kind or role the queue does not know (422, the value and the known
    ones)."""
    known = review_queries.QUEUE_KINDS if error.field == "kind" else review_queries.QUEUE_ROLES
    audit(request, "page.queue", outcome="error", status=422, detail={"reason": f"unknown_{error.field}"})
    return render(request, principal, "message.html", status=422, message_key=f"unknown_{error.field}",
                  values={"value": request.query_params.get(error.field or "", ""), "known": ", ".join(known)})


def steward_time(seconds: float) -> str:
    """A duration as stewards plan it: minutes under two hours, else hours with one decimal."""
    return f"{seconds / 3600:.1f} h" if seconds >= 7200 else f"{math.ceil(seconds / 60)} min"


@router.get("/queue/next")
def next_item(
    request: Request,
    principal: PageUser,
    con: PublishedCursor,
    after: int | None = None,
    kind: str | None = None,
    source: str | None = None,
    province: str | None = None,
    role: str | None = None,
) -> Response:
    """The next item of the queue, as filtered, after ``after`` that no steward decided since the queue was built
    (a pair decided since the served snapshot's decisions; items whose decisions the queue was built with, such
    as "stewards disagree", are offered). A pair item opens the pair page, a cluster item without a pair its
    person; past the last, the queue."""
    try:
        filters = queue_filters(kind, source, province, role)
    except FieldError as exc:
        return _unknown_filter(request, principal, exc)
    query = filter_query(filters)
    through = served_decisions_through(con)
    service = request.app.state.service.connection()
    while True:
        items = review_queries.queue_items_after(con, after, _as_queried(filters), principal.sources)
        pairs = {item["item_id"]: normalise_pair(item["record_l"]["source"], item["record_l"]["record_id"],
                                                 item["record_r"]["source"], item["record_r"]["record_id"])
                 for item in items if item["record_l"] and item["record_r"]}
        current = current_decision_ids(service, pairs.values())  # the page's pairs in one query
        for item in items:
            if item["item_id"] not in pairs:
                if item["person_id"]:
                    return RedirectResponse(f"/persons/{item['person_id']}", status_code=303)
                continue
            if current.get(pairs[item["item_id"]], 0) <= through:
                return RedirectResponse(f"/pairs/{item['item_id']}{query}", status_code=303)
        if len(items) < 50:
            return RedirectResponse(f"/queue{query}", status_code=303)
        after = items[-1]["item_id"]
