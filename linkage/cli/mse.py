"""`laolink mse`: multiple systems estimation from a capture-history CSV or from a store's published persons."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:  # statsmodels and scipy load only when the command runs
    from linkage.statistics.capture_table import CaptureTable

from linkage.errors import LaoLinkError


def _estimate(table: CaptureTable, pthresh: float, bootstrap: int) -> dict:
    from linkage.statistics.estimates import estimate

    return estimate(table, pthresh, bootstrap)


def _from_store(db: str, lists: str | None, by: str | None, threshold: float | None, role: str | None,
                pthresh: float, bootstrap: int) -> dict:
    from linkage.statistics.estimates import estimate_strata, persons_beside
    from linkage.statistics.person_lists import open_published_records, person_facts_at

    with open_published_records(db, role) as published:
        beside = persons_beside(published)
        persons = beside[threshold] if threshold in beside else person_facts_at(published, threshold)
        return {**estimate_strata(persons, beside, lists, by, pthresh, bootstrap), "role": role}


def _figure(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def _bca(answer: dict) -> str:
    """", BCa low to high"; an open bound (percentile among resamples with no finite estimate) says so."""
    low, high = answer["ci95_bca"]
    runs = answer.get("bootstrap") or {}
    text = f", BCa {'open' if low is None else _figure(low)} to {'open' if high is None else _figure(high)}"
    if runs.get("not_finite"):
        text += f" ({runs['not_finite']} of {runs['replications']} resamples had no finite estimate)"
    return text


def _print_estimate(label: str, answer: dict) -> None:
    interval = answer.get("ci95") or [None, None]
    line = (f"{label}: seen {answer['observed']:,}, estimate {_figure(answer.get('estimate'))}"
            f" (95% {_figure(interval[0])} to {_figure(interval[1])})")
    if answer.get("ci95_bca"):
        line += _bca(answer)
    if answer.get("terms"):
        line += f", terms {' '.join(answer['terms'])}"
    if answer.get("reason"):
        line += f" ({answer['reason']})"
    typer.echo(line)


def mse_command(
    file: Path = typer.Argument(None, help="Capture-history CSV: one 0/1 column per list, then count."),
    db: str = typer.Option(None, "--db", help="Pipeline store: estimate from its published persons."),
    lists: str = typer.Option(None, "--lists", help="Sources as lists, e.g. A,B+C ('+' groups); default: each."),
    by: str = typer.Option(None, "--by", help="Estimate per stratum: sex, age_band, province, year, exploitation."),
    threshold: float = typer.Option(
        None, "--threshold", min=0.0, max=1.0, help="Persons as clusters at this match probability"
        " (default: the published persons, linked at the nightly threshold, which the JSON names)."),
    role: str = typer.Option(None, "--role", help="Count only persons with a record in this role, e.g. victim."),
    pthresh: float = typer.Option(  # mse.DEFAULT_PTHRESH, not imported so that other commands start fast
        0.02, "--pthresh", help="P-value below which a two-list term enters."),
    bootstrap: int = typer.Option(0, "--bootstrap", min=0, help="Also a BCa interval from N bootstrap samples."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Estimate the total population, the unseen included, from people seen on several lists (SparseMSE)."""
    from linkage.statistics.capture_table import read_capture_csv

    if (file is None) == (db is None):
        typer.echo("give either a capture-history FILE or --db", err=True)
        raise typer.Exit(2)
    try:
        if not 0 < pthresh < 1:
            raise LaoLinkError(f"--pthresh must be between 0 and 1 (a p-value), got {pthresh}")
        if file is not None:
            answer = _estimate(read_capture_csv(file), pthresh, bootstrap)
        else:
            answer = _from_store(db, lists, by, threshold, role, pthresh, bootstrap)
    except LaoLinkError as exc:
        typer.echo(f"mse: {exc}", err=True)
        raise typer.Exit(1) from None
    if as_json:
        typer.echo(json.dumps(answer))
    elif file is not None:
        _print_estimate(str(file), answer)
    else:
        typer.echo(f"persons: {answer['persons']}; lists: {', '.join(answer['lists'])}")
        for row in answer["strata"]:
            _print_estimate(row["stratum"], row)
            for t, other in row["at_threshold"].items():
                if other is not None:
                    _print_estimate(f"  at match probability {t}", other)
