"""Log in (session cookie + CSRF token), log out, change one's password, and who am I."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import urlsplit

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from api.deps import SESSION_COOKIE, CurrentPrincipal, audit, client_address, get_settings
from api.errors import ApiError
from api.schemas import ERROR_RESPONSES, LoginRequest, PasswordChange, PrincipalInfo
from api.service_store import ServiceStore
from api.settings import Settings
from linkage.service.auth import (
    AuthError,
    PasswordRefused,
    Principal,
    authenticate,
    change_password,
    create_session,
    end_session,
    password_is_one_time,
)

router = APIRouter(prefix="/auth", tags=["auth"])

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _info(principal: Principal) -> PrincipalInfo:
    return PrincipalInfo(
        kind=principal.kind,
        name=principal.name,
        role=principal.role,
        sources=sorted(principal.sources) if principal.sources is not None else None,
        csrf_token=principal.csrf_token,
        must_change_password=principal.must_change_password,
    )


def set_session_cookie(response: Response, token: str, request: Request, settings: Settings) -> None:
    """The session cookie: HttpOnly, SameSite=Strict, Secure when configured or the request came over https."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(settings.session_hours * 3600),
        path="/",
        httponly=True,
        samesite="strict",
        secure=settings.secure_cookies or request.url.scheme == "https",
    )


def log_in(
    service: ServiceStore, settings: Settings, username: str, password: str, address: str | None
) -> tuple[Principal, str]:
    """Check the password (argon2, slow on purpose: call from a worker thread) and start a session.

    Returns the principal (with its CSRF token) and the session token for the cookie;
    raises AuthError when refused. The review page's form log-in uses this too.
    """
    con = service.connection()
    principal = authenticate(con, username, password, address=address, policy=settings.login_policy)
    token, csrf = create_session(con, principal.name, lifetime=timedelta(hours=settings.session_hours))
    return Principal("user", principal.name, principal.role, csrf_token=csrf,
                     must_change_password=password_is_one_time(con, principal.name)), token


def change_own_password(request: Request, principal: Principal, current: str, new: str) -> None:
    """A user's own password change (API and page alike; argon2: call from a worker thread). Raises ApiError:
    403 for a key or a wrong current password, 429 when locked out, 422 naming ``new_password`` for a weak one."""
    if principal.kind != "user":
        raise ApiError(403, "API keys have no password: an admin revokes a key and creates another")
    settings = get_settings(request)
    try:
        change_password(request.app.state.service.connection(), principal.name, current, new,
                        address=client_address(request), policy=settings.login_policy,
                        session_token=request.cookies.get(SESSION_COOKIE))
    except AuthError as exc:
        status = 429 if exc.locked_out else 403
        audit(request, "password.change", outcome="denied", status=status, detail={"locked_out": exc.locked_out})
        message = exc.reason if exc.locked_out else "the current password is wrong"
        raise ApiError(status, message, field="current_password") from exc
    except PasswordRefused as exc:
        audit(request, "password.change", outcome="denied", status=422, detail={"reason": "policy"})
        raise ApiError(422, str(exc), field="new_password") from exc
    audit(request, "password.change", status=204)


def posted_from_another_site(request: Request) -> bool:
    """Whether a browser posted this from another site's page.

    Browsers say so in ``Sec-Fetch-Site`` (``same-origin``, ``same-site``, ``cross-site``, ``none``); only a
    same-origin page (or the user typing, ``none``) may log in. Without that header, ``Origin`` decides: one naming
    another host than this server (or ``LAOLINK_PUBLIC_URL``) is cross-site. ``Origin: null`` is what Chromium sends
    for our own form under ``Referrer-Policy: no-referrer``, so it counts as foreign only without ``Sec-Fetch-Site``.
    Clients that send neither header (scripts, curl) are not browsers on another site."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site not in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None:
        return False
    own = {request.headers.get("host", "")}
    public_url = getattr(get_settings(request), "public_url", None)
    if public_url:
        own.add(urlsplit(public_url).netloc)
    return origin == "null" or urlsplit(origin).netloc not in own


async def refuse_foreign_origin(request: Request) -> None:
    """403 (audited) for a log-in posted from another site's page (see ``posted_from_another_site``)."""
    if posted_from_another_site(request):
        await run_in_threadpool(audit, request, "login", outcome="denied", status=403,
                                detail={"reason": "origin"})
        raise ApiError(403, "log-in from another site's page is refused", field="origin")


async def _login_fields(request: Request) -> tuple[LoginRequest, str | None]:
    content_type = request.headers.get("content-type", "")
    try:
        if content_type.startswith(FORM_TYPES):
            form = await request.form()
            data = {k: v for k, v in form.items() if isinstance(v, str)}
        else:
            data = json.loads(await request.body() or b"null")
        if not isinstance(data, dict):
            raise ApiError(422, "send a JSON object with username and password", field=None)
        return LoginRequest.model_validate(data), data.get("next") if isinstance(data.get("next"), str) else None
    except json.JSONDecodeError as exc:
        raise ApiError(422, "the body is not valid JSON") from exc
    except UnicodeDecodeError as exc:
        raise ApiError(422, "the body is not UTF-8 text") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ApiError(422, first["msg"], field=".".join(str(p) for p in first["loc"]) or None) from exc


@router.post(
    "/login",
    response_model=PrincipalInfo,
    responses={**ERROR_RESPONSES, 429: {"description": "locked out after repeated failures"}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": LoginRequest.model_json_schema()},
                "application/x-www-form-urlencoded": {
                    "schema": {
                        **LoginRequest.model_json_schema(),
                        "properties": {
                            **LoginRequest.model_json_schema()["properties"],
                            "next": {"type": "string", "description": "local page to go to after logging in"},
                        },
                    }
                },
            },
        }
    },
)
async def login(request: Request) -> Response:
    """Log in with username and password (JSON or form); sets the session cookie and returns the CSRF token.

    A form post with a local ``next`` path is redirected there (303) on success.
    """
    await refuse_foreign_origin(request)
    fields, next_path = await _login_fields(request)
    settings = get_settings(request)
    try:
        principal, token = await run_in_threadpool(
            log_in, request.app.state.service, settings, fields.username, fields.password, client_address(request)
        )
    except AuthError as exc:
        request.state.principal = Principal("user", fields.username, "")
        status = 429 if exc.locked_out else 401
        await run_in_threadpool(
            audit, request, "login", outcome="denied", status=status, detail={"locked_out": exc.locked_out}
        )
        minutes = int(settings.login_lockout_minutes * 60)
        raise ApiError(status, exc.reason, headers={"Retry-After": str(minutes)} if exc.locked_out else None) from exc
    request.state.principal = principal
    await run_in_threadpool(audit, request, "login", status=200)
    if next_path and next_path.startswith("/") and not next_path.startswith(("//", "/\\")):
        response: Response = RedirectResponse(next_path, status_code=303)
    else:
        response = Response(_info(principal).model_dump_json(), media_type="application/json")
    set_session_cookie(response, token, request, settings)
    return response


@router.post("/logout", status_code=204, responses=ERROR_RESPONSES)
def logout(request: Request, principal: CurrentPrincipal) -> Response:
    """End this session (cookie requests need the CSRF token like any other change)."""
    token = request.cookies.get(SESSION_COOKIE)
    if principal.kind == "user" and token:
        end_session(request.app.state.service.connection(), token)
        audit(request, "logout", status=204)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response


@router.post("/password", status_code=204,
             responses={**ERROR_RESPONSES, 429: {"description": "locked out after repeated wrong passwords"}})
async def change_my_password(request: Request, body: PasswordChange, principal: CurrentPrincipal) -> Response:
    """Change your own password (the current one is checked as at log-in; the new one by the password policy).

    A one-time password (set by an admin) must be changed this way before any other route answers. Your other
    sessions end; this one goes on."""
    await run_in_threadpool(change_own_password, request, principal, body.current_password, body.new_password)
    return Response(status_code=204)


@router.get("/me", response_model=PrincipalInfo, responses=ERROR_RESPONSES)
def me(principal: CurrentPrincipal) -> PrincipalInfo:
    """Who this credential is, its role, source scope, and (for sessions) the CSRF token."""
    return _info(principal)
