"""The runs page: recent nightly runs, the review queue's size over them, what is published."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import PublishedCursor
from api.pages.render import PageUser, render
from api.queries import runs as run_queries

router = APIRouter(include_in_schema=False)


@router.get("/runs", response_class=HTMLResponse)
def runs_page(
    request: Request,
    principal: PageUser,
    con: PublishedCursor,
) -> Response:
    listed, _total = run_queries.list_runs(con, limit=30)
    runs = [run_queries.get_run(con, r["run_id"]) or r for r in listed]
    sizes = [(r["run_id"], (r.get("report") or {}).get("review_queue")) for r in reversed(runs)]
    sizes = [(run_id, size) for run_id, size in sizes if isinstance(size, int)]
    peak = max((s for _, s in sizes), default=0) or 1
    chart = [{"run_id": run_id, "size": size, "h": round(100 * size / peak, 1)} for run_id, size in sizes]
    health = run_queries.published_counts(con)
    return render(request, principal, "runs.html", runs=runs, chart=chart, health=health)
