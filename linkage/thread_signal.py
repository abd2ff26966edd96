"""Waiting on the event loop for work another thread finishes (the audit writer, the match scorer)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable


def thread_signal() -> tuple[asyncio.Future, Callable[[], None]]:
    """A future of the running event loop, and a function any thread may call (once or more) to resolve it."""
    loop = asyncio.get_running_loop()
    future = loop.create_future()

    def settle() -> None:
        if not future.done():
            future.set_result(None)

    def notify() -> None:
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody is waiting
            loop.call_soon_threadsafe(settle)

    return future, notify
