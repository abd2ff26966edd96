"""The person page (records, links, ID history) and its split and merge decisions."""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Callable
from typing import Any

import duckdb
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.decision_publisher import publish_after_decision
from api.deps import PublishedCursor, audit
from api.masking import visible_record
from api.pages.render import PageUser, can_decide, message, render
from api.queries import persons as person_queries
from api.queries.persons import PERSON_ID_MAX_LENGTH
from linkage.publishing.decision_publish import served_decisions_through
from linkage.service import person_decisions
from linkage.service.auth import Principal
from linkage.service.decisions import MAX_NOTE_LENGTH, Decision, DecisionConflict, DecisionRefused

router = APIRouter(include_in_schema=False)
# The notices the person page shows (?notice=KEY, set by its own redirects); any other value is not printed.
NOTICES = frozenset({"decision_pending"})


@router.get("/persons/{person_id}", response_class=HTMLResponse)
def person_page(
    request: Request,
    principal: PageUser,
    con: PublishedCursor,
    person_id: str,
) -> Response:
    person = person_queries.get_person(con, person_id)
    if person is None:
        audit(request, "page.person", person_ids=[person_id], outcome="error", status=404)
        return message(request, principal, 404)
    audit(request, "page.person", person_ids=[person_id], status=200)
    records = [visible_record(r, principal) for r in person.get("records") or []]
    return render(request, principal, "person.html", person=person, records=records,
                  # drawn from the unmasked records: a node shows only its source, and an out-of-scope record's
                  # rid (hidden from the page) still places its links
                  graph=link_graph(person.get("records") or [], person.get("links") or []),
                  history=person.get("history") or [],
                  notice=request.query_params.get("notice") if request.query_params.get("notice") in NOTICES else None,
                  seen_through=served_decisions_through(con))


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
    seen_through: int | None = Form(None),
) -> Response:
    """"Not the same" between the record and every record of the person it is linked to or was decided the same
    as (``linkage.service.person_decisions.split_record``)."""
    refused = _refused(request, principal, person_id, note)
    if refused:
        return refused
    person = _active(con, person_id)
    if person is None:
        return _failed(request, principal, [person_id], 404, "no_such_person")
    by_rid = {r["rid"]: r for r in person.get("records") or []}
    if rid not in by_rid:
        return _failed(request, principal, [person_id], 404, "no_such_record")
    linked = {link["rid_r"] if link["rid_l"] == rid else link["rid_l"] for link in person.get("links") or []
              if rid in (link["rid_l"], link["rid_r"])}
    return _decide(request, principal, con, person["person_id"], [person["person_id"]], lambda service, seen: (
        person_decisions.split_record(service, principal, _key(by_rid[rid]), [_key(by_rid[o]) for o in sorted(linked)],
                                      [_key(r) for o, r in sorted(by_rid.items()) if o != rid],
                                      note=note or None, seen_through=seen)), seen_through)


@router.post("/persons/{person_id}/merge")
def merge_person(
    request: Request,
    principal: PageUser,
    con: PublishedCursor,
    person_id: str,
    other: str = Form(...),
    note: str = Form(""),
    seen_through: int | None = Form(None),
) -> Response:
    """"Same person" between the two persons' records (``linkage.service.person_decisions.merge_persons``); an
    alias ID stands for the person it resolves to."""
    refused = _refused(request, principal, person_id, note)
    if refused:
        return refused
    other = other.strip()
    if len(other) > PERSON_ID_MAX_LENGTH:  # no person has such an ID: said, not cut to one
        return _failed(request, principal, [person_id], 422, "person_id_too_long",
                       {"max_length": PERSON_ID_MAX_LENGTH})
    person, other_person = _active(con, person_id), _active(con, other)
    if person is None or other_person is None or not person["records"] or not other_person["records"]:
        return _failed(request, principal, [person_id], 404, "no_such_person")
    ids = [person["person_id"], other_person["person_id"]]
    if ids[0] == ids[1]:
        return _failed(request, principal, ids[:1], 422, "merge_with_itself")
    return _decide(request, principal, con, ids[0], ids, lambda service, seen: person_decisions.merge_persons(
        service, principal, [_key(r) for r in person["records"]], [_key(r) for r in other_person["records"]],
        note=note or None, seen_through=seen), seen_through)


def _key(record: dict[str, Any]) -> tuple[str, str]:
    return record["source"], record["record_id"]


def _active(con: duckdb.DuckDBPyConnection, person_id: str) -> dict[str, Any] | None:
    """The person an ID leads to: itself when active, the person an alias resolves to; None otherwise."""
    person = person_queries.get_person(con, person_id)
    if person is not None and person["status"] != "active" and person.get("resolved_to"):
        person = person_queries.get_person(con, person["resolved_to"])
    return person if person is not None and person["status"] == "active" else None


def _refused(request: Request, principal: Principal, person_id: str, note: str) -> Response | None:
    """The answer to a split or merge its principal may not make (403), or whose note is too long (422)."""
    if not can_decide(principal):
        audit(request, "decision.create", person_ids=[person_id], outcome="denied", status=403,
              detail={"reason": "role", "page": True})
        return message(request, principal, 403)
    if len(note) > MAX_NOTE_LENGTH:
        return _failed(request, principal, [person_id], 422, "note_too_long", {"max_length": MAX_NOTE_LENGTH})
    return None


def _failed(request: Request, principal: Principal, person_ids: list[str], status: int, reason: str,
            values: dict[str, Any] | None = None) -> Response:
    """Audit a split or merge that records nothing, and answer with its page (``values``: its message's)."""
    audit(request, "decision.create", person_ids=person_ids, outcome="error", status=status,
          detail={"reason": reason, "page": True})
    if status == 404:
        return message(request, principal, 404)
    return render(request, principal, "message.html", status=status, message_key=reason,
                  values=values)


def _decide(request: Request, principal: Principal, con: duckdb.DuckDBPyConnection, person_id: str,
            person_ids: list[str], write: Callable[[sqlite3.Connection, int], list[Decision]],
            seen_through: int | None) -> Response:
    """Record a split's or merge's decisions through ``write`` (all or none) and go back to the person.

    ``seen_through``: the newest decision the page was clustered with (the form's; when a client sent none, the
    snapshot served now): a pair decided after it is a 409 with a link to the person as it is now.
    """
    seen = served_decisions_through(con) if seen_through is None else seen_through
    service = request.app.state.service.connection()
    try:
        decisions = write(service, seen)
    except DecisionRefused:
        audit(request, "decision.create", person_ids=person_ids, outcome="denied", status=403,
              detail={"reason": "scope", "page": True})
        return message(request, principal, 403)
    except DecisionConflict as exc:
        audit(request, "decision.create", person_ids=person_ids, outcome="error", status=409,
              detail={"seen_through": seen, "current": exc.current, "page": True})
        return render(request, principal, "message.html", status=409, message_key="decided_meanwhile",
                      link=f"/persons/{person_id}", link_key="see_person_now")
    audit(request, "decision.create", person_ids=person_ids, status=303,
          detail={"decision_ids": [d.decision_id for d in decisions],
                  "supersedes": [d.supersedes for d in decisions if d.supersedes], "page": True})
    publish_after_decision(request.app)
    return RedirectResponse(f"/persons/{person_id}?notice=decision_pending", status_code=303)
