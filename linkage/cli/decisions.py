"""`laolink decisions`: record and inspect steward decisions from a terminal (the API does the same)."""

from __future__ import annotations

import typer

decisions_app = typer.Typer(help="Steward decisions about pairs of records (same person, not the same, unsure).")


@decisions_app.command("add")
def add_decision_command(
    source_a: str = typer.Argument(..., help="Source of the first record."),
    record_id_a: str = typer.Argument(..., help="Record id of the first record in its source."),
    source_b: str = typer.Argument(..., help="Source of the second record."),
    record_id_b: str = typer.Argument(..., help="Record id of the second record in its source."),
    judgement: str = typer.Argument(..., help="positive (same person), negative (not the same) or unsure."),
    db: str = typer.Option(..., "--db", help="Pipeline store path; decisions go to its service DB."),
    by: str = typer.Option(..., "--by", help="Who decided."),
    note: str = typer.Option(None, "--note", help="Why, in a few words."),
    expected: int = typer.Option(
        None, "--expected", help="Decision id you saw as current (0: you saw none); refused if it changed."
    ),
) -> None:
    """Record a decision; it applies from the next nightly run."""
    from linkage.paths import store_paths
    from linkage.service.decisions import decide
    from linkage.service.service_db import connect_service

    service = connect_service(store_paths(db).service_db)
    try:
        decision = decide(
            service, (source_a, record_id_a, source_b, record_id_b), judgement, by, note=note, expected_current=expected
        )
    finally:
        service.close()
    typer.echo(
        f"decision {decision.decision_id}: {decision.source_l}/{decision.record_id_l} and "
        f"{decision.source_r}/{decision.record_id_r} {decision.judgement} by {decision.decided_by}"
        + (f" (supersedes {decision.supersedes})" if decision.supersedes else "")
    )


@decisions_app.command("conflicts")
def conflicts_command(db: str = typer.Option(..., "--db", help="Pipeline store path.")) -> None:
    """List pairs on which stewards disagree (each also goes on the review queue)."""
    from linkage.paths import store_paths
    from linkage.service.decisions import decision_conflicts
    from linkage.service.service_db import connect_service

    service = connect_service(store_paths(db).service_db)
    try:
        conflicts = decision_conflicts(service)
    finally:
        service.close()
    for ds in conflicts:
        first = ds[0]
        views = "; ".join(f"{d.decided_by} said {d.judgement} (decision {d.decision_id})" for d in ds)
        typer.echo(f"{first.source_l}/{first.record_id_l} and {first.source_r}/{first.record_id_r}: {views}")
    typer.echo(f"{len(conflicts)} pair(s) in conflict")
