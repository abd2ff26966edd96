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
