"""The nightly job: ingest the inbox, standardize, predict, cluster with decisions, assign IDs, publish.

Every step commits its own work and is safe to repeat, and an unfinished run is resumed
under the same run id, so a run killed at any point is finished by running it again
with exactly the result an uninterrupted run would have had. Readers keep the last
published snapshot until ``publish_snapshot`` swaps in the new one.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from linkage.clusters.clustering import DEFAULT_LINK_THRESHOLD
from linkage.errors import LaoLinkError
from linkage.faults import fault_point
from linkage.model.model_file import model_version
from linkage.model.store_model import DEFAULT_MIN_RECORDS, DEFAULT_RETRAIN_GROWTH, ModelChoice
from linkage.paths import StorePaths, store_paths
from linkage.publishing.publish import publish_snapshot
from linkage.store import sql_literal

log = logging.getLogger("laolink.nightly")



@dataclass
class NightlyConfig:
    inbox: Path
    db: Path
    model: Path | None = None  # None: learn from the store (linkage.model.store_model); a path: score with it
    mappings: Path | None = None  # a deployment's own source mappings, beside the packaged ones
    min_training_records: int = DEFAULT_MIN_RECORDS
    retrain_growth: float = DEFAULT_RETRAIN_GROWTH
    threshold: float = DEFAULT_LINK_THRESHOLD
    review_band: tuple[float, float] | None = None  # None: linkage.clusters.review_queue.review_band(threshold)
    max_pairs: int | None = None
    memory_limit: str = "8GB"
    max_temp_size: str | None = None  # cap on DuckDB's spill files (the disk it may fill)
    threads: int | None = None
    engine: str = "duckdb"  # Splink backend for scoring: duckdb or spark (linkage.model.engines)
    learn_from_decisions: bool = True  # the decisions' classifier (linkage.model.decision_classifier); off: FS alone

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold < 1.0:
            raise LaoLinkError(f"--threshold must lie strictly between 0 and 1 (a match probability), "
                               f"got {self.threshold}")


@dataclass
class RunReport:
    run_id: int
    status: str = "running"
    model_version: str | None = None
    model: dict[str, Any] = field(default_factory=dict)  # which model scored and why (ModelChoice.as_report)
    files: list[dict[str, Any]] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    standardize: dict[str, Any] = field(default_factory=dict)
    pairs_scored: int = 0
    clusters: dict[str, Any] = field(default_factory=dict)
    persons: dict[str, Any] = field(default_factory=dict)
    review_queue: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    error: str | None = None
    resumed: bool = False  # a killed or failed run run again: its counts are the whole run's (night_totals)

    def summary(self) -> list[str]:
        r = self.rows
        p = self.persons
        lines = [
            f"run {self.run_id}: {self.status} (model {self.model_version})",
            *([f"model: {self.model['kind']}, {self.model['reason']}"] if self.model else []),
            f"files {len(self.files)}; rows read {r.get('read', 0)}, stored {r.get('stored', 0)}, "
            f"updated {r.get('updated', 0)}, unchanged {r.get('unchanged', 0)}, "
            f"quarantined {r.get('quarantined', 0)}; files rejected {r.get('rejected_files', 0)}, "
            f"skipped {r.get('skipped_files', 0)}"
            + (f"; posts superseded by a later post {r['posts_superseded']}" if r.get("posts_superseded") else ""),
            f"pairs scored {self.pairs_scored}; persons: new {p.get('created', 0)}, merges {p.get('merged', 0)}, "
            f"splits {p.get('split', 0)}; review queue {self.review_queue}",
            "time: " + ", ".join(f"{k} {v:.1f}s" for k, v in self.seconds.items()),
        ]
        if self.error:
            lines.append(f"error: {self.error}")
        return lines


def _start_or_resume_run(con: duckdb.DuckDBPyConnection, version: str) -> tuple[int, bool]:
    """The latest run if it did not end well (killed, failed), else a new run; and whether it is resumed."""
    latest = con.execute("SELECT run_id, status FROM runs ORDER BY run_id DESC LIMIT 1").fetchall()
    if latest and latest[0][1] != "ok":
        run_id = latest[0][0]
        log.info("resuming run %s (%s)", run_id, latest[0][1])
        con.execute("UPDATE runs SET status = 'running', model_version = ? WHERE run_id = ?", [version, run_id])
        return run_id, True
    return con.execute(
        "INSERT INTO runs (status, model_version) VALUES ('running', ?) RETURNING run_id", [version]
    ).fetchall()[0][0], False


NIGHT_STEPS: tuple[str, ...] = ("ingest", "standardize", "model", "predict", "cluster", "publish")


@dataclass
class StepStart:
    """A step beginning, as a progress display sees it: ``number`` of ``total``, and how far DuckDB's running
    query is (``query_progress()``: percent done, -1 when no query runs or DuckDB cannot tell)."""

    number: int
    total: int
    name: str
    query_progress: Callable[[], float]


class StepTimer:
    """Times steps and tells ``on_step`` (the terminal's progress display) when each begins; logs each."""

    def __init__(self, report: RunReport, on_step: Callable[[StepStart], None] | None = None,
                 con: duckdb.DuckDBPyConnection | None = None) -> None:
        self.report = report
        self.on_step = on_step
        self.con = con

    def _query_progress(self) -> float:
        try:
            return self.con.query_progress() if self.con is not None else -1.0
        except duckdb.Error:  # the run ended and closed its connection
            return -1.0

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        log.info("run %s: %s ...", self.report.run_id, name)
        if self.on_step:
            number = NIGHT_STEPS.index(name) + 1 if name in NIGHT_STEPS else 0
            self.on_step(StepStart(number, len(NIGHT_STEPS), name, self._query_progress))
        start = time.perf_counter()
        fault_point(f"{name}:start")
        yield
        fault_point(f"{name}:end")
        self.report.seconds[name] = round(time.perf_counter() - start, 3)
        log.info("run %s: %s done in %.1fs", self.report.run_id, name, self.report.seconds[name])


def _configure(con: duckdb.DuckDBPyConnection, cfg: NightlyConfig, paths: StorePaths) -> None:
    paths.work_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    con.execute(f"SET memory_limit = {sql_literal(cfg.memory_limit)}")
    con.execute(f"SET temp_directory = {sql_literal(paths.work_dir / 'spill')}")
    # DuckDB writes the changes to the store file (a checkpoint) at the first commit after its log passes 16 MB:
    # at 1M records a night of 1,000 or 10,000 records paid that once or twice in the middle of its steps, each
    # rewriting the same tables' touched row groups (1.1-1.4 s each). A night's log stays under this (16 / 39 /
    # 154 MB for 1,000 / 10,000 / 100,000 new records at 1M), so its changes are written once, when the night
    # closes the store; a killed night's log is replayed when the store is next opened, as before.
    con.execute(f"SET wal_autocheckpoint = {sql_literal(NIGHT_LOG_BEFORE_CHECKPOINT)}")
    if cfg.max_temp_size:
        con.execute(f"SET max_temp_directory_size = {sql_literal(cfg.max_temp_size)}")
    if cfg.threads:
        con.execute(f"SET threads = {int(cfg.threads)}")


NIGHT_LOG_BEFORE_CHECKPOINT = "256MB"
SOURCE_FOLDER = re.compile(r"^[A-Z0-9][A-Z0-9._-]{0,63}$")


def _inbox_files(inbox: Path) -> tuple[list[Path], dict[Path, str], list[dict[str, str]]]:
    """The files to ingest, the source each source folder binds its files to, and what was left in the inbox
    with the reason (so nothing vanishes silently).

    A folder named as a source code (``inbox/MOPS-AHTD/``) holds that source's files only: a row of another
    source in it is quarantined, so a ministry given its own folder cannot write another's records. Other
    folders, and folders inside source folders, are not read. Hidden files are skipped: they are uploads
    still being written or editors' scratch files.
    """
    if not inbox.is_dir():
        raise FileNotFoundError(f"inbox {inbox} is not a directory")
    files, folder_source, skipped = [], {}, []

    def skip(p: Path, reason: str) -> None:
        skipped.append({"path": str(p), "status": "skipped", "reason": reason})

    for p in sorted(inbox.iterdir()):
        if p.name.startswith("."):
            skip(p, "hidden file (name starts with '.')")
        elif p.is_file():
            files.append(p)
        elif not p.is_dir() or not SOURCE_FOLDER.match(p.name):
            skip(p, "not a regular file (only folders named as a source code, e.g. MOPS-AHTD, are read)")
        else:
            for q in sorted(p.iterdir()):
                if q.name.startswith("."):
                    skip(q, "hidden file (name starts with '.')")
                elif not q.is_file():
                    skip(q, "not a regular file (folders inside a source folder are not read)")
                else:
                    files.append(q)
                    folder_source[q] = p.name
    return files, folder_source, skipped


def run_nightly(cfg: NightlyConfig, on_step: Callable[[StepStart], None] | None = None) -> RunReport:
    """Run (or resume) one nightly run; returns its report, also stored in ``runs``."""
    from linkage.store import connect

    paths = store_paths(cfg.db)
    version = model_version(cfg.model) if cfg.model else None  # a learned model's is known after training
    con = connect(paths.db)
    try:
        _configure(con, cfg, paths)
        run_id, resumed = _start_or_resume_run(con, version)
        report = RunReport(run_id=run_id, model_version=version, resumed=resumed)
        if on_step is not None:  # DuckDB keeps count of a query's progress only when asked to (prints nothing)
            con.execute("SET enable_progress_bar = true; SET enable_progress_bar_print = false")
        timer = StepTimer(report, on_step, con)
        try:
            _run_steps(con, cfg, paths, report, timer)
            report.status = "ok"
        except Exception as exc:
            report.status = "failed"
            report.error = f"{type(exc).__name__}: {exc}".splitlines()[0]
            _finish_run(con, report)
            _audit_run(paths, report)
            raise
        _finish_run(con, report)
        _write_report_files(paths, report)
        _audit_run(paths, report)
        fault_point("finish")
        return report
    finally:
        con.close()


def _finish_run(con: duckdb.DuckDBPyConnection, report: RunReport) -> None:
    con.execute(
        "UPDATE runs SET status = ?, finished_at = current_timestamp, report = ? WHERE run_id = ?",
        [report.status, json.dumps(asdict(report)), report.run_id],
    )


def _audit_run(paths: StorePaths, report: RunReport) -> None:
    """A run writes persons: it goes in the audit log like any other write (counts only, no names)."""
    import getpass

    from linkage.service.audit import record_audit
    from linkage.service.service_db import connect_service

    service = connect_service(paths.service_db)
    try:
        record_audit(
            service, action="nightly-run", outcome="ok" if report.status == "ok" else "error",
            actor=getpass.getuser(), actor_kind="cli",
            detail={"run_id": report.run_id, "status": report.status, "rows": report.rows,
                    "persons": report.persons, "error": report.error},
        )
    finally:
        service.close()


def _write_report_files(paths: StorePaths, report: RunReport) -> None:
    runs_dir = paths.work_dir / "runs"
    runs_dir.mkdir(parents=True, exist_ok=True)
    (runs_dir / f"run-{report.run_id:06d}.json").write_text(json.dumps(asdict(report), indent=2), encoding="utf-8")
    (runs_dir / f"run-{report.run_id:06d}.txt").write_text("\n".join(report.summary()) + "\n", encoding="utf-8")


def _waiting_records(paths: StorePaths, run_id: int) -> list[tuple]:
    """Records posted to /match with persist=true that this run ingests."""
    from linkage.service.pending_records import waiting_records
    from linkage.service.service_db import connect_service

    service = connect_service(paths.service_db)
    try:
        return waiting_records(service, run_id)
    finally:
        service.close()


def _mark_pending_ingested(paths: StorePaths, pending_ids: list[int], run_id: int, superseded: dict[int, int]) -> None:
    from linkage.service.pending_records import mark_ingested
    from linkage.service.service_db import connect_service

    service = connect_service(paths.service_db)
    try:
        mark_ingested(service, pending_ids, run_id, superseded)
    finally:
        service.close()


def _records_to_score(con: duckdb.DuckDBPyConnection, version: str) -> tuple[bool, int]:
    """Fill ``nightly_to_score`` with records the current model has not scored as they are now.

    ``version`` names the model and the standardizer version together. Returns (full, count):
    full when any record was scored under another version (a new model or a new
    standardizer re-scores everything) or most records are unscored, else only new and
    changed records are scored.
    """
    other_model, unscored, standardized = con.execute(
        "SELECT count(*) FILTER (WHERE scored_model IS NOT NULL AND scored_model <> ?),"
        " count(*) FILTER (WHERE scored_model IS DISTINCT FROM ? OR scored_version IS DISTINCT FROM version),"
        " count(*) FROM records WHERE std_version IS NOT NULL",
        [version, version],
    ).fetchall()[0]
    # A new model re-scores everything; so does a night that brings most of the records (the first
    # night, a bulk load): scoring "pairs that involve a new record" gains nothing then.
    full = other_model > 0 or 2 * unscored >= standardized
    con.execute(
        "CREATE OR REPLACE TABLE nightly_to_score AS SELECT rid, version FROM records WHERE std_version IS NOT NULL"
        + ("" if full else " AND (scored_model IS DISTINCT FROM ? OR scored_version IS DISTINCT FROM version)"),
        [] if full else [version],
    )
    return full, con.execute("SELECT count(*) FROM nightly_to_score").fetchall()[0][0]


def _scoring_version(model: Path, version: str, store_records: int) -> str:
    """The model ``version``, the standardizer's and the term frequencies' (``person_tf``), with the prior scaled to
    the store of ``store_records`` (``ModelChoice.store_records``): a change of any re-scores all pairs."""
    from linkage.fields.standardize import STD_VERSION
    from linkage.model.model_file import prior_for_store
    from linkage.model.person_tf import TERM_FREQUENCY_VERSION

    prior = prior_for_store(json.loads(model.read_text(encoding="utf-8")), store_records)
    return f"{version}/std{STD_VERSION}/tf{TERM_FREQUENCY_VERSION}/prior{prior:.6g}"


def _choose_model(con: duckdb.DuckDBPyConnection, cfg: NightlyConfig, paths: StorePaths) -> ModelChoice:
    """The model given on the command line, else the store's learned one (trained now if stale or missing)."""
    from linkage.model.model_file import read_given_model
    from linkage.model.store_model import choose_model, standardized_records

    if cfg.model is not None:
        read_given_model(cfg.model)  # refused as it is, before the night scores with it
        n = standardized_records(con)
        return ModelChoice(path=cfg.model, kind="given", trained_this_run=False, store_records=n,
                           reason=f"{cfg.model} given with --model")
    return choose_model(con, paths, min_records=cfg.min_training_records, retrain_growth=cfg.retrain_growth)


def _learn_from_decisions(
    con: duckdb.DuckDBPyConnection, choice: ModelChoice, decisions_table: str, threshold: float
) -> dict:
    """Fit the decisions' classifier over the stored pairs (linkage.model.decision_classifier) and say so in
    the learned model's card; the report's entry."""
    from linkage.model.decision_classifier import learn_from_decisions, write_card_section
    from linkage.model.prediction import comparison_names

    names = comparison_names(json.loads(choice.path.read_text(encoding="utf-8")))
    classifier, combined_pairs = learn_from_decisions(con, decisions_table, names, threshold=threshold)
    if choice.kind == "learned":
        write_card_section(choice.path.with_suffix(".md"), classifier)
    return classifier.as_report() | {"pairs_combined": combined_pairs}


def _register_model(con: duckdb.DuckDBPyConnection, model: Path, version: str, run_id: int) -> None:
    con.execute(
        "INSERT INTO models VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
        [version, str(model), model.read_text(encoding="utf-8"), run_id],
    )


def _run_steps(
    con: duckdb.DuckDBPyConnection, cfg: NightlyConfig, paths: StorePaths, report: RunReport, timer: StepTimer
) -> None:
    from linkage.clusters.clustering import cluster_records
    from linkage.clusters.person_ids import assign_person_ids
    from linkage.clusters.review_queue import build_review_queue, review_band
    from linkage.fields.standardize import standardize
    from linkage.model.consistency_evidence import consistency_for_model_file
    from linkage.model.decision_classifier import APPLIED_FIELDS
    from linkage.model.prediction import predict
    from linkage.night_totals import count_whole_run
    from linkage.publishing.decision_publish import (
        adopt_decision_persons,
        latest_decision_id,
        mark_night_published,
        mark_night_unpublished,
        publish_decisions_locked,
        publish_lock,
    )
    from linkage.service.decisions import load_decisions_into
    from linkage.service.service_db import connect_service
    from linkage.sources.api_records import ingest_api_records, remove_api_record_files
    from linkage.sources.ingest import ingest_files
    from linkage.sources.mapping import load_mappings

    run_id, version = report.run_id, report.model_version
    with timer.step("ingest"):
        if left := remove_api_record_files(paths.work_dir / "pending"):
            log.info("run %s: removed %d files of posted records an earlier attempt left", run_id, left)
        files, folder_source, skipped = _inbox_files(cfg.inbox)
        started = con.execute("SELECT started_at FROM runs WHERE run_id = ?", [run_id]).fetchall()[0][0]
        ingested = ingest_files(con, files, mappings_dir=cfg.mappings, folder_source=folder_source,
                                night_started=started)
        waiting, superseded = _waiting_records(paths, run_id), {}
        if waiting:  # the API let each key store only its own sources' records
            exchange = load_mappings(cfg.mappings)["exchange"]
            posted = ingest_api_records(con, waiting, paths.work_dir / "pending", run_id, exchange, started)
            ingested.files, superseded = ingested.files + posted.files, posted.superseded
        fault_point("ingest:after-files")
        if waiting:
            _mark_pending_ingested(paths, [row[0] for row in waiting], run_id, superseded)
            fault_point("ingest:after-pending")
        report.files = [
            {k: v for k, v in f.__dict__.items() if k != "ignored_headers"} for f in ingested.files
        ] + skipped
        report.rows = {**ingested.totals(), "rejected_files": len(ingested.rejected), "skipped_files": len(skipped),
                       "posts_superseded": len(superseded)}
    with timer.step("standardize"):
        std = standardize(con)
        report.standardize = std.summary()
    with timer.step("model"):
        choice = _choose_model(con, cfg, paths)
        version = report.model_version = model_version(choice.path)
        report.model = choice.as_report()
        con.execute("UPDATE runs SET model_version = ? WHERE run_id = ?", [version, run_id])
    with timer.step("predict"):
        _register_model(con, choice.path, version, run_id)
        scoring = _scoring_version(choice.path, version, choice.store_records)
        full, to_score = _records_to_score(con, scoring)
        if to_score:
            kwargs = {"max_pairs": cfg.max_pairs} if cfg.max_pairs else {}
            predicted = predict(
                con, choice.path, None if full else "nightly_to_score", run_id,
                work_dir=paths.work_dir / "splink", engine=cfg.engine, **kwargs,
            )
            report.pairs_scored = predicted.pairs_stored
            fault_point("predict:after-scoring")
            con.execute("BEGIN TRANSACTION")  # a record scored again lost its old pairs: its component is clustered
            try:
                con.execute("UPDATE records SET scored_model = ?, scored_version = s.version "
                            "FROM nightly_to_score s WHERE records.rid = s.rid", [scoring])
                con.execute("INSERT INTO scored_since_clustering SELECT rid FROM nightly_to_score")
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        else:  # nothing to score (e.g. a first night whose files were all refused): empty tables, same shape
            from linkage.model.prediction import comparison_names, ensure_prediction_tables

            names = comparison_names(json.loads(choice.path.read_text(encoding="utf-8")))
            ensure_prediction_tables(con, names, replace=False)
        con.execute("DROP TABLE nightly_to_score")
    # Held from adopting the served decision snapshot to publishing: no decision is published in between
    # (the server's publisher waits and then re-clusters this night's snapshot).
    with publish_lock(paths):
        mark_night_unpublished(paths)  # until this night is served, decisions wait for it (IDs it may give)
        with timer.step("cluster"):
            adopted = adopt_decision_persons(con, paths)
            service = connect_service(paths.service_db)
            try:
                decisions_through = latest_decision_id(service)  # read first: a later one is published after
                decisions = load_decisions_into(con, service)
            finally:
                service.close()
            if cfg.learn_from_decisions:
                report.model["decision_classifier"] = _learn_from_decisions(con, choice, decisions.table,
                                                                             cfg.threshold)
            fault_point("cluster:after-decisions")
            consistency = consistency_for_model_file(choice.path)
            # a night that scored only its own records clusters only the components they touched; the decisions'
            # classifier re-weighs every stored pair when it changes
            learned = report.model.get("decision_classifier") or {}
            clusters = cluster_records(con, threshold=cfg.threshold, run_id=run_id, decisions_table=decisions.table,
                                       consistency=consistency, incremental=not full, check_persons=adopted > 0,
                                       settings=json.dumps({k: learned.get(k) for k in APPLIED_FIELDS}))
            fault_point("cluster:after-clustering")
            ids = assign_person_ids(con, run_id=run_id, scope=clusters.scope_table)
            fault_point("cluster:after-ids")  # the queue measures again the clusters of the records clustered again
            band, scope = cfg.review_band or review_band(cfg.threshold), None if adopted else clusters.scope_table
            report.review_queue = build_review_queue(con, band=band, run_id=run_id, decisions_table=decisions.table,
                                                     consistency=consistency, scope=scope, since_run=clusters.kept_from)
            if clusters.scope_table:
                con.execute(f"DROP TABLE {clusters.scope_table}")
            # the decision publisher re-clusters this night's snapshot with these settings
            report.clusters = {"threshold": cfg.threshold, "review_band": list(band),
                               "clusters": clusters.clusters, "singletons": clusters.singletons,
                               "largest": clusters.largest_cluster, "decisions": decisions.loaded,
                               "decisions_through": decisions_through, "decision_events_adopted": adopted,
                               "oversized_held_to_stricter_links": clusters.oversized_components,
                               "records_clustered": clusters.records_clustered}
            report.persons = {"created": ids.created, "merged": ids.merged, "split": ids.split, "kept": ids.kept,
                              "retired": ids.retired}
        with timer.step("publish"):
            report.status = "publishing"  # resumable: a run killed while publishing publishes again
            if report.resumed:  # the killed attempt's rows, pairs and persons count too
                count_whole_run(con, report)
            _finish_run(con, report)
            fault_point("publish:after-status")
            publish_snapshot(con, paths, run_id)
            mark_night_published(paths)
            service = connect_service(paths.service_db)
            try:  # the decisions made while the night ran
                publish_decisions_locked(paths, service)
            finally:
                service.close()
