"""Log-in, log-out, the password change and the interface language (the log-in page needs no session)."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import PASSWORD_CHANGE_PAGE, SESSION_COOKIE, PagePrincipal, audit, client_address, get_settings
from api.errors import ApiError
from api.pages.i18n import LANG_COOKIE, LANGUAGES, Translator, request_language
from api.pages.render import PageUser, render
from linkage.service.auth import AuthError, Principal, end_session

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(_principal: PageUser) -> Response:
    return RedirectResponse("/queue", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/queue") -> Response:
    return render(request, None, "login.html", next=_local(next), error=None)


@router.post("/login", response_class=HTMLResponse)
async def login_submit(
    request: Request, username: str = Form(""), password: str = Form(""), next: str = Form("/queue")
) -> Response:
    from api.routes.auth import log_in, refuse_foreign_origin, set_session_cookie

    settings = get_settings(request)
    await refuse_foreign_origin(request)
    try:
        principal, token = await run_in_threadpool(
            log_in, request.app.state.service, settings, username, password, client_address(request)
        )
    except AuthError as exc:
        request.state.principal = Principal("user", username, "")
        status = 429 if exc.locked_out else 401
        await run_in_threadpool(audit, request, "login", outcome="denied", status=status,
                                detail={"locked_out": exc.locked_out, "page": True})
        return render(request, None, "login.html", status=status, next=_local(next), error=exc.reason)
    request.state.principal = principal
    await run_in_threadpool(audit, request, "login", status=303, detail={"page": True})
    target = _local(next)
    if principal.must_change_password:  # a one-time password: the form comes first, then the page asked for
        target = f"{PASSWORD_CHANGE_PAGE}?{urlencode({'next': target})}"
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, token, request, settings)
    return response


@router.get(PASSWORD_CHANGE_PAGE, response_class=HTMLResponse)
def password_form(request: Request, principal: PagePrincipal, next: str = "/queue") -> Response:
    return render(request, principal, "password.html", next=_local(next), error=None)


@router.post(PASSWORD_CHANGE_PAGE, response_class=HTMLResponse)
async def password_submit(
    request: Request,
    principal: PagePrincipal,
    current_password: str = Form(""),
    new_password: str = Form(""),
    repeat_password: str = Form(""),
    next: str = Form("/queue"),
) -> Response:
    """The form's password change (the same rules as POST /api/v1/auth/password); back to ``next`` when done."""
    from api.routes.auth import change_own_password

    if new_password != repeat_password:
        error, status = Translator(request_language(request))("passwords_differ"), 422
    else:
        try:
            await run_in_threadpool(change_own_password, request, principal, current_password, new_password)
            return RedirectResponse(_local(next), status_code=303)
        except ApiError as exc:
            error, status = str(exc.detail), exc.status_code
    return render(request, principal, "password.html", status=status, next=_local(next), error=error)


@router.post("/logout")
def logout(request: Request, principal: PagePrincipal) -> Response:
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
