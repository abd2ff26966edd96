"""Unduplicated statistics and estimates of the published snapshot, computed once per snapshot and protected for
analysts (``linkage.statistics.disclosure``); admins get exact counts."""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

from linkage.statistics.disclosure import SUPPRESSED, WITHHELD, protect
from linkage.statistics.unduplicated import PersonFacts, read_person_facts, statistics_report

MSE_PTHRESH = 0.02
_lock = threading.Lock()  # one computation per snapshot at a time; later requests read the cache


@lru_cache(maxsize=4)
def _facts(path: str, identity: str) -> PersonFacts:
    return read_person_facts(path)


def person_facts(path: Path, identity: str) -> PersonFacts:
    """The facts of the snapshot at ``path`` (``identity`` tells a file replaced under the same name apart)."""
    with _lock:
        return _facts(str(path), identity)


def stats_report(path: Path, identity: str, by: list[tuple[str, ...]], exact: bool) -> dict[str, Any]:
    return statistics_report(person_facts(path, identity), by, exact)


@lru_cache(maxsize=16)
def _estimates(path: str, identity: str, by: str | None) -> dict[str, Any]:
    from linkage.statistics.estimates import estimate_strata
    from linkage.statistics.person_lists import open_snapshot_records

    with open_snapshot_records(path, None) as published:
        return estimate_strata(published, None, by, None, MSE_PTHRESH)


def _protect_estimates(strata: list[dict[str, Any]], key: str | None) -> list[dict[str, Any]]:
    """Strata whose observed count is hidden lose their estimate too (it would bound the count)."""
    rows = [row if key is None else row["at_threshold"][key] for row in strata]
    observed = {i: row["observed"] for i, row in enumerate(rows) if row is not None}
    shown = protect(observed, [list(observed)])
    out = []
    for i, row in enumerate(rows):
        if row is None or shown[i] not in (SUPPRESSED, WITHHELD):
            out.append(row)
        else:
            out.append({"observed": shown[i], "estimate": None, "ci95": None, "terms": [],
                        "reason": "withheld: too few persons seen to show"})
    return out


def estimates_report(path: Path, identity: str, by: str | None, exact: bool) -> dict[str, Any]:
    """Estimates per stratum at the nightly threshold and the sensitivity thresholds (protected unless exact)."""
    with _lock:
        answer = _estimates(str(path), identity, by)
    if exact:
        return {**answer, "exact": True}
    strata = [dict(row) for row in answer["strata"]]
    main = _protect_estimates(strata, None)
    beside = {key: _protect_estimates(strata, key) for key in (strata[0]["at_threshold"] if strata else {})}
    rows = []
    for i, row in enumerate(main):
        rows.append({**row, "stratum": strata[i]["stratum"],
                     "at_threshold": {key: beside[key][i] for key in beside}})
    return {**answer, "strata": rows, "exact": False}
