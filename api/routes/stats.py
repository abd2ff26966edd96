"""Unduplicated statistics of the published persons and multiple systems estimates, for analysts and admins.

Analysts see cells of 1 to 4 persons as "<5" and cells withheld against differencing as "x", in answers and in
exports alike; admins see exact counts. Every read is audited (``stats.read``, ``stats.export``, ``stats.mse``).
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from api.deps import PublishedSnapshot, audit, role_dependency
from api.errors import ApiError
from api.queries.stats import estimates_report, stats_report
from linkage.errors import LaoLinkError
from linkage.statistics.export import report_bytes
from linkage.statistics.person_facts import FACTS
from linkage.statistics.person_lists import STRATA

router = APIRouter(prefix="/stats", tags=["statistics"])
READERS = ("admin", "analyst")
Reader = role_dependency(*READERS)
BY_HELP = f"a fact, or two joined by a comma; repeat for more tables. Facts: {', '.join(FACTS)}"
MEDIA = {"csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def parse_by(values: list[str] | None) -> list[tuple[str, ...]]:
    if not values:
        return [(fact,) for fact in FACTS]
    return [tuple(part.strip() for part in value.split(",") if part.strip()) for value in values]


def _report(snapshot, by: list[str] | None, exact: bool) -> dict[str, Any]:
    try:
        return stats_report(snapshot.path, snapshot.identity, parse_by(by), exact)
    except LaoLinkError as exc:
        raise ApiError(422, str(exc).replace("--by", "by"), field="by") from exc


@router.get("/persons")
async def read_statistics(
    request: Request, principal: Reader, snapshot: PublishedSnapshot,
    by: list[str] | None = Query(None, max_length=8, description=BY_HELP),
) -> dict[str, Any]:
    """Persons (not records) by their facts, per combination of sources, and smuggled migrants later found
    trafficked, with the time between."""
    exact = principal.role == "admin"
    report = await run_in_threadpool(_report, snapshot, by, exact)
    await run_in_threadpool(audit, request, "stats.read", status=200,
                            detail={"by": [t["by"] for t in report["tables"]], "exact": exact})
    return report


@router.get("/export")
async def export_statistics(
    request: Request, principal: Reader, snapshot: PublishedSnapshot,
    by: list[str] | None = Query(None, max_length=8, description=BY_HELP),
    format: Literal["csv", "xlsx"] = Query("csv"),  # noqa: A002 (the query parameter's name)
) -> Response:
    """The same tables as a CSV or XLSX file, counts as the caller may see them."""
    exact = principal.role == "admin"
    report = await run_in_threadpool(_report, snapshot, by, exact)
    data = report_bytes(report, format)
    await run_in_threadpool(audit, request, "stats.export", status=200,
                            detail={"by": [t["by"] for t in report["tables"]], "exact": exact, "format": format})
    return Response(content=data, media_type=MEDIA[format], headers={
        "Content-Disposition": f'attachment; filename="laolink-statistics-run-{report["run_id"]}.{format}"'})


@router.get("/mse")
async def read_estimates(
    request: Request, principal: Reader, snapshot: PublishedSnapshot,
    by: str | None = Query(None, description=f"estimate per stratum: {', '.join(STRATA)}"),
) -> dict[str, Any]:
    """Multiple systems estimate of all persons, the unseen included, per stratum: at the nightly threshold and
    at match probability 0.5 and 0.95 beside it, with the assumptions it rests on."""
    from linkage.statistics.estimates import ASSUMPTIONS

    if by is not None and by not in STRATA:
        raise ApiError(422, f"by must be one of {', '.join(STRATA)}", field="by")
    exact = principal.role == "admin"
    try:
        answer = await run_in_threadpool(estimates_report, snapshot.path, snapshot.identity, by, exact)
    except LaoLinkError as exc:
        raise ApiError(422, str(exc), field="by") from exc
    await run_in_threadpool(audit, request, "stats.mse", status=200, detail={"by": by, "exact": exact})
    return {**answer, "assumptions": ASSUMPTIONS}
