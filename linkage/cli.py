"""The `laolink` command line: one subcommand per pipeline step, and `nightly` that runs them all."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="laolink",
    help="LaoLink: link Lao anti-trafficking records into person clusters.",
    no_args_is_help=True,
    add_completion=False,
)


@app.command("version")
def version() -> None:
    """Print the LaoLink version."""
    from linkage import __version__

    typer.echo(__version__)


@app.command("standardize")
def standardize_command(
    db: str = typer.Option(..., "--db", help="Pipeline store (DuckDB file)."),
    everything: bool = typer.Option(False, "--all", help="Redo every record, not only new or changed ones."),
) -> None:
    """Fill the standardized columns (names, dates, places, phones, IDs) of stored records."""
    from linkage.standardize import standardize
    from linkage.store import open_store

    with open_store(db) as con:
        report = standardize(con, everything=everything)
    for line in report.lines():
        typer.echo(line)


export_app = typer.Typer(help="Export the published result as CSV (formula-safe).", no_args_is_help=True)
app.add_typer(export_app, name="export")


@export_app.command("clusters")
def export_clusters_command(
    db: str = typer.Option(..., "--db", help="Pipeline store (DuckDB file)."),
    out: str = typer.Option(..., "--out", help="CSV file to write."),
) -> None:
    """Write source,record_id,person_id for every stored record."""
    from pathlib import Path

    from linkage.export import export_clusters

    typer.echo(f"wrote {export_clusters(db, Path(out))} rows to {out}")


@export_app.command("persons")
def export_persons_command(
    db: str = typer.Option(..., "--db", help="Pipeline store (DuckDB file)."),
    out: str = typer.Option(..., "--out", help="CSV file to write."),
) -> None:
    """Write one summary row per person."""
    from pathlib import Path

    from linkage.export import export_persons

    typer.echo(f"wrote {export_persons(db, Path(out))} rows to {out}")
