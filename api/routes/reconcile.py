"""A W3C / OpenRefine reconciliation service over persons (Reconciliation Service API 0.2).

``GET /reconcile`` answers the service manifest; ``GET``/``POST /reconcile`` with ``queries``
(a JSON object of queries, as OpenRefine sends it in a form field or the query string)
answers candidates for each. A query is a name in any script or spelling, with optional
properties ``dob`` (birth date as written) and ``province``. Authenticate with an API key
as a bearer token. Candidate names are shown as the caller may see them (initials for analysts).
"""

from __future__ import annotations

import json
from typing import Any

import duckdb
from fastapi import APIRouter, Depends, Request

from api.deps import audit, published_cursor, require_roles
from api.errors import ApiError
from api.masking import query_rights, visible_record
from api.queries.search import parse_search, search_persons
from linkage.errors import FieldError
from linkage.service.auth import Principal

router = APIRouter(tags=["reconcile"])
MAX_QUERIES = 100
MAX_LIMIT = 25
PERSON_TYPE = {"id": "person", "name": "Person"}
PROPERTIES = [{"id": "dob", "name": "Date of birth"}, {"id": "province", "name": "Province"}]
# Search scores: name key parts 2 each (given, family), romanized similarity up to 1, birth up to 2, province 1.
NAME_MAX, DOB_MAX, PROVINCE_MAX = 5.0, 2.0, 1.0


def manifest(request: Request) -> dict[str, Any]:
    base = str(request.base_url).rstrip("/")
    return {
        "versions": ["0.2"],
        "name": "LaoLink persons",
        "identifierSpace": f"{base}/api/v1/persons/",
        "schemaSpace": f"{base}/api/v1/schema/",
        "defaultTypes": [PERSON_TYPE],
        "view": {"url": f"{base}/api/v1/persons/{{{{id}}}}"},
        "suggest": None,
        "preview": None,
        "extend": None,
        "properties": PROPERTIES,
        "batchSize": MAX_QUERIES,
    }


def _property(query: dict[str, Any], pid: str) -> str | None:
    props = query.get("properties")
    for prop in props if isinstance(props, list) else []:
        if isinstance(prop, dict) and prop.get("pid") == pid and prop.get("v") not in (None, ""):
            value = prop["v"]
            return str(value.get("id") if isinstance(value, dict) else value)
    return None


def reconcile_one(con: duckdb.DuckDBPyConnection, query: dict[str, Any], principal: Principal) -> list[dict]:
    name = query.get("query")
    if not isinstance(name, str) or not name.strip():
        raise FieldError("each query needs a 'query' text", field="queries.query")
    limit = query.get("limit", 3)
    limit = max(1, min(int(limit) if isinstance(limit, int) else 3, MAX_LIMIT))
    dob, province = _property(query, "dob"), _property(query, "province")
    terms = parse_search(name=name[:200], dob=dob, province=province, rights=query_rights(principal))
    hits, _ = search_persons(con, terms, limit=limit)
    # the best score these terms allow (a year-only birth date agrees for 1, a full date for 2)
    best = NAME_MAX + (0 if dob is None else DOB_MAX if terms.dob else 1) + (PROVINCE_MAX if province else 0)
    results = []
    for hit in hits:
        record = visible_record(hit["best_record"] or {}, principal)
        label = record.get("full_name") or " ".join(
            p for p in (record.get("given_name"), record.get("family_name")) if p
        ) or hit["person_id"]
        results.append({
            "id": hit["person_id"],
            "name": label,
            "score": round(100 * min(hit["score"], best) / best, 1),
            "match": False,
            "type": [PERSON_TYPE],
        })
    if results and results[0]["score"] >= 90 and (len(results) == 1 or results[0]["score"] - results[1]["score"] >= 10):
        results[0]["match"] = True
    return results


async def _queries_text(request: Request) -> str | None:
    text = request.query_params.get("queries")
    if text is None and request.method == "POST":
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            value = (await request.form()).get("queries")
            text = value if isinstance(value, str) else None
        elif content_type.startswith("application/json"):
            try:
                body = await request.json()
            except ValueError:
                raise ApiError(422, "the body is not valid JSON", field="queries") from None
            text = json.dumps(body.get("queries")) if isinstance(body, dict) and "queries" in body else None
    return text


def _parse_queries(text: str) -> dict[str, dict[str, Any]]:
    try:
        queries = json.loads(text)
    except ValueError:
        raise ApiError(422, "queries must be a JSON object of queries", field="queries") from None
    if not isinstance(queries, dict) or not all(isinstance(q, dict) for q in queries.values()):
        raise ApiError(422, 'queries must look like {"q0": {"query": "a name"}}', field="queries")
    if len(queries) > MAX_QUERIES:
        raise ApiError(422, f"at most {MAX_QUERIES} queries per request", field="queries")
    return queries


@router.get("/reconcile", response_model=dict[str, Any], operation_id="reconcile_get")
@router.post("/reconcile", response_model=dict[str, Any], operation_id="reconcile_post")
async def reconcile(
    request: Request,
    principal: Principal = Depends(require_roles("admin", "steward", "analyst", "system")),
    con: duckdb.DuckDBPyConnection = Depends(published_cursor),
) -> dict[str, Any]:
    """Without ``queries``: the service manifest. With ``queries``: candidates per query key."""
    from starlette.concurrency import run_in_threadpool

    text = await _queries_text(request)
    if text is None:
        return manifest(request)
    queries = _parse_queries(text)

    def run() -> dict[str, Any]:
        out = {}
        for key, query in queries.items():
            try:
                out[key] = {"result": reconcile_one(con, query, principal)}
            except FieldError as exc:
                raise ApiError(422, f"{key}: {exc.reason}", field=f"queries.{key}") from exc
        return out

    out = await run_in_threadpool(run)
    ids = sorted({c["id"] for r in out.values() for c in r["result"]})
    audit(request, "reconcile", person_ids=ids, status=200, detail={"queries": len(queries)})
    return out
