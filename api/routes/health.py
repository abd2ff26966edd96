"""``/health``: the one endpoint that answers without a credential (status, published run, counts)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from api.schemas import HealthResponse
from linkage import __version__

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthResponse)
def health(request: Request) -> HealthResponse:
    """Whether the service is up and which nightly run it serves."""
    snapshot = request.app.state.published.current()
    if snapshot is None:
        return HealthResponse(status="unpublished", version=__version__)
    return HealthResponse(
        status="ok",
        version=__version__,
        published_run_id=snapshot.run_id,
        published_at=snapshot.published_at,
        counts=snapshot.counts,
    )
