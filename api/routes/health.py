"""``/health``: the one endpoint that answers without a credential; without one it says only up or not
yet published, with one also the version, the published run and its counts."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from api.deps import SESSION_COOKIE, current_principal
from api.errors import ApiError
from api.schemas import HealthResponse
from linkage import __version__

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthResponse, response_model_exclude_none=True)
async def health(request: Request) -> HealthResponse:
    """Whether the service is up; with a credential also its version and which nightly run it serves."""
    snapshot = await run_in_threadpool(request.app.state.published.current)  # may open a new snapshot
    status = "ok" if snapshot is not None else "unpublished"
    if not (request.headers.get("authorization") or request.cookies.get(SESSION_COOKIE)):
        return HealthResponse(status=status)
    try:
        await current_principal(request)
    except ApiError:
        return HealthResponse(status=status)  # a refused credential learns no more than none (and is audited)
    if snapshot is None:
        return HealthResponse(status="unpublished", version=__version__)
    return HealthResponse(
        status="ok",
        version=__version__,
        published_run_id=snapshot.run_id,
        published_at=snapshot.published_at,
        counts=snapshot.counts,
    )
