"""Stewards' decisions teach a classifier what conditional independence cannot (issue #17).

The Fellegi-Sunter model weighs each comparison on its own; a pattern such as "same family name, same
village, different given name" (siblings) weighs as the sum of its parts. Once stewards have decided
enough pairs both ways (``MIN_EACH`` positive and negative), a logistic regression from recordlinkage is
fitted on the decided pairs' stored comparison levels (one-hot) and their Fellegi-Sunter log-odds. It is
used only when it beats the model alone on held-out decisions (cross-validation: lower log loss, and links them
right at the nightly threshold at least as often: the decisions come from the review queue, not from all pairs, and
on bench_steward.py a classifier that won on log loss alone after 300 decisions cost 0.03 F1), and only for pairs
whose Fellegi-Sunter log-odds lie in the range the decisions cover: outside it no steward
ever said anything. ``match_weight`` stays the model's own (the explanation per field still adds up to
it); ``match_probability`` becomes the combined one. Decisions marked unsure or contested teach nothing.

Until then (or when it does not win), the decisions can still say that the model is too sure or not sure enough
of the pairs it left apart (the store's own namesakes make a model learned on it overconfident at 100,000 records
and underconfident at 10,000): with ``MIN_EACH_OFFSET`` decisions of each kind on pairs under the threshold, one
offset to their log-odds (``kind`` "offset": an intercept and a coefficient of 1 on the log-odds) is fitted and
used under the same held-out guards, on the pairs under the threshold from the lowest decided one up.

Decided links over the threshold teach the logistic regression only where stewards decided at least half of the
links of their comparison pattern (``LINK_COVERAGE``), and only those patterns' links are re-weighed by it: the
review queue never asks about a fair sample of links, only about those chosen for looking wrong (consistency cuts,
bridges; on bench_steward.py a median 6 % of their pattern's links, one person 25 % of the time against 87 % of the
pairs at 0.6-0.81 clustering keeps linked). Fitted on them, the regression won on held-out decisions (log loss
1.02 -> 0.67) and pulled every link in their range down: after 1,000 decisions on 23,273 shifted records F1 fell to
0.439 against 0.869 for the decided pairs alone. Pairs the model left apart are a fair sample of the uncertain ones
(the pair items) and all teach it.

Deterministic: the pairs are ordered by rid, the folds seeded, the solver exact. A reversed decision is
simply the pair's current judgement, so nothing of the earlier one remains.

The folds are stratified by answer and keep the decisions that share records (directly or through others:
``decision_groups``) in one fold. Decisions come in such groups (a split records "not the same" for each linked
record, a cluster is confirmed pair by pair) whose pairs carry the same levels and answer; folds over pairs split
them, and on 60 groups of 12 related decisions whose answers the model's own probability drew (nothing can truly
beat it) a classifier held out at log loss 0.050 against the model's 0.420 was used, though it scored 0.483 with
the groups kept whole, and 0.722 against the model's 0.359 on fresh groups.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from linkage.clusters.clustering import DEFAULT_LINK_THRESHOLD
from linkage.store import has_table

# Positive and negative decisions needed before a classifier is fitted. Decisions come from the review queue (hard
# pairs, not a sample of all pairs): on bench_steward.py a classifier fitted on 161 / 139 of them won on held-out
# decisions yet cost 0.029 F1 on the undecided pairs; with 586 / 327 it added 0.002.
MIN_EACH = 300
# An offset is one number: a few dozen decisions of each kind measure it.
MIN_EACH_OFFSET = 30
# A pattern's links (pairs over the threshold with the same level of every comparison) teach the regression when
# stewards decided at least this share of them (module docstring)
LINK_COVERAGE = 0.5
FOLDS = 5
SEED = 0
LOGIT_CLIP = 30.0  # natural-log odds; the stored weights reach far beyond what a probability can show
CARD_HEADING = "## Stewards' decisions"
FS_LOGIT_SQL = f"greatest(least(match_weight * ln(2), {LOGIT_CLIP}), -{LOGIT_CLIP})"  # over predictions


@dataclass
class DecisionClassifier:
    """What the decisions taught: counts, both cross-validated scores, and the coefficients when used."""

    positives: int
    negatives: int
    used: bool
    reason: str
    log_loss_model: float | None = None
    log_loss_combined: float | None = None
    accuracy_model: float | None = None
    accuracy_combined: float | None = None
    logit_range: tuple[float, float] | None = None  # Fellegi-Sunter log-odds the decisions cover
    intercept: float = 0.0
    coefficients: dict[str, float] = field(default_factory=dict)  # "fs_logit" and "gamma_<c>=<g>"
    threshold: float | None = None  # the link threshold the held-out decisions were judged at
    decided_without_stored_pair: int = 0  # decided pairs never scored (not blocked, or below the stored weight)
    kind: str | None = None  # "logistic regression" or "offset" (of the log-odds), when fitted
    decided_links_left_out: int = 0  # decided links of patterns stewards decided under LINK_COVERAGE of
    pattern_columns: list[str] = field(default_factory=list)  # the levels naming a pattern in linked_patterns
    linked_patterns: list[list[int]] = field(default_factory=list)  # patterns whose links the regression re-weighs

    def as_report(self) -> dict:
        return asdict(self)


def labelled_pairs(con: duckdb.DuckDBPyConnection, decisions_table: str, comparisons: list[str]) -> pd.DataFrame:
    """Decided pairs (positive 1, negative 0; not unsure nor contested) with their stored levels and log-odds."""
    gammas = ", ".join(f"p.gamma_{c}" for c in comparisons)
    return con.execute(
        f"""
        SELECT p.rid_l, p.rid_r, (d.judgement = 'positive')::INTEGER AS label,
               {FS_LOGIT_SQL.replace("match_weight", "p.match_weight")} AS fs_logit, {gammas}
        FROM {decisions_table} d JOIN predictions p USING (rid_l, rid_r)
        WHERE d.judgement IN ('positive', 'negative') AND NOT d.contested
        ORDER BY p.rid_l, p.rid_r
        """
    ).df()


def features(frame: pd.DataFrame, columns: list[str] | None = None) -> pd.DataFrame:
    """One-hot comparison levels plus the Fellegi-Sunter log-odds, indexed by (rid_l, rid_r)."""
    gamma_columns = [c for c in frame.columns if c.startswith("gamma_")]
    onehot = pd.get_dummies(frame[gamma_columns].astype("Int64").astype(str), prefix_sep="=", dtype=float)
    x = pd.concat([frame[["fs_logit"]].astype(float), onehot], axis=1)
    if columns is not None:
        x = x.reindex(columns=columns, fill_value=0.0)
    x.index = pd.MultiIndex.from_frame(frame[["rid_l", "rid_r"]])
    return x


def _classifier():  # noqa: ANN202 (recordlinkage has no type hints)
    import recordlinkage as rl

    return rl.LogisticRegressionClassifier(C=1.0, solver="lbfgs", max_iter=2000)


def _log_loss(y: np.ndarray, p: np.ndarray) -> float:
    p = np.clip(p, 1e-9, 1 - 1e-9)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def decision_groups(frame: pd.DataFrame) -> np.ndarray:
    """Each decided pair's group: the connected component of the records the decided pairs join. Pairs of one
    group share records (a split records "not the same" for each linked record, a cluster is confirmed pair by pair)
    and carry the same levels and answer: in two folds, one pair's answer leaks the other's."""
    parent: dict[int, int] = {}

    def root(rid: int) -> int:
        parent.setdefault(rid, rid)
        while parent[rid] != rid:
            parent[rid] = parent[parent[rid]]
            rid = parent[rid]
        return rid

    for left, right in zip(frame["rid_l"].tolist(), frame["rid_r"].tolist(), strict=True):
        parent[root(left)] = root(right)
    return np.unique([root(rid) for rid in frame["rid_l"].tolist()], return_inverse=True)[1]


def _each_kind(frame: pd.DataFrame) -> int:
    """Decisions of the rarer kind, those of one group (``decision_groups``) counted once: twelve decisions that
    share records say one thing twelve times."""
    if frame.empty:
        return 0
    groups, y = decision_groups(frame), frame["label"].to_numpy()
    return min(len(np.unique(groups[y == 1])), len(np.unique(groups[y == 0])))


def _held_out(y: np.ndarray, groups: np.ndarray,
              predict: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> np.ndarray | None:
    """Each decided pair's probability from ``predict(train_idx, test_idx)``, fitted on the other folds: stratified
    by answer, a group of related decisions (``decision_groups``) in one fold, seeded (the same folds for every kind
    of model). None with fewer than ``FOLDS`` groups (no fold could hold out decisions unlike those it learns from)."""
    from sklearn.model_selection import StratifiedGroupKFold

    if len(np.unique(groups)) < FOLDS:
        return None
    out = np.zeros(len(y))
    folds = StratifiedGroupKFold(FOLDS, shuffle=True, random_state=SEED)
    for train_idx, test_idx in folds.split(np.zeros(len(y)), y, groups):
        out[test_idx] = predict(train_idx, test_idx)
    return out


def cross_validated(frame: pd.DataFrame) -> np.ndarray | None:
    """Held-out probabilities of the combined classifier, one per decided pair."""
    x, y = features(frame), frame["label"].to_numpy()

    def predict(train_idx: np.ndarray, test_idx: np.ndarray) -> np.ndarray:
        clf = _classifier()
        clf.fit(x.iloc[train_idx], x.index[train_idx][y[train_idx] == 1])
        return clf.prob(x.iloc[test_idx]).to_numpy()

    return _held_out(y, decision_groups(frame), predict)


def _fit_offset(fs_logit: np.ndarray, y: np.ndarray) -> float:
    """The offset to the log-odds that best explains the decisions (maximum likelihood, natural-log units)."""
    from scipy.optimize import minimize_scalar

    def loss(offset: float) -> float:
        return _log_loss(y, _sigmoid(fs_logit + offset))

    return float(minimize_scalar(loss, bounds=(-LOGIT_CLIP, LOGIT_CLIP), method="bounded",
                                 options={"xatol": 1e-6}).x)


def cross_validated_offset(frame: pd.DataFrame) -> np.ndarray | None:
    """Held-out probabilities of the model's log-odds shifted by an offset fitted on the other folds."""
    fs_logit, y = frame["fs_logit"].to_numpy(dtype=float), frame["label"].to_numpy()
    return _held_out(y, decision_groups(frame),
                     lambda train, test: _sigmoid(fs_logit[test] + _fit_offset(fs_logit[train], y[train])))


def _threshold_logit(threshold: float) -> float:
    return math.log(threshold / (1 - threshold))


def _pattern_keys(frame: pd.DataFrame, columns: list[str]) -> list[tuple[int, ...]]:
    return [tuple(r) for r in frame[columns].astype("Int64").fillna(-99).astype(int).itertuples(index=False)]


def fit_decision_classifier(
    frame: pd.DataFrame, min_each: int = MIN_EACH, threshold: float = DEFAULT_LINK_THRESHOLD,
    min_each_offset: int = MIN_EACH_OFFSET, linked_patterns: tuple[list[str], list[list[int]]] | None = None,
) -> DecisionClassifier:
    """The logistic regression when there are ``min_each`` decisions of each kind (``_each_kind``) and it beats the
    model alone,
    else the offset for the pairs the model left apart (from ``min_each_offset`` of each kind among those); links
    are judged at ``threshold`` (the night's). ``linked_patterns`` (columns, patterns: ``covered_link_patterns``):
    the patterns whose decided links teach the regression and whose links it re-weighs (module docstring); None:
    every decided link counts and every link in range is re-weighed."""
    y = frame["label"].to_numpy()
    positives, negatives = int(y.sum()), int(len(y) - y.sum())
    fitted, left_out = frame, 0
    if linked_patterns is not None:
        columns, covered = linked_patterns[0], {tuple(p) for p in linked_patterns[1]}
        linked = frame["fs_logit"].to_numpy(dtype=float) >= _threshold_logit(threshold)
        kept = ~linked | np.array([key in covered for key in _pattern_keys(frame, columns)], dtype=bool)
        fitted, left_out = frame[kept], int((~kept).sum())
    regression = None
    if _each_kind(fitted) >= min_each:
        regression = _fit_regression(fitted, positives, negatives, threshold)
        regression.decided_links_left_out = left_out
        if regression.used:
            if linked_patterns is not None:
                regression.pattern_columns = list(linked_patterns[0])
                regression.linked_patterns = sorted(list(p) for p in linked_patterns[1])
            return regression
    offset = _fit_offset_apart(frame, positives, negatives, threshold, min_each_offset)
    if regression is None:
        return offset
    if offset.used:
        offset.reason += f" (the logistic regression: {regression.reason})"
        return offset
    regression.reason += f" (an offset: {offset.reason})"
    return regression


def _guarded(positives: int, negatives: int, y: np.ndarray, p_model: np.ndarray, p_held_out: np.ndarray | None,
             threshold: float, kind: str) -> tuple[DecisionClassifier | None, dict]:
    """Both held-out scores; a DecisionClassifier saying why not when the model alone does as well."""
    if p_held_out is None:
        return DecisionClassifier(positives, negatives, False, f"the decisions join fewer than {FOLDS} groups of "
                                  "unrelated records: nothing to hold out", kind=kind), {}
    scores = {
        "log_loss_model": round(_log_loss(y, p_model), 6),
        "log_loss_combined": round(_log_loss(y, p_held_out), 6),
        "accuracy_model": round(float(np.mean((p_model >= threshold) == y)), 6),
        "accuracy_combined": round(float(np.mean((p_held_out >= threshold) == y)), 6),
        "threshold": threshold,
        "kind": kind,
    }
    if scores["log_loss_combined"] >= scores["log_loss_model"]:
        return DecisionClassifier(positives, negatives, False,
                                  "the model alone scores the held-out decisions as well or better", **scores), scores
    if scores["accuracy_combined"] < scores["accuracy_model"]:
        return DecisionClassifier(positives, negatives, False, "the model alone links the held-out decisions more "
                                  "often right at the nightly threshold", **scores), scores
    return None, scores


def _logit_range(frame: pd.DataFrame) -> tuple[float, float]:
    low, high = float(frame["fs_logit"].min()), float(frame["fs_logit"].max())
    return math.floor(low * 1e6) / 1e6, math.ceil(high * 1e6) / 1e6


def _fit_regression(frame: pd.DataFrame, positives: int, negatives: int, threshold: float) -> DecisionClassifier:
    y = frame["label"].to_numpy()
    p_model = _sigmoid(frame["fs_logit"].to_numpy(dtype=float))
    refused, scores = _guarded(positives, negatives, y, p_model, cross_validated(frame), threshold,
                               "logistic regression")
    if refused:
        return refused
    x = features(frame)
    clf = _classifier()
    clf.fit(x, x.index[y == 1])
    coefficients = {c: round(float(w), 8) for c, w in zip(x.columns, clf.kernel.coef_[0], strict=True)}
    return DecisionClassifier(positives, negatives, True, "beats the model alone on held-out decisions",
                              logit_range=_logit_range(frame), intercept=round(float(clf.kernel.intercept_[0]), 8),
                              coefficients=coefficients, **scores)  # fmt: skip


def _fit_offset_apart(frame: pd.DataFrame, positives: int, negatives: int, threshold: float,
                      min_each: int) -> DecisionClassifier:
    """The offset fitted on the decided pairs the model left apart (under ``threshold``): those come from the pair
    items, a fair sample of the pairs the model is unsure of; the links the queue asks about (a bridge, a cut) were
    chosen for looking wrong, and an offset learned from them pulled every link down (bench_steward: F1 0.84 ->
    0.74 after 100 decisions). Applied to every pair under the threshold from the lowest decided one up."""
    threshold_logit = _threshold_logit(threshold)
    apart = frame[frame["fs_logit"] < threshold_logit]
    y = apart["label"].to_numpy()
    if _each_kind(apart) < min_each:
        return DecisionClassifier(positives, negatives, False, f"fewer than {min_each} decisions of each kind on "
                                  "pairs the model left apart (for an offset; decisions that share records count "
                                  "once)")
    p_model = _sigmoid(apart["fs_logit"].to_numpy(dtype=float))
    refused, scores = _guarded(positives, negatives, y, p_model, cross_validated_offset(apart), threshold, "offset")
    if refused:
        refused.reason += f" (an offset, on the {len(apart):,} decided pairs the model left apart)"
        return refused
    offset = _fit_offset(apart["fs_logit"].to_numpy(dtype=float), y)
    # from the lowest decided pair up to just under the threshold: every pair left apart over that is shifted
    # alike, so none overtakes another, and none at or over the threshold moves
    low = _logit_range(apart)[0]
    high = math.floor(threshold_logit * 1e6) / 1e6 - 1e-6
    return DecisionClassifier(positives, negatives, True, "an offset to the log-odds of the pairs the model left "
                              f"apart beats the model alone on the {len(apart):,} of them decided (held out)",
                              logit_range=(low, high), intercept=round(offset, 8), coefficients={"fs_logit": 1.0},
                              **scores)


# What apply_decision_classifier reads: with these unchanged, a night re-weighs only the pairs it scored.
APPLIED_FIELDS = ("used", "logit_range", "intercept", "coefficients", "threshold", "pattern_columns",
                  "linked_patterns")


def _linked_pattern_sql(classifier: DecisionClassifier) -> str:
    """SQL over predictions: true where the regression may re-weigh the pair, false for a link (at or over its
    threshold) of a pattern it did not learn from (``linked_patterns``; every link when no ``pattern_columns``)."""
    if not classifier.pattern_columns or classifier.threshold is None:
        return "true"
    levels = [" AND ".join(f"coalesce({c}, -99) = {int(g)}" for c, g in zip(classifier.pattern_columns, pattern,
                                                                           strict=True))
              for pattern in classifier.linked_patterns]
    covered = " OR ".join(f"({condition})" for condition in levels) or "false"
    return f"({FS_LOGIT_SQL} < {_threshold_logit(classifier.threshold)!r} OR {covered})"


def apply_decision_classifier(con: duckdb.DuckDBPyConnection, classifier: DecisionClassifier) -> int:
    """Set every stored pair's ``match_probability``: combined inside the decisions' range when the classifier is
    used, the model's own elsewhere (and everywhere when it is not). Return the pairs given the combined one."""
    fs_logit = FS_LOGIT_SQL
    model_probability = "1 / (1 + pow(2, -match_weight))"
    if not classifier.used or classifier.logit_range is None:
        con.execute(f"UPDATE predictions SET match_probability = {model_probability} "
                    f"WHERE abs(match_probability - {model_probability}) > 1e-12")
        return 0
    terms = [f"{classifier.intercept!r}"]
    for name, weight in classifier.coefficients.items():
        if name == "fs_logit":
            terms.append(f"{weight!r} * {fs_logit}")
        else:
            column, gamma = name.split("=")
            terms.append(f"CASE WHEN coalesce({column}, -99) = {int(gamma)} THEN {weight!r} ELSE 0 END")
    low, high = classifier.logit_range
    inside = f"{fs_logit} BETWEEN {low!r} AND {high!r} AND {_linked_pattern_sql(classifier)}"
    probability = f"CASE WHEN {inside} THEN 1 / (1 + exp(-({' + '.join(terms)}))) ELSE {model_probability} END"
    con.execute(f"UPDATE predictions SET match_probability = {probability} "
                f"WHERE match_probability IS DISTINCT FROM {probability}")
    return con.execute(f"SELECT count(*) FROM predictions WHERE {inside}").fetchall()[0][0]


def combined_probabilities(
    classifier: dict[str, Any] | None, match_weight: np.ndarray, gammas: Mapping[str, np.ndarray],
    model_probability: np.ndarray,
) -> np.ndarray:
    """What ``apply_decision_classifier`` stores, for pairs scored outside the night (``/match``): the combined
    probability inside the decisions' range when the night's classifier (its run report entry) is used."""
    if not classifier or not classifier.get("used") or not classifier.get("logit_range"):
        return model_probability
    fs_logit = np.clip(match_weight * math.log(2), -LOGIT_CLIP, LOGIT_CLIP)
    z = np.full(len(match_weight), float(classifier["intercept"]))
    for name, weight in classifier["coefficients"].items():
        if name == "fs_logit":
            z = z + weight * fs_logit
        else:
            column, gamma = name.split("=")
            z = z + np.where(gammas[column] == int(gamma), weight, 0.0)
    low, high = classifier["logit_range"]
    inside = (fs_logit >= low) & (fs_logit <= high)
    columns = classifier.get("pattern_columns") or []
    if columns and classifier.get("threshold") is not None:  # links only of the patterns it learned from
        covered = {tuple(p) for p in classifier.get("linked_patterns") or []}
        levels = np.stack([np.asarray(gammas[c], dtype=np.int64) for c in columns], axis=1)
        of_covered = np.array([tuple(row) in covered for row in levels.tolist()], dtype=bool)
        inside &= (fs_logit < _threshold_logit(classifier["threshold"])) | of_covered
    return np.where(inside, 1 / (1 + np.exp(-z)), model_probability)


def snapshot_classifier(con: duckdb.DuckDBPyConnection) -> dict[str, Any] | None:
    """The decisions' classifier of the run a published snapshot holds (None when it used none)."""
    rows = con.execute("SELECT report FROM runs WHERE run_id = (SELECT max(run_id) FROM snapshot_info)").fetchall()
    report = json.loads(rows[0][0]) if rows and rows[0][0] else {}
    classifier = (report.get("model") or {}).get("decision_classifier")
    return classifier if classifier and classifier.get("used") else None


def covered_link_patterns(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame,
                          threshold: float) -> tuple[list[str], list[list[int]]]:
    """The gamma columns and the patterns (a level of each) of the decided links (``frame``: ``labelled_pairs``) whose
    stored links, pairs at or over ``threshold`` with those levels, stewards decided at least ``LINK_COVERAGE`` of."""
    columns = sorted(c for c in frame.columns if c.startswith("gamma_"))
    linked = frame[frame["fs_logit"].to_numpy(dtype=float) >= _threshold_logit(threshold)]
    if linked.empty or not columns:
        return columns, []
    decided = pd.Series(_pattern_keys(linked.drop_duplicates(["rid_l", "rid_r"]), columns)).value_counts()
    patterns = pd.DataFrame(list(decided.index), columns=columns)
    con.register("laolink_decided_patterns", patterns)
    try:
        levels = ", ".join(f"coalesce({c}, -99) AS {c}" for c in columns)
        stored = con.execute(f"""
            SELECT {", ".join(columns)}, count(*) FROM (
                SELECT DISTINCT rid_l, rid_r, {levels} FROM predictions WHERE {FS_LOGIT_SQL} >= ?)
            SEMI JOIN laolink_decided_patterns USING ({", ".join(columns)})
            GROUP BY ALL""", [_threshold_logit(threshold)]).fetchall()
    finally:
        con.unregister("laolink_decided_patterns")
    links = {tuple(int(v) for v in row[:-1]): row[-1] for row in stored}
    return columns, sorted(list(key) for key, n in decided.items() if n >= LINK_COVERAGE * links.get(key, n))


def learn_from_decisions(
    con: duckdb.DuckDBPyConnection, decisions_table: str, comparisons: list[str], min_each: int = MIN_EACH,
    threshold: float = DEFAULT_LINK_THRESHOLD,
) -> tuple[DecisionClassifier, int]:
    """Fit (or not) the classifier on the current decisions and apply it to the stored pairs; the decided pairs
    that were never scored are counted (they teach it nothing: no levels to learn from)."""
    if not has_table(con, "predictions"):
        return DecisionClassifier(positives=0, negatives=0, used=False,
                                  reason="no stored pairs: the store holds no two records to compare"), 0
    frame = labelled_pairs(con, decisions_table, comparisons)
    classifier = fit_decision_classifier(frame, min_each, threshold,
                                         linked_patterns=covered_link_patterns(con, frame, threshold))
    classifier.decided_without_stored_pair = con.execute(
        f"SELECT count(*) FROM {decisions_table} d ANTI JOIN predictions p USING (rid_l, rid_r) "
        "WHERE d.judgement IN ('positive', 'negative') AND NOT d.contested").fetchall()[0][0]
    return classifier, apply_decision_classifier(con, classifier)


def write_card_section(card_path: Path, classifier: DecisionClassifier) -> None:
    """Replace the model card's section on stewards' decisions with tonight's choice and both scores."""
    if not card_path.is_file():
        return
    text = card_path.read_text(encoding="utf-8").split(f"\n{CARD_HEADING}\n")[0].rstrip("\n")
    lines = [
        "", CARD_HEADING, "",
        f"- Decided pairs: {classifier.positives:,} same person, {classifier.negatives:,} not; "
        f"{classifier.decided_without_stored_pair:,} more were never scored (nothing to learn from)",
        f"- Learned ({classifier.kind or 'nothing fitted'}; a recordlinkage LogisticRegressionClassifier on one-hot "
        f"levels + Fellegi-Sunter log-odds, or one offset to the log-odds): "
        f"{'used' if classifier.used else 'not used'}: {classifier.reason}",
    ]  # fmt: skip
    if classifier.decided_links_left_out:
        lines.append(f"- {classifier.decided_links_left_out:,} decided links (pairs over the threshold) teach the "
                     f"regression nothing: stewards decided under {LINK_COVERAGE:.0%} of their pattern's links (the "
                     "queue asks about links chosen for looking wrong), and it leaves those patterns' links alone")
    if classifier.log_loss_model is not None:
        lines += [
            f"- Held-out decisions ({FOLDS}-fold): log loss model alone {classifier.log_loss_model:.4f}, combined "
            f"{classifier.log_loss_combined:.4f}; accuracy at the link threshold {classifier.threshold}: "
            f"{classifier.accuracy_model:.4f} vs "
            f"{classifier.accuracy_combined:.4f}",
        ]
    if classifier.used:
        lines += [f"- Applied where the model's log-odds lie in {list(classifier.logit_range or ())}",
                  f"- Coefficients: `{json.dumps(classifier.coefficients | {'intercept': classifier.intercept})}`"]
    card_path.write_text(text + "\n" + "\n".join(lines) + "\n", encoding="utf-8")

