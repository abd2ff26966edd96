"""Real-time matching: score one exchange-format record against the published records.

The record is standardized with the nightly standardizer's own per-field parsers
(``linkage.fields.standardize.LOOKUPS``), shaped by the model input's own SQL
(``linkage.model.model_input.MODEL_INPUT_COLUMNS_SQL``), and candidates are the published records
that share a key with it under the prediction blocking rules. Candidates get their levels
in one DuckDB query built from the trained Splink model (each comparison's level conditions
give its gamma), and the stored m/u probabilities give the match weights, added up in numpy
exactly as Splink's own ``predict`` SQL does (term-frequency adjustments included), so a pair
scores exactly as the nightly run stored it (tests/test_realtime_match.py checks this against
the real predict step). Measured here: Splink's own ``compare_records`` takes about 130 ms per
call for ten candidates (57 ms with its SQL cache), these queries about 11 ms for one request
and 14 ms for eight together at 1M records (most of it DuckDB binding them), so the SQL is generated once
per snapshot and model, Splink is not called per request, and concurrent requests share the
queries (``ScoreBatcher``).
"""

from __future__ import annotations

import contextlib
import math
import queue
import re
import threading
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np

from linkage.errors import FieldError, LaoLinkError
from linkage.model.model_input import MODEL_INPUT_COLUMNS_SQL
from linkage.store import STANDARDIZED_COLUMNS
from linkage.thread_signal import Completion

MAX_CANDIDATES = 2000  # records scored per request at most (one rule matching thousands is noise)
MAX_BATCH = 64  # requests scored in one query at most
_batcher_lock = threading.Lock()


@dataclass(frozen=True)
class FieldComparison:
    """How one comparison (name, birth, place...) came out for a pair, and its weight."""

    comparison: str
    gamma: int
    label: str
    match_weight: float


@dataclass(frozen=True)
class PersonMatch:
    """A candidate person: the best-scoring of its records and why it scored so."""

    person_id: str | None
    match_weight: float
    match_probability: float
    rid: int
    source: str
    record_id: str
    records_compared: int
    fields: list[FieldComparison]


@dataclass(frozen=True)
class MatchResult:
    model_version: str
    standardized: dict[str, Any]
    candidates_scored: int
    persons: list[PersonMatch]


# --- standardizing one record -------------------------------------------------------------


def standardize_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """The standardized columns of one exchange-format record, as the nightly standardizer fills them.

    Raises FieldError naming the exchange-format field when a value cannot be parsed.
    """
    from linkage.fields.standardize import LOOKUPS

    def text(column: str) -> str | None:
        value = record.get(column)
        if value is None:
            return None
        value = str(value)
        return value if value.strip() else None

    out: dict[str, Any] = {}
    for lookup in LOOKUPS:
        values = [text(c) for c in lookup.raw]
        try:
            parsed = None if all(v is None for v in values) else lookup.parse(*values)
        except FieldError as exc:
            # Name the exchange-format field (parsers name their own kind of value, e.g. "date").
            field_name = exc.field if exc.field in lookup.raw else lookup.raw[0]
            value = values[lookup.raw.index(field_name)]
            raise FieldError(exc.reason, field=field_name, value=value) from exc
        for i, (name, _) in enumerate(lookup.outputs):
            out[name] = None if parsed is None else parsed[i]
    # Combine the parts the way standardize()'s UPDATE does (ages give birth-year ranges).
    age_min, age_max = out.pop("age_year_min", None), out.pop("age_year_max", None)
    out.pop("event_year_min", None)
    out.pop("event_year_max", None)
    if out.get("dob_precision") is None and age_min is not None:
        out["dob_precision"] = "range"
    out["dob_year_min"] = out.get("dob_year_min") if out.get("dob_year_min") is not None else age_min
    out["dob_year_max"] = out.get("dob_year_max") if out.get("dob_year_max") is not None else age_max
    return {c: out.get(c) for c in STANDARDIZED_COLUMNS if c != "std_version"}


# --- the scorer: SQL generated once per snapshot and model ------------------------------


@dataclass
class _Comparison:
    name: str
    gamma_sql: str  # CASE ... END AS gamma_<name>
    labels: dict[int, str]
    weights: dict[int, float]  # level -> match weight (Splink's, as its predict SQL casts it)
    # level -> (term frequency column, adjustment weight, log2 u of the exact match, minimum u): Splink's
    # term-frequency adjustment, weight * (log2 u - log2(max(tf, minimum))), when the query value has a tf
    tf: dict[int, tuple[str, float, float, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class KeyRule:
    """A blocking rule whose top-level conjuncts include ``l.a = r.b`` equalities: candidates are found
    by a hash of that key, then, if the rule says more (``residual``), filtered by the whole rule."""

    number: int
    left: tuple[str, ...]  # query columns, in order
    right: tuple[str, ...]  # candidate columns, in the same order
    residual: str | None = None  # the whole rule as a filter on candidates ``c``, when it says more


@dataclass
class RealtimeScorer:
    """Scores one standardized record against a snapshot's records with one model.

    ``mirror`` is an in-memory DuckDB holding what scoring reads (``mi``: the model input of
    every record with its source, record_id and person; ``bk``: one hash per record and
    key rule, sorted): a lookup there costs about a millisecond, where scanning the
    compressed snapshot file for the same keys costs tens.
    """

    model_version: str
    prior_weight: float
    comparisons: list[_Comparison]
    input_columns: list[str]
    key_rules: list[KeyRule]
    scan_sql: str | None  # filter on mi for rules that are not plain key equalities
    tf_columns: list[str]
    column_types: dict[str, str]
    mirror: duckdb.DuckDBPyConnection
    tf: dict[str, dict[str, float]] = field(default_factory=dict)
    bk_hash: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint64), repr=False)  # bk.h, sorted
    bk_rid: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64), repr=False)  # bk.rid, same order
    batcher: ScoreBatcher | None = field(default=None, repr=False, compare=False)

    @property
    def score_sql(self) -> str:
        """The comparison levels (gammas) of the candidates of several query records at once: query ``i``
        (``$_qid[i]``) has the values ``$_l_<column>[i]``; candidate pairs are (``$_cq[j]``, ``$_cr[j]``).
        Only the levels need SQL (string similarities); their weights are added up in numpy."""
        left = ", ".join(
            f'unnest(CAST($_l_{c} AS {self.column_types[c]}[])) AS "{c}_l"' for c in self.input_columns
        )
        right = ", ".join(f'c."{c}" AS "{c}_r"' for c in self.input_columns)
        gammas = ",\n".join(c.gamma_sql for c in self.comparisons)
        return f"""
        WITH q AS (SELECT unnest($_qid::INTEGER[]) AS _qid, {left}),
        qc AS (SELECT unnest($_cq::INTEGER[]) AS _qid, unnest($_cr::BIGINT[]) AS rid),
        cand AS (SELECT * FROM mi WHERE rid = ANY($_cr::BIGINT[])),
        pairs AS (
            SELECT q.*, {right}, c.rid AS rid_r,
                   c._source AS source, c._record_id AS record_id, c._person_id AS person_id
            FROM qc JOIN cand c USING (rid) JOIN q USING (_qid)
        )
        SELECT _qid, rid_r, source, record_id, person_id, {gammas} FROM pairs
        """

    def key_hash_sql(self, column: Callable[[str], str]) -> list[str]:
        """Each key rule's hash of a query record, its key columns named by ``column`` (as ``bk`` hashes the
        candidates' own columns: the query's values cast to the candidate columns' types)."""
        return [f"hash({rule.number}, "
                + ", ".join(f"CAST({column(left)} AS {self.column_types[right]})"
                            for left, right in zip(rule.left, rule.right, strict=True)) + ")"
                for rule in self.key_rules]

    def candidates_many(
        self, cur: duckdb.DuckDBPyConnection, model_rows: list[Mapping[str, Any]], hashed: list[tuple] | None = None
    ) -> list[list[int]]:
        """Rids of the records sharing a blocking key with each query record (at most MAX_CANDIDATES, lowest
        rids), in two queries whatever their number.

        DuckDB hashes every query's keys (one query over the queries' values, unless ``hashed`` has them
        already: :meth:`model_inputs`); the records of each hash are then found by binary search in the
        sorted copy of ``bk`` (``bk_hash``/``bk_rid``), not by index scans; rules that say more than their
        key, and rules without one, filter ``mi`` in one more query for all queries together.
        """
        found: list[set[int]] = [set() for _ in model_rows]
        if not model_rows:
            return []
        params: dict[str, Any] = {"_j": list(range(len(model_rows)))}
        if hashed is None and self.key_rules:
            columns = sorted({c for rule in self.key_rules for c in rule.left})
            for c in columns:
                params[f"k_{c}"] = [row.get(c) for row in model_rows]
            values = ", ".join(["unnest($_j::INTEGER[]) AS _j",
                                *(f'unnest(CAST($k_{c} AS {self.column_types[c]}[])) AS "k_{c}"' for c in columns)])
            exprs = self.key_hash_sql(lambda c: f'"k_{c}"')
            hashed = _run(cur, f"SELECT {', '.join(exprs)} FROM (SELECT {values}) ORDER BY _j", params)
        hit_j: list[int] = []  # (query, rid, rule) of hits a rule's residual filters
        hit_rid: list[int] = []
        hit_rule: list[int] = []
        if hashed is not None:
            for j, (row, hashes) in enumerate(zip(model_rows, hashed, strict=True)):
                for rule, h in zip(self.key_rules, hashes, strict=True):
                    if any(row.get(c) is None for c in rule.left):
                        continue  # a null never blocks
                    hits = self.records_of_hash(h)
                    if not hits:
                        continue
                    if rule.residual:
                        hit_j += [j] * len(hits)
                        hit_rid += hits
                        hit_rule += [rule.number] * len(hits)
                    else:
                        found[j].update(hits)
        # Residuals and key-less rules: one query for all the query records, whose values are the columns
        # of ``p`` (one row per query record), so its cost does not grow with their number.
        selects, used = [], []
        if hit_rid:
            residuals = [r for r in self.key_rules if r.residual]
            used += [r.residual for r in residuals]
            params.update({"_hj": hit_j, "_hr": hit_rid, "_hn": hit_rule})
            selects.append("SELECT h._j, c.rid FROM h JOIN (SELECT * FROM mi WHERE rid = ANY($_hr::BIGINT[])) c "
                           "USING (rid) JOIN p USING (_j) WHERE "
                           + " OR ".join(f"(h._rule = {r.number} AND {_on_query_values(r.residual)})"
                                         for r in residuals))
        if self.scan_sql:
            used.append(self.scan_sql)
            selects.append(f"SELECT p._j, c.rid FROM p, mi c WHERE {_on_query_values(self.scan_sql)}")
        if selects:
            values = ["unnest($_j::INTEGER[]) AS _j"]
            for name in _blocking_params(" ".join(used)):
                params[f"p_{name}"] = [row.get(name) for row in model_rows]
                typed = f"CAST($p_{name} AS {self.column_types[name]}[])" if name in self.column_types else f"$p_{name}"
                values.append(f'unnest({typed}) AS "_p_{name}"')
            ctes = [f"p AS (SELECT {', '.join(values)})"]
            if hit_rid:
                ctes.append("h AS (SELECT unnest($_hj::INTEGER[]) AS _j, unnest($_hr::BIGINT[]) AS rid, "
                            "unnest($_hn::INTEGER[]) AS _rule)")
            for j, rid in _run(cur, f"WITH {', '.join(ctes)} " + " UNION ALL ".join(selects), params):
                found[j].add(rid)
        return [sorted(f)[:MAX_CANDIDATES] for f in found]

    def records_of_hash(self, h: int) -> list[int]:
        """The rids whose key hash is ``h``."""
        key = np.uint64(h)
        lo, hi = np.searchsorted(self.bk_hash, key, "left"), np.searchsorted(self.bk_hash, key, "right")
        return self.bk_rid[lo:hi].tolist()

    def score(
        self, con: duckdb.DuckDBPyConnection | None, standardized: Mapping[str, Any], *, top_k: int = 5,
        min_probability: float = 0.0,
    ) -> MatchResult:
        """Score against the mirror (``con``, the snapshot, is not read: the mirror holds what is needed)."""
        return self._result(standardized, self._batcher.score(standardized), top_k, min_probability)

    async def score_async(
        self, standardized: Mapping[str, Any], *, top_k: int = 5, min_probability: float = 0.0
    ) -> MatchResult:
        """:meth:`score` for the event loop: awaits the scoring thread without holding a worker thread."""
        return self._result(standardized, await self._batcher.score_async(standardized), top_k, min_probability)

    def _result(
        self, standardized: Mapping[str, Any], rows: list[dict[str, Any]], top_k: int, min_probability: float
    ) -> MatchResult:
        return MatchResult(
            model_version=self.model_version,
            standardized=dict(standardized),
            candidates_scored=len(rows),
            persons=self._best_per_person(rows, top_k, min_probability),
        )

    @property
    def _batcher(self) -> ScoreBatcher:
        with _batcher_lock:
            if self.batcher is None:
                self.batcher = ScoreBatcher(self)
            return self.batcher

    def model_inputs(
        self, cur: duckdb.DuckDBPyConnection, standardized: list[Mapping[str, Any]]
    ) -> tuple[list[dict[str, Any]], list[tuple] | None]:
        """The model input rows of standardized query records and their key hashes, in one query."""
        exprs = self.key_hash_sql(lambda c: f'"{c}"')
        rows, hashed = _model_input_query(cur, standardized, exprs)
        return rows, hashed if exprs else None

    def match_rows(self, standardized: list[Mapping[str, Any]]) -> list[list[dict[str, Any]]]:
        """The scored candidate rows of each standardized query record, best first: model input, candidates
        and scores each in one query for all the records."""
        cur = self.mirror.cursor()
        try:
            model_rows, hashed = self.model_inputs(cur, standardized)
            rids = self.candidates_many(cur, model_rows, hashed)
        finally:
            cur.close()
        scored = [j for j, r in enumerate(rids) if r]
        out: list[list[dict[str, Any]]] = [[] for _ in standardized]
        if scored:
            for j, rows in zip(scored, self.score_rows([(model_rows[j], rids[j]) for j in scored]), strict=True):
                out[j] = rows
        return out

    def score_rows(self, jobs: list[tuple[Mapping[str, Any], list[int]]]) -> list[list[dict[str, Any]]]:
        """The scored candidate rows of each (model input row, candidate rids) job, best first, in one query.

        Each comparison's weight is its level's match weight plus, at a level with a term-frequency
        adjustment, Splink's adjustment for the query's value (the candidate side has none, as in the
        nightly's tables); the match weight is the prior plus the comparisons' weights, added in the
        order Splink's predict SQL adds them, so a pair scores exactly as the nightly stored it.
        """
        params: dict[str, Any] = {"_qid": list(range(len(jobs))), "_cq": [], "_cr": []}
        for c in self.input_columns:
            params[f"_l_{c}"] = [row.get(c) for row, _ in jobs]
        for qid, (_, rids) in enumerate(jobs):
            params["_cq"].extend([qid] * len(rids))
            params["_cr"].extend(rids)
        cur = self.mirror.cursor()
        try:
            cols = _execute(cur, self.score_sql, params).fetchnumpy()
        finally:
            cur.close()
        out: list[list[dict[str, Any]]] = [[] for _ in jobs]
        qid = np.asarray(cols["_qid"], dtype=np.int64)
        if len(qid) == 0:
            return out
        tf_of_query = {  # the query's term frequency per tf column (NaN: none)
            c: np.array([np.nan if (f := self.tf.get(c, {}).get(row.get(c))) is None else f for row, _ in jobs])
            for c in self.tf_columns
        }
        total = np.full(len(qid), self.prior_weight)
        fields: dict[str, Any] = {}
        for comp in self.comparisons:
            gamma = np.asarray(cols[f"gamma_{comp.name}"], dtype=np.int64)
            weight = np.full(len(qid), np.nan)
            adjustment = np.zeros(len(qid))
            for level, w in comp.weights.items():
                weight[gamma == level] = w
            for level, (column, tf_weight, log2_u, minimum) in comp.tf.items():
                tf = tf_of_query[column][qid]
                at = (gamma == level) & ~np.isnan(tf)
                adjustment[at] = tf_weight * (log2_u - np.log2(np.maximum(tf[at], minimum)))
            w_field = weight + adjustment
            total = total + w_field
            fields[f"gamma_{comp.name}"] = gamma.tolist()
            fields[f"w_{comp.name}"] = w_field.tolist()
        rid = np.asarray(cols["rid_r"], dtype=np.int64)
        order = np.lexsort((rid, -total, qid))  # by query, best first, then by rid
        text = {k: list(cols[k]) for k in ("source", "record_id", "person_id")}
        rid_list, total_list, qid_list = rid.tolist(), total.tolist(), qid.tolist()
        prob_list = [_probability(w) for w in total_list]
        for i in order.tolist():
            row = {"rid_r": rid_list[i], **{k: _plain(v[i]) for k, v in text.items()},
                   **{k: v[i] for k, v in fields.items()},
                   "match_weight": total_list[i], "match_probability": prob_list[i]}
            out[qid_list[i]].append(row)
        return out

    def _best_per_person(self, rows: list[dict[str, Any]], top_k: int, min_probability: float) -> list[PersonMatch]:
        best: dict[str, PersonMatch] = {}
        counts: dict[str, int] = {}
        for row in rows:  # ordered by weight, so the first row of a person is its best
            key = row["person_id"] or f"rid:{row['rid_r']}"
            counts[key] = counts.get(key, 0) + 1
            if key in best or len(best) >= top_k or row["match_probability"] < min_probability:
                continue
            fields = [
                FieldComparison(
                    comparison=c.name,
                    gamma=int(row[f"gamma_{c.name}"]),
                    label=c.labels.get(int(row[f"gamma_{c.name}"]), ""),
                    match_weight=float(row[f"w_{c.name}"]),
                )
                for c in self.comparisons
            ]
            best[key] = PersonMatch(
                person_id=row["person_id"], match_weight=float(row["match_weight"]),
                match_probability=float(row["match_probability"]), rid=int(row["rid_r"]),
                source=row["source"], record_id=row["record_id"], records_compared=0, fields=fields,
            )
        return [
            PersonMatch(**{**p.__dict__, "records_compared": counts[k]}) for k, p in best.items()
        ]


class ScoreBatcher:
    """Scores requests that arrive together in one go (like a group commit).

    Most of a query's cost is DuckDB planning it (about 15 ms for the score query's CASE
    expressions, whether it scores 2 candidates or 200; a few ms for the model input's and the
    keys'), so one thread takes every job queued meanwhile and runs each step once for them all
    (:meth:`RealtimeScorer.match_rows`): under 16 concurrent clients the cost per request falls to
    a fraction of the queries; a lone request waits for nothing.
    """

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


@dataclass
class _Job:
    standardized: Mapping[str, Any]
    completion: Completion = field(default_factory=Completion)  # its error: why the job was not scored
    rows: list[dict[str, Any]] = field(default_factory=list)


def _model_input_query(
    con: duckdb.DuckDBPyConnection, standardized: list[Mapping[str, Any]], extra: list[str]
) -> tuple[list[dict[str, Any]], list[tuple]]:
    """Model input rows, and per row the values of the ``extra`` expressions over its columns."""
    columns = [c for c in STANDARDIZED_COLUMNS if c != "std_version"]
    values = ", ".join(f"unnest(CAST($v_{c} AS {STANDARDIZED_COLUMNS[c]}[])) AS {c}" for c in columns)
    model_input = f"SELECT {MODEL_INPUT_COLUMNS_SQL} FROM (SELECT unnest($_j::BIGINT[]) AS rid, {values}) records"
    sql = f"WITH m AS ({model_input}) SELECT {', '.join(['m.*', *extra])} FROM m ORDER BY rid"
    params = {f"v_{c}": [s.get(c) for s in standardized] for c in columns}
    cur = _execute(con, sql, {"_j": list(range(len(standardized))), **params})
    names = [d[0] for d in cur.description][:len(cur.description) - len(extra)]
    rows = cur.fetchall()
    return ([{**dict(zip(names, row[:len(names)], strict=True)), "rid": 0} for row in rows],
            [tuple(row[len(names):]) for row in rows])


_SIDE_COLUMN = re.compile(r'\b([lr])\.("?)([A-Za-z_][A-Za-z0-9_]*)\2')
_EQUALITY = re.compile(r'\bl\.("?)([A-Za-z_][A-Za-z0-9_]*)\1\s*=\s*r\.("?)([A-Za-z_][A-Za-z0-9_]*)\3')


def _run(cur: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]) -> list[tuple]:
    """Execute with only the parameters the SQL names (DuckDB refuses extra ones)."""
    used = set(_blocking_params(sql))
    return _execute(cur, sql, {k: v for k, v in params.items() if k in used}).fetchall()


_parsed = threading.local()  # per thread: SQL text -> its parsed statement
MAX_PARSED = 32


def _execute(cur: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]) -> duckdb.DuckDBPyConnection:
    """``cur.execute(sql, params)``, the SQL parsed once per thread: the scoring queries are the same text each
    time (their values are list parameters), and parsing them is about a third of their cost."""
    cache: dict[str, Any] | None = getattr(_parsed, "statements", None)
    if cache is None or len(cache) >= MAX_PARSED:
        cache = _parsed.statements = {}
    statement = cache.get(sql)
    if statement is None:
        statement = cache[sql] = cur.extract_statements(sql)[0]
    return cur.execute(statement, params)


def _probability(weight: float) -> float:
    """pow(2, w) / (1 + pow(2, w)) as the SQL computes it (C pow; numpy's may differ in the last bit)."""
    try:
        odds = math.pow(2.0, weight)
    except OverflowError:  # a weight over 1024: certain
        return 1.0
    return odds / (1 + odds)


def _plain(value: Any) -> Any:
    """A value of a fetched numpy column as Python (None for a masked or missing one)."""
    if value is np.ma.masked or value is None:
        return None
    return value.item() if isinstance(value, np.generic) else value


def _on_query_values(sql: str) -> str:
    """A blocking filter's ``$column`` parameters as the columns ``p."_p_<column>"`` of the query records."""
    return re.sub(r"\$([A-Za-z_][A-Za-z0-9_]*)", r'p."_p_\1"', sql)


def _blocking_params(sql: str) -> list[str]:
    return sorted(set(re.findall(r"\$([A-Za-z_][A-Za-z0-9_]*)", sql)))


def blocking_filter_sql(rule_sqls: list[str]) -> str:
    """Blocking rules on ``l.``/``r.`` turned into a filter on candidates ``c`` with ``$column`` parameters."""

    def side(m: re.Match[str]) -> str:
        return f"${m.group(3)}" if m.group(1) == "l" else f'c."{m.group(3)}"'

    return " OR ".join(f"({_SIDE_COLUMN.sub(side, sql)})" for sql in rule_sqls)


def _conjuncts(sql: str) -> list[str] | None:
    """The rule's top-level AND parts, outer parentheses stripped; None if it has a top-level OR."""
    parts, depth, start = [], 0, 0
    tokens = re.finditer(r"\(|\)|\bAND\b|\bOR\b", sql, flags=re.IGNORECASE)
    for m in tokens:
        t = m.group(0).upper()
        if t == "(":
            depth += 1
        elif t == ")":
            depth -= 1
        elif depth == 0 and t == "OR":
            return None
        elif depth == 0 and t == "AND":
            parts.append(sql[start:m.start()])
            start = m.end()
    parts.append(sql[start:])
    out = []
    for part in parts:
        part = part.strip()
        while part.startswith("(") and part.endswith(")") and _balanced(part[1:-1]):
            part = part[1:-1].strip()
        out.append(part)
    return out


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        if depth < 0:
            return False
    return depth == 0


def key_rule(number: int, sql: str) -> KeyRule | None:
    """The rule's top-level equalities as a key (with the whole rule as residual filter when it says
    more), or None when it has none (such rules are scanned)."""
    conjuncts = _conjuncts(sql)
    if conjuncts is None:
        return None
    pairs, other = [], False
    for part in conjuncts:
        m = _EQUALITY.fullmatch(part) if conjuncts and part else None
        if m:
            pairs.append((m.group(2), m.group(4)))
        else:
            other = True
    if not pairs:
        return None
    return KeyRule(number, tuple(p[0] for p in pairs), tuple(p[1] for p in pairs),
                   residual=blocking_filter_sql([sql]) if other else None)


def build_mirror(con: duckdb.DuckDBPyConnection, rules: list[KeyRule]) -> duckdb.DuckDBPyConnection:
    """Copy the model input of every published record (with source, record_id, person) into memory,
    and one hash per record and key rule, sorted so a lookup reads one row group."""
    from linkage.model.model_input import MODEL_INPUT_COLUMNS_SQL as COLUMNS

    table = con.sql(
        f"""SELECT m.*, r.source AS _source, r.record_id AS _record_id, rp.person_id AS _person_id
            FROM (SELECT {COLUMNS} FROM records WHERE std_version IS NOT NULL) m
            JOIN records r USING (rid) LEFT JOIN record_person rp USING (rid)"""
    ).to_arrow_reader(100_000)  # streamed in batches
    mirror = duckdb.connect()
    mirror.register("mi_arrow", table)
    mirror.execute("CREATE TABLE mi AS SELECT * FROM mi_arrow ORDER BY rid")
    mirror.unregister("mi_arrow")
    hashes = []
    for r in rules:
        columns = ", ".join(f'"{c}"' for c in r.right)
        not_null = " AND ".join(f'"{c}" IS NOT NULL' for c in r.right)
        hashes.append(f"SELECT hash({r.number}, {columns}) AS h, rid FROM mi WHERE {not_null}")
    union = " UNION ALL ".join(hashes) or "SELECT 0::UBIGINT AS h, 0::BIGINT AS rid LIMIT 0"
    mirror.execute(f"CREATE TABLE bk AS SELECT * FROM ({union}) ORDER BY h")
    # ART indexes turn the point lookups into index scans (about 0.2 s to build per million rows).
    mirror.execute("CREATE UNIQUE INDEX mi_rid ON mi (rid)")
    mirror.execute("CREATE INDEX bk_h ON bk (h)")
    return mirror


def build_scorer(
    con: duckdb.DuckDBPyConnection, model_version: str, settings: dict[str, Any], rule_sqls: list[str]
) -> RealtimeScorer:
    """Generate the scoring SQL of a model (Splink's own level SQL and weights), mirror the candidates
    and load term frequencies."""
    from splink.internals.settings_creator import SettingsCreator

    from linkage.model.model_file import prior_for_store, splink_settings

    spl = SettingsCreator.from_path_or_dict(splink_settings(settings)).get_settings("duckdb")
    comparisons = []
    input_columns: list[str] = []
    tf_columns: list[str] = []
    for comp in spl.comparisons:
        levels = comp.comparison_levels
        name = comp.output_column_name
        tf: dict[int, tuple[str, float, float, float]] = {}
        for cl in levels:  # the levels whose _tf_adjustment_sql is not 0 (splink comparison_level.py)
            if (cl.comparison_vector_value == -1 or not cl._has_tf_adjustments or cl._tf_adjustment_weight == 0
                    or cl._is_else_level):
                continue
            column = cl._tf_adjustment_input_column.input_name
            tf[cl.comparison_vector_value] = (
                column, float(cl._tf_adjustment_weight),
                math.log2(cl._u_probability_corresponding_to_exact_match(levels)), float(cl._tf_minimum_u_value))
            if column not in tf_columns:
                tf_columns.append(column)
        comparisons.append(
            _Comparison(
                name=name,
                gamma_sql=comp._case_statement,
                labels={cl.comparison_vector_value: cl.label_for_charts for cl in levels},
                weights={cl.comparison_vector_value: float(cl._match_weight) for cl in levels},
                tf=tf,
            )
        )
        for col in comp._input_columns_used_by_case_statement:
            if col.input_name not in input_columns:
                input_columns.append(col.input_name)
    key_rules, scanned = [], []
    for number, sql in enumerate(rule_sqls):
        rule = key_rule(number, sql)
        if rule is None:
            scanned.append(sql)
        else:
            key_rules.append(rule)
    mirror = build_mirror(con, key_rules)
    # the prior the nightly run scaled to this store (the snapshot holds every standardized record)
    prior = prior_for_store(settings, mirror.execute("SELECT count(*) FROM mi").fetchall()[0][0])
    column_types = dict(mirror.execute("SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'mi'")
                        .fetchall())
    return RealtimeScorer(
        model_version=model_version,
        prior_weight=math.log2(prior / (1 - prior)),
        comparisons=comparisons,
        input_columns=input_columns,
        key_rules=key_rules,
        scan_sql=blocking_filter_sql(scanned) if scanned else None,
        tf_columns=tf_columns,
        column_types=column_types,
        mirror=mirror,
        tf=_term_frequencies(mirror, tf_columns),
        **_sorted_key_hashes(mirror),
    )


def _sorted_key_hashes(mirror: duckdb.DuckDBPyConnection) -> dict[str, np.ndarray]:
    """``bk`` as two numpy arrays ordered by hash (about 16 bytes per record and key rule)."""
    arrays = mirror.execute("SELECT h, rid FROM bk ORDER BY h").fetchnumpy()
    return {"bk_hash": np.asarray(arrays["h"], dtype=np.uint64), "bk_rid": np.asarray(arrays["rid"], dtype=np.int64)}


def _term_frequencies(con: duckdb.DuckDBPyConnection, columns: list[str]) -> dict[str, dict[str, float]]:
    """Each value's share of the non-null values of a column, as Splink's term-frequency tables hold it."""
    out: dict[str, dict[str, float]] = {}
    for col in columns:
        rows = con.execute(
            f"""SELECT "{col}", count(*) / sum(count(*)) OVER () FROM mi WHERE "{col}" IS NOT NULL GROUP BY "{col}" """
        ).fetchall()
        out[col] = dict(rows)
    return out


# --- choosing the model of a snapshot, and caching the scorer ---------------------------

_cache: dict[tuple[str, str], RealtimeScorer] = {}
_models: dict[str, tuple[str, dict[str, Any]]] = {}  # snapshot identity -> its model
_cache_lock = threading.Lock()


def snapshot_model(con: duckdb.DuckDBPyConnection) -> tuple[str, dict[str, Any]]:
    """The model that scored the snapshot's run (the newest model when the run names none)."""
    import json

    rows = con.execute(
        """SELECT m.model_version, m.settings_json FROM models m
           LEFT JOIN runs r ON r.model_version = m.model_version
           ORDER BY (r.run_id = (SELECT max(run_id) FROM snapshot_info)) DESC NULLS LAST,
                    m.first_used_run_id DESC NULLS LAST, m.model_version DESC
           LIMIT 1"""
    ).fetchall()
    if not rows:
        raise LaoLinkError("the published snapshot holds no model: run `laolink nightly` first")
    version, settings = rows[0]
    return version, json.loads(settings) if isinstance(settings, str) else settings


def model_blocking_rules(settings: dict[str, Any]) -> list[str]:
    """The model's own prediction blocking rules (those of blocking_rules/predict.yaml when it has none)."""
    entries = settings.get("blocking_rules_to_generate_predictions") or []
    rules = [e["blocking_rule"] if isinstance(e, dict) else str(e) for e in entries]
    if not rules:
        from linkage.model.blocking import load_rules

        rules = [r.sql for r in load_rules()]
    return rules


def scorer_for(con: duckdb.DuckDBPyConnection, rule_sqls: list[str] | None = None) -> RealtimeScorer:
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
            scorer = build_scorer(con, version, settings, rule_sqls)
            for old in [k for k in _cache if k[0] != key[0]]:
                del _cache[old]  # a newer snapshot replaced that one
            for old in [k for k in _models if k != identity]:
                del _models[old]
            _cache[key] = scorer
    return scorer


def built_scorer(identity: str) -> RealtimeScorer | None:
    """The scorer of the snapshot with this identity (``publish.snapshot_identity``) if it is built."""
    model = _models.get(identity)
    return _cache.get((identity, model[0])) if model is not None else None


def match_record(
    con: duckdb.DuckDBPyConnection, record: Mapping[str, Any], *, top_k: int = 5, min_probability: float = 0.0
) -> MatchResult:
    """The best candidate persons for one exchange-format record, best first, with per-field reasons."""
    standardized = standardize_record(record)
    return scorer_for(con).score(con, standardized, top_k=top_k, min_probability=min_probability)
