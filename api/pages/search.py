"""The search page: a person ID opens the person, a phone or a name searches."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import PublishedCursor, audit
from api.masking import query_rights, visible_record
from api.pages.render import PageUser, render
from api.queries import search as search_queries
from linkage.errors import FieldError

router = APIRouter(include_in_schema=False)


PERSON_ID = re.compile(r"^LA-P-\d+$", re.IGNORECASE)


PHONE = re.compile(r"^[+\d][\d\s\-()]{5,}$")


@router.get("/search", response_class=HTMLResponse)
def search_page(
    request: Request,
    principal: PageUser,
    con: PublishedCursor,
    q: str = "",
) -> Response:
    q = q.strip()
    if PERSON_ID.match(q):
        return RedirectResponse(f"/persons/{q.upper()}", status_code=303)
    hits, total, error = [], 0, None
    if q:
        try:
            rights = query_rights(principal)
            query = search_queries.parse_search(**{"phone" if PHONE.match(q) else "name": q}, rights=rights)
            hits, total = search_queries.search_persons(con, query, limit=50, offset=0)
        except FieldError as exc:
            error = exc.reason
        for hit in hits:
            if hit.get("best_record"):
                hit["best_record"] = visible_record(hit["best_record"], principal)
        audit(request, "page.search", person_ids=[h["person_id"] for h in hits], status=200)
    return render(request, principal, "search.html", q=q, hits=hits, total=total, error=error)
