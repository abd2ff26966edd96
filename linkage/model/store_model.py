"""Which model scores tonight: one learned from the store's own records, retrained when the store changed enough.

A model trained on the team's demo generator does not carry over to sources written by others
(issue #14: F1 0.892 with the shipped model on an independent corpus, 0.926 trained on that
store), so the nightly job learns from the store itself: u from random pairs, m by EM over the
training blocks, the prior measured by those blocks (``linkage.model.training``). It trains again
when the store has grown by ``retrain_growth`` since the model was trained, when a source appears
that the model never saw, or when records now share a field the model learned nothing of (with other values
beside: something to learn). What the model learned is its own: the fields whose comparisons have a learned level
(not neutral nor at the floor) and whose EM pass ran (``training_learned_fields``, else read from the levels of an
older model); the store is profiled as the model reads it (per-event ID documents left out). A field that could be
learned at training and was not is tried again as its pairs sharing a value grow by ``retrain_growth``. (Counting
raw columns with a value, one phone in the store or border passes only made a field "filled", and phones and IDs
stayed neutral after 69 records brought phones and passports.) A store with fewer than ``min_records``
standardized records is too small to learn from: the shipped model scores it, and the run report says so with the
store's size. A model file that
cannot be read (cut short) or cannot score (``model_file.model_problems``) is trained again; a training that gives
no usable model (``model_file.ModelRejected``) replaces nothing: the store's earlier model scores, else the shipped
one, and the run report says why (``ModelChoice.training_failed``). The rejection is remembered with the store's
profile it was rejected for (``REJECTED_NAME``): training is not tried again, every night, on the same store (it
would be rejected again, after the same minutes), but when the store changed since as the rules above retrain a
model (grown, a new source, a field now shared, decisions), or the training code changed (``training_code``: a new
``TRAINING_VERSION``, or a new standardizer, which writes what training reads), and the run report says so
(``training_not_retried``).

Training reads the standardized records and the stewards' current positive decisions (m from those
labels too), never a truth file, and is deterministic (fixed seed, byte-identical model file for the same
records and decisions, whatever order they arrived in: ``Workspace.create_model_input(key_ids=True)``). A new
model is also a full re-score, so decisions retrain it when they change the
labels as much as growth does records: when the positive decisions grew by ``retrain_growth`` (the first one
included), or when one the model learned from is no longer current (reversed, contested) or another took its
place. A reversed decision is then gone from the next model. A few more decisions between two trainings move
m by their share of the store's expected matches only (``training._learn_from_decisions``): they still decide
their own pairs at once, in clustering.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from linkage.model.consistency_evidence import DISTRICT_PAIRS_KEY
from linkage.model.model_file import (
    LAOLINK_KEY,
    M_FLOOR,
    ModelRejected,
    model_problems,
    training_records,
    write_model,
)
from linkage.model.model_rules import with_current_rules, write_with_current_rules
from linkage.model.person_tf import OWN_BY_COUNT_KEY
from linkage.model.shipped import DEFAULT_MODEL
from linkage.paths import StorePaths

STORE_MODEL_NAME = "store.json"
SHIPPED_MODEL_NAME = "shipped.json"  # the shipped model with today's prediction rules, when its own are older
REJECTED_NAME = "store.rejected.json"  # the store's profile a training gave no usable model for, and why
# How training learns (training.py, em_passes.py, consistency_evidence.py, the input model_input.py gives it): raise
# it with a change that could give a usable model where the last version gave none. A training an older version rejected
# on a store is tried again (``training_code``); a model it gave is kept as the rules above keep any model.
TRAINING_VERSION = 1
# What training learns from the store besides m, u and the prior, kept in the model's ``laolink`` part: a learned
# model without one of them is trained again, once (linkage/model/own_by_count.py, consistency_evidence.py).
LEARNED_FACTS = (OWN_BY_COUNT_KEY, DISTRICT_PAIRS_KEY)
DEFAULT_MIN_RECORDS = 5_000
DEFAULT_RETRAIN_GROWTH = 0.2
# The model input's columns the comparisons read (linkage/model/model_input.py): one the model learned nothing of that
# records now share (with other values beside) is new evidence to learn.
PROFILED_FIELDS = (
    "given_key", "family_key", "dob", "dob_year", "birth_year_min", "sex_code", "nationality_code", "province_code",
    "district_code", "village_id", "phone_e164", "id_number_std",
)  # fmt: skip


@dataclass(frozen=True)
class StoreProfile:
    """What the training data looked like: its size, its sources, and per field how many pairs of records share a
    value and whether the field can teach anything (some records share a value, others differ: ``learnable``)."""

    records: int
    sources: tuple[str, ...]
    field_pairs: dict[str, int] = field(default_factory=dict)  # field -> pairs of records with the same value
    learnable: tuple[str, ...] = ()
    decisions: frozenset[str] = frozenset()  # a short digest of each current positive decision (positive_decisions)

    @property
    def positive_decisions(self) -> int:
        return len(self.decisions)

    def facts(self) -> dict:
        return {"training_sources": list(self.sources), "training_field_pairs": dict(self.field_pairs),
                "training_learnable_fields": list(self.learnable), "training_decisions": sorted(self.decisions),
                "training_positive_decisions": self.positive_decisions}


@dataclass(frozen=True)
class ModelChoice:
    """The model a run scores with, and why: ``kind`` is learned | shipped | given."""

    path: Path
    kind: str
    trained_this_run: bool
    reason: str
    store_records: int
    training_failed: str = ""  # why training this run gave no usable model (the model above scored instead)
    training_not_retried: str = ""  # an earlier training's rejection on the store as it still is: not tried again

    def as_report(self) -> dict:
        return asdict(self) | {"path": str(self.path)}


def standardized_records(con: duckdb.DuckDBPyConnection) -> int:
    return int(con.execute("SELECT count(*) FROM records WHERE std_version IS NOT NULL").fetchall()[0][0])


def store_profile(con: duckdb.DuckDBPyConnection) -> StoreProfile:
    """Size, sources and, per field of the model input (per-event ID documents left out as the model leaves them
    out), the pairs sharing a value and its number of values: one aggregation (a grouping set per field) over only
    the profiled columns of the standardized records. (The model input's every column materialized, then grouped
    and counted distinct per field again, took twice as long: 1.56 s against 0.74 s at a million records.)"""
    from linkage.model.model_input import record_columns_sql

    first = PROFILED_FIELDS[0]
    per_field = ", ".join(f"coalesce(sum(k * (k - 1) // 2) FILTER ({c} IS NOT NULL), 0), count({c})"
                          for c in PROFILED_FIELDS)  # a field's own grouping set: the only rows it is not NULL in
    row = con.execute(
        f"SELECT coalesce(sum(k) FILTER (by_first = 0), 0), {per_field} "
        f"FROM (SELECT {', '.join(PROFILED_FIELDS)}, grouping({first}) AS by_first, count(*) AS k "
        f"FROM ({record_columns_sql('records', 'std_version IS NOT NULL')}) "
        f"GROUP BY GROUPING SETS ({', '.join(f'({c})' for c in PROFILED_FIELDS)}))"
    ).fetchall()[0]
    sources = con.execute(
        "SELECT DISTINCT source FROM records WHERE std_version IS NOT NULL ORDER BY source"
    ).fetchall()
    pairs, values = row[1::2], row[2::2]
    return StoreProfile(
        records=int(row[0]), sources=tuple(s for (s,) in sources),
        field_pairs={c: int(n) for c, n in zip(PROFILED_FIELDS, pairs, strict=True)},
        learnable=tuple(c for c, n, k in zip(PROFILED_FIELDS, pairs, values, strict=True) if n and k > 1),
    )  # fmt: skip


def learned_fields(model: dict, unlearned_columns: frozenset[str] = frozenset()) -> list[str]:
    """The profiled fields the model learned something of: every comparison that reads the field has a level with
    a learned m (not neutral, m = u, nor floored, m at most ``M_FLOOR``), and no EM pass blocking on it was left out
    (its columns among ``unlearned_columns``)."""
    from linkage.model.model_file import splink_settings
    from linkage.model.splink_adapter import comparison_specs

    def informative(level: dict) -> bool:
        m, u = level.get("m_probability"), level.get("u_probability")
        return (not level.get("is_null_level") and not level.get("fix_m_probability") and m is not None
                and m != u and m > M_FLOOR)

    neutral = {c["output_column_name"] for c in model["comparisons"]
               if not any(informative(level) for level in c["comparison_levels"])}
    reads = {spec.name: set(spec.input_columns) for spec in comparison_specs(splink_settings(model))}
    return [f for f in PROFILED_FIELDS if f not in unlearned_columns
            and not any(f in columns and name in neutral for name, columns in reads.items())]


def _fields_to_learn(model: dict, facts: dict, profile: StoreProfile, retrain_growth: float) -> str:
    """The learnable fields the model learned nothing of that were not learnable when it was trained, or whose pairs
    sharing a value grew since by ``retrain_growth`` (a field training could not learn from is tried again only as
    often as the records would retrain it); as text, empty when none."""
    learned = facts.get("training_learned_fields")
    if learned is None:  # a model from before they were kept: what its levels say
        learned = learned_fields(model) if "comparisons" in model else list(PROFILED_FIELDS)
    before, was_learnable = facts.get("training_field_pairs") or {}, facts.get("training_learnable_fields") or []

    def grew(f: str) -> bool:
        now, then = profile.field_pairs[f], before.get(f, 0)
        return now > then and now >= (1 + retrain_growth) * then

    return ", ".join(f"{f} ({before.get(f, 0):,} to {profile.field_pairs[f]:,} pairs sharing a value)"
                     for f in profile.learnable if f not in learned and (f not in was_learnable or grew(f)))


def positive_decisions(service_db: Path, con: duckdb.DuckDBPyConnection) -> frozenset[str]:
    """A short digest of each pair stewards currently judge the same person whose two records the store holds (what
    training learns from: ``training.decision_labels``): kept with the model, so that one of them withdrawn is seen
    whatever else was decided since. A decision on records the store lacks teaches nothing and retrains nothing (one
    such decision retrained and scored again the whole store)."""
    from linkage.service.decisions import current_positive_pairs

    if not service_db.is_file():
        return frozenset()
    with sqlite3.connect(service_db) as service:
        pairs = current_positive_pairs(service)
    if not pairs:
        return frozenset()
    held = con.execute(
        """
        SELECT d.i FROM (SELECT unnest($i) AS i, unnest($sl) AS sl, unnest($rl) AS rl, unnest($sr) AS sr,
                                unnest($rr) AS rr) d
        JOIN records a ON a.source = d.sl AND a.record_id = d.rl
        JOIN records b ON b.source = d.sr AND b.record_id = d.rr
        WHERE a.rid <> b.rid
        """,
        {"i": list(range(len(pairs))), **{k: [p[n] for p in pairs] for n, k in enumerate(("sl", "rl", "sr", "rr"))}},
    ).fetchall()
    return frozenset(hashlib.sha256(json.dumps(pairs[i]).encode()).hexdigest()[:16] for (i,) in held)


# What a level is, apart from its m and u: a model learned before any of these changed under the same label kept
# scoring with the old SQL (a Jaro-Winkler bound, a term-frequency minimum u).
_LEVEL_KEYS = ("label_for_charts", "sql_condition", "tf_adjustment_column", "tf_adjustment_weight",
               "tf_minimum_u_value", "is_null_level")


def _definitions() -> dict[str, dict]:
    from linkage.model.comparisons import comparisons

    return {d["output_column_name"]: d for d in (c.get_comparison("duckdb").as_dict() for c in comparisons())}


def comparison_digests() -> dict[str, str]:
    """A digest of each comparison as this version defines it (levels, SQL, term-frequency settings, fixed m), kept
    with a model it trains (``training_comparisons``)."""
    return {name: hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:16]
            for name, d in _definitions().items()}


def _signature(comparison: dict) -> tuple:
    return tuple(tuple(level.get(k) for k in _LEVEL_KEYS) for level in comparison["comparison_levels"])


def _changed_comparisons(model: dict) -> list[str]:
    """The comparisons this version defines otherwise than ``model`` learned them: a level added to the package, or
    one whose SQL, term-frequency settings or fixed m changed, reaches a store's model only by training again. By
    the digests the model keeps; a model from before them: by its levels' labels, SQL and term-frequency settings
    (its fixed m may be the store's own: ``consistency_evidence``)."""
    if "comparisons" not in model:
        return []
    recorded = (model.get(LAOLINK_KEY) or {}).get("training_comparisons")
    if recorded is not None:
        current = comparison_digests()
        return sorted(name for name in recorded.keys() | current.keys() if recorded.get(name) != current.get(name))
    learned = {c["output_column_name"]: _signature(c) for c in model["comparisons"]}
    current = {name: _signature(d) for name, d in _definitions().items()}
    return sorted(name for name in learned.keys() | current.keys() if learned.get(name) != current.get(name))


def retrain_reason(model: dict | None, profile: StoreProfile, retrain_growth: float) -> str | None:
    """Why the learned ``model`` no longer fits the store (None when it still does)."""
    if model is None:
        return "no model learned from this store yet"
    changed = _changed_comparisons(model)
    if changed:
        return f"this version compares {', '.join(changed)} with other levels than the model learned"
    facts = model.get(LAOLINK_KEY) or {}
    trained_on = training_records(model) or 0
    if profile.records >= (1 + retrain_growth) * trained_on:
        return f"the store grew from {trained_on:,} to {profile.records:,} records (retrain at +{retrain_growth:.0%})"
    new_sources = sorted(set(profile.sources) - set(facts.get("training_sources", [])))
    if new_sources:
        return f"new source(s) {', '.join(new_sources)}"
    new_fields = _fields_to_learn(model, facts, profile, retrain_growth)
    if new_fields:
        return f"field(s) the model learned nothing of that records now share, with other values beside: {new_fields}"
    trained = facts.get("training_decisions") or []
    if isinstance(trained, str):  # a model from before decisions were kept one by one
        return "the model keeps the decisions it learned from in an older form"
    withdrawn = set(trained) - profile.decisions
    if withdrawn:
        return f"{len(withdrawn):,} positive decision(s) the model learned from were reversed, contested or replaced"
    if profile.positive_decisions > len(trained) and profile.positive_decisions >= (1 + retrain_growth) * len(trained):
        return (f"stewards' positive decisions grew from {len(trained):,} to {profile.positive_decisions:,} "
                f"(retrain at +{retrain_growth:.0%})")
    return None


def predates_learning(model: dict) -> str | None:
    """Why a learned model is trained again after an upgrade: it lacks something training now learns from the store
    (``LEARNED_FACTS``); None when it has all of them."""
    facts = model.get(LAOLINK_KEY) or {}
    missing = [fact for fact in LEARNED_FACTS if fact not in facts]
    return f"the model predates what training now learns from the store ({', '.join(missing)})" if missing else None


def choose_model(
    con: duckdb.DuckDBPyConnection,
    paths: StorePaths,
    *,
    min_records: int = DEFAULT_MIN_RECORDS,
    retrain_growth: float = DEFAULT_RETRAIN_GROWTH,
) -> ModelChoice:
    """The store's learned model, trained first when it is missing, stale or unusable; the shipped one for a small
    store, and when training gives no usable model and there is no earlier one to keep."""
    from linkage.model.training import train

    profile = store_profile(con)
    if profile.records < min_records:
        return _shipped(paths, profile.records, f"the store has {profile.records:,} standardized records, fewer "
                        f"than the {min_records:,} needed to learn from")
    profile = replace(profile, decisions=positive_decisions(paths.service_db, con))
    path = paths.models_dir / STORE_MODEL_NAME
    model, unusable = read_learned_model(path)
    reason = unusable or retrain_reason(model, profile, retrain_growth) or predates_learning(model)
    if reason is None:
        return _kept(path, model, profile.records, "still fits it")
    rejected, changed = earlier_rejection(paths, profile, retrain_growth)
    if rejected and not changed:
        failed = (f"training ({reason}) is not tried again: it gave no usable model for the store as it still is "
                  f"({rejected}); it is tried again when the store changes as retraining asks")
        if model is not None:
            return replace(_kept(path, model, profile.records, f"kept: {failed}"), training_not_retried=rejected)
        return replace(_shipped(paths, profile.records, failed), training_not_retried=rejected)
    if rejected:
        reason = f"{reason}; tried again since its rejection: {changed}"
    try:
        train(
            con, path, work_dir=paths.work_dir, store_facts=profile.facts(), service_db=paths.service_db,
            data_description=f"the store's own records ({paths.db.name})",
        )  # fmt: skip
    except ModelRejected as exc:
        _remember_rejection(paths, profile, str(exc))
        failed = f"training ({reason}) gave no usable model: {exc}"
        if model is not None:
            return replace(_kept(path, model, profile.records, f"kept: {failed}"), training_failed=str(exc))
        return replace(_shipped(paths, profile.records, failed), training_failed=str(exc))
    (paths.models_dir / REJECTED_NAME).unlink(missing_ok=True)
    return ModelChoice(
        path=path, kind="learned", trained_this_run=True, store_records=profile.records,
        reason=f"trained on this store's {profile.records:,} records: {reason}",
    )  # fmt: skip


def _remember_rejection(paths: StorePaths, profile: StoreProfile, why: str) -> None:
    """Keep the profile of the store a training was rejected on, shaped as the facts of a model that learned nothing
    (no comparisons, no field), so that ``retrain_reason`` says when the store has changed enough to try again."""
    write_model(paths.models_dir / REJECTED_NAME, {"comparisons": [], LAOLINK_KEY: {
        **profile.facts(), "training_records": profile.records, "training_learned_fields": [],
        "training_comparisons": comparison_digests(), "training_code": training_code(), "rejected": why,
        "rejected_at": datetime.now(UTC).isoformat(timespec="seconds")}})  # fmt: skip


def training_code() -> str:
    """The training code of this version, ``training<TRAINING_VERSION>/std<STD_VERSION>``: what a remembered rejection
    holds for as long as it is the same (the standardizer's version too: it writes the values training reads)."""
    from linkage.fields.standardize import STD_VERSION

    return f"training{TRAINING_VERSION}/std{STD_VERSION}"


def earlier_rejection(paths: StorePaths, profile: StoreProfile, retrain_growth: float) -> tuple[str, str | None]:
    """The remembered rejection (when, on how many records, why; empty when there is none, or its file cannot be
    read: training is tried), and how the training code or the store changed since as retraining asks (None while
    neither has)."""
    try:
        rejected = json.loads((paths.models_dir / REJECTED_NAME).read_text(encoding="utf-8"))
        facts = rejected[LAOLINK_KEY]
        why = f"rejected at {facts['rejected_at']} on {facts['training_records']:,} records: {facts['rejected']}"
        code = facts.get("training_code")
        if code != training_code():
            was = code or "a version before the training code was kept"
            return why, f"the training code changed (from {was} to {training_code()})"
        return why, retrain_reason(rejected, profile, retrain_growth)
    except (OSError, ValueError, KeyError, TypeError):
        return "", None


def read_learned_model(path: Path) -> tuple[dict | None, str | None]:
    """The learned model at ``path`` (None when there is none), and why it cannot score when it cannot (a file cut
    short by a night killed while writing it, or a degenerate model an older version wrote): it is trained again."""
    if not path.is_file():
        return None, None
    try:
        model = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return None, f"the learned model file could not be read ({type(exc).__name__}: {str(exc)[:200]})"
    problems = model_problems(model)
    if problems:
        more = f" and {len(problems) - 1} more" if len(problems) > 1 else ""
        return None, f"the learned model cannot score ({problems[0]}{more})"
    return model, None


def _kept(path: Path, model: dict, records: int, why: str) -> ModelChoice:
    """The learned model at ``path`` as it is (given today's prediction rules)."""
    rules = write_with_current_rules(model, path)
    return ModelChoice(
        path=path, kind="learned", trained_this_run=False, store_records=records,
        reason=f"learned from {training_records(model):,} records of this store; {why}"
        + ("; given today's prediction rules, every record is scored again" if rules else ""),
    )  # fmt: skip


def _shipped(paths: StorePaths, records: int, why: str) -> ModelChoice:
    """The shipped model (a copy with today's prediction rules when its own are older)."""
    shipped, rules = DEFAULT_MODEL, ""
    model = json.loads(DEFAULT_MODEL.read_text(encoding="utf-8"))
    if with_current_rules(model) is not None:
        shipped, rules = paths.models_dir / SHIPPED_MODEL_NAME, " (with today's prediction rules)"
        write_with_current_rules(model, shipped)
    return ModelChoice(path=shipped, kind="shipped", trained_this_run=False, store_records=records,
                       reason=f"{why}: the shipped model scores them{rules}")
