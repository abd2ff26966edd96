"""Shared dependencies of every route: who is asking, what role they need, the databases, paging, audit.

Routes under ``/api/v1`` get the principal from the router; a route declares the roles
it needs with ``Depends(require_roles("steward"))`` (which returns the Principal),
reads the published result with ``Depends(published_cursor)``, and records every read
or write of person data with :func:`audit`. Refusals (401, 403, CSRF) are audited here.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any

import duckdb
from fastapi import Depends, Query, Request
from fastapi.security import APIKeyCookie, APIKeyHeader, HTTPBearer
from starlette.concurrency import run_in_threadpool

from api.errors import ApiError, LoginRedirect
from api.published import NotPublished, Snapshot
from api.settings import Settings
from linkage.service.auth import Principal, csrf_matches, key_principal, session_principal

log = logging.getLogger("laolink.api")

SESSION_COOKIE = "laolink_session"
API_KEY_HEADER = "X-API-Key"  # the same key as a bearer token, for clients that follow an OpenAPI apiKey scheme
CSRF_HEADER = "X-CSRF-Token"
CSRF_FORM_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# All a session with a one-time password may reach until the password is changed (elsewhere 403, pages 303 to the form).
PASSWORD_CHANGE_PAGE = "/password"
ONE_TIME_PASSWORD_PATHS = frozenset({"/api/v1/auth/password", "/api/v1/auth/me", "/api/v1/auth/logout",
                                     PASSWORD_CHANGE_PAGE, "/logout"})


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def service_db(request: Request) -> Iterator[sqlite3.Connection]:
    """A connection to the service database (users, keys, decisions) for this request only.

    (FastAPI may run a dependency and its route in different worker threads, so a
    per-thread connection must not be handed to a route.)
    """
    con = request.app.state.service.open()
    try:
        yield con
    finally:
        con.close()


def _read_as_the_nightly(request: Request) -> None:
    """Read places and roles, case types and forms of exploitation with the deployment's aliases and words, as the
    next nightly will: every request that reads the published result does (a role shown to a key of other sources,
    /match, the queue's filters), in every server process, whatever that process served before. A file that does not
    parse keeps the words read last (the nightly refuses it, naming it) and is logged; reads go on."""
    from linkage.errors import InputFileError
    from linkage.fields.places import use_deployment_aliases
    from linkage.fields.vocabulary import use_deployment_vocabulary

    paths = get_settings(request).paths
    for use, path in ((use_deployment_aliases, paths.gazetteer_aliases), (use_deployment_vocabulary, paths.vocabulary)):
        try:
            use(path)
        except InputFileError as exc:
            log.warning("the deployment file %s is not read (%s): the words read before it stay", path, exc)


def published_cursor(request: Request) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only cursor on the published snapshot for this request; 503 before the first publish."""
    _read_as_the_nightly(request)
    try:
        with request.app.state.published.cursor() as cur:
            yield cur
    except NotPublished as exc:
        raise ApiError(503, f"{exc}; try again after `laolink nightly` has published a run") from exc


async def published_snapshot(request: Request) -> AsyncIterator[Snapshot]:
    """The published snapshot for this request (kept open until it ends); 503 before the first publish."""
    _read_as_the_nightly(request)
    try:
        with request.app.state.published.snapshot() as snapshot:
            yield snapshot
    except NotPublished as exc:
        raise ApiError(503, f"{exc}; try again after `laolink nightly` has published a run") from exc


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def _audit_row(
    request: Request,
    action: str,
    *,
    person_ids: list[str] | tuple[str, ...] = (),
    outcome: str = "ok",
    status: int | None = None,
    detail: dict | None = None,
) -> dict:
    principal: Principal | None = getattr(request.state, "principal", None)
    return dict(
        action=action,
        outcome=outcome,
        actor=principal.actor if principal else None,
        actor_kind=principal.kind if principal else "anonymous",
        role=(principal.role or None) if principal else None,
        person_ids=person_ids,
        method=request.method,
        path=request.url.path,
        status=status,
        client=client_address(request),
        detail=detail,
    )


def audit(request: Request, action: str, **fields) -> None:
    """Append an audit row for this request, as the principal the request was authenticated as.

    ``fields``: ``person_ids`` (default none), ``outcome`` ("ok", "denied" or "error"), ``status``, ``detail``.

    Call it in every route that reads or writes person data, e.g.
    ``audit(request, "person.read", person_ids=[person_id])`` or
    ``audit(request, "decision.create", person_ids=ids, detail={"decision_id": n})``.
    It returns once the row is committed (a few ms, shared with concurrent requests):
    call it from sync routes (``def``); ``async def`` ones await :func:`audit_async`.
    """
    request.app.state.audit_writer.write(**_audit_row(request, action, **fields))


def _refuse(request: Request, status: int, message: str, reason: str, principal: Principal | None = None) -> ApiError:
    """Audit a refusal and return the error to raise (blocks on the audit write: not on the event loop)."""
    request.state.principal = principal
    audit(request, "access", outcome="denied", status=status, detail={"reason": reason})
    headers = {"WWW-Authenticate": 'Bearer realm="laolink"'} if status == 401 else None
    return ApiError(status, message, headers=headers)


# Declared so the OpenAPI document names both ways in; current_principal reads the raw headers itself.
_bearer_scheme = HTTPBearer(auto_error=False, scheme_name="apiKey", description="an API key: llk_<key id>_<secret>")
_api_key_scheme = APIKeyHeader(
    name=API_KEY_HEADER, auto_error=False, scheme_name="apiKeyHeader", description="an API key, as in apiKey"
)
_cookie_scheme = APIKeyCookie(
    name=SESSION_COOKIE, auto_error=False, scheme_name="session", description="set by POST /api/v1/auth/login"
)


async def current_principal(
    request: Request,
    _bearer: object = Depends(_bearer_scheme),
    _api_key: object = Depends(_api_key_scheme),
    _cookie: object = Depends(_cookie_scheme),
) -> Principal:
    """The user (session cookie) or system (bearer API key) making this request; 401 if neither.

    Checked against the service database on every request: a disabled user or revoked
    key is refused from the next request on. Cookie-authenticated requests that change
    state must carry the session's CSRF token (header X-CSRF-Token or form field csrf_token).
    """
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    con = request.app.state.service.connection()
    authorization = request.headers.get("authorization")
    if not authorization and request.headers.get(API_KEY_HEADER):
        authorization = f"Bearer {request.headers[API_KEY_HEADER]}"
    if authorization:
        scheme, _, token = authorization.partition(" ")
        principal = key_principal(con, token.strip()) if scheme.lower() == "bearer" else None
        if principal is None:
            raise await run_in_threadpool(_refuse, request, 401, "invalid or revoked API key", "bad-key")
        request.state.principal = principal
        return principal
    token = request.cookies.get(SESSION_COOKIE)
    principal = session_principal(con, token) if token else None
    if principal is None:
        reason = "bad-session" if token else "no-credential"
        raise await run_in_threadpool(_refuse, request, 401, "log in or send an API key as a bearer token", reason)
    if request.method not in SAFE_METHODS:
        given = request.headers.get(CSRF_HEADER)
        content_type = request.headers.get("content-type", "")
        if given is None and content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FORM_FIELD)
            given = value if isinstance(value, str) else None
        if not csrf_matches(principal.csrf_token, given):
            raise await run_in_threadpool(_refuse, request, 403, "missing or wrong CSRF token", "csrf", principal)
    if principal.must_change_password and request.url.path not in ONE_TIME_PASSWORD_PATHS:
        raise await run_in_threadpool(
            _refuse, request, 403, "your password is one-time: change it first (POST /api/v1/auth/password with"
            " current_password and new_password, or the page /password)", "one-time-password", principal)
    request.state.principal = principal
    return principal


async def page_principal(request: Request) -> Principal:
    """For HTML pages: :func:`current_principal`, but without a valid session the browser is sent
    (303) to ``/login?next=<this page>`` instead of getting a 401, and a session with a one-time password to
    ``/password?next=<this page>`` instead of a 403 (the refusal is audited all the same)."""
    try:
        return await current_principal(request)
    except ApiError as exc:
        if exc.status_code == 401:
            raise LoginRedirect(request.url.path) from exc
        principal = getattr(request.state, "principal", None)
        if exc.status_code == 403 and principal is not None and principal.must_change_password:
            raise LoginRedirect(request.url.path, page=PASSWORD_CHANGE_PAGE) from exc
        raise


def require_roles(*roles: str) -> Callable[..., Principal]:
    """A dependency that returns the principal if its role is one of ``roles``, else refuses with 403."""

    async def check_role(request: Request, principal: Principal = Depends(current_principal)) -> Principal:
        if principal.role not in roles:
            raise await run_in_threadpool(
                _refuse, request, 403, f"this needs the role {' or '.join(roles)}", "role", principal)
        return principal

    check_role.laolink_roles = frozenset(roles)  # read by the access-control tests
    return check_role


@dataclass(frozen=True)
class Page:
    page: int
    page_size: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


def pagination(
    request: Request,
    page: int = Query(1, ge=1, le=1_000_000, description="1-based page number"),
    page_size: int | None = Query(None, ge=1, description="items per page (at most the server's max_page_size)"),
) -> Page:
    """``?page=&page_size=`` with the server's default and maximum page size applied."""
    settings = get_settings(request)
    size = page_size or settings.default_page_size
    if size > settings.max_page_size:
        raise ApiError(422, f"page_size may be at most {settings.max_page_size}", field="page_size")
    return Page(page, size)


async def audit_async(request: Request, action: str, **kwargs) -> None:
    """:func:`audit` for ``async def`` routes: awaits the commit (the event loop serves others meanwhile)."""
    await request.app.state.audit_writer.write_async(**_audit_row(request, action, **kwargs))


def role_dependency(*roles: str) -> Any:
    """``Annotated[Principal, ...]`` for a route's signature: the principal, if its role is one of ``roles``.

    A route module names its own, e.g. ``Reader = role_dependency("steward", "analyst")``, then ``principal: Reader``.
    """
    return Annotated[Principal, Depends(require_roles(*roles))]


# Dependencies by name, as in FastAPI's full-stack template (``con: PublishedCursor`` in a route's signature).
CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
PagePrincipal = Annotated[Principal, Depends(page_principal)]
ServiceDb = Annotated[sqlite3.Connection, Depends(service_db)]
PublishedCursor = Annotated[duckdb.DuckDBPyConnection, Depends(published_cursor)]
PublishedSnapshot = Annotated[Snapshot, Depends(published_snapshot)]
Pagination = Annotated[Page, Depends(pagination)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
