"""Decisions shown at once: re-cluster the published night with the decisions made since, and publish that.

A steward's decision changes clusters only; the model's scores stay as the night stored them. So the
snapshot readers are served is copied, clustered again from its own ``predictions`` with every current
decision (the nightly's clustering, person ID rules and review queue, run by the same functions), given
new person documents, and swapped in as ``CURRENT`` exactly as a night is published
(:mod:`linkage.publishing.publish`): readers see the whole previous snapshot or the whole new one. ID
events written here carry ``detail.cause = "decision"`` and the base night's run id. The file is named
``run-<night>_d<last decision id>.duckdb``, after its night and before the next one.

The next nightly clusters the store with the same decisions and reaches the same clusters. It first takes
the persons of such a snapshot into the store (:func:`adopt_decision_persons`), so an ID given after a
decision keeps its meaning. Re-publishing runs under ``<published>/publish.lock``; nightly publishing takes
the same lock (:func:`publish_lock`).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from linkage.clusters.clustering import cluster_records
from linkage.clusters.person_ids import assign_person_ids
from linkage.clusters.review_queue import build_review_queue
from linkage.model.birth_evidence import consistency_for_model
from linkage.paths import StorePaths
from linkage.publishing.person_docs import build_person_docs, docs_built_from, docs_path
from linkage.publishing.publish import _fsync, _remove_old_snapshots, current_snapshot
from linkage.service.decisions import load_decisions_into

# As the nightly clusters (linkage.nightly.NightlyConfig's defaults).
THRESHOLD = 0.8
REVIEW_BAND = (0.3, 0.8)
CAUSE = {"cause": "decision"}


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
        current = current_snapshot(paths)
        if current is None or not current.exists():
            return None
        last = service_con.execute("SELECT coalesce(max(decision_id), 0) FROM decisions").fetchone()[0]
        night = _snapshot_run(current)
        final = paths.published_dir / f"run-{night:06d}_d{last:09d}.duckdb"
        if final == current:
            return current
        tmp = final.with_suffix(".duckdb.tmp")
        old_umask = os.umask(0o077)
        try:
            shutil.copyfile(current, tmp)
        finally:
            os.umask(old_umask)
        try:
            changed = _recluster(tmp, service_con, night, last)
            previous_docs = docs_built_from(current)
            if previous_docs is None:
                build_person_docs(tmp, docs_path(final))
            else:  # only the documents of the persons the decisions changed are written again
                build_person_docs(tmp, docs_path(final), previous=previous_docs, person_ids=changed)
            os.replace(tmp, final)
        finally:
            tmp.unlink(missing_ok=True)
        _point_readers_at(paths, final)
        return final


def _snapshot_run(snapshot: Path) -> int:
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        return con.execute("SELECT run_id FROM snapshot_info").fetchall()[0][0]
    finally:
        con.close()


def _recluster(snapshot: Path, service_con: sqlite3.Connection, night: int, last_decision: int) -> list[str]:
    """Cluster, assign IDs and rebuild the queue inside a copied snapshot file, as the nightly does; return
    the persons whose records or history changed."""
    con = duckdb.connect(str(snapshot))
    try:
        _restore_store_defaults(con)
        decisions = load_decisions_into(con, service_con)
        model = con.execute("SELECT settings_json FROM models ORDER BY first_used_run_id DESC LIMIT 1").fetchall()
        consistency = consistency_for_model(json.loads(model[0][0]) if model else {})
        cluster_records(con, threshold=THRESHOLD, run_id=night, decisions_table=decisions.table,
                        consistency=consistency)
        first_event = con.execute("SELECT coalesce(max(event_id), 0) FROM id_history").fetchall()[0][0]
        assign_person_ids(con, run_id=night)
        con.execute("UPDATE id_history SET detail = json_merge_patch(coalesce(detail, '{}'), ?) WHERE event_id > ?",
                    [json.dumps(CAUSE), first_event])
        changed = [r[0] for r in con.execute(
            "SELECT person_id FROM id_history WHERE event_id > $1 UNION SELECT other_person_id FROM id_history"
            " WHERE event_id > $1 AND other_person_id IS NOT NULL", [first_event]).fetchall()]
        build_review_queue(con, band=REVIEW_BAND, run_id=night, decisions_table=decisions.table)
        con.execute("DROP TABLE record_cluster")
        con.execute("ALTER TABLE snapshot_info ADD COLUMN IF NOT EXISTS decisions_through BIGINT")
        con.execute("UPDATE snapshot_info SET decisions_through = ?, published_at = CAST(current_timestamp AS"
                    " TIMESTAMP)", [last_decision])
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return changed


def _restore_store_defaults(con: duckdb.DuckDBPyConnection) -> None:
    """What a snapshot's copied tables lack for the nightly's steps: ``record_cluster`` (filled by clustering)
    and the defaults of ``id_history`` and ``review_queue`` (a copied table has none)."""
    con.execute("CREATE TABLE record_cluster (rid BIGINT NOT NULL, cluster_key BIGINT NOT NULL)")
    con.execute("ALTER TABLE review_queue ADD COLUMN IF NOT EXISTS reasons JSON")  # a night before migration 10
    con.execute("ALTER TABLE review_queue ALTER COLUMN reason DROP NOT NULL")
    for table, column, sequence in (("id_history", "event_id", "id_event_seq"),
                                    ("review_queue", "item_id", "review_item_seq")):
        start = con.execute(f"SELECT coalesce(max({column}), 0) + 1 FROM {table}").fetchall()[0][0]
        con.execute(f"CREATE SEQUENCE IF NOT EXISTS {sequence} START {int(start)}")
        con.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET DEFAULT nextval('{sequence}')")
    con.execute('ALTER TABLE id_history ALTER COLUMN "at" SET DEFAULT current_timestamp')


def _point_readers_at(paths: StorePaths, snapshot: Path) -> None:
    """Replace ``CURRENT`` by an atomic rename (as a night's publish does), then drop the oldest snapshots."""
    pointer_tmp = paths.current_pointer.with_suffix(".tmp")
    pointer_tmp.write_text(snapshot.name + "\n", encoding="utf-8")
    _fsync(pointer_tmp)
    os.replace(pointer_tmp, paths.current_pointer)
    _fsync(paths.published_dir)
    _remove_old_snapshots(paths, keep=snapshot)
