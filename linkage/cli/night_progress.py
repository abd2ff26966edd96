"""The nightly on a terminal: each step as ``n/6`` with a bar and the time left, log records printed above it.

The bar follows DuckDB's own progress of the step's running query (the long steps spend their time in a
few large queries: reading rows, standardizing distinct values, scoring pairs, writing persons), polled five
times a second; it starts again with each query. Log records go through rich's logging handler on the
same console as the bar, so a log line is printed above the bar instead of through it. Off a terminal
the nightly writes plain log lines instead.
"""

from __future__ import annotations

import logging
import threading
from types import TracebackType

from rich.console import Console
from rich.logging import RichHandler
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from linkage.nightly import StepStart

POLL_SECONDS = 0.2


def log_to_console(console: Console) -> None:
    """Send every log record through ``console`` (the one the bar is drawn on)."""
    logging.basicConfig(level=logging.INFO, format="%(name)s %(message)s", datefmt="[%X]", force=True,
                        handlers=[RichHandler(console=console, show_path=False, markup=False)])


class NightProgress:
    """``on_step`` for ``run_nightly``: one bar per step, moved by the step's DuckDB query progress."""

    def __init__(self, console: Console) -> None:
        self.progress = Progress(
            TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
            TextColumn("time left"), TimeRemainingColumn(), TimeElapsedColumn(), console=console,
        )  # fmt: skip
        self._task: TaskID | None = None
        self._step: StepStart | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._poller = threading.Thread(target=self._poll, name="night-progress", daemon=True)

    def __enter__(self) -> NightProgress:
        self.progress.start()
        self._poller.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._stop.set()
        self._poller.join()
        with self._lock:
            if self._task is not None and kind is None:
                self.progress.update(self._task, completed=100)
        self.progress.stop()

    def __call__(self, step: StepStart) -> None:
        with self._lock:
            if self._task is not None:
                self.progress.update(self._task, completed=100)
            self._step = step
            self._task = self.progress.add_task(f"{step.number}/{step.total} {step.name}", total=100)

    def _poll(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            with self._lock:
                if self._step is None or self._task is None:
                    continue
                done = self._step.query_progress()
                if done >= 0:  # a step runs several queries: the bar shows the one running now
                    self.progress.update(self._task, completed=min(done, 99.0))
