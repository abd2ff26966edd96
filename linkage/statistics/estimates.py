"""Multiple systems estimates per stratum from a snapshot's persons: at the nightly threshold (the published
persons) and, beside them, from the clusters at the sensitivity thresholds (what linkage error does)."""

from __future__ import annotations

from typing import Any

from linkage.statistics.capture_table import CaptureTable
from linkage.statistics.disclosure import Cell, Sum
from linkage.statistics.person_facts import NOT_RECORDED, create_person_facts
from linkage.statistics.person_lists import (
    SENSITIVITY_THRESHOLDS,
    STRATA,
    PublishedRecords,
    capture_tables,
    parse_lists,
    person_table_at,
)

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


def strata_head(published: PublishedRecords, threshold: float | None, by: str | None) -> dict[str, Any]:
    """What the strata are of: which persons (published, or clusters at ``threshold``), linked at which match
    probability, split by which fact."""
    persons = (f"published (linked at match probability {published.threshold})" if threshold is None
               and published.threshold is not None else "published" if threshold is None
               else f"clusters at match probability {threshold}")
    return {"persons": persons, "threshold": published.threshold if threshold is None else threshold, "by": by}


def estimate_strata(published: PublishedRecords, lists: str | None, by: str | None, threshold: float | None,
                    pthresh: float, bootstrap: int = 0) -> dict[str, Any]:
    """Estimates per stratum (persons: published, or clusters at ``threshold``), each with the same from the
    clusters at the sensitivity thresholds beside it. Lists no estimate can be made from (one source, more than
    the estimate takes) raise NoEstimate: the caller says so as it answers (the CLI fails, the service shows the
    rest of its statistics with the reason)."""
    specs = parse_lists(lists, published.sources)
    main = capture_tables(published, person_table_at(published, threshold), specs, by)
    beside = {t: capture_tables(published, person_table_at(published, t), specs, by) for t in SENSITIVITY_THRESHOLDS}
    strata = []
    for stratum in sorted(set(main).union(*beside.values())):
        row: dict[str, Any] = {"stratum": stratum}
        row.update(estimate(main[stratum], pthresh, bootstrap) if stratum in main else {"observed": 0})
        row["at_threshold"] = {str(t): estimate(tables[stratum], pthresh) if stratum in tables else None
                               for t, tables in beside.items()}
        strata.append(row)
    return {**strata_head(published, threshold, by), "lists": {spec.name: list(spec.sources) for spec in specs},
            "strata": strata}


def strata_counts(published: PublishedRecords, threshold: float | None) -> tuple[dict[Cell, int], list[Sum]]:
    """Persons seen per stratum of every fact an estimate may be split by, ``(fact, stratum)``, and all of them,
    ``("persons",)``, as the persons at ``threshold`` (None: published) make them; with the sums between them
    (each fact's strata add up to everyone), so that disclosure control protects every split at once."""
    con = published.con
    facts = create_person_facts(con, person_table_at(published, threshold))
    everyone: Cell = ("persons",)
    counts: dict[Cell, int] = {everyone: con.execute(f"SELECT count(*) FROM {facts}").fetchall()[0][0]}
    sums: list[Sum] = []
    for fact in STRATA:
        if fact == "exploitation" and not published.has_exploitation:
            continue
        rows = con.execute(f"SELECT coalesce(CAST({fact} AS VARCHAR), '{NOT_RECORDED}') AS v, count(*) FROM {facts}"
                           " GROUP BY v ORDER BY v").fetchall()
        cells = {(fact, value): int(n) for value, n in rows}
        counts.update(cells)
        sums.append((everyone, tuple(cells)))
    return counts, sums
