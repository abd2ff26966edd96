"""Publishing: copy a run's result into a new read-only snapshot and switch readers to it atomically.

Readers (the API) open only ``<stem>.published/CURRENT``'s snapshot. A snapshot is
written under a temporary name, synced, renamed, and only then is ``CURRENT``
replaced by an atomic rename, so a reader sees either the previous complete night or
the new complete night, never a half-written one, whenever the job is killed.
"""

from __future__ import annotations

import logging
import os
import re
import time
from pathlib import Path

import duckdb

from linkage.clusters.review_queue import item_ids_given
from linkage.faults import fault_point
from linkage.paths import StorePaths
from linkage.publishing.snapshot_delta import (
    MAX_DELTA_CHAIN,
    SnapshotDelta,
    copy_snapshot_file,
    delta_chain,
    write_tables_delta,
)
from linkage.store import sql_literal

# Tables copied into every snapshot; a table a store does not have yet is skipped.
PUBLISHED_TABLES: tuple[str, ...] = (
    "records",
    "record_person",
    "persons",
    "id_history",
    "review_queue",
    "cluster_links",
    "clustering_flags",
    "clustering_cut_cache",  # a decision published re-clusters in the snapshot: the cuts it can take as they were
    "queue_bridge_cache",  # and rebuilds its review queue: the bridges of the clusters as they were
    "predictions",
    "comparison_levels",
    "runs",
    "models",
    "sources",
    "ingested_files",
    "file_sources",  # which files decide a source's settings (linkage/sources/file_settings.py)
    "quarantine",
    "std_issues",
)

SNAPSHOTS_KEPT = 3
# run-<night>[_d<last decision>]_p<publish number>.duckdb; names before publish numbers lack the _p part
SNAPSHOT_NAME = re.compile(r"run-(?P<night>\d+)(?:_d(?P<decision>\d+))?(?:_p(?P<publish>\d+))?\.duckdb")
log = logging.getLogger("laolink.publish")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


_known_identities: dict[int, str] = {}  # id(cursor) -> identity, while the API's cursor is open


def register_identity(cur: duckdb.DuckDBPyConnection, identity: str | None) -> None:
    """Remember (``identity``) or forget (None) the identity of a cursor the API opened on a snapshot whose
    identity it knows already, so :func:`snapshot_identity` answers without a query."""
    if identity is None:
        _known_identities.pop(id(cur), None)
    else:
        _known_identities[id(cur)] = identity


def snapshot_identity(con: duckdb.DuckDBPyConnection) -> str:
    """The open snapshot file's path and identity (inode, mtime): a file replaced under the same name is new."""
    known = _known_identities.get(id(con))
    if known is not None:
        return known
    rows = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchall()
    path = str(rows[0][0]) if rows and rows[0][0] else ""
    try:
        st = os.stat(path)
    except OSError:
        return path
    return f"{path}:{st.st_ino}:{st.st_mtime_ns}"


def current_snapshot(paths: StorePaths) -> Path | None:
    """The snapshot readers are served now, or None before the first publish."""
    try:
        name = paths.current_pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return paths.published_dir / name if name else None


def snapshot_path(paths: StorePaths, night: int, decision: int | None = None) -> Path:
    """A new snapshot's name, ``run-<night>[_d<decision>]_p<publish number>.duckdb``, that no file has.

    A name is not given again, not even to a resumed night or a repeated decision publish: an API process
    follows ``CURRENT`` by name (and DuckDB hands a new connection the database it has open under that path),
    so a snapshot replaced under the name it serves would be read as a mix of two. The publish number is one
    more than any in the folder. Called under the publish lock, after :func:`_remove_leftovers`: the number of
    a killed attempt, whose files no reader ever opened, may be given again.
    """
    numbers = [int(m["publish"]) for f in paths.published_dir.glob("run-*")
               if (m := SNAPSHOT_NAME.match(f.name)) and m["publish"]]
    decided = "" if decision is None else f"_d{decision:09d}"
    return paths.published_dir / f"run-{night:06d}{decided}_p{max(numbers, default=0) + 1:06d}.duckdb"


def _unfinished(final: Path) -> Path:
    """The temporary name a snapshot is written under (its write-ahead log: the same with ``.wal``)."""
    return final.with_name(final.name + ".tmp")


def _remove_leftovers(paths: StorePaths) -> None:
    """Remove what a killed or failed publish left: a snapshot under its temporary name (and its write-ahead log),
    person documents whose snapshot is not in the folder (written before the snapshot is renamed into place).
    Called under the publish lock, first thing: no other publish is writing its files, and an attempt's files
    (a snapshot and, at a million records, 1.7-1.9 GB of documents) do not stay through the next one's."""
    for unfinished in paths.published_dir.glob("run-*.duckdb.tmp*"):
        unfinished.unlink(missing_ok=True)
    for docs in paths.published_dir.glob("run-*.duckdb.persons.*"):
        if not docs.with_name(docs.name.split(".persons.")[0]).exists():
            docs.unlink(missing_ok=True)


def _publish_order(snapshot: Path) -> tuple[int, str]:
    """Oldest first: by publish number (names without one first), then by name."""
    m = SNAPSHOT_NAME.fullmatch(snapshot.name)
    return (int(m["publish"]) if m and m["publish"] else 0, snapshot.name)


def publish_snapshot(con: duckdb.DuckDBPyConnection, paths: StorePaths, run_id: int) -> Path:
    """Write run ``run_id``'s result as a snapshot file and make it the one readers see.

    The snapshot is the previous one plus what changed (``linkage.publishing.snapshot_delta``) when there is a
    previous one with its person documents, else a whole copy of the store's tables.
    """
    from linkage.publishing.person_docs import build_person_docs, docs_built_from, docs_path, write_docs

    paths.published_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    _remove_leftovers(paths)
    final = snapshot_path(paths, run_id)
    tmp = _unfinished(final)
    previous = current_snapshot(paths)
    previous_docs = docs_built_from(previous) if previous is not None and previous.exists() else None
    chain = delta_chain(con, previous) if previous_docs is not None else None
    incremental = chain is not None and chain < MAX_DELTA_CHAIN
    started = time.perf_counter()
    if incremental:
        copy_snapshot_file(con, previous, tmp)
    old_umask = os.umask(0o077)
    try:
        con.execute(f"ATTACH {sql_literal(tmp)} AS snap")
    finally:
        os.umask(old_umask)
    try:
        delta = _write_snapshot_tables(con, run_id, chain if incremental else None)
        con.execute("CHECKPOINT snap")
    finally:
        con.execute("DETACH snap")
    _fsync(tmp)
    tables_s = time.perf_counter() - started
    # what GET /persons/{id} answers, one document per person
    if delta is None or delta.docs_whole:
        build_person_docs(tmp, docs_path(final))
    else:  # the changed persons' documents from the store's tables, whose rows the snapshot now holds: read already
        # (its blocks loaded), where the snapshot would be opened and read cold (1,038 persons at 1M: 0.7-1.0 s
        # instead of 1.1-1.8 s at load 3)
        cursor = con.cursor()
        try:
            written = write_docs(cursor, docs_path(final), previous=previous_docs, person_ids=delta.changed_persons)
        finally:
            cursor.close()
        if written is not None:
            written.finish(tmp)
    log.info("publish: tables %s in %.1fs, person documents %s in %.1fs",
             "whole" if delta is None else f"by delta ({sum(delta.changed_keys.values())} keys changed)", tables_s,
             "whole" if delta is None or delta.docs_whole else f"of {len(delta.changed_persons)} persons",
             time.perf_counter() - started - tables_s)
    fault_point("publish:snapshot-written")
    os.replace(tmp, final)
    fault_point("publish:snapshot-renamed")
    point_readers_at(paths, final)
    fault_point("publish:pointer-swapped")
    return final


def _write_snapshot_tables(con: duckdb.DuckDBPyConnection, run_id: int, chain: int | None) -> SnapshotDelta | None:
    """Fill the attached ``snap`` with the store's published tables: by delta when ``snap`` is a copy of the
    previous snapshot (written ``chain`` nights after its last whole one), else whole. The delta, or None."""
    existing = {
        r[0]
        for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main'"
        ).fetchall()
    }
    tables = [t for t in PUBLISHED_TABLES if t in existing]
    if chain is not None:
        delta = write_tables_delta(con, tables)
    else:
        for table in tables:
            con.execute(f"CREATE TABLE snap.{table} AS SELECT * FROM main.{table}")
        delta = None
    if "runs" in existing:  # the snapshot shows its own run as done
        con.execute("UPDATE snap.runs SET status = 'ok', finished_at = CAST(current_timestamp AS TIMESTAMP)"
                    " WHERE run_id = ?", [run_id])
    con.execute("DROP TABLE IF EXISTS snap.snapshot_info")
    con.execute(  # delta_nights: nights since written whole; persons_rewritten: NULL when every one was;
        # item_ids_through: the highest queue item id the store ever gave (a decision publish numbers above it)
        "CREATE TABLE snap.snapshot_info AS SELECT ? AS run_id, CAST(current_timestamp AS TIMESTAMP) AS published_at,"
        " ? AS delta_nights, CAST(? AS BIGINT) AS persons_rewritten, CAST(? AS BIGINT) AS item_ids_through",
        [run_id, 0 if chain is None else chain + 1,
         None if delta is None or delta.docs_whole else len(delta.changed_persons),
         item_ids_given(con) if "review_queue" in existing else 0],
    )
    return delta


def point_readers_at(paths: StorePaths, snapshot: Path) -> None:
    """Make ``snapshot`` (a complete, synced file of the published folder) the one readers are served: ``CURRENT``
    replaced by an atomic rename, the new pointer and the folder synced, then the oldest snapshots removed. The one
    pointer swap of a night's publish, a decision's and a restore; called under the publish lock."""
    pointer_tmp = paths.current_pointer.with_suffix(".tmp")
    pointer_tmp.write_text(snapshot.name + "\n", encoding="utf-8")
    _fsync(pointer_tmp)
    os.replace(pointer_tmp, paths.current_pointer)
    _fsync(paths.published_dir)
    _remove_old_snapshots(paths, keep=snapshot)


def _remove_old_snapshots(paths: StorePaths, keep: Path) -> None:
    """Keep the newest few snapshots (readers may still hold the previous one open), and no person documents
    whose snapshot is gone (:func:`_remove_leftovers`). Called under the publish lock."""
    snapshots = sorted(paths.published_dir.glob("run-*.duckdb"), key=_publish_order)
    for old in snapshots[:-SNAPSHOTS_KEPT]:
        if old != keep:
            old.unlink(missing_ok=True)
    _remove_leftovers(paths)
