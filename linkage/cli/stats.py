"""`laolink stats`: unduplicated statistics of the published persons, protected for analysts unless --exact."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from linkage.errors import LaoLinkError


def parse_by(values: list[str] | None) -> list[tuple[str, ...]]:
    """``--by sex --by case_type,exploitation`` -> [("sex",), ("case_type", "exploitation")]; none: each fact."""
    from linkage.statistics.person_facts import FACTS

    if not values:
        return [(fact,) for fact in FACTS]
    return [tuple(part.strip() for part in value.split(",") if part.strip()) for value in values]


def _print(report: dict) -> None:
    threshold = f", linked at match probability {report['threshold']}" if report["threshold"] is not None else ""
    typer.echo(f"persons: {report['persons']} (published run {report['run_id']}{threshold})"
               + ("" if report["exact"] else "; cells of 1 to 4 shown as <5, x withheld against differencing"))
    sections = [(" and ".join(t["by"]), t) for t in report["tables"]]
    sections += [("sources", report["sources"]), ("smuggled, later trafficked", report["smuggled_then_trafficked"])]
    for title, table in sections:
        typer.echo(f"\n{title} (total {table['total']})")
        for row in table["rows"]:
            label = " / ".join(str(row[fact]) for fact in table["by"])
            typer.echo(f"  {label:<48} {row['persons']:>8}")


def stats_command(
    db: str = typer.Option(..., "--db", help="Pipeline store: counts its published persons."),
    by: list[str] = typer.Option(None, "--by", help="A fact, or two joined by a comma (cross table); repeat for"
                                 " more tables. Facts: year, province, sex, age_band, role, nationality, case_type,"
                                 " exploitation. Default: one table per fact."),
    out: Path = typer.Option(None, "--out", help="Also write the tables to FILE.csv or FILE.xlsx (owner-only)."),
    exact: bool = typer.Option(False, "--exact", help="Exact counts (admins); default: as analysts see them."),
    truth: Path = typer.Option(None, "--truth", help="Count the true persons of a demo truth.csv instead of the"
                               " published ones (what linkage error does to the statistics)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Persons (not records) by year of first record, province, sex, age band, role, nationality, case type and
    exploitation; per combination of sources; smuggled migrants later trafficked."""
    from linkage.paths import store_paths
    from linkage.publishing.publish import current_snapshot
    from linkage.statistics.export import FORMATS, save_report
    from linkage.statistics.unduplicated import read_person_facts, statistics_report

    if out is not None and out.suffix.lower().lstrip(".") not in FORMATS:
        raise LaoLinkError(f"--out must end in .csv or .xlsx, got {out.name}")
    snapshot = current_snapshot(store_paths(db))
    if snapshot is None:
        raise LaoLinkError(f"nothing is published yet for {db}: run `laolink nightly` first")
    report = statistics_report(read_person_facts(snapshot, truth), parse_by(by), exact=exact)
    if out is not None:
        save_report(report, out)
    if as_json:
        typer.echo(json.dumps(report))
    else:
        _print(report)
