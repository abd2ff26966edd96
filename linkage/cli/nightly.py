"""`laolink nightly`: run every step of the night."""

from __future__ import annotations

import typer

from linkage.clusters.clustering import DEFAULT_LINK_THRESHOLD
from linkage.model.store_model import DEFAULT_MIN_RECORDS, DEFAULT_RETRAIN_GROWTH


def nightly_command(
    inbox: str = typer.Option(..., "--inbox", help="Folder of ministry files to ingest."),
    db: str = typer.Option(..., "--db", help="Pipeline store (DuckDB file)."),
    model: str = typer.Option(
        None, "--model", help="Score with this Splink model JSON (default: learn one from the store's own records)."
    ),
    mappings: str = typer.Option(None, "--mappings", help="Extra directory of mapping YAML files."),
    min_training_records: int = typer.Option(
        DEFAULT_MIN_RECORDS, "--min-training-records", help="Below this store size, score with the shipped model."
    ),
    retrain_growth: float = typer.Option(
        DEFAULT_RETRAIN_GROWTH, "--retrain-growth", min=0.0, help="Retrain when the store grew by this share."
    ),
    threshold: float = typer.Option(
        DEFAULT_LINK_THRESHOLD, "--threshold", help="Match probability that links two records."
    ),
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

    from linkage.nightly import NightlyConfig, run_nightly

    cfg = NightlyConfig(
        inbox=Path(inbox), db=Path(db), model=Path(model) if model else None,
        mappings=Path(mappings) if mappings else None, min_training_records=min_training_records,
        retrain_growth=retrain_growth,
        threshold=threshold, memory_limit=memory_limit, max_temp_size=max_temp_size,
        max_pairs=max_pairs, engine=engine,
    )
    console = Console(stderr=True)
    if console.is_terminal:  # a failure is reported in one line by linkage.cli.errors.NightlyCommand
        from linkage.cli.night_progress import NightProgress, log_to_console

        log_to_console(console)
        with NightProgress(console) as progress:
            report = run_nightly(cfg, on_step=progress)
    else:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", stream=sys.stderr)
        report = run_nightly(cfg)
    for line in report.summary():
        typer.echo(line)
