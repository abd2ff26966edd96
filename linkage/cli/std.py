"""`laolink std report`: the values the standardizer could not read, by field and frequency, with the reason."""

from __future__ import annotations

from pathlib import Path

import typer

std_app = typer.Typer(help="What the standardizer made of the stored records.", no_args_is_help=True)


@std_app.command("report")
def std_report_command(
    db: str = typer.Option(..., "--db", help="Pipeline store (DuckDB file)."),
    out: Path | None = typer.Option(None, "--out", help="Also write every unparsed value to this CSV file."),
    limit: int = typer.Option(15, "--limit", min=1, help="Values shown per field (the CSV has them all)."),
) -> None:
    """Unparsed values by field, most frequent first, with the reason each was refused."""
    from rich.console import Console
    from rich.table import Table

    from linkage.fields.std_report import totals_by_field, unparsed_values, write_report_csv
    from linkage.store import open_store

    with open_store(db, read_only=True) as con:
        values = unparsed_values(con)
    console = Console(width=max(Console().width, 120))
    totals = totals_by_field(values)
    if not values:
        console.print("every stored value was read (no unparsed values)")
    for field, (records, distinct) in totals.items():
        table = Table(title=f"{field}: {records} records, {distinct} distinct values unparsed", title_justify="left")
        table.add_column("value", overflow="fold")
        table.add_column("records", justify="right")
        table.add_column("sources", overflow="fold")
        table.add_column("reason", overflow="fold")
        shown = [v for v in values if v.field == field][:limit]
        for v in shown:
            table.add_row(v.value, str(v.records), v.sources, v.reason)
        if distinct > len(shown):
            table.caption = f"{distinct - len(shown)} more values (--limit, or --out for all)"
        console.print(table)
    if out is not None:
        write_report_csv(values, out)
        console.print(f"wrote {len(values)} rows to {out}")
