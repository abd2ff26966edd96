"""Steward decisions: facts about pairs of (source, record_id), recorded in the service DB.

A decision is appended, never edited. A steward who saw decision N as current and
decides again names N (``expected_current``); the new row supersedes N and, with it,
every earlier decision on the pair, because the steward saw that state. If a newer
decision exists than the one the steward saw, :class:`DecisionConflict` is raised
(the API answers 409) instead of overwriting work the steward never saw.

A decision recorded without ``expected_current`` (a batch import, a second steward)
supersedes the current ones only if it contradicts none of another steward's: two
stewards who disagree both stay *live*. The latest live decision is the one applied
(the shared contract), and the disagreement is reported by :func:`decision_conflicts`
so it goes on the review queue; it is never resolved silently.

:func:`record_decisions` is the one write: it checks every decision (two different records,
a judgement, who decided, the note's length) and records them all or none. Callers reach it
through :func:`decide` (one pair: the API, and so the pair page, and the CLI), which checks
who decides (:data:`DECIDING_ROLES`, and a source-limited key only on its own sources'
records) and records under one lock across threads and processes, or through
``linkage.service.person_decisions`` (the person page's split and merge: several pairs, the
same checks and lock).
"""

from __future__ import annotations

import fcntl
import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import duckdb
import pyarrow as pa

from linkage.errors import LaoLinkError
from linkage.service.auth import Principal

# ``expected_current`` for a steward who saw no decision on the pair (decision ids start at 1).
NO_DECISION = 0
# The longest note a decision keeps: record_decisions refuses a longer one (the API and the person page say so first).
MAX_NOTE_LENGTH = 2000
# Who decides, on the pages and the API alike: stewards (review and decide, full records). Admins manage
# users, keys and runs and see records masked; analysts read masked; systems match and look up.
DECIDING_ROLES: tuple[str, ...] = ("steward",)


class Judgement(StrEnum):
    positive = "positive"  # the same person
    negative = "negative"  # not the same person
    unsure = "unsure"


class DecisionConflict(LaoLinkError):
    """The pair was decided again since the decision the caller saw as current."""

    def __init__(self, expected: int | None, current: int | None) -> None:
        self.expected = expected
        self.current = current
        seen = f"decision {expected}" if expected else "no decision"
        super().__init__(
            f"this pair was decided again since you looked at it: you saw {seen}, the current one is {current}"
        )


class DecisionRefused(LaoLinkError):
    """The principal may not decide on this pair: its role does not decide, or a record is outside its sources."""

    def __init__(self, reason: str, *, field: str | None = None) -> None:
        self.reason = reason
        self.field = field
        super().__init__(reason)


@dataclass(frozen=True)
class Decision:
    decision_id: int
    source_l: str
    record_id_l: str
    source_r: str
    record_id_r: str
    judgement: str
    decided_by: str
    decided_at: str
    note: str | None
    supersedes: int | None


_COLUMNS = (
    "decision_id, source_l, record_id_l, source_r, record_id_r, judgement, decided_by, decided_at, note, supersedes"
)

# Live decisions: those made after the last decision any steward acknowledged on the pair.
_PAIR = "source_l, record_id_l, source_r, record_id_r"
_LIVE_SQL = f"""
    SELECT {", ".join("d." + c.strip() for c in _COLUMNS.split(","))}
    FROM decisions d
    JOIN (SELECT {_PAIR}, coalesce(max(supersedes), 0) AS cutoff FROM decisions GROUP BY {_PAIR}) c
        USING ({_PAIR})
    WHERE d.decision_id > c.cutoff
"""


def normalise_pair(source_a: str, record_id_a: str, source_b: str, record_id_b: str) -> tuple[str, str, str, str]:
    """Order a pair by (source, record_id), as decisions are stored."""
    if (source_a, record_id_a) == (source_b, record_id_b):
        raise ValueError(f"a decision needs two different records, got {source_a}/{record_id_a} twice")
    if (source_a, record_id_a) < (source_b, record_id_b):
        return source_a, record_id_a, source_b, record_id_b
    return source_b, record_id_b, source_a, record_id_a


def live_decisions(service_con: sqlite3.Connection, pair: tuple[str, str, str, str]) -> list[Decision]:
    """The decisions on a normalised pair that no later decision superseded, oldest first."""
    same_pair = "source_l = ? AND record_id_l = ? AND source_r = ? AND record_id_r = ?"
    rows = service_con.execute(
        f"SELECT {_COLUMNS} FROM decisions WHERE {same_pair} AND decision_id >"
        f" (SELECT coalesce(max(supersedes), 0) FROM decisions WHERE {same_pair}) ORDER BY decision_id",
        pair + pair,
    ).fetchall()
    return [Decision(*row) for row in rows]


def record_decision(
    service_con: sqlite3.Connection,
    source_l: str,
    record_id_l: str,
    source_r: str,
    record_id_r: str,
    judgement: str,
    decided_by: str,
    note: str | None = None,
    expected_current: int | None = None,
) -> Decision:
    """Append one decision about a pair: :func:`record_decisions` with one pair (its checks, its conflict)."""
    pair = (source_l, record_id_l, source_r, record_id_r)
    return record_decisions(service_con, [(pair, judgement, expected_current)], decided_by, note)[0]


def record_decisions(
    service_con: sqlite3.Connection,
    wanted: list[tuple[tuple[str, str, str, str], str, int | None]],
    decided_by: str,
    note: str | None = None,
) -> list[Decision]:
    """Append decisions, all or none: the one write of the decisions table. ``wanted`` is (pair, judgement,
    expected_current) each, a pair (source_a, record_id_a, source_b, record_id_b) in either order.

    Every decision is checked before any is written (ValueError: a pair of one record, a judgement that is not
    one of :class:`Judgement`, no name of who decided, a note over :data:`MAX_NOTE_LENGTH`). ``expected_current``:
    the decision id the steward saw as current, or ``NO_DECISION`` (0) if they saw none; ``None`` records
    without checking (imports, scripts). A stale one raises DecisionConflict and records none of them.

    Without the role, scope or lock of :func:`decide`: callers that read the live decisions to choose
    ``wanted`` hold :func:`decision_lock` from the read to this call (``person_decisions``).
    """
    rows = _checked(wanted, decided_by, note)
    service_con.execute("BEGIN IMMEDIATE")
    try:
        out = [_append(service_con, pair, judgement, decided_by, note, expected) for pair, judgement, expected in rows]
        service_con.execute("COMMIT")
    except BaseException:
        service_con.execute("ROLLBACK")
        raise
    return out


def _checked(wanted: list[tuple[tuple[str, str, str, str], str, int | None]], decided_by: str, note: str | None
             ) -> list[tuple[tuple[str, str, str, str], str, int | None]]:
    """``wanted`` with each pair normalised and each judgement a :class:`Judgement` value; ValueError naming the
    first thing that makes a decision impossible."""
    if not decided_by:
        raise ValueError("a decision needs the name of who decided it")
    if note is not None and len(note) > MAX_NOTE_LENGTH:
        raise ValueError(f"the note is too long: {len(note)} characters, at most {MAX_NOTE_LENGTH}")
    rows = []
    for pair, judgement, expected in wanted:
        try:
            judgement = Judgement(judgement).value
        except ValueError:
            raise ValueError(f"judgement must be positive, negative or unsure, got {judgement!r}") from None
        rows.append((normalise_pair(*pair), judgement, expected))
    return rows


def _append(service_con: sqlite3.Connection, pair: tuple[str, str, str, str], judgement: str, decided_by: str,
            note: str | None, expected_current: int | None) -> Decision:
    """Insert one checked decision on a normalised pair inside the caller's transaction: refuse a stale
    ``expected_current``, and supersede what the decider saw (or their own, or agreeing, live decisions)."""
    live = live_decisions(service_con, pair)
    current_id = live[-1].decision_id if live else None
    if expected_current is not None:
        if expected_current != (current_id or NO_DECISION):
            raise DecisionConflict(expected_current, current_id)
        supersedes = expected_current or None
    elif live and all(d.decided_by == decided_by or d.judgement == judgement for d in live):
        supersedes = current_id
    else:
        supersedes = None  # no earlier decision, or another steward's that it contradicts
    cursor = service_con.execute(
        "INSERT INTO decisions (source_l, record_id_l, source_r, record_id_r, judgement, decided_by, note,"
        " supersedes) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING " + _COLUMNS,
        (*pair, judgement, decided_by, note, supersedes),
    )
    row = cursor.fetchone()
    cursor.close()
    return Decision(*row)


def live_decisions_among(
    service_con: sqlite3.Connection, records: Iterable[tuple[str, str]]
) -> dict[tuple[str, str, str, str], list[Decision]]:
    """The live decisions on every pair of ``records`` ((source, record_id) each) that has any, oldest first."""
    keys = json.dumps(sorted({tuple(r) for r in records}))
    among = "IN (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?))"
    rows = service_con.execute(
        f"""WITH d AS (SELECT {_COLUMNS} FROM decisions
                       WHERE (source_l, record_id_l) {among} AND (source_r, record_id_r) {among})
            SELECT {_COLUMNS} FROM d
            WHERE decision_id > (SELECT coalesce(max(e.supersedes), 0) FROM d e
                                 WHERE (e.source_l, e.record_id_l, e.source_r, e.record_id_r)
                                     = (d.source_l, d.record_id_l, d.source_r, d.record_id_r))
            ORDER BY decision_id""",
        (keys, keys),
    ).fetchall()
    out: dict[tuple[str, str, str, str], list[Decision]] = {}
    for row in rows:
        d = Decision(*row)
        out.setdefault((d.source_l, d.record_id_l, d.source_r, d.record_id_r), []).append(d)
    return out


def may_decide(principal: Principal) -> bool:
    """Whether the principal's role decides at all (pages show the decision controls only then)."""
    return principal.role in DECIDING_ROLES


def check_may_decide(principal: Principal, pairs: Iterable[tuple[str, str, str, str]]) -> None:
    """Raise DecisionRefused unless the principal decides and sees every record of ``pairs`` in full.

    ``pairs``: (source_a, record_id_a, source_b, record_id_b). A key limited to some sources
    may not decide on a pair with a record of another source.
    """
    if not may_decide(principal):
        raise DecisionRefused(f"deciding needs the role {' or '.join(DECIDING_ROLES)}")
    if principal.sources is None:
        return
    for source_a, _, source_b, _ in pairs:
        for source, field in ((source_a, "source_l"), (source_b, "source_r")):
            if source not in principal.sources:
                raise DecisionRefused(f"this key may not decide on records of source {source}", field=field)


def decide(
    service_con: sqlite3.Connection,
    pair: tuple[str, str, str, str],
    judgement: str,
    by: Principal | str,
    *,
    note: str | None = None,
    expected_current: int | None = None,
) -> Decision:
    """Record a decision on one pair: the API's (and so the pair page's) and the CLI's way to :func:`record_decisions`.

    ``by``: the principal deciding (role and source scope checked, recorded as its actor), or a
    name from the terminal (whoever may open the service database decides as that name).
    ``expected_current`` as in :func:`record_decisions`. The check and the insert run under one
    OS file lock beside the database, so concurrent workers never both pass the check.
    """
    if isinstance(by, Principal):
        check_may_decide(by, [pair])
        decided_by = by.actor
    else:
        decided_by = by
    with decision_lock(service_con):
        return record_decision(service_con, *pair, judgement, decided_by, note=note, expected_current=expected_current)


@contextmanager
def decision_lock(service_con: sqlite3.Connection) -> Iterator[None]:
    """An exclusive lock on ``<service db>.decisions.lock`` (none for an in-memory database: one connection)."""
    database = next(row[2] for row in service_con.execute("PRAGMA database_list").fetchall() if row[1] == "main")
    if not database:
        yield
        return
    with open(Path(database).with_suffix(".decisions.lock"), "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def current_decision_id(
    service_con: sqlite3.Connection, source_a: str, record_id_a: str, source_b: str, record_id_b: str
) -> int | None:
    """The id of the decision applied to a pair now (its latest live one), or None."""
    pair = normalise_pair(source_a, record_id_a, source_b, record_id_b)
    return current_decision_ids(service_con, [pair]).get(pair)


def current_decision_ids(
    service_con: sqlite3.Connection, pairs: Iterable[tuple[str, str, str, str]]
) -> dict[tuple[str, str, str, str], int]:
    """The id of the decision applied now to each of ``pairs`` (either order) that has one, by normalised pair,
    in one query. A pair's newest decision is its latest live one: every decision supersedes only older ones."""
    keys = json.dumps(sorted({normalise_pair(*pair) for pair in pairs}))
    rows = service_con.execute(
        f"SELECT {_PAIR}, max(decision_id) FROM decisions WHERE ({_PAIR}) IN (SELECT json_extract(value, '$[0]'),"
        " json_extract(value, '$[1]'), json_extract(value, '$[2]'), json_extract(value, '$[3]') FROM json_each(?))"
        f" GROUP BY {_PAIR}",
        (keys,),
    ).fetchall()
    return {tuple(row[:4]): row[4] for row in rows}


def decision_history(
    service_con: sqlite3.Connection, source_a: str, record_id_a: str, source_b: str, record_id_b: str
) -> list[Decision]:
    """Every decision ever recorded on a pair, oldest first (the last live one is current)."""
    pair = normalise_pair(source_a, record_id_a, source_b, record_id_b)
    rows = service_con.execute(
        f"SELECT {_COLUMNS} FROM decisions WHERE source_l = ? AND record_id_l = ? AND source_r = ? AND record_id_r = ?"
        " ORDER BY decision_id",
        pair,
    ).fetchall()
    return [Decision(*row) for row in rows]


def current_decisions(service_con: sqlite3.Connection) -> list[Decision]:
    """The decision applied to each pair: its latest live decision."""
    rows = service_con.execute(
        f"""
        SELECT {_COLUMNS} FROM (
            SELECT *, row_number() OVER (PARTITION BY {_PAIR} ORDER BY decision_id DESC) AS rank
            FROM ({_LIVE_SQL}))
        WHERE rank = 1
        ORDER BY decision_id
        """
    ).fetchall()
    return [Decision(*row) for row in rows]


def decision_conflicts(service_con: sqlite3.Connection) -> list[list[Decision]]:
    """Pairs whose live decisions disagree (two stewards, different judgements), oldest first."""
    live = [Decision(*row) for row in service_con.execute(_LIVE_SQL + " ORDER BY decision_id").fetchall()]
    by_pair: dict[tuple[str, str, str, str], list[Decision]] = {}
    for d in live:
        by_pair.setdefault((d.source_l, d.record_id_l, d.source_r, d.record_id_r), []).append(d)
    return [ds for ds in by_pair.values() if len({d.judgement for d in ds}) > 1]


@dataclass(frozen=True)
class LoadedDecisions:
    table: str
    loaded: int
    unknown_records: int  # decisions naming a (source, record_id) that is not in the store
    contested: int  # pairs whose stewards disagree


def current_positive_pairs(service_con: sqlite3.Connection) -> list[tuple[str, str, str, str]]:
    """(source_l, record_id_l, source_r, record_id_r) of every pair whose current decision is "same person" and
    that no two stewards disagree on, sorted: what training learns m from."""
    contested = {(ds[0].source_l, ds[0].record_id_l, ds[0].source_r, ds[0].record_id_r)
                 for ds in decision_conflicts(service_con)}
    pairs = ((d.source_l, d.record_id_l, d.source_r, d.record_id_r) for d in current_decisions(service_con)
             if d.judgement == "positive")
    return sorted(p for p in pairs if p not in contested)


def load_decisions_into(
    con: duckdb.DuckDBPyConnection, service_con: sqlite3.Connection, table: str = "current_decisions"
) -> LoadedDecisions:
    """Copy the current decision of each pair into a DuckDB temp table keyed by rids.

    Columns: rid_l < rid_r, judgement, decision_id, decided_by, decided_at (TIMESTAMP in the
    session's time zone, like ``records.updated_at``),
    contested (stewards disagree on this pair), conflict_detail (their judgements, in words).
    """
    decisions = current_decisions(service_con)
    contested = {
        (ds[0].source_l, ds[0].record_id_l, ds[0].source_r, ds[0].record_id_r): "; ".join(
            f"{d.decided_by} said {d.judgement} on {d.decided_at}" for d in ds
        )
        for ds in decision_conflicts(service_con)
    }
    arrow = pa.table(
        {
            "source_l": [d.source_l for d in decisions],
            "record_id_l": [d.record_id_l for d in decisions],
            "source_r": [d.source_r for d in decisions],
            "record_id_r": [d.record_id_r for d in decisions],
            "judgement": [d.judgement for d in decisions],
            "decision_id": pa.array([d.decision_id for d in decisions], pa.int64()),
            "decided_by": [d.decided_by for d in decisions],
            "decided_at": [d.decided_at for d in decisions],
            "conflict_detail": [
                contested.get((d.source_l, d.record_id_l, d.source_r, d.record_id_r)) for d in decisions
            ],
        },
        schema=pa.schema(
            [
                ("source_l", pa.string()),
                ("record_id_l", pa.string()),
                ("source_r", pa.string()),
                ("record_id_r", pa.string()),
                ("judgement", pa.string()),
                ("decision_id", pa.int64()),
                ("decided_by", pa.string()),
                ("decided_at", pa.string()),
                ("conflict_detail", pa.string()),
            ]
        ),
    )
    con.register("_decisions_arrow", arrow)
    try:
        con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE {table} AS
            SELECT least(a.rid, b.rid) AS rid_l, greatest(a.rid, b.rid) AS rid_r,
                   d.judgement, d.decision_id, d.decided_by,
                   -- SQLite writes UTC; compare in the session's time base, as records.updated_at is stored
                   CAST(CAST(replace(replace(d.decided_at, 'T', ' '), 'Z', '') || '+00' AS TIMESTAMPTZ) AS TIMESTAMP)
                       AS decided_at,
                   d.conflict_detail IS NOT NULL AS contested, d.conflict_detail
            FROM _decisions_arrow d
            JOIN records a ON a.source = d.source_l AND a.record_id = d.record_id_l
            JOIN records b ON b.source = d.source_r AND b.record_id = d.record_id_r
            """
        )
    finally:
        con.unregister("_decisions_arrow")
    loaded = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
    return LoadedDecisions(table, loaded, len(decisions) - loaded, len(contested))
