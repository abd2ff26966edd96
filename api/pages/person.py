"""The person page (records, links, ID history) and its split and merge decisions."""

from __future__ import annotations

import math
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.decision_publisher import publish_after_decision
from api.deps import PublishedCursor, audit
from api.masking import visible_record
from api.pages.render import PageUser, can_decide, message, render
from api.queries import persons as person_queries
from linkage.service.auth import Principal
from linkage.service.decisions import DecisionRefused, check_may_decide, decide

router = APIRouter(include_in_schema=False)


@router.get("/persons/{person_id}", response_class=HTMLResponse)
def person_page(
    request: Request,
    principal: PageUser,
    con: PublishedCursor,
    person_id: str,
) -> Response:
    person = person_queries.get_person(con, person_id)
    if person is None:
        return message(request, principal, 404)
    audit(request, "page.person", person_ids=[person_id])
    records = [visible_record(r, principal) for r in person.get("records") or []]
    return render(request, principal, "person.html", person=person, records=records,
                  # drawn from the unmasked records: a node shows only its source, and an out-of-scope record's
                  # rid (hidden from the page) still places its links
                  graph=link_graph(person.get("records") or [], person.get("links") or []),
                  history=person.get("history") or [],
                  notice=request.query_params.get("notice"))


def link_graph(records: list[dict[str, Any]], links: list[dict[str, Any]]) -> dict[str, Any]:
    """Records on a circle, links as lines whose width and opacity show their probability."""
    n = len(records)
    size, radius = 300.0, 110.0
    nodes = {}
    for i, r in enumerate(records):
        angle = 2 * math.pi * i / max(n, 1) - math.pi / 2
        nodes[r["rid"]] = {"x": round(size / 2 + radius * math.cos(angle), 1),
                           "y": round(size / 2 + radius * math.sin(angle), 1),
                           "label": f"{r['source']}", "rid": r["rid"]}
    edges = [{"a": nodes[link["rid_l"]], "b": nodes[link["rid_r"]], "p": link.get("match_probability") or 0.0}
             for link in links if link["rid_l"] in nodes and link["rid_r"] in nodes]
    return {"nodes": list(nodes.values()), "edges": edges, "size": size}


@router.post("/persons/{person_id}/split")
def split_record(
    request: Request,
    principal: PageUser,
    con: PublishedCursor,
    person_id: str,
    rid: int = Form(...),
    note: str = Form(""),
) -> Response:
    """A "not the same" decision between the record and every record of the person it is linked to."""
    if not can_decide(principal):
        return message(request, principal, 403)
    person = person_queries.get_person(con, person_id)
    by_rid = {r["rid"]: r for r in (person or {}).get("records") or []}
    if rid not in by_rid:
        return message(request, principal, 404)
    linked = {link["rid_r"] if link["rid_l"] == rid else link["rid_l"] for link in person.get("links") or []
              if rid in (link["rid_l"], link["rid_r"])}
    others = linked or (set(by_rid) - {rid})
    refused = _decide(request, principal, [(by_rid[rid], by_rid[o]) for o in sorted(others)], "negative", note,
                      person_id)
    return refused or RedirectResponse(f"/persons/{person_id}?notice=decision_pending", status_code=303)


@router.post("/persons/{person_id}/merge")
def merge_person(
    request: Request,
    principal: PageUser,
    con: PublishedCursor,
    person_id: str,
    other: str = Form(...),
    note: str = Form(""),
) -> Response:
    """A "same person" decision between one record of each person."""
    if not can_decide(principal):
        return message(request, principal, 403)
    person, other_person = person_queries.get_person(con, person_id), person_queries.get_person(con, other.strip())
    a = ((person or {}).get("records") or [None])[0]
    b = ((other_person or {}).get("records") or [None])[0]
    if a is None or b is None:
        return message(request, principal, 404)
    if person["person_id"] == other_person["person_id"]:
        audit(request, "decision.create", person_ids=[person_id], outcome="error", status=422,
              detail={"reason": "merge_with_itself", "page": True})
        return render(request, principal, "message.html", status=422, message_key="merge_with_itself")
    refused = _decide(request, principal, [(a, b)], "positive", note, person_id, other_person["person_id"])
    return refused or RedirectResponse(f"/persons/{person_id}?notice=decision_pending", status_code=303)


def _decide(request: Request, principal: Principal, pairs: list[tuple[dict, dict]], judgement: str, note: str,
            *person_ids: str) -> Response | None:
    """Record one decision per pair through the one write path; a 403 page, and none recorded, if any is refused."""
    keys = [(a["source"], a["record_id"], b["source"], b["record_id"]) for a, b in pairs]
    try:
        check_may_decide(principal, keys)
    except DecisionRefused:
        audit(request, "decision.create", outcome="denied", status=403, detail={"reason": "scope", "page": True})
        return message(request, principal, 403)
    service = request.app.state.service.connection()
    ids = [decide(service, key, judgement, principal, note=note or None).decision_id for key in keys]
    audit(request, "decision.create", person_ids=list(person_ids), detail={"decision_ids": ids, "page": True})
    publish_after_decision(request.app)
    return None
