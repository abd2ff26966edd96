"""A real LaoLink server for API tests: ``laolink serve`` in a subprocess on a free localhost port.

Fixtures (loaded for every test through ``tests/conftest.py``):

- ``api_server`` (session): a server on a store with one empty published run
  (run_id 1). Fine for access-control tests; do not publish into its store.
- ``start_api_server(db, env=...)``: context manager for your own server, e.g. on a
  store you built with ``tests/snapshot_builder.py`` or the demo data::

      @pytest.fixture(scope="session")
      def persons_server(tmp_path_factory):
          db = tmp_path_factory.mktemp("persons") / "laolink.duckdb"
          build_snapshot(db, records=..., persons=...)
          with start_api_server(db) as server:
              yield server

  ``env`` sets ``LAOLINK_*`` settings for that server (e.g. ``{"LAOLINK_MAX_PAGE_SIZE": "10"}``); pass
  ``env=SHARED_SERVER_ENV`` for a server many tests share, so their failed log-ins from
  127.0.0.1 do not trip the per-address limit for everyone.

An ``ApiServer`` makes credentials directly in the server's service database (the
server reads it on every request) and hands out ``httpx.Client`` objects:

- ``server.client()``: no credential; ``server.client(key=KEY)``: bearer API key.
- ``server.add_user(role, one_time=False)`` -> (username, password);
  ``server.create_key(role, sources=[...])`` -> (key_id, key).
- ``server.first_login(role)``: a user with a one-time password, logged in, who has changed it.
- ``server.login(username, password)``: a client holding the session cookie and sending
  the CSRF token (header X-CSRF-Token) with every request.
- ``server.client_as(role, sources=None)``: a fresh user logged in (admin/steward/analyst)
  or a fresh API key (system); clients are closed when the server stops.
- ``server.audit_rows(after=N)``, ``server.last_audit_id()``: read the audit log.
"""

from __future__ import annotations

import itertools
import json
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from linkage.paths import StorePaths, store_paths
from linkage.publishing.publish import publish_snapshot
from linkage.service import auth
from linkage.service.service_db import connect_service
from linkage.store import connect

REPO = Path(__file__).resolve().parents[1]
# Settings of servers shared by many tests, which all come from 127.0.0.1 (use it for your own shared servers too).
SHARED_SERVER_ENV = {"LAOLINK_LOGIN_MAX_ADDRESS_FAILURES": "100000"}
_names = itertools.count(1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class ApiServer:
    base_url: str
    db: Path
    log_path: Path
    process: subprocess.Popen
    _clients: list[httpx.Client] = field(default_factory=list)

    @property
    def paths(self) -> StorePaths:
        return store_paths(self.db)

    @contextmanager
    def service(self) -> Iterator:
        """A connection to the server's service database (closed on exit)."""
        con = connect_service(self.paths.service_db)
        try:
            yield con
        finally:
            con.close()

    def _track(self, client: httpx.Client) -> httpx.Client:
        self._clients.append(client)
        return client

    def client(self, key: str | None = None, **kwargs) -> httpx.Client:
        headers = kwargs.pop("headers", {})
        if key is not None:
            headers["Authorization"] = f"Bearer {key}"
        return self._track(httpx.Client(base_url=self.base_url, headers=headers, timeout=30, **kwargs))

    def add_user(self, role: str, username: str | None = None, password: str | None = None,
                 *, one_time: bool = False) -> tuple[str, str]:
        """A user whose password is already their own (``one_time=True``: one an admin set, to change first)."""
        username = username or f"{role}-{next(_names)}-{secrets.token_hex(2)}"
        password = password or secrets.token_urlsafe(16)
        with self.service() as con:
            auth.add_user(con, username, role, password, created_by="tests", one_time=one_time)
        return username, password

    def create_key(self, role: str = "system", sources: list[str] | None = None) -> tuple[str, str]:
        with self.service() as con:
            return auth.create_key(con, f"tests-{role}-{next(_names)}", role, sources=sources, created_by="tests")

    def login(self, username: str, password: str) -> httpx.Client:
        """A client logged in with the session cookie; it sends the CSRF token on every request."""
        client = self.client()
        response = client.post("/api/v1/auth/login", json={"username": username, "password": password})
        assert response.status_code == 200, response.text
        client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
        return client

    def first_login(self, role: str) -> httpx.Client:
        """A user given a one-time password (as an admin or ``laolink serve --demo-users`` does) who logs in and
        changes it first, as they must; the session goes on with the user's own password."""
        username, password = self.add_user(role, one_time=True)
        client = self.login(username, password)
        changed = client.post("/api/v1/auth/password",
                              json={"current_password": password, "new_password": secrets.token_urlsafe(16)})
        assert changed.status_code == 204, changed.text
        return client

    def client_as(self, role: str, sources: list[str] | None = None) -> httpx.Client:
        """A fresh credential of ``role``: a logged-in user, or for ``system`` an API key."""
        if role == "system" or sources is not None:
            return self.client(key=self.create_key(role, sources)[1])
        return self.login(*self.add_user(role))

    def last_audit_id(self) -> int:
        with self.service() as con:
            return con.execute("SELECT coalesce(max(audit_id), 0) FROM audit").fetchall()[0][0]

    def audit_rows(self, after: int = 0) -> list[dict]:
        with self.service() as con:
            cur = con.execute("SELECT * FROM audit WHERE audit_id > ? ORDER BY audit_id", (after,))
            names = [d[0] for d in cur.description]
            rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        for row in rows:
            row["person_ids"] = json.loads(row["person_ids"])
        return rows

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def close_clients(self) -> None:
        for client in self._clients:
            client.close()
        self._clients.clear()


@contextmanager
def start_api_server(db: Path, *, env: dict[str, str] | None = None, timeout: float = 60) -> Iterator[ApiServer]:
    """Run ``laolink serve --db DB`` on a free port until the block ends; waits for /health first."""
    port = free_port()
    log_path = Path(db).with_name(f"{Path(db).stem}.server-{port}.log")
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("LAOLINK_")}
    child_env.update(env or {})
    command = [sys.executable, "-m", "linkage", "serve", "--db", str(db), "--host", "127.0.0.1", "--port", str(port)]
    with log_path.open("w") as log:
        process = subprocess.Popen(command, cwd=REPO, env=child_env, stdout=log, stderr=subprocess.STDOUT)
    server = ApiServer(f"http://127.0.0.1:{port}", Path(db), log_path, process)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"laolink serve exited with {process.returncode}:\n{server.log()}")
            try:
                if httpx.get(f"{server.base_url}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"laolink serve did not answer /health within {timeout}s:\n{server.log()}")
            time.sleep(0.1)
        yield server
    finally:
        server.close_clients()
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def publish_empty_run(db: Path, run_id: int = 1) -> Path:
    """Create the pipeline store ``db`` (real migrations) and publish it as run ``run_id``."""
    con = connect(db)
    try:
        return publish_snapshot(con, store_paths(db), run_id)
    finally:
        con.close()


@pytest.fixture(scope="session")
def api_server(tmp_path_factory) -> Iterator[ApiServer]:
    """A shared real server over a store with one empty published run; make your own credentials on it.

    Every test connects from 127.0.0.1, so the per-address log-in limit is raised here (tests of
    that limit start their own server); the per-user lock-out is as in production.
    """
    db = tmp_path_factory.mktemp("api-server") / "laolink.duckdb"
    publish_empty_run(db)
    with start_api_server(db, env=SHARED_SERVER_ENV) as server:
        yield server
