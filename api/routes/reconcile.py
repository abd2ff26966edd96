"""The W3C Reconciliation Service API 0.2 over persons: what OpenRefine and other clients call.

- ``GET /api/v1/reconcile`` without parameters: the service manifest (no credential needed, as the spec says).
- ``GET``/``POST /api/v1/reconcile`` with ``queries`` (query string, form field or JSON body): a result per
  query, each answered on its own; ``extend``: data extension columns of reconciled persons.
- ``/api/v1/reconcile/suggest/{entity,property,type}``, ``/preview/{id}`` (an HTML card) and ``/properties``
  (property proposals for data extension).

Everything but the manifest needs an API key (``X-API-Key`` header as the manifest says, or a bearer token) or a
session; answers show records as the caller may see them. Links come from ``LAOLINK_PUBLIC_URL``, never from the
request's Host header. CORS: ``api.reconcile_cors`` (only for origins in ``LAOLINK_CORS_ORIGINS``).
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import duckdb
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from api.deps import API_KEY_HEADER, audit_async, current_principal, get_settings, require_roles, role_dependency
from api.errors import ApiError
from api.published import NotPublished
from api.queries import reconcile as answers
from api.reconcile_spec import ExtendQuery
from linkage import __version__
from linkage.service.auth import Principal

router = APIRouter(prefix="/reconcile", tags=["reconcile"])
ENDPOINT = "/api/v1/reconcile"
READERS = ("admin", "steward", "analyst", "system")
MAX_QUERIES = 100  # the manifest's batchSize; larger batches (and extend requests) get 413
PREVIEW_WIDTH, PREVIEW_HEIGHT = 420, 180
_readers = require_roles(*READERS)
Reader = role_dependency(*READERS)


async def caller(request: Request) -> Principal | None:
    """None for the manifest (a GET with neither ``queries`` nor ``extend``); otherwise a reader, or 401/403."""
    if request.method == "GET" and not {"queries", "extend"} & set(request.query_params):
        return None
    return await _readers(request, await current_principal(request))


Caller = Annotated[Principal | None, Depends(caller)]


caller.laolink_roles = _readers.laolink_roles  # read by the access-control tests


def public_base(request: Request) -> str:
    base = get_settings(request).public_url
    if base is None:
        raise ApiError(503, "the reconciliation service needs LAOLINK_PUBLIC_URL (the address clients use)")
    return base


def manifest(base: str) -> dict[str, Any]:
    """The 0.2 service manifest; every service listed is offered (none is announced as null)."""
    endpoint = f"{base}{ENDPOINT}"
    return {
        "versions": ["0.2"],
        "name": "LaoLink persons",
        "identifierSpace": f"{base}/api/v1/persons/",
        "schemaSpace": f"{base}/api/v1/schema/",
        "serviceVersion": __version__,
        "authentication": {"type": "apiKey", "name": API_KEY_HEADER, "in": "header",
                           "description": "a LaoLink API key (laolink keys create), llk_<key id>_<secret>"},
        "defaultTypes": [answers.PERSON_TYPE],
        "view": {"url": f"{base}/persons/{{{{id}}}}"},
        "preview": {"url": f"{endpoint}/preview/{{{{id}}}}", "width": PREVIEW_WIDTH, "height": PREVIEW_HEIGHT},
        "suggest": {kind: {"service_url": base, "service_path": f"{ENDPOINT}/suggest/{kind}"}
                    for kind in ("entity", "property", "type")},
        "extend": {"propose_properties": {"service_url": base, "service_path": f"{ENDPOINT}/properties"}},
        "batchSize": MAX_QUERIES,
    }


def id_prefixes(request: Request) -> tuple[str, ...]:
    """The service's own URLs a person ID may come wrapped in (identifier space, view link)."""
    base = get_settings(request).public_url
    return (f"{base}/api/v1/persons/", f"{base}/persons/") if base else ()


@contextmanager
def snapshot_cursor(request: Request) -> Iterator[duckdb.DuckDBPyConnection]:
    try:
        with request.app.state.published.cursor() as cur:
            yield cur
    except NotPublished as exc:
        raise ApiError(503, f"{exc}; try again after `laolink nightly` has published a run") from exc


async def _parameter(request: Request, name: str) -> str | None:
    """``name`` from the query string, a form body or a JSON body (as text), else None."""
    text = request.query_params.get(name)
    if text is None and request.method == "POST":
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            value = (await request.form()).get(name)
            text = value if isinstance(value, str) else None
        elif content_type.startswith("application/json"):
            try:
                body = await request.json()
            except ValueError:
                raise ApiError(422, "the body is not valid JSON", field=name) from None
            text = json.dumps(body[name]) if isinstance(body, dict) and name in body else None
    return text


def _json_object(text: str, name: str, example: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise ApiError(422, f"{name} must be a JSON object like {example}", field=name)
    return value


@router.get("", response_model=dict[str, Any], operation_id="reconcile_get")
@router.post("", response_model=dict[str, Any], operation_id="reconcile_post")
async def reconcile(request: Request, principal: Caller) -> dict[str, Any]:
    """Without ``queries`` or ``extend``: the manifest. ``queries``: a result per query key (a query that
    cannot be read gets an empty result and an ``error``). ``extend``: the asked columns of each person ID."""
    queries_text, extend_text = await _parameter(request, "queries"), await _parameter(request, "extend")
    if principal is None or (queries_text is None and extend_text is None):
        return manifest(public_base(request))
    if extend_text is not None:
        return await _extend(request, principal, extend_text)
    queries = _json_object(queries_text, "queries", '{"q0": {"query": "a name"}}')
    if len(queries) > MAX_QUERIES:
        raise ApiError(413, f"at most {MAX_QUERIES} queries per request (the manifest's batchSize)", field="queries")
    prefixes = id_prefixes(request)

    def run() -> dict[str, Any]:
        with snapshot_cursor(request) as con:
            return {key: answers.answer_query(con, key, query, principal, prefixes) for key, query in queries.items()}

    out = await run_in_threadpool(run)
    ids = sorted({c["id"] for r in out.values() for c in r["result"]})
    errors = sum("error" in r for r in out.values())
    await audit_async(request, "reconcile", person_ids=ids, status=200,
                      detail={"queries": len(queries), "errors": errors})
    return out


async def _extend(request: Request, principal: Principal, text: str) -> dict[str, Any]:
    try:
        query = ExtendQuery.model_validate(_json_object(text, "extend", '{"ids": [...], "properties": [...]}'))
    except ValidationError as exc:
        problem = exc.errors()[0]
        raise ApiError(422, problem["msg"], field=".".join(["extend", *(str(p) for p in problem["loc"])])) from None
    if len(query.ids) > MAX_QUERIES:
        raise ApiError(413, f"at most {MAX_QUERIES} ids per extend request", field="extend.ids")
    names = {pid: name for pid, name, _ in answers.EXTEND_PROPERTIES}
    unknown = [p.id for p in query.properties if p.id not in names]
    if unknown:
        raise ApiError(422, f"unknown properties {unknown}; this service offers {sorted(names)}",
                       field="extend.properties")
    wanted = [p.id for p in query.properties]

    def run() -> dict[str, dict[str, Any] | None]:
        with snapshot_cursor(request) as con:
            return {pid: answers.person_summary(con, pid, principal) for pid in dict.fromkeys(query.ids)}

    summaries = await run_in_threadpool(run)
    meta = [{"id": pid, "name": names[pid], **({"type": answers.PERSON_TYPE} if pid == "person_id" else {})}
            for pid in wanted]
    rows = {pid: answers.extension_row(summary, wanted) for pid, summary in summaries.items()}
    found = sorted({s["person_id"] for s in summaries.values() if s} | {p for p, s in summaries.items() if s})
    await audit_async(request, "reconcile.extend", person_ids=found, status=200,
                      detail={"ids": len(summaries), "properties": wanted})
    return {"meta": meta, "rows": rows}


@router.get("/suggest/entity", response_model=dict[str, Any])
async def suggest_entity(
    principal: Reader,
    request: Request,
    prefix: str = Query("", max_length=200, description="what the user has typed: a name or a person ID"),
    cursor: int = Query(0, ge=0, le=1000, description="suggestions to skip"),
) -> dict[str, Any]:
    """Persons for an auto-complete field (names as the caller may see them)."""
    prefixes = id_prefixes(request)

    def run() -> list[dict[str, Any]]:
        with snapshot_cursor(request) as con:
            return answers.suggest_entities(con, prefix, cursor, principal, prefixes)

    result = await run_in_threadpool(run)
    await audit_async(request, "reconcile.suggest", person_ids=[r["id"] for r in result], status=200)
    return {"result": result}


@router.get("/suggest/property", response_model=dict[str, Any])
async def suggest_property(
    _principal: Reader,
    prefix: str = Query("", max_length=200), cursor: int = Query(0, ge=0, le=1000),
) -> dict[str, Any]:
    """Properties to match on (name, dob, province, phone) or to fetch (data extension)."""
    return {"result": answers.suggest_properties(prefix)[cursor:]}


@router.get("/suggest/type", response_model=dict[str, Any])
async def suggest_type(
    _principal: Reader,
    prefix: str = Query("", max_length=200), cursor: int = Query(0, ge=0, le=1000),
) -> dict[str, Any]:
    """The one type, Person."""
    needle = prefix.strip().lower()
    person = answers.PERSON_TYPE
    return {"result": [person] if cursor == 0 and (needle in person["id"] or needle in person["name"].lower()) else []}


@router.get("/properties", response_model=dict[str, Any])
async def propose_properties(
    _principal: Reader,
    type: str = Query(..., max_length=200, description="the type of the reconciled column (person)"),  # noqa: A002
    limit: int | None = Query(None, ge=1, le=100),
) -> dict[str, Any]:
    """Columns data extension can add for persons (none for another type)."""
    offered = answers.EXTEND_PROPERTIES if type == answers.PERSON_TYPE["id"] else ()
    properties = [{"id": pid, "name": name, "description": text} for pid, name, text in offered][:limit]
    return {"type": type, "properties": properties, **({"limit": limit} if limit is not None else {})}


@router.get("/preview/{person_id}", response_class=HTMLResponse)
async def preview(
    principal: Reader,
    request: Request,
    person_id: str = Path(min_length=1, max_length=200),
) -> HTMLResponse:
    """A small HTML card of the person, from its records as the caller may see them (masked for analysts)."""

    def run() -> dict[str, Any] | None:
        with snapshot_cursor(request) as con:
            return answers.person_summary(con, person_id, principal)

    summary = await run_in_threadpool(run)
    ids = [person_id] + ([summary["person_id"]] if summary and summary["person_id"] != person_id else [])
    await audit_async(request, "reconcile.preview", person_ids=ids, status=200 if summary else 404,
                      outcome="ok" if summary else "error")
    origins = " ".join(get_settings(request).cors_origins)
    headers = {"Content-Security-Policy": f"default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self' "
                                          f"{origins}".strip()}
    if summary is None:
        return HTMLResponse(_page("<p>No such person.</p>"), status_code=404, headers=headers)
    return HTMLResponse(_page(preview_card(summary)), headers=headers)


def preview_card(summary: dict[str, Any]) -> str:
    """The card's HTML: every value escaped."""
    years = [y for y in (summary["first_event_year"], summary["last_event_year"]) if y]
    rows = [("Person ID", summary["person_id"]), ("Records", summary["n_records"]),
            ("Sources", ", ".join(summary["sources"])), ("Events", "–".join(dict.fromkeys(map(str, years))))]
    cells = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows if v)
    return (f"<h1>{html.escape(summary['name'])}</h1><p>{html.escape(summary['description'])}</p>"
            f"<table>{cells}</table>")


def _page(body: str) -> str:
    style = ("body{font:13px sans-serif;margin:6px}h1{font-size:15px;margin:0 0 4px}p{margin:0 0 6px;color:#555}"
             "th{text-align:left;padding-right:8px;color:#555}")
    return f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><style>{style}</style></head>' \
           f"<body>{body}</body></html>"
