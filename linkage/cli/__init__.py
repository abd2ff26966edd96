"""The `laolink` command line: one subcommand per pipeline step, and `nightly` that runs them all."""

from __future__ import annotations

import typer

from linkage.sources.ingest import ingest_command

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


app.command("ingest")(ingest_command)

from linkage.model.blocking import blocking_app  # noqa: E402
from linkage.model.evaluation import evaluate_command  # noqa: E402
from linkage.model.prediction import predict_command  # noqa: E402
from linkage.model.training import train_command  # noqa: E402

app.add_typer(blocking_app, name="blocking")
app.command("train")(train_command)
app.command("predict")(predict_command)
app.command("evaluate")(evaluate_command)


@app.command("standardize")
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


export_app = typer.Typer(help="Export the published result as CSV (formula-safe).", no_args_is_help=True)
app.add_typer(export_app, name="export")


@export_app.command("clusters")
def export_clusters_command(
    db: str = typer.Option(..., "--db", help="Pipeline store (DuckDB file)."),
    out: str = typer.Option(..., "--out", help="CSV file to write."),
) -> None:
    """Write source,record_id,person_id for every stored record."""
    from pathlib import Path

    from linkage.publishing.export import export_clusters

    typer.echo(f"wrote {export_clusters(db, Path(out))} rows to {out}")


@export_app.command("persons")
def export_persons_command(
    db: str = typer.Option(..., "--db", help="Pipeline store (DuckDB file)."),
    out: str = typer.Option(..., "--out", help="CSV file to write."),
) -> None:
    """Write one summary row per person."""
    from pathlib import Path

    from linkage.publishing.export import export_persons

    typer.echo(f"wrote {export_persons(db, Path(out))} rows to {out}")


@app.command("backup")
def backup_command(
    db: str = typer.Option(..., "--db", help="Pipeline store (DuckDB file)."),
    out: str = typer.Option(..., "--out", help="Folder in which a new backup folder is made."),
) -> None:
    """Make a consistent backup (store, service database, published snapshot) while the server runs."""
    from pathlib import Path

    from linkage.publishing.backup import backup

    typer.echo(f"backup written to {backup(db, Path(out))}")


@app.command("restore")
def restore_command(
    backup_dir: str = typer.Argument(..., help="A folder made by `laolink backup`."),
    db: str = typer.Option(..., "--db", help="Where to restore the pipeline store."),
    force: bool = typer.Option(False, "--force", help="Replace an existing store."),
) -> None:
    """Restore a backup made by `laolink backup`."""
    from pathlib import Path

    from linkage.publishing.backup import restore

    paths = restore(Path(backup_dir), db, force=force)
    typer.echo(f"restored to {paths.db}")


@app.command("nightly")
def nightly_command(
    inbox: str = typer.Option(..., "--inbox", help="Folder of ministry files to ingest."),
    db: str = typer.Option(..., "--db", help="Pipeline store (DuckDB file)."),
    model: str = typer.Option(None, "--model", help="Splink model JSON (default: models/demo.json)."),
    threshold: float = typer.Option(0.8, "--threshold", help="Match probability that links two records."),
    memory_limit: str = typer.Option("8GB", "--memory-limit", help="DuckDB memory limit; beyond it DuckDB spills."),
    max_temp_size: str = typer.Option(None, "--max-temp-size", help="Cap on DuckDB's spill files, e.g. 50GB."),
    max_pairs: int = typer.Option(None, "--max-pairs", help="Stop before scoring if blocking gives more pairs."),
    engine: str = typer.Option("duckdb", "--engine", help="Splink backend for scoring: duckdb or spark."),
) -> None:
    """Run the whole night: ingest, standardize, predict, cluster with decisions, assign IDs, publish."""
    import logging
    import sys
    from pathlib import Path

    from rich.console import Console

    from linkage.nightly import DEFAULT_MODEL, NightlyConfig, run_nightly

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", stream=sys.stderr)
    cfg = NightlyConfig(
        inbox=Path(inbox), db=Path(db), model=Path(model) if model else DEFAULT_MODEL,
        threshold=threshold, memory_limit=memory_limit, max_temp_size=max_temp_size,
        max_pairs=max_pairs, engine=engine,
    )
    console = Console(stderr=True)
    try:
        if console.is_terminal:
            with console.status("nightly run") as status:
                report = run_nightly(cfg, on_step=lambda step: status.update(f"nightly run: {step}"))
        else:
            report = run_nightly(cfg)
    except Exception as exc:  # one-line reason, non-zero exit
        typer.echo(f"nightly run failed: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}",
                   err=True)
        raise typer.Exit(1) from None
    for line in report.summary():
        typer.echo(line)

from linkage.serve import serve_command  # noqa: E402
from linkage.users_cli import audit_app, keys_app, users_app  # noqa: E402

app.command("serve")(serve_command)
app.add_typer(users_app, name="users")
app.add_typer(keys_app, name="keys")
app.add_typer(audit_app, name="audit")

from linkage.demo_data.generate import demo_data_command  # noqa: E402

app.command("demo-data")(demo_data_command)

from linkage.decisions_cli import decisions_app  # noqa: E402

app.add_typer(decisions_app, name="decisions")
