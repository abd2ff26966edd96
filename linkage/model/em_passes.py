"""m by expectation maximisation over the training passes, and the prior those passes measure.

One EM pass per blocking rule of ``blocking_rules/train.yaml``, each learning the comparisons it does not block on;
Splink takes each level's m as the median over the passes that learned it. A pass Splink would start from almost no
match among its pairs starts from half of them instead (``splink_adapter.em_session``; the card lists it under
em_passes_started_at_half). A pass can still fall into one of EM's
degenerate solutions on a small or lopsided store, and its m then drag the median anywhere: a pass that found no
match at all among its pairs (on a store of 2,936 records, with 69 newly bringing phones and passports, the pass on
name keys did: 3.5e-31 of its pairs were matches, and the m of "same full birth date" it gave, 3.7e-7, made the
birth-date pass measure a prior of 1.0: every pair a match, an infinite prior weight, every night failing). Such a
pass is undone as a pass Splink rejects is; and after all passes, one whose measured prior is at least
``MAX_PRIOR`` or more than ``MAX_PRIOR_RATIO`` times the deterministic rules' estimate is undone too (its m taken out
of the medians), one at a time, the farthest first, measuring again after each. The model card lists them.

The level a measuring pass blocks on left without a learned m though the pass had pairs (every pass that could learn
it undone: there, that store's "same full birth date") rejects the model (``ModelRejected``): the store's earlier
model, or the shipped one, scores instead (``linkage.model.store_model``).
"""

from __future__ import annotations

import copy
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

from splink import Linker

from linkage.model.blocking import NamedRule, load_rules, load_setting
from linkage.model.model_file import MAX_PRIOR, ModelRejected
from linkage.model.model_input import MODEL_INPUT_TABLE, Workspace
from linkage.model.shipped import TRAIN_RULES
from linkage.model.splink_adapter import (
    core_model_settings,
    em_session,
    em_session_description,
    forget_em_session,
    linker_comparison_levels,
    set_core_model_settings,
    trained_m,
    untrained_m_values,
)

# EM iterates over the counts of each pattern of levels (a few thousand rows) instead of every sampled pair:
# term frequencies only sharpen a pair's weight at prediction, they are not parameters EM learns.
EM_ON_LEVEL_PATTERNS = True
MIN_MATCH_SHARE = 1e-6  # a pass whose pairs hold fewer matches than this found none: EM's degenerate solution
# A pass Splink would start below LEAST_START matches among its pairs starts at EVEN_START (splink_adapter.em_session):
# every pass here blocks on evidence that most pairs sharing it are one person (demo: 0.70 to 1.0 at the end).
LEAST_START = 1e-3
EVEN_START = 0.5
# Measured priors on the demo and the shifted variants are 1-3 times the deterministic rules' estimate (whose recall
# is a guess); a hundred times is no measurement.
MAX_PRIOR_RATIO = 100


@dataclass
class EmOutcome:
    passes: list[NamedRule]
    measures: dict[str, dict | None]  # pass -> how its blocked pairs measure the prior (train.yaml)
    columns: dict[str, list[str] | None]  # pass -> the columns it blocks on
    failed: dict[str, str] = field(default_factory=dict)  # pass -> why
    skipped: dict[str, str] = field(default_factory=dict)
    degenerate: dict[str, str] = field(default_factory=dict)  # pass -> why its m were undone
    started_even: dict[str, float] = field(default_factory=dict)  # pass -> Splink's start, replaced by EVEN_START
    lambda_estimates: dict[str, float] = field(default_factory=dict)  # pass -> the prior its session ended with
    descriptions: dict[str, str] = field(default_factory=dict)  # pass -> what Splink wrote beside its m
    untrained: dict[tuple[str, int], Any] = field(default_factory=dict)  # each level's m before EM

    def learned(self) -> list[str]:
        """The passes whose m the model keeps."""
        return [r.name for r in self.passes if r.name not in self.failed | self.skipped | self.degenerate]


def run_em_passes(ws: Workspace, linker: Linker, em_max_pairs: float, seconds: dict[str, float]) -> EmOutcome:
    """m by expectation maximisation, one pass per blocking rule of train.yaml; a pass whose field is empty
    everywhere is skipped, one Splink rejects or that found no match is undone. ModelRejected when no pass could
    learn."""
    entries = load_setting(TRAIN_RULES, "em_passes", [])
    em = EmOutcome(passes=load_rules(TRAIN_RULES, "em_passes"),
                   measures={e["name"]: e.get("measures") for e in entries},
                   columns={e["name"]: e.get("columns") for e in entries},
                   untrained=untrained_m_values(linker))
    mark = time.perf_counter()
    for rule in em.passes:
        if em.columns.get(rule.name) and not blocked_pairs(ws, em.columns[rule.name]):
            # A field empty everywhere (no source records phones) blocks no pair: nothing to learn there.
            em.skipped[rule.name] = f"no pairs share {', '.join(em.columns[rule.name])}"
            continue
        before = copy.deepcopy(core_model_settings(linker))
        try:
            session, start = em_session(linker, rule.rule, em_max_pairs, EM_ON_LEVEL_PATTERNS, LEAST_START, EVEN_START)
        except ValueError as exc:
            # On small data a level's m can underflow to 0, which Splink rejects mid-pass, leaving
            # the pass's reduced settings behind: restore them and go on with the other passes.
            set_core_model_settings(linker, before)
            em.failed[rule.name] = str(exc).splitlines()[0]
        else:
            if start < LEAST_START:
                em.started_even[rule.name] = start
            share = session.core_model_settings.probability_two_random_records_match
            if share <= MIN_MATCH_SHARE:
                set_core_model_settings(linker, before)
                em.degenerate[rule.name] = f"EM found no match among its pairs (share of matches {share:.3g})"
            else:
                em.descriptions[rule.name] = em_session_description(session)
                if em.measures.get(rule.name):
                    em.lambda_estimates[rule.name] = share
        seconds[f"em {rule.name}"], mark = round(time.perf_counter() - mark, 1), time.perf_counter()
    _check_some_pass_learned(em)
    return em


def _check_some_pass_learned(em: EmOutcome) -> None:
    if not em.learned():
        raise ModelRejected(
            f"no EM pass could learn: failed {em.failed}, skipped {em.skipped}, degenerate {em.degenerate}")


def measure_prior(
    ws: Workspace, linker: Linker, em: EmOutcome, deterministic: float
) -> tuple[dict[str, float | None], float | None]:
    """Each measuring pass's prior, and their median (None when none measured one); a pass measuring a degenerate
    one (module docstring) has its m undone first, and the others measure again without it."""
    found: dict[str, float | None] = {}
    while True:
        by_pass = {
            name: probability_from_em_pass(ws, linker, em.measures[name] | {"columns": em.columns[name]}, blocked)
            for name, blocked in em.lambda_estimates.items() if name not in em.degenerate
        }
        why = {name: far_prior(p, deterministic) for name, p in by_pass.items() if p is not None}
        far = {name: by_pass[name] for name, reason in why.items() if reason}
        if not far:
            break
        worst = max(far, key=lambda name: far[name])
        forget_em_session(linker, em.descriptions[worst], em.untrained)
        found[worst] = far[worst]
        em.degenerate[worst] = why[worst]
    _check_some_pass_learned(em)
    unlearned = [f"{m['comparison']} ({m['level']})" for name, m in em.measures.items()
                 if m and name not in em.skipped and trained_m(_level(linker, m)) is None]
    # the records share these values (the pass blocking on the level has pairs), but no pass left learned their m
    if unlearned:
        raise ModelRejected(f"no EM pass left learned {', '.join(unlearned)}: failed {em.failed}, "
                            f"skipped {em.skipped}, degenerate {em.degenerate}")
    usable = [p for p in by_pass.values() if p is not None]
    return by_pass | found, (statistics.median(usable) if usable else None)


def far_prior(prior: float, deterministic: float) -> str | None:
    """Why a measured prior is one no store gives (at least MAX_PRIOR, or over MAX_PRIOR_RATIO times the deterministic
    rules' estimate), or None. Rules that pair no records (no phones nor IDs, no namesake born the same day)
    estimate 0: a ratio to that says nothing."""
    if deterministic > 0 and prior > MAX_PRIOR_RATIO * deterministic:
        return (f"measured a prior of {prior:.3g}, {prior / deterministic:,.0f} times the deterministic rules' "
                f"{deterministic:.3g}")
    if prior >= MAX_PRIOR:
        return f"measured a prior of {prior:.3g}, at least {MAX_PRIOR}"
    return None


def _level(linker: Linker, measures: dict) -> Any:
    """The level a measuring pass blocks on (train.yaml's ``measures``)."""
    levels = linker_comparison_levels(linker, measures["comparison"])
    return next(level for level in levels if level.label_for_charts == measures["level"])


def blocked_pairs(ws: Workspace, columns: list[str]) -> int:
    """Pairs of model-input records that agree on every one of ``columns`` (none null)."""
    return int(ws.con.execute(_blocked_pairs_sql(columns)).fetchall()[0][0])


def _blocked_pairs_sql(columns: list[str]) -> str:
    """SELECT of :func:`blocked_pairs`' count (one row, one column)."""
    not_null = " AND ".join(f"{c} IS NOT NULL" for c in columns)
    return (f"SELECT coalesce(sum(k * (k - 1) / 2), 0) FROM (SELECT count(*) AS k FROM {MODEL_INPUT_TABLE} "
            f"WHERE {not_null} GROUP BY {', '.join(columns)})")


def probability_from_em_pass(ws: Workspace, linker: Linker, measures: dict, lambda_blocked: float) -> float | None:
    """The probability two random records match, measured by one EM pass (None if EM degenerated).

    EM measured the share of matches among the pass's blocked pairs (``lambda_blocked``). Those
    pairs hold ``lambda_blocked * pairs_blocked`` matches, which is the share ``recall`` of all
    matches: recall = m(the level the pass blocks on) * P(a pair is not in the comparison's null
    level). ``measures`` (blocking_rules/train.yaml) names that level and the per-record condition
    for having the field. The deterministic rules' recall is only a guess, and Splink's own
    reversal of a blocking rule ignores missing values, which for sparse fields (phones, dates)
    overstates the result many times over. No pass left to learn that level's m: no measurement.
    """
    if not MIN_MATCH_SHARE < lambda_blocked < 1:
        return None  # EM fell into its degenerate solution (everything or nothing a match)
    pairs_blocked, n, present = ws.con.execute(
        f"SELECT ({_blocked_pairs_sql(measures['columns'])}), count(*), count(*) FILTER ({measures['present']}) "
        f"FROM {MODEL_INPUT_TABLE}"
    ).fetchall()[0]
    m_level = trained_m(_level(linker, measures))
    recall = (m_level or 0) * (present / n) ** 2
    total_pairs = n * (n - 1) / 2
    if not recall or not total_pairs or not pairs_blocked:
        return None
    return lambda_blocked * pairs_blocked / (recall * total_pairs)
