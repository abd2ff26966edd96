"""The statistics page: persons by their facts, the source combinations (UpSet chart), smuggled migrants later
trafficked, the trend by year and the multiple systems estimates, for analysts (protected counts) and admins
(exact). Charts are SVG drawn on the server; the page runs no script."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import PublishedSnapshot, audit
from api.pages.render import PageUser, message, render
from api.queries.stats import estimates_report, stats_report
from linkage.errors import LaoLinkError
from linkage.statistics.estimates import ASSUMPTIONS
from linkage.statistics.person_facts import FACTS
from linkage.statistics.person_lists import STRATA

router = APIRouter(include_in_schema=False)
STATS_ROLES = ("admin", "analyst")
UPSET_COLUMNS = 15  # the largest combinations drawn; the table lists them all


def _bars(rows: list[dict[str, Any]], label: str, height: int = 110) -> list[dict[str, Any]]:
    """Bar heights for the rows' counts; a hidden count ("<5", "x") draws no bar, only its label."""
    peak = max((r["persons"] for r in rows if isinstance(r["persons"], int)), default=0) or 1
    return [{"label": str(r[label]), "shown": r["persons"],
             "h": round(height * r["persons"] / peak, 1) if isinstance(r["persons"], int) else 0} for r in rows]


def _upset(sources_table: dict[str, Any]) -> dict[str, Any]:
    rows = sources_table["rows"][:UPSET_COLUMNS]
    names = sorted({name for row in rows for name in row["sources"].split("+")})
    bars = _bars(rows, "sources")
    for bar, row in zip(bars, rows, strict=True):
        bar["members"] = [name in row["sources"].split("+") for name in names]
    return {"names": names, "bars": bars}


@router.get("/stats", response_class=HTMLResponse)
def stats_page(request: Request, principal: PageUser, snapshot: PublishedSnapshot, mse_by: str = "") -> Response:
    if principal.role not in STATS_ROLES:
        audit(request, "page.stats", outcome="denied", status=403, detail={"reason": "role"})
        return message(request, principal, 403)
    exact = principal.role == "admin"
    by = [(fact,) for fact in FACTS] + [("sex", "age_band"), ("case_type", "exploitation")]
    report = stats_report(snapshot.path, snapshot.identity, by, exact)
    stratum = mse_by if mse_by in STRATA else None
    try:
        estimates = estimates_report(snapshot.path, snapshot.identity, stratum, exact)
    except LaoLinkError as exc:  # e.g. a stratum the snapshot's records do not have yet: the page, no estimates
        estimates = {"persons": "published", "strata": [], "reason": str(exc)}
    audit(request, "page.stats", detail={"exact": exact, "mse_by": stratum})
    year = next(t for t in report["tables"] if t["by"] == ["year"])
    return render(request, principal, "stats.html", report=report, exact=exact, trend=_bars(year["rows"], "year"),
                  upset=_upset(report["sources"]), estimates=estimates, strata=STRATA, mse_by=stratum or "",
                  assumptions=ASSUMPTIONS)
