"""`laolink ingest`: validate and store source files, and the per-file counts it prints."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from linkage.sources.ingest import ingest_files
from linkage.sources.ingest_report import IngestReport
from linkage.sources.mapping import load_mappings

_COUNTS = ("read", "stored", "updated", "unchanged", "quarantined")


def print_report(report: IngestReport, *, rich_table: bool | None = None) -> None:
    """Per-file and total counts: a rich table on a terminal, plain lines otherwise."""
    if rich_table is None:
        rich_table = sys.stdout.isatty()
    if rich_table:
        from rich.console import Console
        from rich.table import Table

        table = Table(title="laolink ingest")
        for name in ("file", "status", "mapping", *_COUNTS):
            table.add_column(name, justify="right" if name in _COUNTS else "left")
        for f in report.files:
            table.add_row(Path(f.path).name, f.status, f.mapping or "", *(str(getattr(f, n)) for n in _COUNTS))
        table.add_row("total", "", "", *(str(getattr(report, n)) for n in _COUNTS), style="bold")
        console = Console()
        console.print(table)
        for f in report.files:
            if f.reason:
                console.print(f"{f.path}: {f.status}: {f.reason}")
            if f.ignored_headers:
                console.print(f"{f.path}: columns not mapped, not stored: {', '.join(f.ignored_headers)}")
        return
    for f in report.files:
        how = ", ".join(f"{k} {v}" for k, v in (("mapping", f.mapping), ("encoding", f.encoding)) if v)
        line = (f"{f.path}: {f.status}{f' ({how})' if how else ''}: read {f.read} = stored {f.stored}"
                f" + updated {f.updated} + unchanged {f.unchanged} + quarantined {f.quarantined}")
        typer.echo(line + (f"; {f.reason}" if f.reason else ""))
        if f.ignored_headers:
            typer.echo(f"{f.path}: columns not mapped, not stored: {', '.join(f.ignored_headers)}")
    typer.echo(f"total: {len(report.files)} file(s), {len(report.rejected)} rejected: read {report.read} ="
               f" stored {report.stored} + updated {report.updated} + unchanged {report.unchanged}"
               f" + quarantined {report.quarantined}")


def ingest_command(
    files: Annotated[list[Path], typer.Argument(help="CSV or XLSX files to ingest, in order.")],
    db: Annotated[Path, typer.Option("--db", help="The pipeline store (DuckDB).")] = Path("var/laolink.duckdb"),
    mapping: Annotated[str | None, typer.Option("--mapping", help="Mapping name for every file "
                                                 "(default: chosen per file by its file_pattern).")] = None,
    mappings: Annotated[Path | None, typer.Option("--mappings", help="Extra directory of mapping YAML files.")] = None,
) -> None:
    """Validate and store source files; bad rows go to quarantine. Exit 1 if a file was rejected whole."""
    from linkage.store import open_store

    load_mappings(mappings)  # fail on a bad mapping before opening the store
    with open_store(db) as con:
        report = ingest_files(con, files, mapping=mapping, mappings_dir=mappings)
    print_report(report)
    if report.rejected:
        raise typer.Exit(1)
