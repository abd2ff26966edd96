"""The `laolink` command line: one subcommand per pipeline step, and `nightly` that runs them all.

Each group of commands is a module of this package; the step modules they call take plain arguments.
"""

from __future__ import annotations

import typer

from linkage.cli.decisions import decisions_app
from linkage.cli.demo_data import demo_data_command
from linkage.cli.errors import ErrorReportingGroup, NightlyCommand, StepCommand
from linkage.cli.fields import standardize_command
from linkage.cli.gazetteer import gazetteer_app
from linkage.cli.model import blocking_app, evaluate_command, predict_command, train_command
from linkage.cli.mse import mse_command
from linkage.cli.nightly import nightly_command
from linkage.cli.publishing import backup_command, export_app, restore_command
from linkage.cli.serve import serve_command
from linkage.cli.service import audit_app, keys_app, users_app
from linkage.cli.sources import ingest_command
from linkage.cli.stats import stats_command
from linkage.cli.std import std_app
from linkage.cli.vocabulary import vocabulary_app

app = typer.Typer(
    name="laolink",
    help="LaoLink: link Lao anti-trafficking records into person clusters.",
    no_args_is_help=True,
    add_completion=False,
    cls=ErrorReportingGroup,
)


@app.command("version")
def version() -> None:
    """Print the LaoLink version."""
    from linkage import __version__

    typer.echo(__version__)


app.command("ingest", cls=StepCommand)(ingest_command)
app.add_typer(blocking_app, name="blocking")
app.command("train", cls=StepCommand)(train_command)
app.command("predict", cls=StepCommand)(predict_command)
app.command("evaluate", cls=StepCommand)(evaluate_command)
app.command("standardize")(standardize_command)
app.add_typer(gazetteer_app, name="gazetteer")
app.add_typer(vocabulary_app, name="vocabulary")
app.add_typer(std_app, name="std")
app.add_typer(export_app, name="export")
app.command("backup")(backup_command)
app.command("restore")(restore_command)
app.command("nightly", cls=NightlyCommand)(nightly_command)
app.command("serve")(serve_command)
app.add_typer(users_app, name="users")
app.add_typer(keys_app, name="keys")
app.add_typer(audit_app, name="audit")
app.command("demo-data")(demo_data_command)
app.add_typer(decisions_app, name="decisions")
app.command("mse")(mse_command)
app.command("stats")(stats_command)
