"""The service database as the API uses it: one SQLite connection per thread, opened on first use.

SQLite connections must not be shared between threads that use them at once; FastAPI
runs sync routes in a thread pool, so each thread gets its own connection (WAL mode
lets them read while another writes).
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from linkage.service.service_db import connect_service


class ServiceStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        connect_service(path).close()  # create and migrate once, before any request
        self._local = threading.local()

    def open(self) -> sqlite3.Connection:
        """A new connection (autocommit; use BEGIN IMMEDIATE for multi-statement writes)."""
        con = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        con.execute("PRAGMA synchronous=FULL")
        con.execute("PRAGMA foreign_keys=ON")
        con.execute("PRAGMA busy_timeout=30000")
        return con

    def connection(self) -> sqlite3.Connection:
        """This thread's connection: for code that runs start to end in one thread (auth checks, audit)."""
        con = getattr(self._local, "con", None)
        if con is None:
            con = self._local.con = self.open()
        return con
