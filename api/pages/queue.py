"""The review queue page (filtered, 50 items a page) and the jump to the next undecided item."""

from __future__ import annotations

import math

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import PublishedCursor, audit
from api.masking import visible_record
from api.pages.render import PageUser, render
from api.queries import review as review_queries
from api.queries.persons import persons_of_rids

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
    filters = {"kind": kind or None, "source": source or None, "province": review_queries.province_filter(province),
               "role": role or None}
    queue = review_queries.review_queue(con, limit=50, offset=(page - 1) * 50, scope=principal.sources, **filters)
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
                  sources=sources, page=page, pages=max(1, math.ceil(queue["total"] / 50)),
                  seconds_per_item=seconds, steward_time=steward_time(queue["total"] * seconds))


def steward_time(seconds: float) -> str:
    """A duration as stewards plan it: minutes under two hours, else hours with one decimal."""
    return f"{seconds / 3600:.1f} h" if seconds >= 7200 else f"{math.ceil(seconds / 60)} min"


@router.get("/queue/next")
def next_item(
    request: Request,
    principal: PageUser,
    con: PublishedCursor,
    after: int | None = None,
) -> Response:
    """The next queue item after ``after`` that no steward has decided since the night was published."""
    from linkage.service.decisions import current_decision_id

    items = review_queries.review_queue(con, limit=500, offset=0, scope=principal.sources)["items"]
    ids = [i["item_id"] for i in items]
    start = ids.index(after) + 1 if after in ids else 0
    service = request.app.state.service.connection()
    for item in items[start:]:
        left, right = item["record_l"], item["record_r"]
        if item["kind"] != "pair" or not (left and right):
            return RedirectResponse(f"/pairs/{item['item_id']}", status_code=303)
        if current_decision_id(service, left["source"], left["record_id"], right["source"], right["record_id"]) is None:
            return RedirectResponse(f"/pairs/{item['item_id']}", status_code=303)
    return RedirectResponse("/queue", status_code=303)
