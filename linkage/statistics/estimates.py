"""Multiple systems estimates per stratum from a snapshot's persons: at the nightly threshold (the published
persons) and, beside them, from the clusters at the sensitivity thresholds (what linkage error does)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from linkage.statistics.capture_table import CaptureTable
from linkage.statistics.disclosure import Cell, Sum
from linkage.statistics.person_facts import PersonFacts
from linkage.statistics.person_lists import (
    SENSITIVITY_THRESHOLDS,
    STRATA,
    PublishedRecords,
    capture_tables,
    parse_lists,
    person_facts_at,
)
from linkage.statistics.unduplicated import count_by

ASSUMPTIONS = (
    "The estimate assumes a closed population over the period (no one enters or leaves between the lists), "
    "dependence between lists only as the chosen two-list terms model it, and persons within a stratum equally "
    "likely to be recorded by a list (heterogeneity within strata biases the estimate, usually downwards). "
    "Linkage error moves it too: missed links make one person look like two, each seen by fewer lists."
)


def estimate(table: CaptureTable, pthresh: float, bootstrap: int = 0) -> dict[str, Any]:
    """SparseMSE's estimate of one capture-history table (``reason`` instead when there is none)."""
    from linkage.statistics.mse import NoEstimate, estimate_population, without_empty_lists

    try:
        result = estimate_population(without_empty_lists(table), pthresh)
    except NoEstimate as exc:
        return {"observed": table.observed, "estimate": None, "ci95": None, "terms": [], "reason": str(exc)}
    answer = result.as_dict()
    if bootstrap:
        from linkage.statistics.bootstrap import bca_interval

        answer.update(bca_interval(without_empty_lists(table), replications=bootstrap, pthresh=pthresh).as_dict())
    return answer


def strata_head(persons: PersonFacts, by: str | None) -> dict[str, Any]:
    """What the strata are of: which persons (published, or clusters at a threshold), linked at which match
    probability, split by which fact."""
    at = persons.clusters_at
    label = (f"clusters at match probability {at}" if at is not None else "published" if persons.threshold is None
             else f"published (linked at match probability {persons.threshold})")
    return {"persons": label, "threshold": persons.threshold if at is None else at, "by": by}


def persons_beside(published: PublishedRecords) -> dict[float, PersonFacts]:
    """The clusters' facts at each sensitivity threshold, to estimate from beside the persons."""
    return {t: person_facts_at(published, t) for t in SENSITIVITY_THRESHOLDS}


def estimate_strata(persons: PersonFacts, beside: Mapping[float, PersonFacts], lists: str | None, by: str | None,
                    pthresh: float, bootstrap: int = 0) -> dict[str, Any]:
    """Estimates per stratum of ``persons`` (:func:`person_lists.person_facts_at`), each with the same from the
    clusters of ``beside`` (:func:`persons_beside`). Lists no estimate can be made from (one source, more than
    the estimate takes) raise NoEstimate: the caller says so as it answers (the CLI fails, the service shows the
    rest of its statistics with the reason)."""
    specs = parse_lists(lists, persons.sources)
    main = capture_tables(persons, specs, by)
    tables_beside = {t: capture_tables(facts, specs, by) for t, facts in beside.items()}
    strata = []
    for stratum in sorted(set(main).union(*tables_beside.values())):
        row: dict[str, Any] = {"stratum": stratum}
        row.update(estimate(main[stratum], pthresh, bootstrap) if stratum in main else {"observed": 0})
        row["at_threshold"] = {str(t): estimate(tables[stratum], pthresh) if stratum in tables else None
                               for t, tables in tables_beside.items()}
        strata.append(row)
    return {**strata_head(persons, by), "lists": {spec.name: list(spec.sources) for spec in specs},
            "strata": strata}


def strata_counts(persons: PersonFacts) -> tuple[dict[Cell, int], list[Sum]]:
    """Persons seen per stratum of every fact an estimate may be split by, ``(fact, stratum)``, and all of them,
    ``("persons",)``; with the sums between them (each fact's strata add up to everyone), so that disclosure
    control protects every split at once."""
    everyone: Cell = ("persons",)
    counts: dict[Cell, int] = {}
    sums: list[Sum] = []
    for fact in STRATA:
        if fact == "exploitation" and not persons.has_exploitation:
            continue
        table = count_by(persons, (fact,))
        counts[everyone] = table.total
        cells = {(fact, *key): n for key, n in table.cells.items()}
        counts.update(cells)
        sums.append((everyone, tuple(cells)))
    return counts, sums
