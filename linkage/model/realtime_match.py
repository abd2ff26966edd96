"""Real-time matching: score one standardized record against the published records.

The record is standardized by ``linkage.fields.standardize_one`` (the nightly standardizer's own
per-field parsers and rules, with its source's rules as the snapshot holds them), shaped by the model input's own SQL
(``linkage.model.model_input.model_input_sql``), and candidates are the published records
that share a key with it under the prediction blocking rules. Candidates get their levels
in one DuckDB query built from the trained Splink model (each comparison's level conditions
give its gamma), and the stored m/u probabilities give the match weights, added up in numpy
exactly as Splink's own ``predict`` SQL does (term-frequency adjustments included), with the term frequencies of
the snapshot's records (tests/test_realtime_match.py checks this against the real predict step; Splink's model is
read through ``splink_adapter``, the blocking rules through ``blocking_sql``). A record the snapshot does not hold
(no stored record of its source and record_id) is counted in them, as the next night counts it: (k + 1 - own) /
(T + 1) (a stored record sent with another value: (k + 1 - own) / T, its old value's place taken), within the
estimate of a person's own records (its N - 1 against the night's N), where counting it out weighed a name of one
stored record 3.96 bits more than the night then stored (5,669 records). The stored pairs
are those of the snapshot's frequencies right after a full scoring (a new model, a retrain, a new prior bucket);
a night that scores only its new and changed records leaves older pairs with the frequencies of the night that
scored them (one +10 % night without retraining: 659 of 8,074 pairs differed by more than 0.01 in probability, 18
across 0.6).

Measured here: Splink's own ``compare_records`` takes about 130 ms per
call for ten candidates (57 ms with its SQL cache), these queries about 11 ms for one request
and 14 ms for eight together at 1M records (most of it DuckDB binding them), so the SQL is generated once
per snapshot and model, Splink is not called per request, and several records are scored in the same
queries (:meth:`RealtimeScorer.match_rows`; the API's ``api.score_batcher`` gathers concurrent requests).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import duckdb
import numpy as np

from linkage.errors import LaoLinkError
from linkage.fields.invisible import key_or_none
from linkage.fields.standardize_one import FieldIssue, SourceRules, read_record, source_rules
from linkage.model.blocking_sql import KeyRule, blocking_filter_sql, filter_params, key_rule, on_query_values
from linkage.model.decision_classifier import combined_probabilities, snapshot_classifier
from linkage.model.realtime_mirror import (
    NameCounts,
    TermCounts,
    _model_input_query,
    build_mirror,
    execute_parsed,
    record_keys,
    run_query,
    snapshot_records,
    sorted_key_hashes,
    term_counts,
)
from linkage.model.splink_adapter import comparison_specs

MAX_CANDIDATES = 2000  # records scored per request at most (one rule matching thousands is noise)
RECORD_KEY = "_record_key"  # in a standardized query record: its (source, record_id), as ingest keeps them
SNAPSHOT_RID = "_snapshot_rid"  # in a query's model input row: the rid of the snapshot's record of its key
SNAPSHOT_VALUES = "_snapshot_values"  # beside it: that record's term-frequency columns as the snapshot holds them
PRIVATE_KEYS = (RECORD_KEY, SNAPSHOT_RID, SNAPSHOT_VALUES)
S = TypeVar("S", bound="RealtimeScorer")


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
    tf: dict[str, TermCounts] = field(default_factory=dict)
    classifier: dict[str, Any] | None = None  # the night's decisions' classifier (linkage.model.decision_classifier)
    name_counts: NameCounts = field(default_factory=lambda: NameCounts({}, {}, {}))
    bk_hash: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint64), repr=False)  # bk.h, sorted
    bk_rid: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64), repr=False)  # bk.rid, same order
    source_rules: dict[str, SourceRules] = field(default_factory=dict)  # per source, as the night applied them
    key_hash: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint64), repr=False)  # (source, record_id)
    key_rid: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64), repr=False)

    def read_record(self, record: Mapping[str, Any]) -> tuple[dict[str, Any], list[FieldIssue]]:
        """An exchange-format record standardized as the night standardized its source's records (that source's
        placeholder birth dates and event places when the record names one the snapshot holds), and the values
        that could not be read (left empty, as the night leaves them). Its source and record_id go along
        (``RECORD_KEY``): whether the snapshot holds the record (its values counted in the term frequencies already)
        is looked up with the batch it is scored in (:meth:`model_inputs`), not here, on the request's thread."""
        source, record_id = (key_or_none(None if record.get(k) is None else str(record[k]))  # as ingest keeps them
                             for k in ("source", "record_id"))
        standardized, issues = read_record(record, self.source_rules.get(source) if source else None)
        key = {RECORD_KEY: (source, record_id)} if source is not None and record_id is not None else {}
        return standardized | key, issues

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
            hashed = run_query(cur, f"SELECT {', '.join(exprs)} FROM (SELECT {values}) ORDER BY _j", params)
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
                           + " OR ".join(f"(h._rule = {r.number} AND {on_query_values(r.residual)})"
                                         for r in residuals))
        if self.scan_sql:
            used.append(self.scan_sql)
            selects.append(f"SELECT p._j, c.rid FROM p, mi c WHERE {on_query_values(self.scan_sql)}")
        if selects:
            values = ["unnest($_j::INTEGER[]) AS _j"]
            for name in filter_params(" ".join(used)):
                params[f"p_{name}"] = [row.get(name) for row in model_rows]
                typed = f"CAST($p_{name} AS {self.column_types[name]}[])" if name in self.column_types else f"$p_{name}"
                values.append(f'unnest({typed}) AS "_p_{name}"')
            ctes = [f"p AS (SELECT {', '.join(values)})"]
            if hit_rid:
                ctes.append("h AS (SELECT unnest($_hj::INTEGER[]) AS _j, unnest($_hr::BIGINT[]) AS rid, "
                            "unnest($_hn::INTEGER[]) AS _rule)")
            for j, rid in run_query(cur, f"WITH {', '.join(ctes)} " + " UNION ALL ".join(selects), params):
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
        return self.result(standardized, self.match_rows([standardized])[0], top_k, min_probability)

    def result(
        self, standardized: Mapping[str, Any], rows: list[dict[str, Any]], top_k: int, min_probability: float
    ) -> MatchResult:
        """The match result of a standardized record from its scored candidate rows (:meth:`match_rows`)."""
        return MatchResult(
            model_version=self.model_version,
            standardized={k: v for k, v in standardized.items() if k not in PRIVATE_KEYS},
            candidates_scored=len(rows),
            persons=self._best_per_person(rows, top_k, min_probability),
        )

    def model_inputs(
        self, cur: duckdb.DuckDBPyConnection, standardized: list[Mapping[str, Any]]
    ) -> tuple[list[dict[str, Any]], list[tuple] | None]:
        """The model input rows of standardized query records and their key hashes, in one query; a row whose
        record the snapshot holds (its ``RECORD_KEY``) is marked with that record's rid (``SNAPSHOT_RID``) and its
        term-frequency columns as the snapshot holds them (``SNAPSHOT_VALUES``), looked up in one more query for the
        whole batch, only when one of its keys is held."""
        exprs = self.key_hash_sql(lambda c: f'"{c}"')
        keys = [record.get(RECORD_KEY) for record in standardized]
        key_sql = "hash(CAST($_ks AS VARCHAR[])[rid + 1], CAST($_kr AS VARCHAR[])[rid + 1])"  # as record_keys hashes
        rows, extra = _model_input_query(cur, standardized, [*exprs, key_sql], self.name_counts,
                                         {"_ks": [k and k[0] for k in keys], "_kr": [k and k[1] for k in keys]})
        held = snapshot_records(cur, self.key_hash, self.key_rid, keys, [e[-1] for e in extra], self.tf_columns)
        for row, stored in zip(rows, held, strict=True):
            if stored is not None:
                row[SNAPSHOT_RID] = stored.pop("rid")
                row[SNAPSHOT_VALUES] = stored
        return rows, [e[:-1] for e in extra] if exprs else None

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
        nightly's tables), counting the query's own value unless the snapshot's record of its key carries it
        (:meth:`_query_tf`); the match weight is the prior plus the comparisons' weights, added in the
        order Splink's predict SQL adds them.
        """
        params: dict[str, Any] = {"_qid": list(range(len(jobs))), "_cq": [], "_cr": []}
        for c in self.input_columns:
            params[f"_l_{c}"] = [row.get(c) for row, _ in jobs]
        for qid, (_, rids) in enumerate(jobs):
            params["_cq"].extend([qid] * len(rids))
            params["_cr"].extend(rids)
        cur = self.mirror.cursor()
        try:
            cols = execute_parsed(cur, self.score_sql, params).fetchnumpy()
        finally:
            cur.close()
        out: list[list[dict[str, Any]]] = [[] for _ in jobs]
        qid = np.asarray(cols["_qid"], dtype=np.int64)
        if len(qid) == 0:
            return out
        tf_of_query = {c: np.array([self._query_tf(c, row) for row, _ in jobs]) for c in self.tf_columns}
        total = np.full(len(qid), self.prior_weight)
        fields: dict[str, Any] = {}
        gammas: dict[str, np.ndarray] = {}
        for comp in self.comparisons:
            gamma = gammas[f"gamma_{comp.name}"] = np.asarray(cols[f"gamma_{comp.name}"], dtype=np.int64)
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
        text = {k: list(cols[k]) for k in ("source", "record_id", "person_id")}
        rid_list, total_list, qid_list = rid.tolist(), total.tolist(), qid.tolist()
        prob = np.array([_probability(w) for w in total_list])
        if self.classifier:  # as the night stored its pairs' probabilities
            prob = combined_probabilities(self.classifier, total, gammas, prob)
        prob_list = prob.tolist()
        # by query, most probable first (the decisions' classifier may order pairs otherwise than their weights),
        # then by weight and rid
        order = np.lexsort((rid, -total, -prob, qid))
        for i in order.tolist():
            row = {"rid_r": rid_list[i], **{k: _plain(v[i]) for k, v in text.items()},
                   **{k: v[i] for k, v in fields.items()},
                   "match_weight": total_list[i], "match_probability": prob_list[i]}
            out[qid_list[i]].append(row)
        return out

    def _query_tf(self, column: str, row: Mapping[str, Any]) -> float:
        """The query's term frequency in ``column`` (NaN: none), counting its value unless the snapshot's record of
        its key carries that same value (a record sent again with another name counts the new one, as the next
        night does)."""
        value = row.get(column)
        if column not in self.tf or value is None:
            return np.nan
        stored = row.get(SNAPSHOT_VALUES)
        held = stored is not None and stored[column] == value
        replaces = stored is not None and not held and stored[column] is not None
        f = self.tf[column].frequency(value, held=held, replaces=replaces)
        return np.nan if f is None else f

    def _best_per_person(self, rows: list[dict[str, Any]], top_k: int, min_probability: float) -> list[PersonMatch]:
        best: dict[str, PersonMatch] = {}
        counts: dict[str, int] = {}
        for row in rows:  # most probable first, so the first row of a person is its best
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


def build_scorer(
    con: duckdb.DuckDBPyConnection, model_version: str, settings: dict[str, Any], rule_sqls: list[str],
    scorer_type: type[S] = RealtimeScorer,  # type: ignore[assignment]  # the API's batched subclass
) -> S:
    """Generate the scoring SQL of a model (Splink's own level SQL and weights), mirror the candidates
    and load term frequencies."""
    from linkage.model.model_file import settings_for_store, splink_settings
    from linkage.model.person_tf import learned_own_by_count, level_u_of_columns, own_records

    comparisons = []
    input_columns: list[str] = []
    tf_columns: list[str] = []
    for spec in comparison_specs(splink_settings(settings)):
        tf = {lv.gamma: (lv.tf.column, lv.tf.weight, lv.tf.log2_u_exact, lv.tf.minimum_u)
              for lv in spec.levels if lv.tf is not None}
        for column, *_ in tf.values():
            if column not in tf_columns:
                tf_columns.append(column)
        comparisons.append(_Comparison(name=spec.name, gamma_sql=spec.case_sql,
                                       labels={lv.gamma: lv.label for lv in spec.levels},
                                       weights={lv.gamma: lv.match_weight for lv in spec.levels}, tf=tf))
        input_columns += [c for c in spec.input_columns if c not in input_columns]
    key_rules, scanned = [], []
    for number, sql in enumerate(rule_sqls):
        rule = key_rule(number, sql)
        if rule is None:
            scanned.append(sql)
        else:
            key_rules.append(rule)
    mirror = build_mirror(con, key_rules)
    # the prior the nightly run scaled to this store (the snapshot holds every standardized record)
    n_records = mirror.execute("SELECT count(*) FROM mi").fetchall()[0][0]
    at_store_size = settings_for_store(settings, n_records)
    prior = at_store_size["probability_two_random_records_match"]
    # person term frequencies (linkage.model.person_tf)
    corrected = own_records(at_store_size, n_records, learned_own_by_count(settings))
    column_types = dict(mirror.execute("SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'mi'")
                        .fetchall())
    return scorer_type(
        model_version=model_version,
        prior_weight=math.log2(prior / (1 - prior)),
        comparisons=comparisons,
        input_columns=input_columns,
        key_rules=key_rules,
        scan_sql=blocking_filter_sql(scanned) if scanned else None,
        tf_columns=tf_columns,
        column_types=column_types,
        mirror=mirror,
        tf=term_counts(mirror, tf_columns, corrected, level_u_of_columns(at_store_size)),
        name_counts=NameCounts.of_table(mirror, "mi"),
        classifier=snapshot_classifier(con),
        source_rules=source_rules(con),
        **sorted_key_hashes(mirror),
        **record_keys(mirror),
    )


# --- the model of a snapshot ------------------------------------------------------------

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
