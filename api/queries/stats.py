"""Unduplicated statistics and estimates of the published snapshot, computed once per snapshot and protected for
analysts (``linkage.statistics.disclosure``); admins get exact counts.

Every count an analyst sees comes from one protected base per snapshot: the persons' tables from
``protected_counts`` (every table any request may ask for), the estimates' strata from the same cells (a
stratum's persons seen are the persons of that fact's value) and, at the sensitivity thresholds, from the strata
of every fact protected together. So no two answers hide different cells of the same counts."""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

from linkage.statistics.disclosure import SUPPRESSED, WITHHELD, protect
from linkage.statistics.person_facts import PersonFacts
from linkage.statistics.unduplicated import (
    ShownCells,
    protected_counts,
    read_person_facts,
    statistics_report,
)

MSE_PTHRESH = 0.02
# Why a stratum shows no count and no estimate (an estimate would bound the count it hides).
HIDDEN_REASONS = {
    SUPPRESSED: "fewer than 5 persons seen: neither the count nor an estimate is shown",
    WITHHELD: "withheld (5 or more persons seen) so that the counts shown together do not give a small one away;"
              " no estimate is shown either",
}
_lock = threading.Lock()  # one computation per snapshot at a time; later requests read the cache


@lru_cache(maxsize=4)
def _facts(path: str, identity: str) -> PersonFacts:
    return read_person_facts(path)


@lru_cache(maxsize=4)
def _shown(path: str, identity: str) -> ShownCells:
    return protected_counts(_facts(path, identity))


def person_facts(path: Path, identity: str) -> PersonFacts:
    """The facts of the snapshot at ``path`` (``identity`` tells a file replaced under the same name apart)."""
    with _lock:
        return _facts(str(path), identity)


def shown_counts(path: Path, identity: str) -> ShownCells:
    """Every cell of the snapshot's statistics as an analyst sees it."""
    with _lock:
        return _shown(str(path), identity)


def stats_report(path: Path, identity: str, by: list[tuple[str, ...]], exact: bool) -> dict[str, Any]:
    return statistics_report(person_facts(path, identity), by, exact,
                             None if exact else shown_counts(path, identity))


@lru_cache(maxsize=2)
def _persons_beside(path: str, identity: str) -> dict[float, PersonFacts]:
    """The clusters' facts at the sensitivity thresholds: built once per snapshot for every estimate and count."""
    from linkage.statistics.estimates import persons_beside
    from linkage.statistics.person_lists import open_snapshot_records

    with open_snapshot_records(path, None) as published:
        return persons_beside(published)


@lru_cache(maxsize=16)
def _estimates(path: str, identity: str, by: str | None) -> dict[str, Any]:
    from linkage.statistics.estimates import estimate_strata, strata_head
    from linkage.statistics.mse import NoEstimate

    persons = _facts(path, identity)
    try:
        return estimate_strata(persons, _persons_beside(path, identity), None, by, MSE_PTHRESH)
    except NoEstimate as exc:  # the one place it becomes an answer: the route and the page show the reason
        return {**strata_head(persons, by), "lists": {source: [source] for source in persons.sources},
                "strata": [], "reason": str(exc)}


@lru_cache(maxsize=4)
def _shown_at_thresholds(path: str, identity: str) -> dict[str, ShownCells]:
    from linkage.statistics.estimates import strata_counts

    return {str(t): protect(*strata_counts(persons), keep=[("persons",)])
            for t, persons in _persons_beside(path, identity).items()}


class CountMismatch(RuntimeError):
    """A stratum's persons seen by the estimate differ from the protected base's count of them: the two were
    counted from different persons, a fault of ours, not a cell to hide."""


def protect_estimate(row: dict[str, Any] | None, cell: tuple[str, ...], shown: ShownCells) -> dict[str, Any] | None:
    """A stratum as the protected base shows its persons seen; hidden ("<5", "x"), it loses its estimate (which
    would bound the count) too, and says why. A count the base holds otherwise is raised (:class:`CountMismatch`)."""
    if row is None:
        return None
    value = shown.get(cell, 0)  # the base lists every cell with someone in it
    if value in HIDDEN_REASONS:
        return {"observed": value, "estimate": None, "ci95": None, "terms": [], "reason": HIDDEN_REASONS[value]}
    if value != row["observed"]:
        raise CountMismatch(f"stratum {cell}: the estimate saw {row['observed']} persons, the protected counts"
                            f" hold {value}")
    return row


def estimates_report(path: Path, identity: str, by: str | None, exact: bool) -> dict[str, Any]:
    """Estimates per stratum at the nightly threshold and the sensitivity thresholds (protected unless exact)."""
    with _lock:
        answer = _estimates(str(path), identity, by)
    if exact or not answer["strata"]:
        return {**answer, "exact": exact}
    main = shown_counts(path, identity)
    with _lock:
        beside = _shown_at_thresholds(str(path), identity)
    rows = []
    for row in answer["strata"]:
        cell = ("persons",) if by is None else (by, row["stratum"])
        rows.append({**protect_estimate(row, cell, main), "stratum": row["stratum"],
                     "at_threshold": {key: protect_estimate(other, cell, beside[key])
                                      for key, other in row["at_threshold"].items()}})
    return {**answer, "strata": rows, "exact": False}
