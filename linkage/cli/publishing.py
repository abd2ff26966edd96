"""`laolink export`, `backup` and `restore`: the published result as CSV, and backups of a deployment."""

from __future__ import annotations

import typer

export_app = typer.Typer(help="Export the published result as CSV (formula-safe).", no_args_is_help=True)


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

def backup_command(
    db: str = typer.Option(..., "--db", help="Pipeline store (DuckDB file)."),
    out: str = typer.Option(..., "--out", help="Folder in which a new backup folder is made."),
) -> None:
    """Make a consistent backup (store, service database, published snapshot) while the server runs."""
    from pathlib import Path

    from linkage.publishing.backup import backup

    typer.echo(f"backup written to {backup(db, Path(out))}")


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
