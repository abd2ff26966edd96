"""CORS for the reconciliation service only (the spec makes it a MUST), and only for origins an admin lists.

``LAOLINK_CORS_ORIGINS`` names the web origins (e.g. an OpenRefine at ``http://127.0.0.1:3333``) whose pages
may call ``/api/v1/reconcile...`` from a browser; every other origin gets no CORS headers, so its pages cannot
read the answers. No credentials mode: browsers send the API key header, never the session cookie, across
origins. The rest of the API answers no CORS at all.
"""

from __future__ import annotations

from starlette.middleware.cors import CORSMiddleware

RECONCILE_PATH = "/api/v1/reconcile"


class ReconcileCorsMiddleware:
    """Starlette's CORS handling (preflights included) on reconciliation paths; other paths pass untouched."""

    def __init__(self, app, origins: tuple[str, ...]) -> None:
        self.app = app
        self.cors = CORSMiddleware(app, allow_origins=list(origins), allow_methods=["GET", "POST"],
                                   allow_headers=["X-API-Key", "Authorization", "Content-Type"], max_age=600)

    async def __call__(self, scope, receive, send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path == RECONCILE_PATH or path.startswith(RECONCILE_PATH + "/"):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)
