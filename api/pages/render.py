"""What every page shares: the templates, rendering with the language and the principal, who may open pages."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from api.deps import PagePrincipal, audit
from api.pages.i18n import Translator, ddmmyyyy, request_language
from api.queue_reasons import queue_reason
from linkage.fields.invisible import show_direction_controls
from linkage.service.auth import Principal
from linkage.service.decisions import may_decide

templates = Jinja2Templates(directory=str(Path(__file__).resolve().parent / "templates"))
templates.env.filters["ddmmyyyy"] = ddmmyyyy
# Every value a page prints shows direction controls written out (issue #20 row 3); markup the app built is its own.
templates.env.finalize = lambda value: (
    show_direction_controls(value) if isinstance(value, str) and not isinstance(value, Markup) else value)
templates.env.globals["queue_reason"] = queue_reason

PAGE_ROLES = frozenset({"admin", "steward", "analyst"})


def render(request: Request, principal: Principal | None, name: str, status: int = 200, **context: Any) -> Response:
    lang = request_language(request)
    return templates.TemplateResponse(
        request,
        name,
        {"t": Translator(lang), "lang": lang, "principal": principal, "can_decide": can_decide(principal),
         "path": request.url.path, **context},
        status_code=status,
    )


def can_decide(principal: Principal | None) -> bool:
    return principal is not None and may_decide(principal)


def page_user(request: Request, principal: PagePrincipal) -> Principal:
    """Pages are for people: admins, stewards and analysts (a system key gets 403)."""
    if principal.role not in PAGE_ROLES:
        audit(request, "page", outcome="denied", status=403, detail={"reason": "role"})
        raise PageForbidden()
    return principal


PageUser = Annotated[Principal, Depends(page_user)]


class PageForbidden(Exception):
    """Raised by page_user; answered by the exception handler installed with the pages."""


def forbidden_handler(request: Request, _exc: PageForbidden) -> Response:
    return render(request, None, "message.html", status=403, message_key="forbidden")


def message(request: Request, principal: Principal, status: int) -> Response:
    return render(request, principal, "message.html", status=status,
                  message_key="forbidden" if status == 403 else "not_found")


def filter_query(filters: dict[str, str | None], **first: int | str | None) -> str:
    """``?kind=…&source=…`` of the queue filters set (empty for none), carried from the queue to its pages and back;
    ``first``: parameters before them (``after=7``: ``?after=7&kind=…``)."""
    given = {k: v for k, v in {**first, **filters}.items() if v}
    return f"?{urlencode(given)}" if given else ""
