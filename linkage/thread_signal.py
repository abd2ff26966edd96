"""Work handed to another thread (the audit writer, the match scorer) and waited for by a request.

A request thread blocks on a ``threading.Event``; an ``async def`` route awaits a future of its
event loop instead, so that it holds no worker thread while it waits. ``Completion`` is both:
the worker thread calls ``finish()`` once, and whichever kind of waiter there is wakes up.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable


def _thread_signal() -> tuple[asyncio.Future, Callable[[], None]]:
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


class Completion:
    """Done once the worker thread calls :meth:`finish`; ``error`` is what the waiter raises then.

    Make it with ``on_event_loop=True`` inside a coroutine that will :meth:`wait_async` (the future
    must exist before the work is queued, or the worker could finish before anyone listens).
    """

    def __init__(self, *, on_event_loop: bool = False) -> None:
        self._done = threading.Event()
        self._future, self._notify = _thread_signal() if on_event_loop else (None, None)
        self.error: BaseException | None = None

    def finish(self) -> None:
        self._done.set()
        if self._notify is not None:
            self._notify()

    def wait(self, timeout: float | None = None, late: str = "the work did not finish in time") -> None:
        """Block until finished (``TimeoutError(late)`` after ``timeout`` seconds); raise the worker's error."""
        if not self._done.wait(timeout):
            raise TimeoutError(late)
        if self.error is not None:
            raise self.error

    async def wait_async(self, timeout: float | None = None, late: str = "the work did not finish in time") -> None:
        """:meth:`wait` on the event loop, holding no thread."""
        if self._future is None:
            raise RuntimeError("make the Completion with on_event_loop=True to wait for it on the event loop")
        try:
            await asyncio.wait_for(self._future, timeout=timeout)
        except TimeoutError:
            raise TimeoutError(late) from None
        if self.error is not None:
            raise self.error
