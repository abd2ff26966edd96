"""The FastAPI application: ``create_app(settings)`` wires settings, databases, errors, limits and routes.

Every route under ``/api/v1`` needs a credential (session cookie or bearer API key);
only ``/health`` and ``POST /api/v1/auth/login`` answer without one. The OpenAPI
document is ``GET /api/v1/openapi.json`` for any authenticated principal, and ``/docs``
(Swagger UI from packaged assets, api/pages/docs.py) for anyone logged in.

To add a resource: write ``api/routes/<resource>.py`` defining ``router`` (paths
relative to /api/v1, roles via ``role_dependency(...)`` in the signature), import it here and add its
router to ``PROTECTED_ROUTERS``.
"""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI

from api.audit_writer import AuditWriter
from api.deps import current_principal
from api.errors import (
    BodySizeLimitMiddleware,
    CatchAllMiddleware,
    SecurityHeadersMiddleware,
    install_error_handlers,
)
from api.pages import install_pages
from api.published import PublishedReader
from api.reconcile_cors import ReconcileCorsMiddleware
from api.routes import admin, auth, health, match, meta, persons, reconcile, review, runs, stats
from api.schemas import ERROR_RESPONSES
from api.service_store import ServiceStore
from api.settings import Settings
from linkage import __version__

API_PREFIX = "/api/v1"
# Routers that need a credential (mounted under /api/v1).
PROTECTED_ROUTERS: tuple[APIRouter, ...] = (
    meta.router,
    admin.router,
    persons.router,
    match.router,
    review.router,
    runs.router,
    stats.router,
)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    published = PublishedReader(settings.paths)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        app.state.audit_writer.close()
        published.close()

    app = FastAPI(
        title="LaoLink",
        version=__version__,
        description="Person clusters of Lao anti-trafficking records: look-up, matching, review and runs.",
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.service = ServiceStore(settings.paths.service_db)
    app.state.audit_writer = AuditWriter(app.state.service, synchronous=settings.audit_synchronous)
    app.state.published = published

    install_error_handlers(app)
    app.add_middleware(ReconcileCorsMiddleware, origins=settings.cors_origins)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(CatchAllMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)  # outermost: on every answer

    app.include_router(health.router)
    app.include_router(auth.router, prefix=API_PREFIX)
    protected = APIRouter(prefix=API_PREFIX, dependencies=[Depends(current_principal)], responses=ERROR_RESPONSES)
    for router in PROTECTED_ROUTERS:
        protected.include_router(router)
    app.include_router(protected)
    # The reconciliation manifest answers without a credential (W3C Reconciliation API 0.2); its other routes
    # check the caller themselves (api.routes.reconcile.caller and require_roles).
    app.include_router(reconcile.router, prefix=API_PREFIX, responses=ERROR_RESPONSES)
    install_pages(app)  # the review page: HTML routes at the root, /static
    return app
