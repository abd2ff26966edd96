"""Fixtures shared by the whole suite. The real-server API fixtures live in tests/api_server.py (read its docstring)."""

import os
import sys

import pytest

pytest_plugins = ["api_server"]


@pytest.fixture
def store_con(tmp_path):
    """A connection to a new, empty pipeline store (a real DuckDB file, every migration applied)."""
    from linkage.store import connect

    connection = connect(tmp_path / "store.duckdb")
    yield connection
    connection.close()

_exit_status = 0


def pytest_sessionfinish(session, exitstatus):
    global _exit_status
    _exit_status = int(exitstatus)


def pytest_unconfigure(config):
    """End the process once pytest has printed its summary.

    DuckDB's nanobind bindings print dozens of "leaked instance" lines at interpreter
    shutdown; skipping the shutdown keeps pytest's summary the last line of the log.
    """
    if os.environ.get("LAOLINK_TEST_FAST_EXIT", "1") == "1" and not hasattr(config, "workerinput"):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_exit_status)
