"""The nightly on a terminal: steps as n/6 with a bar, and log lines that never tear through the bar.

The real command runs in a pseudo-terminal on demo files with the shipped model; everything it wrote to
the terminal is read back, escape sequences taken out, and cut where the terminal would start a new line
or return to its start: each piece is what one screen line showed at some moment.
"""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path

from linkage.model.shipped import DEFAULT_MODEL
from tests.demo_deployment import demo_inbox

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")
STEP_LABEL = re.compile(r"\b[1-6]/6 (ingest|standardize|model|predict|cluster|publish)\b")


def _run_in_terminal(args: list[str], timeout: float = 600) -> tuple[int, str]:
    master, slave = pty.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40"}
    env.pop("LAOLINK_KILL_AT", None)
    proc = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True)
    os.close(slave)
    chunks: list[bytes] = []
    while True:
        ready, _, _ = select.select([master], [], [], timeout)
        if not ready:
            proc.kill()
            raise TimeoutError("the nightly wrote nothing for too long")
        try:
            data = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return proc.wait(), b"".join(chunks).decode("utf-8", "replace")


def test_nightly_on_a_terminal_shows_steps_and_log_lines_apart(tmp_path: Path):
    inbox = demo_inbox(tmp_path / "demo", persons=150, seed=4)
    code, screen = _run_in_terminal([sys.executable, "-m", "linkage", "nightly", "--inbox", str(inbox),
                                     "--db", str(tmp_path / "store.duckdb"), "--model", str(DEFAULT_MODEL)])
    assert code == 0, screen[-3000:]
    assert "Traceback" not in screen and "Exception" not in screen, screen[-3000:]
    pieces = [p for p in re.split(r"[\r\n]", ANSI.sub("", screen)) if p.strip()]
    shown = {m.group(0) for p in pieces for m in STEP_LABEL.finditer(p)}
    assert shown == {f"{i}/6 {s}" for i, s in enumerate(
        ("ingest", "standardize", "model", "predict", "cluster", "publish"), start=1)}
    assert any("━" in p and "%" in p and "time left" in p for p in pieces), "a bar with the time left"
    log_lines = [p for p in pieces if "laolink.nightly" in p]
    assert any("run 1: ingest ..." in p for p in log_lines) and any("publish done" in p for p in log_lines)
    for line in log_lines:  # a log line alone on its line: no step label, no bar before or after it
        assert not STEP_LABEL.search(line) and "━" not in line, f"torn line: {line!r}"
    assert "run 1: ok" in screen  # the summary after the bar


def test_nightly_off_a_terminal_writes_plain_log_lines(tmp_path: Path):
    inbox = demo_inbox(tmp_path / "demo", persons=60, seed=4)
    env = {k: v for k, v in os.environ.items() if k != "LAOLINK_KILL_AT"}
    done = subprocess.run([sys.executable, "-m", "linkage", "nightly", "--inbox", str(inbox), "--db",
                           str(tmp_path / "store.duckdb"), "--model", str(DEFAULT_MODEL)],
                          capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "\x1b[" not in done.stderr and "━" not in done.stderr
    assert re.search(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ laolink.nightly run 1: ingest \.\.\.$", done.stderr, re.M)
