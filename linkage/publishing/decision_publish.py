"""Decisions shown at once: re-cluster the published night with the decisions made since, and publish that.

A steward's decision changes clusters only; the model's scores stay as the night stored them. So the
snapshot readers are served is copied, clustered again from its own ``predictions`` with every current
decision (the nightly's clustering, person ID rules and review queue, run by the same functions), given
new person documents, and swapped in as ``CURRENT`` exactly as a night is published
(:mod:`linkage.publishing.publish`): readers see the whole previous snapshot or the whole new one. ID
events written here carry ``detail.cause = "decision"`` and the base night's run id. The file is named
``run-<night>_d<last decision id>_p<publish number>.duckdb`` (:func:`linkage.publishing.publish.snapshot_path`).

The next nightly clusters the store with the same decisions and reaches the same clusters. It first takes
the persons of such a snapshot into the store (:func:`adopt_decision_persons`), so an ID given after a
decision keeps its meaning. Re-publishing runs under ``<published>/publish.lock``; the nightly holds the same
lock (:func:`publish_lock`) from adopting through publishing, then re-applies the decisions made meanwhile.
The clustering threshold and review band are the night's, read from its run report in the snapshot.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from linkage.clusters.clustering import cluster_records
from linkage.clusters.person_ids import assign_person_ids
from linkage.clusters.review_queue import build_review_queue, item_ids_given
from linkage.model.consistency_evidence import consistency_for_model
from linkage.paths import StorePaths
from linkage.publishing.person_docs import build_person_docs, docs_built_from, docs_path
from linkage.publishing.publish import (
    _remove_leftovers,
    _unfinished,
    current_snapshot,
    point_readers_at,
    snapshot_identity,
    snapshot_path,
)
from linkage.service.decisions import load_decisions_into
from linkage.store import sequence_drawn, sql_literal

CAUSE = {"cause": "decision"}
# The review band of nights whose run report does not carry it (reports before it was added).
LEGACY_REVIEW_BAND = (0.3, 0.8)
_BY_DECISION = "detail->>'cause' = 'decision'"


def _night_marker(paths: StorePaths) -> Path:
    return paths.published_dir / "night-unpublished"


def mark_night_unpublished(paths: StorePaths) -> None:
    """A night is between taking the decisions in and publishing (under :func:`publish_lock`). A night killed
    there leaves the mark: it may have given person IDs the served snapshot does not know, so decisions wait for
    the resumed night, which publishes them after its own snapshot, instead of numbering new IDs over the old
    snapshot (the same number would name two persons). :func:`mark_night_published` removes it."""
    paths.published_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    _night_marker(paths).write_text("a night is between clustering and publishing\n", encoding="utf-8")


def night_unpublished(paths: StorePaths) -> bool:
    """Whether a night left the mark of :func:`mark_night_unpublished` (decisions wait for it)."""
    return _night_marker(paths).exists()


def mark_night_published(paths: StorePaths) -> None:
    """The night's snapshot is served: decisions are published over it again."""
    _night_marker(paths).unlink(missing_ok=True)


@contextmanager
def publish_lock(paths: StorePaths) -> Iterator[None]:
    """Hold ``<published>/publish.lock``: one publisher (a night or a decision) at a time, across processes."""
    paths.published_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(paths.published_dir / "publish.lock", "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def publish_decisions(paths: StorePaths, service_con: sqlite3.Connection) -> Path | None:
    """Publish the current snapshot re-clustered with every current decision; its path, None before a night.

    Nothing is written when the snapshot being served already has the latest decision.
    """
    with publish_lock(paths):
        return publish_decisions_locked(paths, service_con)


def publish_decisions_locked(paths: StorePaths, service_con: sqlite3.Connection) -> Path | None:
    """:func:`publish_decisions` for a caller that holds :func:`publish_lock` already (the nightly)."""
    _remove_leftovers(paths)  # a killed attempt's files go before this one writes
    current = current_snapshot(paths)
    if current is None or not current.exists():
        return None
    if night_unpublished(paths):  # a night killed before publishing: its resumed run publishes the decisions
        return current
    last = latest_decision_id(service_con)
    served = _served(current)
    if last <= served.decisions_through:
        return current
    final = snapshot_path(paths, served.night, last)
    tmp = _unfinished(final)
    old_umask = os.umask(0o077)
    try:
        shutil.copyfile(current, tmp)
    finally:
        os.umask(old_umask)
    try:
        changed = _recluster(tmp, service_con, served, last)
        previous_docs = docs_built_from(current)
        if previous_docs is None:
            build_person_docs(tmp, docs_path(final))
        else:  # only the documents of the persons the decisions changed are written again
            build_person_docs(tmp, docs_path(final), previous=previous_docs, person_ids=changed)
        os.replace(tmp, final)
    finally:  # a failed attempt leaves neither the file nor its log
        for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
            leftover.unlink(missing_ok=True)
    point_readers_at(paths, final)
    return final


def latest_decision_id(service_con: sqlite3.Connection) -> int:
    """The newest decision's id (0 for none): a snapshot clustered with decisions through it has them all."""
    return service_con.execute("SELECT coalesce(max(decision_id), 0) FROM decisions").fetchone()[0]


@dataclass(frozen=True)
class ServedSnapshot:
    night: int  # the nightly run it was published from
    decisions_through: int  # the newest decision its clusters have
    from_decisions: bool  # re-clustered here after the night (persons the store does not have yet)
    item_ids_through: int = 0  # the highest queue item id given by it or before it


# served_decisions_through's answer by snapshot_identity, for the snapshot served now
_through_by_snapshot: dict[str, int] = {}
_through_lock = threading.Lock()


def served_decisions_through(con: duckdb.DuckDBPyConnection) -> int:
    """The newest decision the snapshot ``con`` opened (or a cursor of it) was clustered with; 0 for none.

    Every person page, ``/queue/next`` and split or merge asks: read once per snapshot (by its
    :func:`snapshot_identity`, known without a query for the API's cursors), not by 3-4 queries a request."""
    identity = snapshot_identity(con)
    with _through_lock:
        known = _through_by_snapshot.get(identity)
    if known is not None:
        return known
    through = _decisions_through(con, "main", _snapshot_info(con, "main"))
    if identity:  # a file (an in-memory database has no identity to tell it by)
        with _through_lock:
            _through_by_snapshot.clear()  # an older snapshot's: the newest is asked about from now on
            _through_by_snapshot[identity] = through
    return through


def _served(snapshot: Path) -> ServedSnapshot:
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        return _served_in(con, "main")
    finally:
        con.close()


def _served_in(con: duckdb.DuckDBPyConnection, database: str) -> ServedSnapshot:
    """What ``database`` (a snapshot attached to ``con``, or ``main``: the file ``con`` opened) was clustered
    from, and the highest queue item id given by it or before it."""
    info = _snapshot_info(con, database)
    # a snapshot published before it kept the mark: its queue's highest item
    items = max(info.get("item_ids_through") or 0, con.execute(
        f"SELECT coalesce(max(item_id), 0) FROM {database}.review_queue").fetchall()[0][0])
    return ServedSnapshot(info["run_id"], _decisions_through(con, database, info),
                          from_decisions=info.get("decisions_through") is not None, item_ids_through=items)


def _snapshot_info(con: duckdb.DuckDBPyConnection, database: str) -> dict[str, Any]:
    """The row of ``database``'s ``snapshot_info`` by column: an older snapshot lacks the later columns."""
    reader = con.execute(f"SELECT * FROM {database}.snapshot_info")
    return dict(zip([d[0] for d in reader.description], reader.fetchall()[0], strict=True))


def _decisions_through(con: duckdb.DuckDBPyConnection, database: str, info: dict[str, Any]) -> int:
    """The newest decision ``database``'s clusters have (``info``: its ``snapshot_info``): a decision snapshot
    says; a night's run report says which decisions it loaded (a night published before reports said so: none)."""
    if info.get("decisions_through") is not None:
        return int(info["decisions_through"])
    return int(_night_clusters(con, database, info["run_id"]).get("decisions_through") or 0)


def _night_clusters(con: duckdb.DuckDBPyConnection, database: str, night: int) -> dict[str, Any]:
    """The ``clusters`` part of night ``night``'s run report (its threshold, review band, decisions)."""
    rows = con.execute(f"SELECT report FROM {database}.runs WHERE run_id = ?", [night]).fetchall()
    report = json.loads(rows[0][0]) if rows and rows[0][0] else {}
    return report.get("clusters") or {}


def adopt_decision_persons(con: duckdb.DuckDBPyConnection, paths: StorePaths) -> int:
    """Take the persons, record assignments and decision ID events of the decision snapshot being served
    into the store (``con``), before a night clusters; the number of ID events taken. Whatever snapshot is
    served, the store's queue items are numbered above every item id it gave (``item_ids_through``).

    Such a snapshot holds what its night would have written had the decisions been there, so the night
    starts from it, and the IDs given at decisions keep their records instead of being numbered again.
    Taken only while the store is still at that night (its last finished run, no later ID event): a resumed
    night takes it again only before it assigned IDs. The caller holds :func:`publish_lock`.
    """
    current = current_snapshot(paths)
    if current is None or not current.exists():
        return 0
    store_night = con.execute("SELECT max(run_id) FROM runs WHERE status = 'ok'").fetchall()[0][0]
    con.execute(f"ATTACH {sql_literal(current)} AS decided (READ_ONLY)")
    try:
        served = _served_in(con, "decided")
        _draw_past(con, "review_item_seq", served.item_ids_through)
        later = con.execute("SELECT count(*) FROM id_history WHERE run_id > ?", [served.night]).fetchall()[0][0]
        if not served.from_decisions or served.night != store_night or later:
            return 0
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute("DELETE FROM record_person")
            con.execute("INSERT INTO record_person (rid, person_id) SELECT rid, person_id FROM decided.record_person")
            con.execute("DELETE FROM persons")
            con.execute("INSERT INTO persons BY NAME SELECT * FROM decided.persons")
            con.execute(f"DELETE FROM id_history WHERE run_id = ? AND {_BY_DECISION}", [served.night])
            # under the event IDs the snapshot served them with (numbered after the night's, which the store
            # has), also when a night killed after adopting adopts again
            con.execute("INSERT INTO id_history BY NAME SELECT * FROM decided.id_history"
                        f" WHERE run_id = ? AND {_BY_DECISION} ORDER BY event_id", [served.night])
            adopted, last_event = con.execute(f"SELECT count(*), max(event_id) FROM id_history WHERE run_id = ? AND"
                                              f" {_BY_DECISION}", [served.night]).fetchall()[0]
            _draw_past(con, "id_event_seq", last_event)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    finally:
        con.execute("DETACH decided")
    return adopted


def _draw_past(con: duckdb.DuckDBPyConnection, sequence: str, value: int | None) -> None:
    """Make ``sequence`` give numbers above ``value`` (DuckDB has no setval: the numbers up to it are drawn)."""
    drawn = sequence_drawn(con, sequence)
    if drawn is None:
        raise LookupError(f"the store has no sequence {sequence}")
    behind = (value or 0) - drawn
    if behind > 0:
        con.execute(f"SELECT max(nextval('{sequence}')) FROM range(?)", [behind])


def _recluster(snapshot: Path, service_con: sqlite3.Connection, served: ServedSnapshot, last_decision: int
               ) -> list[str]:
    """Cluster, assign IDs and rebuild the queue inside a copied snapshot file (of the snapshot ``served`` was read
    from), as the nightly does; return the persons whose records or history changed."""
    night = served.night
    con = duckdb.connect(str(snapshot))
    try:
        _restore_store_defaults(con, served.item_ids_through)
        decisions = load_decisions_into(con, service_con)
        model = con.execute("SELECT settings_json FROM models ORDER BY first_used_run_id DESC LIMIT 1").fetchall()
        consistency = consistency_for_model(json.loads(model[0][0]) if model else {})
        settings = _night_clusters(con, "main", night)
        if "threshold" not in settings:
            raise ValueError(f"{snapshot.name}: the run report of night {night} does not say its clustering threshold")
        band = settings.get("review_band") or LEGACY_REVIEW_BAND
        cluster_records(con, threshold=float(settings["threshold"]), run_id=night, decisions_table=decisions.table,
                        consistency=consistency)
        first_event = con.execute("SELECT coalesce(max(event_id), 0) FROM id_history").fetchall()[0][0]
        con.execute("CREATE TEMP TABLE _persons_before AS SELECT rid, person_id FROM record_person")
        assign_person_ids(con, run_id=night)
        con.execute("UPDATE id_history SET detail = json_merge_patch(coalesce(detail, '{}'), ?) WHERE event_id > ?",
                    [json.dumps(CAUSE), first_event])
        # a person's document changes with its records or its history: both read, neither trusted alone
        changed = [r[0] for r in con.execute(
            "SELECT person_id FROM id_history WHERE event_id > $1 UNION SELECT other_person_id FROM id_history"
            " WHERE event_id > $1 AND other_person_id IS NOT NULL"
            " UNION SELECT person_id FROM (SELECT * FROM _persons_before EXCEPT SELECT * FROM record_person)"
            " UNION SELECT person_id FROM (SELECT * FROM record_person EXCEPT SELECT * FROM _persons_before)",
            [first_event]).fetchall()]
        build_review_queue(con, band=(float(band[0]), float(band[1])), run_id=night, decisions_table=decisions.table,
                           consistency=consistency)
        con.execute("DROP TABLE record_cluster")
        con.execute("ALTER TABLE snapshot_info ADD COLUMN IF NOT EXISTS decisions_through BIGINT")
        con.execute("ALTER TABLE snapshot_info ADD COLUMN IF NOT EXISTS item_ids_through BIGINT")
        con.execute("UPDATE snapshot_info SET decisions_through = ?, item_ids_through = ?,"
                    " published_at = CAST(current_timestamp AS TIMESTAMP)", [last_decision, item_ids_given(con)])
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return changed


def _restore_store_defaults(con: duckdb.DuckDBPyConnection, item_ids_through: int) -> None:
    """What a snapshot's copied tables lack for the nightly's steps: ``record_cluster`` (filled by clustering)
    and the defaults of ``id_history`` and ``review_queue`` (a copied table has none); items are numbered above
    ``item_ids_through``, the highest item id given before (an item that left the queue keeps its id unused)."""
    con.execute("CREATE TABLE record_cluster (rid BIGINT NOT NULL, cluster_key BIGINT NOT NULL)")
    con.execute("ALTER TABLE review_queue ADD COLUMN IF NOT EXISTS reasons JSON")  # a night before migration 10
    con.execute("ALTER TABLE review_queue ALTER COLUMN reason DROP NOT NULL")
    for table, column, sequence in (("id_history", "event_id", "id_event_seq"),
                                    ("review_queue", "item_id", "review_item_seq")):
        # made again after the table's rows: a night's snapshot is a copy of the last one, so a sequence an
        # earlier decision publish made there is behind the events and items the nights added since
        start = con.execute(f"SELECT coalesce(max({column}), 0) + 1 FROM {table}").fetchall()[0][0]
        if table == "review_queue":
            start = max(start, item_ids_through + 1)
        con.execute(f"ALTER TABLE {table} ALTER COLUMN {column} DROP DEFAULT")
        con.execute(f"DROP SEQUENCE IF EXISTS {sequence}")
        con.execute(f"CREATE SEQUENCE {sequence} START {int(start)}")
        con.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET DEFAULT nextval('{sequence}')")
    con.execute('ALTER TABLE id_history ALTER COLUMN "at" SET DEFAULT current_timestamp')

