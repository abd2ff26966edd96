"""Decisions shown at once: after a decision, a background thread of the server publishes the served
snapshot re-clustered with it (:func:`linkage.publishing.decision_publish.publish_decisions`).

Decisions arriving while a publish runs are taken by the next pass (one pass takes every decision made
before it starts), so a burst of decisions costs one or two publishes, not one each. The answer to the
steward never waits for it; readers switch to the new snapshot when ``CURRENT`` changes. While a nightly
clusters and publishes it holds the publish lock; the pass waits, then re-clusters the new night.
"""

from __future__ import annotations

import logging
import threading

from fastapi import FastAPI

from linkage.paths import StorePaths
from linkage.publishing.decision_publish import publish_decisions
from linkage.service.service_db import connect_service

log = logging.getLogger(__name__)
_create_lock = threading.Lock()


class DecisionPublisher:
    def __init__(self, paths: StorePaths) -> None:
        self.paths = paths
        self._wanted = threading.Event()
        self._thread = threading.Thread(target=self._run, name="decision-publisher", daemon=True)
        self._thread.start()

    def request(self) -> None:
        """Ask for a publish with every decision recorded so far."""
        self._wanted.set()

    def _run(self) -> None:
        while True:
            self._wanted.wait()
            self._wanted.clear()
            try:
                service = connect_service(self.paths.service_db)
                try:
                    publish_decisions(self.paths, service)
                finally:
                    service.close()
            except Exception:  # the next decision or night publishes again; never stop the thread
                log.exception("publishing decisions failed")


def publish_after_decision(app: FastAPI) -> None:
    """Start (once per process) the publisher of ``app``'s store and ask it to publish."""
    publisher = getattr(app.state, "decision_publisher", None)
    if publisher is None:
        with _create_lock:
            publisher = getattr(app.state, "decision_publisher", None)
            if publisher is None:
                publisher = app.state.decision_publisher = DecisionPublisher(app.state.settings.paths)
    publisher.request()
