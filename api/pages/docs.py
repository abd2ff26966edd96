"""Interactive API docs (Swagger UI) for anyone logged in, from the assets packaged with fastapi-offline (no CDN).

Swagger UI is started by ``/static/docs-init.js``, not by the usual inline script, so the page keeps the
Content-Security-Policy of every page (``default-src 'self'``, no inline script); only images may also be
``data:`` URIs here, which Swagger UI's stylesheet uses for its icons. "Try it out" sends the session cookie
and the CSRF token, so it acts as the logged-in user with their role and is audited like any other request.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from api.deps import PagePrincipal
from api.errors import ApiError
from api.pages.render import templates

router = APIRouter(include_in_schema=False)

SWAGGER_ASSETS = Path(fastapi_offline.__file__).resolve().parent / "static"
ASSET_TYPES = {"swagger-ui-bundle.js": "text/javascript", "swagger-ui.css": "text/css", "favicon.png": "image/png"}
DOCS_POLICY = ("default-src 'self'; img-src 'self' data:; base-uri 'none'; object-src 'none';"
               " frame-ancestors 'none'; form-action 'self'")


@router.get("/docs", response_class=HTMLResponse)
def api_docs(request: Request, principal: PagePrincipal) -> Response:
    response = templates.TemplateResponse(request, "docs.html", {"principal": principal})
    response.headers["Content-Security-Policy"] = DOCS_POLICY
    return response


@router.get("/docs/assets/{name}")
def api_docs_asset(name: str, _principal: PagePrincipal) -> Response:
    """Swagger UI's script, stylesheet and icon (a fixed list: nothing else of the package is served)."""
    if name not in ASSET_TYPES:
        raise ApiError(404, "no such asset", field="name")
    return FileResponse(SWAGGER_ASSETS / name, media_type=ASSET_TYPES[name],
                        headers={"Cache-Control": "private, max-age=86400"})
