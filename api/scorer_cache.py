"""The real-time scorer of the published snapshot: built once per snapshot file and model, per process,
its requests scored together by one thread (``api.score_batcher``)."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import duckdb

from api.score_batcher import ScoreBatcher
from linkage.model.blocking_sql import model_blocking_rules
from linkage.model.realtime_match import MatchResult, RealtimeScorer, build_scorer, snapshot_model

_cache: dict[tuple[str, str], ServedScorer] = {}
_models: dict[str, tuple[str, dict[str, Any]]] = {}  # snapshot identity -> its model
_cache_lock = threading.Lock()
_batcher_lock = threading.Lock()


@dataclass
class ServedScorer(RealtimeScorer):
    """A scorer whose records are scored by its batching thread, together with those of concurrent requests."""

    batcher: ScoreBatcher | None = field(default=None, repr=False, compare=False)

    def score(
        self, con: duckdb.DuckDBPyConnection | None, standardized: Mapping[str, Any], *, top_k: int = 5,
        min_probability: float = 0.0,
    ) -> MatchResult:
        """Score against the mirror (``con``, the snapshot, is not read: the mirror holds what is needed)."""
        return self.result(standardized, self._batcher.score(standardized), top_k, min_probability)

    async def score_async(
        self, standardized: Mapping[str, Any], *, top_k: int = 5, min_probability: float = 0.0,
        sources: frozenset[str] | None = None,
    ) -> MatchResult:
        """:meth:`score` for the event loop: awaits the scoring thread without holding a worker thread.

        ``sources``: only these sources' records count (candidates, persons, scores); None: every source.
        """
        rows = await self._batcher.score_async(standardized)
        if sources is not None:
            rows = [row for row in rows if row["source"] in sources]
        return self.result(standardized, rows, top_k, min_probability)

    @property
    def _batcher(self) -> ScoreBatcher:
        with _batcher_lock:
            if self.batcher is None:
                self.batcher = ScoreBatcher(self)
            return self.batcher


def scorer_for(con: duckdb.DuckDBPyConnection, rule_sqls: list[str] | None = None) -> ServedScorer:
    """The scorer of this snapshot's model, built once per snapshot file and model."""
    from linkage.publishing.publish import snapshot_identity

    identity = snapshot_identity(con)
    model = _models.get(identity)
    if model is None:  # a snapshot is read-only: its model never changes
        model = _models[identity] = snapshot_model(con)
    version, settings = model
    key = (identity, version)
    with _cache_lock:
        scorer = _cache.get(key)
        if scorer is None:
            if rule_sqls is None:
                rule_sqls = model_blocking_rules(settings)
            scorer = build_scorer(con, version, settings, rule_sqls, scorer_type=ServedScorer)
            for old in [k for k in _cache if k[0] != key[0]]:
                del _cache[old]  # a newer snapshot replaced that one
            for old in [k for k in _models if k != identity]:
                del _models[old]
            _cache[key] = scorer
    return scorer


def built_scorer(identity: str) -> ServedScorer | None:
    """The scorer of the snapshot with this identity (``publish.snapshot_identity``) if it is built."""
    model = _models.get(identity)
    return _cache.get((identity, model[0])) if model is not None else None


def match_record(
    con: duckdb.DuckDBPyConnection, record: Mapping[str, Any], *, top_k: int = 5, min_probability: float = 0.0
) -> MatchResult:
    """The best candidate persons for one exchange-format record, best first, with per-field reasons."""
    scorer = scorer_for(con)
    standardized, _ = scorer.read_record(record)  # as the nightly reads the record's source; unread values left empty
    return scorer.score(con, standardized, top_k=top_k, min_probability=min_probability)
