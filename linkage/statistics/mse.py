"""Multiple systems estimation by SparseMSE's stepwise method (Chan, Silverman and Vincent, JCGS 2021).

A Poisson log-linear model of the observed capture histories with all main effects; two-list terms are added one
at a time, each time the one whose overlap (people on both lists) has the smallest one-sided Poisson p-value under
the current model, while that p-value is below ``pthresh`` and the model passes the existence (linear programme of
Fienberg and Rinaldo 2012) and identifiability (rank) checks. A pair of lists with no one in common is handled as
the package does: its histories are left out of the fit rather than given a parameter. The unobserved cell's
fitted count, exp(intercept), is the dark figure. Follows SparseMSE 2.0.1's ``estimatepopulation.0``.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations

import numpy as np
from scipy import optimize, sparse, stats
from statsmodels.genmod.families import Poisson
from statsmodels.genmod.generalized_linear_model import GLM
from statsmodels.tools.sm_exceptions import PerfectSeparationWarning

from linkage.errors import LaoLinkError
from linkage.statistics.capture_table import CaptureTable

Pair = tuple[int, int]
DEFAULT_PTHRESH = 0.02
# The linear programme's optimum is a count; at or below this it is taken as zero (no finite estimate).
_LP_ZERO = 1e-7
NOT_FINITE = 1
NOT_IDENTIFIABLE = 2
# The model has a cell for every combination of lists (2^k - 1): at 15 lists 32,767 cells, and the stepwise fit
# checks candidate terms with a linear programme over them (4-6 s of CPU, 0.3 GB; 16 lists: 20 s, 0.5 GB, and
# doubling with each list). More are refused: group sources into fewer lists (`--lists A+B,C`).
MAX_LISTS = 15


@dataclass(frozen=True)
class ModelFit:
    """A fitted log-linear model: the two-list terms in the order added and what the estimate needs."""

    lists: tuple[str, ...]
    pairs: tuple[Pair, ...]
    histories: np.ndarray
    fitted: np.ndarray
    intercept: float
    intercept_sd: float

    empty_pairs: tuple[Pair, ...]

    @property
    def terms(self) -> list[str]:
        """Fitted two-list terms as "A:B" by list name, first list first (as SparseMSE's glm names them)."""
        return self._names(pair for pair in self.pairs if pair not in self.empty_pairs)

    @property
    def empty_overlaps(self) -> list[str]:
        """Chosen pairs with no one in common: no parameter, their histories are left out of the fit."""
        return self._names(self.empty_pairs)

    def _names(self, pairs: Iterable[Pair]) -> list[str]:
        return [f"{self.lists[i]}:{self.lists[j]}" for i, j in pairs]


@dataclass(frozen=True)
class MseEstimate:
    """Total population (dark figure included) with its model-based interval."""

    observed: int
    estimate: float
    ci95: tuple[float, float]
    terms: list[str]
    empty_overlaps: list[str]

    def as_dict(self) -> dict:
        """The four figures ``laolink mse --json`` prints (empty overlaps are not among them)."""
        return {"observed": self.observed, "estimate": self.estimate, "ci95": list(self.ci95), "terms": self.terms}


def _all_pairs(n_lists: int) -> list[Pair]:
    return list(combinations(range(n_lists), 2))


@dataclass(frozen=True)
class _FullTable:
    """Every possible non-empty capture history, zero counts included, and each pair's observed overlap."""

    histories: np.ndarray
    counts: np.ndarray
    overlaps: dict[Pair, float]

    @classmethod
    def of(cls, table: CaptureTable) -> _FullTable:
        n_lists = len(table.lists)
        refuse_too_many_lists(n_lists)
        codes = np.arange(1, 2**n_lists)
        histories = ((codes[:, None] >> np.arange(n_lists)) & 1).astype(float)
        histories = histories[np.argsort(histories.sum(axis=1), kind="stable")]
        weights = 2 ** np.arange(n_lists)
        position = {int(code): row for row, code in enumerate(histories @ weights)}
        counts = np.zeros(len(histories))
        for code, count in zip(table.histories @ weights, table.counts, strict=True):
            counts[position[int(code)]] += count
        overlaps = {(i, j): float(counts @ (histories[:, i] * histories[:, j])) for i, j in _all_pairs(n_lists)}
        return cls(histories, counts, overlaps)

    def design(self, pairs: tuple[Pair, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rows kept (histories with both lists of an empty pair are left out), model matrix and counts."""
        keep = np.ones(len(self.histories), dtype=bool)
        for i, j in pairs:
            if self.overlaps[(i, j)] == 0:
                keep &= self.histories[:, i] * self.histories[:, j] == 0
        rows = self.histories[keep]
        columns = [np.ones(len(rows)), *rows.T]
        columns += [rows[:, i] * rows[:, j] for i, j in pairs if self.overlaps[(i, j)] > 0]
        return rows, np.column_stack(columns), self.counts[keep]


def check_model(full: _FullTable, pairs: tuple[Pair, ...]) -> int:
    """0 if the model's estimate exists and is identifiable; else NOT_FINITE and/or NOT_IDENTIFIABLE (summed).

    Existence: maximise t subject to A'x = A'n, x >= t, x >= 0; an optimum of 0 means some fitted cell must be
    zero, so the maximum likelihood estimate is not finite (SparseMSE's ``checkident``). Solved as x = y + t with
    y >= 0: A'y + t A'1 = A'n, the same optimum without the rows x rows "x >= t" block (2 GB dense at 14 lists;
    3.2 s against 0.16 s at 13).
    """
    _, model, counts = full.design(pairs)
    n_rows, n_params = model.shape
    objective = np.zeros(n_rows + 1)
    objective[-1] = -1.0
    equalities = sparse.hstack([sparse.csr_array(model.T), sparse.csr_array(model.sum(axis=0)[:, None])], format="csr")
    result = optimize.linprog(objective, A_eq=equalities, b_eq=model.T @ counts, bounds=(0, None), method="highs")
    if result.status != 0:
        raise RuntimeError(f"existence check: linear programme failed ({result.message})")
    not_finite = -result.fun <= _LP_ZERO
    rank_deficient = np.linalg.matrix_rank(model) < n_params
    return NOT_FINITE * int(not_finite) + NOT_IDENTIFIABLE * int(rank_deficient)


def fit_model(table: CaptureTable, pairs: tuple[Pair, ...] = (), full: _FullTable | None = None) -> ModelFit:
    """Fit the Poisson log-linear model with main effects and the given two-list terms (no checks)."""
    full = full or _FullTable.of(table)
    rows, model, counts = full.design(pairs)
    # A saturated model (no residual degrees of freedom) fits the cells exactly; statsmodels then warns about a
    # zero-division in its scale and "perfect prediction", neither of which matters for a Poisson fit.
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore", PerfectSeparationWarning)
        result = GLM(counts, model, family=Poisson()).fit()
    return ModelFit(
        lists=table.lists, pairs=tuple(pairs), histories=rows, fitted=np.asarray(result.fittedvalues),
        intercept=float(result.params[0]), intercept_sd=float(np.sqrt(result.normalized_cov_params[0, 0])),
        empty_pairs=tuple(pair for pair in pairs if full.overlaps[pair] == 0),
    )


def _overlap_p_value(observed: float, expected: float) -> float:
    """One-sided Poisson p-value of an overlap: the smaller tail, P(X <= n) or P(X >= n)."""
    return float(min(stats.poisson.cdf(observed, expected), stats.poisson.sf(observed - 1, expected)))


def stepwise_fit(table: CaptureTable, pthresh: float = DEFAULT_PTHRESH) -> ModelFit:
    """SparseMSE's ``stepwisefit``: add the two-list term with the smallest p-value while it is below pthresh."""
    full = _FullTable.of(table)
    fit = fit_model(table, (), full)
    candidates = _all_pairs(len(table.lists))
    chosen: tuple[Pair, ...] = ()
    while len(chosen) < len(candidates):
        p_values = []
        for index, (i, j) in enumerate(candidates):
            if (i, j) not in chosen:
                expected = float(fit.fitted @ (fit.histories[:, i] * fit.histories[:, j]))
                p_values.append((_overlap_p_value(full.overlaps[(i, j)], expected), index))
        # The package checks every candidate, then takes the smallest p-value (first pair on ties) among those
        # that pass; checking in that order and stopping at the first that passes chooses the same pair.
        passing = (candidates[index] for p_value, index in sorted(p_values)
                   if p_value < pthresh and check_model(full, chosen + (candidates[index],)) == 0)
        best_pair = next(passing, None)
        if best_pair is None:
            break
        chosen += (best_pair,)
        fit = fit_model(table, chosen, full)
    return fit


class NoEstimate(LaoLinkError):
    """The table cannot give an estimate (too few lists with anyone on them, or no finite main-effects fit)."""


class TooManyLists(NoEstimate):
    """More lists than :data:`MAX_LISTS`: the model's table of every combination would not fit in memory."""


def refuse_too_many_lists(n_lists: int) -> None:
    """Raise :class:`TooManyLists` before anything of the size of 2^n_lists is allocated."""
    if n_lists > MAX_LISTS:
        raise TooManyLists(f"{n_lists} lists: the estimate takes at most {MAX_LISTS} (the model has a cell for each"
                           f" of the 2^{n_lists} - 1 combinations); group sources into fewer lists, e.g."
                           " --lists A+B,C+D,E")


def without_empty_lists(table: CaptureTable) -> CaptureTable:
    """The table without lists nobody is on (a stratum some sources never record); they say nothing. A list is
    empty when no one is counted on it: histories with a count of zero do not keep it."""
    seen = table.counts > 0
    used = table.histories[seen].sum(axis=0) > 0
    if not seen.any():
        raise NoEstimate("no one was seen on any list")
    if used.sum() < 2:
        raise NoEstimate(f"fewer than two lists recorded anyone ({', '.join(np.array(table.lists)[used])})")
    return CaptureTable(tuple(np.array(table.lists)[used]), table.histories[seen][:, used], table.counts[seen])


def _why_no_estimate(table: CaptureTable) -> str:
    """Plain words for a table whose main-effects model has no finite estimate."""
    seen = table.counts > 0
    histories = table.histories[seen]
    everyone = [name for i, name in enumerate(table.lists) if histories[:, i].all()]
    if everyone:
        return (f"no finite estimate: {', '.join(everyone)} saw everyone seen, so no one shows who"
                f" {'it' if len(everyone) == 1 else 'they'} missed")
    if (histories.sum(axis=1) < 2).all():
        return "no finite estimate: no one was seen on more than one list (the lists do not overlap)"
    return "no finite estimate even without two-list terms (the histories seen leave the unseen count unbounded)"


def estimate_population(
    table: CaptureTable, pthresh: float = DEFAULT_PTHRESH, quantiles: tuple[float, float] = (0.025, 0.975),
) -> MseEstimate:
    """Point estimate and model-based interval: people seen + exp(q), q the intercept's normal quantiles.

    Raises NoEstimate when even the main-effects model has no finite estimate (e.g. lists that never overlap).
    """
    if check_model(_FullTable.of(table), ()) != 0:
        raise NoEstimate(_why_no_estimate(table))
    fit = stepwise_fit(table, pthresh)
    low, high = stats.norm.ppf(quantiles, loc=fit.intercept, scale=fit.intercept_sd)
    observed = table.observed
    return MseEstimate(
        observed=observed, estimate=observed + float(np.exp(fit.intercept)),
        ci95=(observed + float(np.exp(low)), observed + float(np.exp(high))), terms=fit.terms,
        empty_overlaps=fit.empty_overlaps,
    )
