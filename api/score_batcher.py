"""Real-time match requests that arrive together scored in one go (like a group commit).

Most of a query's cost is DuckDB planning it (about 15 ms for the score query's CASE
expressions, whether it scores 2 candidates or 200; a few ms for the model input's and the
keys'), so one thread takes every job queued meanwhile and runs each step once for them all
(:meth:`linkage.model.realtime_match.RealtimeScorer.match_rows`): under 16 concurrent clients the
cost per request falls to a fraction of the queries; a lone request waits for nothing.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from linkage.errors import LaoLinkError
from linkage.model.realtime_match import RealtimeScorer
from linkage.thread_signal import Completion

MAX_BATCH = 64  # requests scored in one query at most


@dataclass
class _Job:
    standardized: Mapping[str, Any]
    completion: Completion = field(default_factory=Completion)  # its error: why the job was not scored
    rows: list[dict[str, Any]] = field(default_factory=list)


class ScoreBatcher:
    """One scoring thread per scorer: each request queues a job and waits for its rows."""

    def __init__(self, scorer: RealtimeScorer) -> None:
        self._scorer = weakref.ref(scorer)  # the thread ends once a newer snapshot's scorer replaced it
        self._queue: queue.Queue[_Job] = queue.Queue()
        threading.Thread(target=self._run, name="laolink-match-scorer", daemon=True).start()

    def score(self, standardized: Mapping[str, Any]) -> list[dict[str, Any]]:
        job = _Job(standardized)
        self._queue.put(job)
        job.completion.wait()
        return job.rows

    async def score_async(self, standardized: Mapping[str, Any]) -> list[dict[str, Any]]:
        job = _Job(standardized, Completion(on_event_loop=True))
        self._queue.put(job)
        await job.completion.wait_async()
        return job.rows

    def _run(self) -> None:
        while True:
            try:
                batch = [self._queue.get(timeout=10)]
            except queue.Empty:
                if self._scorer() is None:
                    return
                continue
            with contextlib.suppress(queue.Empty):
                while len(batch) < MAX_BATCH:
                    batch.append(self._queue.get_nowait())
            try:
                self._score(batch)
            finally:
                for job in batch:
                    job.completion.finish()

    def _score(self, batch: list[_Job]) -> None:
        scorer = self._scorer()
        if scorer is None:  # cannot happen while a request holds the scorer; never leave one waiting
            for job in batch:
                job.completion.error = LaoLinkError("the published snapshot changed: try again")
            return
        try:
            results = scorer.match_rows([job.standardized for job in batch])
        except Exception as exc:
            if len(batch) > 1:  # one bad job must not fail the others: score them one by one
                for job in batch:
                    self._score([job])
                return
            batch[0].completion.error = exc
            return
        for job, rows in zip(batch, results, strict=True):
            job.rows = rows
