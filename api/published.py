"""The published result the API serves: the snapshot ``<stem>.published/CURRENT`` names, opened read-only.

Each request takes a cursor of the snapshot current when it starts. ``CURRENT`` is
checked again on every request with one ``stat`` (inode, mtime, size), so a newly
published night is served without a restart; the previous snapshot's connection is
closed once the last request that started on it has finished.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from linkage.paths import StorePaths
from linkage.publishing.person_docs import PersonDocs, open_person_docs
from linkage.publishing.publish import register_identity, snapshot_identity

# (name in /health, table it needs, SQL)
COUNTS: tuple[tuple[str, str, str], ...] = (
    ("records", "records", "SELECT count(*) FROM records"),
    ("persons", "persons", "SELECT count(*) FROM persons WHERE status = 'active'"),
    ("review_queue", "review_queue", "SELECT count(*) FROM review_queue"),
)


class NotPublished(Exception):
    """Nothing has been published yet (or the published snapshot cannot be opened)."""


@dataclass
class Snapshot:
    path: Path
    con: duckdb.DuckDBPyConnection
    run_id: int | None
    published_at: str | None
    counts: dict[str, int]
    identity: str = ""  # linkage.publishing.publish.snapshot_identity of the file, known without a query
    docs: PersonDocs | None = None  # the person documents built with the snapshot (linkage.publishing.person_docs)
    users: int = 0
    retired: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _release(self) -> None:
        with self.lock:
            self.users -= 1
            close = self.retired and self.users == 0
        if close:
            self._close()

    def _retire(self) -> None:
        with self.lock:
            self.retired = True
            close = self.users == 0
        if close:
            self._close()

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor on this snapshot (use inside :meth:`PublishedReader.snapshot`'s block)."""
        cur = self.con.cursor()
        register_identity(cur, self.identity)
        try:
            yield cur
        finally:
            register_identity(cur, None)
            cur.close()

    def _close(self) -> None:
        if self.docs is not None:
            self.docs.close()
        self.con.close()


def _open_snapshot(path: Path) -> Snapshot:
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        run_id = published_at = None
        if "snapshot_info" in tables:
            rows = con.execute("SELECT run_id, CAST(published_at AS VARCHAR) FROM snapshot_info").fetchall()
            if rows:
                run_id, published_at = rows[0]
        counts = {}
        for name, table, sql in COUNTS:
            if table in tables:
                with contextlib.suppress(duckdb.Error):  # a count is informative only: never block serving
                    counts[name] = con.execute(sql).fetchall()[0][0]
        identity = snapshot_identity(con)
    except Exception:
        con.close()
        raise
    return Snapshot(path, con, run_id, published_at, counts, identity=identity, docs=open_person_docs(path))


class PublishedReader:
    """Hands out cursors on the current snapshot and follows ``CURRENT`` as it changes."""

    def __init__(self, paths: StorePaths) -> None:
        self.paths = paths
        self._lock = threading.Lock()
        self._pointer_stamp: tuple[int, int, int] | None = None
        self._snapshot: Snapshot | None = None

    def _stamp(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self.paths.current_pointer)
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def _target(self) -> Path | None:
        try:
            name = self.paths.current_pointer.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        # CURRENT names a file inside the published folder, nothing else.
        if not name or Path(name).name != name:
            return None
        return self.paths.published_dir / name

    def _refresh(self) -> None:
        stamp = self._stamp()
        if stamp == self._pointer_stamp and self._snapshot is not None:
            return
        with self._lock:
            stamp = self._stamp()
            if stamp == self._pointer_stamp and self._snapshot is not None:
                return
            target = self._target() if stamp else None
            old = self._snapshot
            if target is not None and (old is None or old.path != target):
                self._snapshot = _open_snapshot(target)
                if old is not None:
                    old._retire()
            self._pointer_stamp = stamp

    def current(self) -> Snapshot | None:
        """The snapshot being served now, or None before the first publish."""
        # On failure keep serving the previous snapshot; /health shows which run that is.
        with contextlib.suppress(duckdb.Error, OSError):
            self._refresh()
        return self._snapshot

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor on the current snapshot for one request; raises NotPublished before the first publish."""
        with self.snapshot() as snapshot, snapshot.cursor() as cur:
            yield cur

    @contextmanager
    def snapshot(self) -> Iterator[Snapshot]:
        """The current snapshot, kept open until the block ends; raises NotPublished before the first publish."""
        snapshot = self.current()
        if snapshot is None:
            raise NotPublished("nothing is published yet: the first nightly run has not finished")
        with snapshot.lock:
            if snapshot.retired and snapshot.users == 0:
                snapshot = None
            else:
                snapshot.users += 1
        if snapshot is None:  # retired between current() and now: take the new one
            with self.snapshot() as newer:
                yield newer
            return
        try:
            yield snapshot
        finally:
            snapshot._release()

    def close(self) -> None:
        with self._lock:
            if self._snapshot is not None:
                self._snapshot._retire()
                self._snapshot = None
