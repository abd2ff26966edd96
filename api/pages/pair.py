"""The pair page: two records side by side, each comparison's outcome, the match-weight waterfall."""

from __future__ import annotations

from typing import Any

import duckdb
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import PublishedCursor, audit
from api.masking import sees_personal_fields, visible_prediction, visible_record
from api.pages.render import PageUser, filter_query, message, render
from api.queries import review as review_queries

router = APIRouter(include_in_schema=False)


# Fields shown side by side on the pair page: (label key, raw column, standardized column, comparison).
PAIR_FIELDS: tuple[tuple[str, str, str | None, str | None], ...] = (
    ("name", "full_name", "full_name_std", "name"),
    ("birth", "date_of_birth", "dob", "birth"),
    ("sex", "sex", "sex_code", "sex"),
    ("province", "province", "province_code", "place"),
    ("place", "village", "village_key", "place"),
    ("phone", "phone", "phone_e164", "phone"),
    ("id_number", "id_number", "id_number_std", "id_number"),
    ("nationality", "nationality", "nationality_code", "nationality"),
    ("role", "role", None, None),
    ("event_date", "event_date", "event_date_std", "event"),
)


@router.get("/pairs/{item_id}", response_class=HTMLResponse)
def pair_page(
    request: Request,
    principal: PageUser,
    con: PublishedCursor,
    item_id: int,
    kind: str | None = None,
    source: str | None = None,
    province: str | None = None,
    role: str | None = None,
) -> Response:
    """One pair item; ``kind``, ``source``, ``province``, ``role``: the queue's filters, kept for the next item."""
    pair = review_queries.review_pair(con, request.app.state.service.connection(), item_id)
    if pair is None or not review_queries.item_in_scope(con, item_id, principal.sources):  # as the queue lists it
        audit(request, "page.pair", outcome="error", status=404,
              detail={"item_id": item_id, "reason": "no_such_item" if pair is None else "scope"})
        return message(request, principal, 404)
    person_ids = sorted({p for p in (pair.get("person_id_l"), pair.get("person_id_r")) if p})
    audit(request, "page.pair", person_ids=person_ids, status=200, detail={"item_id": item_id})
    left, right = visible_record(pair["record_l"], principal), visible_record(pair["record_r"], principal)
    prediction = visible_prediction(pair.get("prediction"), principal) or {}
    outcome = _comparison_outcomes(con, prediction)
    rows = [
        {"label": label, "raw_l": _raw(left, raw), "raw_r": _raw(right, raw),
         "std_l": _standardized(left, std), "std_r": _standardized(right, std),
         "outcome": outcome.get(comparison, "") if comparison else ""}
        for label, raw, std, comparison in PAIR_FIELDS
    ]
    return render(request, principal, "pair.html", item=pair["item"], left=left, right=right, rows=rows,
                  prediction=prediction,
                  # a masked role's waterfall would show the hidden comparisons' weights inside the prior
                  waterfall=waterfall(prediction) if sees_personal_fields(principal) else None,
                  decision=pair.get("decision"),
                  next_url="/queue/next" + filter_query({"kind": kind, "source": source, "province": province,
                                                         "role": role}, after=item_id),
                  person_l=pair.get("person_id_l"), person_r=pair.get("person_id_r"))


def _raw(record: dict[str, Any], column: str) -> Any:
    """A field as the source wrote it; a split name and an age stand in for a missing full name or birth date."""
    value = record.get(column)
    if value:
        return value
    if column == "full_name":
        return " ".join(p for p in (record.get("given_name"), record.get("family_name")) if p) or None
    if column == "date_of_birth" and record.get("age"):
        return f"({record['age']})"
    return value


def _standardized(record: dict[str, Any], column: str | None) -> Any:
    """A field as standardized; a birth date known only to the month, year or a range of years says so.

    A Buddhist-Era year or an age then shows beside the Common-Era year it was read as.
    """
    if column is None:
        return None
    value = record.get(column)
    if column != "dob" or value:
        return value
    low, high = record.get("dob_year_min"), record.get("dob_year_max")
    if low and high and low != high:
        return f"{low}–{high}"
    year = record.get("dob_year") or low
    if year and record.get("dob_month"):
        return f"{record['dob_month']:02d}/{year}"
    return str(year) if year else None


def _comparison_outcomes(con: duckdb.DuckDBPyConnection, prediction: dict[str, Any]) -> dict[str, str]:
    """agree (top level), missing (null level), differ (else level), close (anything between)."""
    comparisons = prediction.get("comparisons") or []
    if not comparisons:
        return {}
    top = review_queries.top_levels(con, prediction.get("model_version"))
    out = {}
    for c in comparisons:
        gamma = c["gamma"]
        if gamma is None and c["label"] is None:  # hidden from a masked role (api.masking.visible_prediction)
            continue
        out[c["comparison"]] = ("missing" if gamma is None or gamma < 0 else "differ" if gamma == 0
                                else "agree" if gamma == top.get(c["comparison"]) else "close")
    return out


def waterfall(prediction: dict[str, Any]) -> dict[str, Any] | None:
    """Bars of an SVG waterfall: the prior, then each comparison's match weight, then the total."""
    comparisons = prediction.get("comparisons") or []
    if prediction.get("match_weight") is None or not comparisons:
        return None
    total = float(prediction["match_weight"])
    prior = total - sum(float(c["match_weight"] or 0) for c in comparisons)
    steps, level = [("prior", prior, 0.0)], prior
    for c in comparisons:
        w = float(c["match_weight"] or 0)
        steps.append((c["comparison"], w, level))
        level += w
    ends = [0.0] + [s + w for _, w, s in steps] + [s for _, _, s in steps]
    lo, hi = min(ends), max(ends)
    span = (hi - lo) or 1.0
    width = 520.0

    def x(value: float) -> float:
        return round(20 + (value - lo) / span * (width - 40), 1)

    bars = [{"label": label, "value": round(w, 2), "x": min(x(s), x(s + w)), "w": max(abs(x(s + w) - x(s)), 1.5),
             "positive": w >= 0} for label, w, s in steps]
    bars.append({"label": "total", "value": round(total, 2), "x": min(x(0), x(total)),
                 "w": max(abs(x(total) - x(0)), 1.5), "positive": total >= 0, "is_total": True})
    return {"bars": bars, "zero": x(0.0), "width": width, "height": 26 * len(bars) + 10}
