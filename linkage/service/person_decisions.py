"""Split and merge on the person page, as decisions about pairs of records.

A split says one record is not the person: "not the same" between it and every record it has a scored link with
inside the person (every other record when it has none) and every record a live "same person" decision joins it
to. A merge says two persons are one: "same person" on every pair of their records that a live "not the same"
decision keeps apart (an earlier split, undone), or, when none does, between one record of each.

Each written decision supersedes the pair's current one (``expected_current`` is that decision), so a
split undoes an earlier merge and a merge an earlier split instead of leaving both live ("stewards
disagree"), and clustering is not left cutting the person apart by decisions the steward meant to overturn.
``seen_through`` is the newest decision the page the steward acted on was clustered with: a pair decided after
it raises :class:`DecisionConflict` (409) and nothing is recorded. All decisions of one action are recorded
together, or none, under the decisions' lock.
"""

from __future__ import annotations

import sqlite3

from linkage.service.auth import Principal
from linkage.service.decisions import (
    NO_DECISION,
    Decision,
    DecisionConflict,
    check_may_decide,
    decision_lock,
    live_decisions_among,
    normalise_pair,
    record_decisions,
)

RecordKey = tuple[str, str]  # (source, record_id)
Pair = tuple[str, str, str, str]


def split_record(
    service_con: sqlite3.Connection,
    by: Principal,
    record: RecordKey,
    linked: list[RecordKey],
    others: list[RecordKey],
    *,
    note: str | None = None,
    seen_through: int | None = None,
) -> list[Decision]:
    """Record that ``record`` is not the person of ``others`` (the person's other records; ``linked``: those it
    has a scored link with). Returns the decisions written."""
    with decision_lock(service_con):
        live = live_decisions_among(service_con, [record, *others])
        joined = [o for o in others if any(d.judgement == "positive" for d in live.get(_pair(record, o), []))]
        targets = dict.fromkeys([*linked, *joined]) or dict.fromkeys(others)
        return _record(service_con, by, [(_pair(record, o), "negative") for o in targets], live, note, seen_through)


def merge_persons(
    service_con: sqlite3.Connection,
    by: Principal,
    records_a: list[RecordKey],
    records_b: list[RecordKey],
    *,
    note: str | None = None,
    seen_through: int | None = None,
) -> list[Decision]:
    """Record that the persons of ``records_a`` and ``records_b`` (each's records, first one first) are one."""
    with decision_lock(service_con):
        live = live_decisions_among(service_con, [*records_a, *records_b])
        apart = [_pair(a, b) for a in records_a for b in records_b
                 if any(d.judgement == "negative" for d in live.get(_pair(a, b), []))]
        pairs = apart or [_pair(records_a[0], records_b[0])]
        return _record(service_con, by, [(p, "positive") for p in pairs], live, note, seen_through)


def _pair(a: RecordKey, b: RecordKey) -> Pair:
    return normalise_pair(a[0], a[1], b[0], b[1])


def _record(service_con: sqlite3.Connection, by: Principal, wanted: list[tuple[Pair, str]],
            live: dict[Pair, list[Decision]], note: str | None, seen_through: int | None) -> list[Decision]:
    """Check scope and what the steward saw, then write each decision superseding its pair's current one."""
    check_may_decide(by, [pair for pair, _ in wanted])
    rows = []
    for pair, judgement in wanted:
        current = live[pair][-1].decision_id if live.get(pair) else None
        if current is not None and seen_through is not None and current > seen_through:
            raise DecisionConflict(seen_through or None, current)
        rows.append((pair, judgement, current or NO_DECISION))
    return record_decisions(service_con, rows, by.actor, note)
