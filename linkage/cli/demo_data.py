"""`laolink demo-data`: write one night's synthetic source files (see :mod:`linkage.demo_data.generate`)."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from linkage.demo_data.generate import generate


def demo_data_command(
    out: Path = typer.Option(..., "--out", help="Directory to write the files into (created if missing)."),
    persons: int = typer.Option(2000, "--persons", help="Number of invented persons on night 1."),
    seed: int = typer.Option(7, "--seed", help="Random seed: the same arguments give the same bytes."),
    night: int = typer.Option(1, "--night", help="Write the files arriving on this night (1 = the base)."),
) -> None:
    """Write synthetic demo source files (never real people), truth.csv and expected_quarantine.csv."""
    start = time.perf_counter()
    try:
        written = generate(out, persons, seed, night, on_file=lambda path, n: typer.echo(f"{path}: {n} rows"))
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    typer.echo(f"{sum(written.values())} rows in {len(written)} files, night {night}, "
               f"{time.perf_counter() - start:.1f}s")
