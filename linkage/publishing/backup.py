"""Consistent backups of a deployment while the service runs, and restoring them.

A backup holds the pipeline store, the service database (decisions, users, keys,
audit) and the published snapshot being served. The pipeline store is copied while a
read-only connection holds DuckDB's file lock, so no writer can change it mid-copy
(a running nightly job makes the backup wait and fail with a clear message instead);
the service database is copied with SQLite's online backup API, which is consistent
while the API keeps writing. A restored snapshot gets its person documents before readers are pointed at it.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from linkage.errors import LaoLinkError
from linkage.paths import StorePaths, store_paths
from linkage.publishing.decision_publish import (
    mark_night_published,
    mark_night_unpublished,
    night_unpublished,
    publish_lock,
)
from linkage.publishing.person_docs import build_person_docs, docs_path
from linkage.publishing.publish import SNAPSHOT_NAME, _fsync, current_snapshot, point_readers_at, snapshot_path

MANIFEST = "laolink-backup.json"


def _open_read_only(db: Path, wait_seconds: float) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            return duckdb.connect(str(db), read_only=True)
        except duckdb.IOException as exc:
            if time.monotonic() >= deadline:
                raise LaoLinkError(f"{db} is locked by a running job; try again when it ends ({exc})") from exc
            time.sleep(1)


def backup(db: str | os.PathLike[str], out_dir: Path, *, wait_seconds: float = 60) -> Path:
    """Write a consistent backup of the deployment behind ``db`` into a new folder under ``out_dir``."""
    paths = store_paths(db)
    if not paths.db.exists():
        raise LaoLinkError(f"no store at {paths.db}")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = out_dir / f"laolink-backup-{stamp}"
    old_umask = os.umask(0o077)
    try:
        target.mkdir(parents=True, exist_ok=False)
        con = _open_read_only(paths.db, wait_seconds)
        try:  # no night runs meanwhile: the store and the mark of a night killed before publishing agree
            unpublished = night_unpublished(paths)
            shutil.copy2(paths.db, target / paths.db.name)
            wal = paths.db.with_name(paths.db.name + ".wal")
            if wal.exists():
                shutil.copy2(wal, target / wal.name)
        finally:
            con.close()
        if paths.service_db.exists():
            src = sqlite3.connect(paths.service_db)
            dst = sqlite3.connect(target / paths.service_db.name)
            try:
                src.backup(dst)
            finally:
                dst.close()
                src.close()
        snapshot = current_snapshot(paths)
        if snapshot is not None and snapshot.exists():
            published = target / paths.published_dir.name
            published.mkdir()
            shutil.copy2(snapshot, published / snapshot.name)
            (published / "CURRENT").write_text(snapshot.name + "\n", encoding="utf-8")
    finally:
        os.umask(old_umask)
    # a store a night was killed in between clustering and publishing holds person IDs its snapshot lacks
    manifest = {"created_at": stamp, "db_name": paths.db.name, "snapshot": snapshot.name if snapshot else None,
                "night_unpublished": unpublished}
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return target


def restore(backup_dir: Path, db: str | os.PathLike[str], *, force: bool = False) -> StorePaths:
    """Restore a backup folder to the deployment at ``db``; refuses to overwrite unless ``force``. The snapshot is
    served with its person documents (built, under the publish lock, before readers are pointed at it). The mark of a
    night killed before publishing (decisions wait for it) is the backed-up store's, not the replaced one's."""
    manifest_path = backup_dir / MANIFEST
    if not manifest_path.exists():
        raise LaoLinkError(f"{backup_dir} is not a LaoLink backup (no {MANIFEST})")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    snapshot = _snapshot_named(backup_dir, manifest)
    paths = store_paths(db)
    if paths.db.exists() and not force:
        raise LaoLinkError(f"{paths.db} exists; pass --force to replace it")
    paths.db.parent.mkdir(parents=True, exist_ok=True)
    src_db = backup_dir / manifest["db_name"]
    for leftover in (paths.db, paths.db.with_name(paths.db.name + ".wal")):
        leftover.unlink(missing_ok=True)
    shutil.copy2(src_db, paths.db)
    src_wal = src_db.with_name(src_db.name + ".wal")
    if src_wal.exists():
        shutil.copy2(src_wal, paths.db.with_name(paths.db.name + ".wal"))
    src_service = backup_dir / (Path(manifest["db_name"]).stem + ".service.sqlite")
    if src_service.exists():
        for suffix in ("", "-wal", "-shm"):
            Path(str(paths.service_db) + suffix).unlink(missing_ok=True)
        shutil.copy2(src_service, paths.service_db)
    if snapshot is not None:
        paths.published_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        with publish_lock(paths):  # under a name of its own, as a publish: a server may hold one of the same name
            named = SNAPSHOT_NAME.fullmatch(snapshot.name)
            target = snapshot_path(paths, int(named["night"]), int(named["decision"]) if named["decision"] else None)
            copied = target.with_name(target.name + ".tmp")
            try:
                shutil.copy2(snapshot, copied)
                _fsync(copied)
                # what GET /persons/{id} answers, built from the very file (its documents name it by inode, size and
                # time, which the rename keeps) before readers are pointed at it, as a publish builds them
                build_person_docs(copied, docs_path(target))
                os.replace(copied, target)
            finally:
                copied.unlink(missing_ok=True)
            point_readers_at(paths, target)
    with publish_lock(paths):  # the restored store's own mark, not the replaced one's (decisions wait on it)
        if manifest.get("night_unpublished"):
            mark_night_unpublished(paths)
        else:
            mark_night_published(paths)
    return paths


def _snapshot_named(backup_dir: Path, manifest: dict) -> Path | None:
    """The backup's snapshot file its manifest names (None: the backup holds none); refused, before anything of
    the deployment is replaced, unless the name is a snapshot's (``run-<night>[_d<decision>][_p<n>].duckdb``, the
    names ``snapshot_path`` writes and those before publish numbers) and the file is in the backup."""
    name = manifest.get("snapshot")
    if not name:
        return None
    if not isinstance(name, str) or SNAPSHOT_NAME.fullmatch(name) is None:
        raise LaoLinkError(f"{backup_dir / MANIFEST} names {name!r} as its snapshot, which is not a snapshot's name"
                           " (run-<night>[_d<decision>]_p<n>.duckdb); nothing restored")
    snapshot = backup_dir / (Path(manifest["db_name"]).stem + ".published") / name
    if not snapshot.is_file():
        raise LaoLinkError(f"{backup_dir / MANIFEST} names the snapshot {name!r}, which is not at {snapshot};"
                           " nothing restored")
    return snapshot
