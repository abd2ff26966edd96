"""`laolink standardize`: fill the standardized columns of stored records."""

from __future__ import annotations

import typer


def standardize_command(
    db: str = typer.Option(..., "--db", help="Pipeline store (DuckDB file)."),
    everything: bool = typer.Option(False, "--all", help="Redo every record, not only new or changed ones."),
) -> None:
    """Fill the standardized columns (names, dates, places, phones, IDs) of stored records."""
    from linkage.fields.standardize import standardize
    from linkage.store import open_store

    with open_store(db) as con:
        report = standardize(con, everything=everything)
    for line in report.lines():
        typer.echo(line)
