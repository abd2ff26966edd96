"""`laolink blocking report`, `train`, `predict` and `evaluate`: the model steps."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from linkage.cli.errors import StepCommand
from linkage.clusters.clustering import DEFAULT_LINK_THRESHOLD
from linkage.errors import LaoLinkError
from linkage.model.blocking import (
    DEFAULT_MAX_PAIRS,
    PREDICT_RULES,
    check_cap,
    count_pairs,
    format_report,
    load_rules,
)
from linkage.model.blocking_recall import blocking_recall
from linkage.model.evaluation import evaluate, load_truth
from linkage.model.model_input import open_tuned_store, splink_workspace
from linkage.model.prediction import DEFAULT_MODEL, predict
from linkage.model.training import DEFAULT_EM_PAIRS, DEFAULT_SEED, DEFAULT_U_PAIRS, train
from linkage.paths import store_paths
from linkage.store import open_store

blocking_app = typer.Typer(help="Blocking rules: what they cost before anything is scored.", no_args_is_help=True)


@blocking_app.command("report", cls=StepCommand)
def report_command(
    db: Path = typer.Option(Path("var/laolink.duckdb"), "--db", help="Pipeline store."),
    rules: Path = typer.Option(PREDICT_RULES, "--rules", help="Blocking-rules YAML file."),
    max_pairs: int = typer.Option(DEFAULT_MAX_PAIRS, "--max-pairs", help="Refuse rule sets generating more pairs."),
    sample: float = typer.Option(1.0, "--sample", min=0.001, max=1.0, help="Share of records to count on (1 = exact)."),
    truth: Path = typer.Option(
        None, "--truth", help="CSV source,record_id,person_id: also print the share of true pairs the rules find."
    ),
) -> None:
    """Print the comparisons each blocking rule generates, alone and cumulatively; refuse a set over the cap."""
    with open_store(db) as con:
        if truth is not None:
            load_truth(con, truth)
        with splink_workspace(con) as ws:
            n_records = ws.create_model_input()
            counts = count_pairs(ws, load_rules(rules), sample=sample)
            recall = blocking_recall(ws, load_rules(rules)) if truth is not None else None
    typer.echo(format_report(counts, n_records, max_pairs))
    if recall is not None:
        typer.echo("\n".join(recall.lines()))
    check_cap(counts, max_pairs)


def train_command(
    db: Path = typer.Option(Path("var/laolink.duckdb"), "--db", help="Pipeline store."),
    out: Path = typer.Option(..., "--out", help="Model file to write, e.g. models/NAME.json."),
    seed: int = typer.Option(DEFAULT_SEED, "--seed", help="Seed for u sampling (training is deterministic)."),
    decisions: bool = typer.Option(False, "--decisions", help="Also estimate m from stewards' positive decisions."),
    u_max_pairs: float = typer.Option(DEFAULT_U_PAIRS, "--u-max-pairs", help="Random pairs sampled to estimate u."),
    em_max_pairs: float = typer.Option(DEFAULT_EM_PAIRS, "--em-max-pairs", help="Pairs per EM pass (sampled)."),
    describe: str = typer.Option("", "--describe", help="What the data is, for the model card."),
    engine: str = typer.Option("duckdb", "--engine", help="Splink backend: duckdb or spark."),
) -> None:
    """Train the match model on the standardized records; write the model JSON and its model card."""
    with open_tuned_store(db) as (con, paths):
        report = train(
            con,
            out,
            seed=seed,
            service_db=paths.service_db if decisions else None,
            u_max_pairs=u_max_pairs,
            em_max_pairs=em_max_pairs,
            work_dir=paths.work_dir,
            data_description=describe or f"store {paths.db.name}",
            engine=engine,
        )
    typer.echo(
        json.dumps(
            {
                "model": str(report.model_path),
                "model_version": report.model_version,
                "card": str(report.card_path),
                "records": report.n_records,
                "positive_decisions": report.n_positive_decisions,
                "seconds": round(report.seconds, 1),
            }
        )
    )


def predict_command(
    db: Path = typer.Option(Path("var/laolink.duckdb"), "--db", help="Pipeline store."),
    model: Path = typer.Option(DEFAULT_MODEL, "--model", help="Trained model JSON."),
    run_id: int = typer.Option(None, "--run-id", help="Run to record against each stored pair."),
    max_pairs: int = typer.Option(DEFAULT_MAX_PAIRS, "--max-pairs", help="Refuse to score more pairs than this."),
    engine: str = typer.Option("duckdb", "--engine", help="Splink backend: duckdb or spark."),
) -> None:
    """Score candidate pairs and store them, with each comparison's level and weight, in `predictions`."""
    with open_tuned_store(db) as (con, paths):
        report = predict(con, model, run_id=run_id, max_pairs=max_pairs, work_dir=paths.work_dir, engine=engine)
    typer.echo(json.dumps({k: v for k, v in report.__dict__.items()} | {"seconds": round(report.seconds, 1)}))


def evaluate_command(
    db: Path = typer.Option(Path("var/laolink.duckdb"), "--db", help="Pipeline store."),
    truth: Path = typer.Option(None, "--truth", help="CSV with source,record_id,person_id."),
    decisions: bool = typer.Option(False, "--decisions", help="Also score against the stewards' decisions."),
    threshold: float = typer.Option(DEFAULT_LINK_THRESHOLD, "--threshold", min=0.0, max=1.0, help="Match probability."),
    out_dir: Path = typer.Option(None, "--out-dir", help="Where to write the charts (default <db dir>/evaluation)."),
) -> None:
    """Pairwise and cluster precision/recall/F1 of the stored predictions; PR chart and weight histogram."""
    if truth is None and not decisions:
        raise LaoLinkError("give --truth FILE and/or --decisions")
    paths = store_paths(db)
    with open_store(db) as con:
        report = evaluate(
            con,
            truth_path=truth,
            service_db=paths.service_db if decisions else None,
            threshold=threshold,
            out_dir=out_dir or paths.db.parent / "evaluation",
        )
    typer.echo(json.dumps(report, indent=2, default=float))
