"""Every error the API answers is JSON: ``{"error": {"field": ..., "message": ...}}``, never a stack trace."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("laolink.api")


class ApiError(StarletteHTTPException):
    """Raise from a route: ``ApiError(409, "the pair was decided meanwhile", field="expected_decision_id")``."""

    def __init__(self, status_code: int, message: str, *, field: str | None = None, headers=None) -> None:
        self.field = field
        super().__init__(status_code, message, headers=headers)


def error_body(message: str, field: str | None = None, **extra) -> dict:
    return {"error": {"field": field, "message": message, **extra}}


def _field_name(loc: tuple | list) -> str | None:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie", "form")]
    return ".".join(parts) or None


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    problems = [
        {"field": _field_name(e.get("loc", ())), "message": e.get("msg", "invalid value")} for e in exc.errors()
    ]
    first = problems[0] if problems else {"field": None, "message": "invalid request"}
    return JSONResponse(status_code=422, content=error_body(first["message"], first["field"], problems=problems))


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    return JSONResponse(
        status_code=exc.status_code,
        content=error_body(str(exc.detail), getattr(exc, "field", None)),
        headers=getattr(exc, "headers", None),
    )


async def _too_deep(request: Request, exc: RecursionError) -> JSONResponse:
    """A body nested deeper than Python's parser recurses (``[`` x 5000): the client's error, not ours."""
    return JSONResponse(status_code=422, content=error_body("the request body is nested too deeply"))


LOGIN_PAGE = "/login"


class LoginRedirect(Exception):
    """Raised by page dependencies when there is no valid session (or only one with a one-time password):
    answered with 303 to the log-in page (or ``page``, the password change), which returns to ``next_path``."""

    def __init__(self, next_path: str, page: str = LOGIN_PAGE) -> None:
        self.next_path = next_path
        self.page = page
        super().__init__(next_path)


async def _login_redirect(request: Request, exc: LoginRedirect) -> RedirectResponse:
    return RedirectResponse(f"{exc.page}?{urlencode({'next': exc.next_path})}", status_code=303)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(LoginRedirect, _login_redirect)
    app.add_exception_handler(RecursionError, _too_deep)


class _HttpMiddleware:
    """ASGI middleware whose ``http`` sees every HTTP request; lifespan and websocket messages pass straight on."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            await self.http(scope, receive, send)
        else:
            await self.app(scope, receive, send)


class CatchAllMiddleware(_HttpMiddleware):
    """Outermost layer: an unexpected exception becomes a bare 500 JSON answer; only its type is logged
    (a traceback's values could hold personal data)."""

    async def http(self, scope, receive, send) -> None:
        started = False

        async def tracking_send(message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            log.error("internal error %s on %s %s", type(exc).__name__, scope.get("method"), scope.get("path"))
            if not started:
                response = JSONResponse(status_code=500, content=error_body("internal error; it has been logged"))
                await response(scope, receive, send)


class BodySizeLimitMiddleware(_HttpMiddleware):
    """Refuse request bodies larger than ``max_bytes`` with 413, whether or not Content-Length is sent."""

    def __init__(self, app, max_bytes: int) -> None:
        super().__init__(app)
        self.max_bytes = max_bytes

    async def http(self, scope, receive, send) -> None:
        too_large = error_body(f"request body larger than {self.max_bytes} bytes")
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = self.max_bytes + 1
                if declared > self.max_bytes:
                    await JSONResponse(status_code=413, content=too_large)(scope, receive, send)
                    return
        received = 0

        async def limited_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise ApiError(413, too_large["error"]["message"])
            return message

        await self.app(scope, limited_receive, send)


SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"cache-control", b"no-store"),  # answers hold personal data: no browser or proxy cache
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    # no inline script or style, nothing from another site: the pages' script and style are files under /static
    (b"content-security-policy",
     b"default-src 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'; form-action 'self'"),
)


class SecurityHeadersMiddleware(_HttpMiddleware):
    """Add the headers above to every answer that does not set them itself (static assets may cache)."""

    async def http(self, scope, receive, send) -> None:
        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", ())}
                extra = [(n, v) for n, v in SECURITY_HEADERS if n not in present]
                message = {**message, "headers": [*message.get("headers", ()), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
