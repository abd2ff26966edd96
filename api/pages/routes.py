"""The review page: server-rendered HTML for data stewards (queue, pair, person, search, runs).

Pages read the published snapshot through the same query functions as the JSON API and
write decisions through ``linkage.service.decisions``; records pass through the same masking, and
every page that shows person data is audited. Without a session a page redirects to
/login. Decisions on the pair page are posted by app.js to ``POST /api/v1/decisions``.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import duckdb
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from api.deps import SESSION_COOKIE, audit, client_address, get_settings, page_principal, published_cursor
from api.masking import query_rights, visible_record
from api.pages.i18n import LANG_COOKIE, LANGUAGES, Translator, ddmmyyyy, request_language
from api.queries import persons as person_queries
from api.queries import review as review_queries
from api.queries import runs as run_queries
from api.queries import search as search_queries
from linkage.errors import FieldError
from linkage.service.auth import AuthError, Principal, end_session
from linkage.service.decisions import DecisionRefused, check_may_decide, decide, may_decide

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).resolve().parent / "templates"))
templates.env.filters["ddmmyyyy"] = ddmmyyyy

PAGE_ROLES = frozenset({"admin", "steward", "analyst"})
PERSON_ID = re.compile(r"^LA-P-\d+$", re.IGNORECASE)
PHONE = re.compile(r"^[+\d][\d\s\-()]{5,}$")
# Fields shown side by side on the pair page: (label key, raw column, standardized column, comparison).
PAIR_FIELDS: tuple[tuple[str, str, str | None, str | None], ...] = (
    ("name", "full_name", "full_name_std", "name"),
    ("birth", "date_of_birth", "dob", "birth"),
    ("sex", "sex", "sex_code", "sex"),
    ("province", "province", "province_code", "place"),
    ("place", "village", "village_key", "place"),
    ("phone", "phone", "phone_e164", "phone"),
    ("id_number", "id_number", "id_number_std", "id_number"),
    ("nationality", "nationality", "nationality_code", "nationality"),
    ("role", "role", None, None),
    ("event_date", "event_date", "event_date_std", None),
)


def _render(request: Request, principal: Principal | None, name: str, status: int = 200, **context: Any) -> Response:
    lang = request_language(request)
    return templates.TemplateResponse(
        request,
        name,
        {"t": Translator(lang), "lang": lang, "principal": principal, "can_decide": _can_decide(principal),
         "path": request.url.path, **context},
        status_code=status,
    )


def _can_decide(principal: Principal | None) -> bool:
    return principal is not None and may_decide(principal)


def page_user(request: Request, principal: Principal = Depends(page_principal)) -> Principal:
    """Pages are for people: admins, stewards and analysts (a system key gets 403)."""
    if principal.role not in PAGE_ROLES:
        audit(request, "page", outcome="denied", status=403, detail={"reason": "role"})
        raise _Forbidden()
    return principal


class _Forbidden(Exception):
    """Raised by page_user; answered by the exception handler installed with the pages."""


def forbidden_handler(request: Request, _exc: _Forbidden) -> Response:
    return _render(request, None, "message.html", status=403, message_key="forbidden")


# ---------------------------------------------------------------- session


@router.get("/", response_class=HTMLResponse)
def home(_principal: Principal = Depends(page_user)) -> Response:
    return RedirectResponse("/queue", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/queue") -> Response:
    return _render(request, None, "login.html", next=_local(next), error=None)


@router.post("/login", response_class=HTMLResponse)
async def login_submit(
    request: Request, username: str = Form(""), password: str = Form(""), next: str = Form("/queue")
) -> Response:
    from api.routes.auth import log_in, set_session_cookie

    settings = get_settings(request)
    try:
        principal, token = await run_in_threadpool(
            log_in, request.app.state.service, settings, username, password, client_address(request)
        )
    except AuthError as exc:
        request.state.principal = Principal("user", username, "")
        status = 429 if exc.locked_out else 401
        await run_in_threadpool(audit, request, "login", outcome="denied", status=status,
                                detail={"locked_out": exc.locked_out, "page": True})
        return _render(request, None, "login.html", status=status, next=_local(next), error=exc.reason)
    request.state.principal = principal
    await run_in_threadpool(audit, request, "login", status=303, detail={"page": True})
    response = RedirectResponse(_local(next), status_code=303)
    set_session_cookie(response, token, request, settings)
    return response


@router.post("/logout")
def logout(request: Request, principal: Principal = Depends(page_principal)) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if principal.kind == "user" and token:
        end_session(request.app.state.service.connection(), token)
        audit(request, "logout", status=303)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response


@router.get("/lang/{lang}")
def switch_language(lang: str, next: str = "/queue") -> Response:
    response = RedirectResponse(_local(next), status_code=303)
    if lang in LANGUAGES:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, path="/", samesite="strict", httponly=True)
    return response


def _local(path: str) -> str:
    """Only local paths are followed after log-in or a language switch (no open redirect)."""
    return path if path.startswith("/") and not path.startswith(("//", "/\\")) else "/queue"


# ---------------------------------------------------------------- queue and pairs


@router.get("/queue", response_class=HTMLResponse)
def queue_page(
    request: Request,
    kind: str | None = None,
    source: str | None = None,
    province: str | None = None,
    role: str | None = None,
    page: int = Query(1, ge=1, le=1_000_000),
    principal: Principal = Depends(page_user),
    con: duckdb.DuckDBPyConnection = Depends(published_cursor),
) -> Response:
    filters = {"kind": kind or None, "source": source or None, "province": review_queries.province_filter(province),
               "role": role or None}
    queue = review_queries.review_queue(con, limit=50, offset=(page - 1) * 50, **filters)
    for item in queue["items"]:
        item["record_l"] = visible_record(item["record_l"], principal) if item["record_l"] else None
        item["record_r"] = visible_record(item["record_r"], principal) if item["record_r"] else None
    audit(request, "page.queue", person_ids=[i["person_id"] for i in queue["items"] if i.get("person_id")])
    sources = sorted(review_queries.review_queue(con, limit=1, offset=0)["by_source"])
    return _render(request, principal, "queue.html", queue=queue, filters={**filters, "province": province or ""},
                   sources=sources, page=page, pages=max(1, math.ceil(queue["total"] / 50)))


@router.get("/queue/next")
def next_item(
    request: Request,
    after: int | None = None,
    principal: Principal = Depends(page_user),
    con: duckdb.DuckDBPyConnection = Depends(published_cursor),
) -> Response:
    """The next queue item after ``after`` that no steward has decided since the night was published."""
    from linkage.service.decisions import current_decision_id

    items = review_queries.review_queue(con, limit=500, offset=0)["items"]
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


@router.get("/pairs/{item_id}", response_class=HTMLResponse)
def pair_page(
    request: Request,
    item_id: int,
    principal: Principal = Depends(page_user),
    con: duckdb.DuckDBPyConnection = Depends(published_cursor),
) -> Response:
    pair = review_queries.review_pair(con, request.app.state.service.connection(), item_id)
    if pair is None or not pair.get("record_l") or not pair.get("record_r"):
        return _message(request, principal, 404)
    person_ids = sorted({p for p in (pair.get("person_id_l"), pair.get("person_id_r")) if p})
    audit(request, "page.pair", person_ids=person_ids, detail={"item_id": item_id})
    left, right = visible_record(pair["record_l"], principal), visible_record(pair["record_r"], principal)
    prediction = pair.get("prediction") or {}
    outcome = _comparison_outcomes(con, prediction)
    rows = [
        {"label": label, "raw_l": _raw(left, raw), "raw_r": _raw(right, raw),
         "std_l": _standardized(left, std), "std_r": _standardized(right, std),
         "outcome": outcome.get(comparison, "") if comparison else ""}
        for label, raw, std, comparison in PAIR_FIELDS
    ]
    return _render(request, principal, "pair.html", item=pair["item"], left=left, right=right, rows=rows,
                   prediction=prediction, waterfall=waterfall(prediction), decision=pair.get("decision"),
                   person_l=pair.get("person_id_l"), person_r=pair.get("person_id_r"))


def _raw(record: dict[str, Any], column: str) -> Any:
    """A field as the source wrote it; a split name and an age stand in for a missing full name or birth date."""
    value = record.get(column)
    if value:
        return value
    if column == "full_name":
        return " ".join(p for p in (record.get("given_name"), record.get("family_name")) if p) or None
    if column == "date_of_birth" and record.get("age"):
        return f"({record['age']})"
    return value


def _standardized(record: dict[str, Any], column: str | None) -> Any:
    """A field as standardized; a birth date known only to the month, year or a range of years says so.

    A Buddhist-Era year or an age then shows beside the Common-Era year it was read as.
    """
    if column is None:
        return None
    value = record.get(column)
    if column != "dob" or value:
        return value
    low, high = record.get("dob_year_min"), record.get("dob_year_max")
    if low and high and low != high:
        return f"{low}–{high}"
    year = record.get("dob_year") or low
    if year and record.get("dob_month"):
        return f"{record['dob_month']:02d}/{year}"
    return str(year) if year else None


def _comparison_outcomes(con: duckdb.DuckDBPyConnection, prediction: dict[str, Any]) -> dict[str, str]:
    """agree (top level), missing (null level), differ (else level), close (anything between)."""
    comparisons = prediction.get("comparisons") or []
    if not comparisons:
        return {}
    top = review_queries.top_levels(con, prediction.get("model_version"))
    out = {}
    for c in comparisons:
        gamma = c["gamma"]
        out[c["comparison"]] = ("missing" if gamma is None or gamma < 0 else "differ" if gamma == 0
                                else "agree" if gamma == top.get(c["comparison"]) else "close")
    return out


def waterfall(prediction: dict[str, Any]) -> dict[str, Any] | None:
    """Bars of an SVG waterfall: the prior, then each comparison's match weight, then the total."""
    comparisons = prediction.get("comparisons") or []
    if prediction.get("match_weight") is None or not comparisons:
        return None
    total = float(prediction["match_weight"])
    prior = total - sum(float(c["match_weight"] or 0) for c in comparisons)
    steps, level = [("prior", prior, 0.0)], prior
    for c in comparisons:
        w = float(c["match_weight"] or 0)
        steps.append((c["comparison"], w, level))
        level += w
    ends = [0.0] + [s + w for _, w, s in steps] + [s for _, _, s in steps]
    lo, hi = min(ends), max(ends)
    span = (hi - lo) or 1.0
    width = 520.0

    def x(value: float) -> float:
        return round(20 + (value - lo) / span * (width - 40), 1)

    bars = [{"label": label, "value": round(w, 2), "x": min(x(s), x(s + w)), "w": max(abs(x(s + w) - x(s)), 1.5),
             "positive": w >= 0} for label, w, s in steps]
    bars.append({"label": "total", "value": round(total, 2), "x": min(x(0), x(total)),
                 "w": max(abs(x(total) - x(0)), 1.5), "positive": total >= 0, "is_total": True})
    return {"bars": bars, "zero": x(0.0), "width": width, "height": 26 * len(bars) + 10}


# ---------------------------------------------------------------- persons


@router.get("/persons/{person_id}", response_class=HTMLResponse)
def person_page(
    request: Request,
    person_id: str,
    principal: Principal = Depends(page_user),
    con: duckdb.DuckDBPyConnection = Depends(published_cursor),
) -> Response:
    person = person_queries.get_person(con, person_id)
    if person is None:
        return _message(request, principal, 404)
    audit(request, "page.person", person_ids=[person_id])
    records = [visible_record(r, principal) for r in person.get("records") or []]
    return _render(request, principal, "person.html", person=person, records=records,
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
    person_id: str,
    rid: int = Form(...),
    note: str = Form(""),
    principal: Principal = Depends(page_user),
    con: duckdb.DuckDBPyConnection = Depends(published_cursor),
) -> Response:
    """A "not the same" decision between the record and every record of the person it is linked to."""
    if not _can_decide(principal):
        return _message(request, principal, 403)
    person = person_queries.get_person(con, person_id)
    by_rid = {r["rid"]: r for r in (person or {}).get("records") or []}
    if rid not in by_rid:
        return _message(request, principal, 404)
    linked = {link["rid_r"] if link["rid_l"] == rid else link["rid_l"] for link in person.get("links") or []
              if rid in (link["rid_l"], link["rid_r"])}
    others = linked or (set(by_rid) - {rid})
    refused = _decide(request, principal, [(by_rid[rid], by_rid[o]) for o in sorted(others)], "negative", note,
                      person_id)
    return refused or RedirectResponse(f"/persons/{person_id}?notice=decision_pending", status_code=303)


@router.post("/persons/{person_id}/merge")
def merge_person(
    request: Request,
    person_id: str,
    other: str = Form(...),
    note: str = Form(""),
    principal: Principal = Depends(page_user),
    con: duckdb.DuckDBPyConnection = Depends(published_cursor),
) -> Response:
    """A "same person" decision between one record of each person."""
    if not _can_decide(principal):
        return _message(request, principal, 403)
    person, other_person = person_queries.get_person(con, person_id), person_queries.get_person(con, other.strip())
    a = ((person or {}).get("records") or [None])[0]
    b = ((other_person or {}).get("records") or [None])[0]
    if a is None or b is None:
        return _message(request, principal, 404)
    refused = _decide(request, principal, [(a, b)], "positive", note, person_id, other_person["person_id"])
    return refused or RedirectResponse(f"/persons/{person_id}?notice=decision_pending", status_code=303)


def _message(request: Request, principal: Principal, status: int) -> Response:
    return _render(request, principal, "message.html", status=status,
                   message_key="forbidden" if status == 403 else "not_found")


def _decide(request: Request, principal: Principal, pairs: list[tuple[dict, dict]], judgement: str, note: str,
            *person_ids: str) -> Response | None:
    """Record one decision per pair through the one write path; a 403 page, and none recorded, if any is refused."""
    keys = [(a["source"], a["record_id"], b["source"], b["record_id"]) for a, b in pairs]
    try:
        check_may_decide(principal, keys)
    except DecisionRefused:
        audit(request, "decision.create", outcome="denied", status=403, detail={"reason": "scope", "page": True})
        return _message(request, principal, 403)
    service = request.app.state.service.connection()
    ids = [decide(service, key, judgement, principal, note=note or None).decision_id for key in keys]
    audit(request, "decision.create", person_ids=list(person_ids), detail={"decision_ids": ids, "page": True})
    return None


# ---------------------------------------------------------------- search and runs


@router.get("/search", response_class=HTMLResponse)
def search_page(
    request: Request,
    q: str = "",
    principal: Principal = Depends(page_user),
    con: duckdb.DuckDBPyConnection = Depends(published_cursor),
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
        audit(request, "page.search", person_ids=[h["person_id"] for h in hits])
    return _render(request, principal, "search.html", q=q, hits=hits, total=total, error=error)


@router.get("/runs", response_class=HTMLResponse)
def runs_page(
    request: Request,
    principal: Principal = Depends(page_user),
    con: duckdb.DuckDBPyConnection = Depends(published_cursor),
) -> Response:
    listed, _total = run_queries.list_runs(con, limit=30)
    runs = [run_queries.get_run(con, r["run_id"]) or r for r in listed]
    sizes = [(r["run_id"], (r.get("report") or {}).get("review_queue")) for r in reversed(runs)]
    sizes = [(run_id, size) for run_id, size in sizes if isinstance(size, int)]
    peak = max((s for _, s in sizes), default=0) or 1
    chart = [{"run_id": run_id, "size": size, "h": round(100 * size / peak, 1)} for run_id, size in sizes]
    health = run_queries.published_counts(con)
    return _render(request, principal, "runs.html", runs=runs, chart=chart, health=health)
