"""Named fault points for the crash tests: the process kills itself (SIGKILL) at the named point.

The nightly job calls ``fault_point(name)`` at each boundary where a crash could leave
things half-done. With ``LAOLINK_KILL_AT`` unset (always, in production) it does nothing.
"""

from __future__ import annotations

import os
import signal

FAULT_POINTS: tuple[str, ...] = (
    "ingest:start",
    "ingest:posted-files-written",
    "ingest:after-files",
    "ingest:after-pending",
    "ingest:end",
    "standardize:start",
    "standardize:end",
    "predict:start",
    "predict:after-scoring",
    "predict:end",
    "cluster:start",
    "cluster:after-decisions",
    "cluster:after-clustering",
    "cluster:after-ids",
    "cluster:end",
    "publish:start",
    "publish:after-status",
    "publish:snapshot-written",
    "publish:snapshot-renamed",
    "publish:pointer-swapped",
    "publish:end",
    "finish",
)


def fault_point(name: str) -> None:
    """SIGKILL this process if ``LAOLINK_KILL_AT`` names this point."""
    if os.environ.get("LAOLINK_KILL_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
