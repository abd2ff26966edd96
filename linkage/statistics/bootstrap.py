"""BCa bootstrap intervals for the stepwise MSE estimate, as SparseMSE's ``estimatepopulation`` computes them.

Bootstrap samples redraw the observed people multinomially over the observed histories and repeat the whole
stepwise fit; the acceleration comes from a jackknife that removes one person of each history in turn
(DiCiccio and Efron 1996; Chan, Silverman and Vincent 2021, section 3.3).

A resample (or a jackknife sample) may have no finite estimate: no one left on both of two lists, a list that
saw everyone or no one. Its estimate is unbounded, so it counts as infinite: it ranks above every finite one,
and a percentile that falls among such resamples is an open upper (or lower) bound, reported as None with the
number of resamples it rests on. When a jackknife sample has no finite estimate the acceleration is undefined
and taken as 0 (the bias-corrected percentile interval).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from linkage.statistics.capture_table import CaptureTable
from linkage.statistics.mse import DEFAULT_PTHRESH, _FullTable, check_model, stepwise_fit

DEFAULT_REPLICATIONS = 1000


@dataclass(frozen=True)
class BcaInterval:
    """A BCa interval; ``high`` (or both bounds) None when the percentile falls among resamples with no finite
    estimate (``not_finite`` of ``replications``)."""

    low: float | None
    high: float | None
    replications: int
    not_finite: int

    def as_dict(self) -> dict:
        return {"ci95_bca": [self.low, self.high],
                "bootstrap": {"replications": self.replications, "not_finite": self.not_finite}}


def _point_estimate(table: CaptureTable, pthresh: float) -> float:
    """The stepwise estimate, or infinity when even the main-effects model has no finite estimate."""
    if check_model(_FullTable.of(table), ()) != 0:
        return math.inf
    return table.observed + float(np.exp(stepwise_fit(table, pthresh).intercept))


def bca_interval(
    table: CaptureTable, replications: int = DEFAULT_REPLICATIONS, pthresh: float = DEFAULT_PTHRESH,
    seed: int = 1234, alpha: tuple[float, float] = (0.025, 0.975),
) -> BcaInterval:
    """BCa interval of the total population from ``replications`` multinomial bootstrap samples."""
    if replications < 2:
        raise ValueError(f"a bootstrap needs at least 2 replications, got {replications}")
    rng = np.random.default_rng(seed)
    counts = table.counts
    estimate = _point_estimate(table, pthresh)
    if not math.isfinite(estimate):
        raise ValueError("the table has no finite estimate to bootstrap")
    samples = rng.multinomial(int(counts.sum()), counts / counts.sum(), size=replications)
    replicates = np.array([_point_estimate(table.with_counts(sample), pthresh) for sample in samples])
    jackknife = np.zeros(len(counts))
    for row in np.flatnonzero(counts > 0):
        reduced = counts.copy()
        reduced[row] -= 1
        jackknife[row] = _point_estimate(table.with_counts(reduced), pthresh)
    acceleration = 0.0
    if np.isfinite(jackknife).all():
        residuals = counts @ jackknife / counts.sum() - jackknife
        spread = (counts @ residuals**2) ** 1.5
        acceleration = float((counts @ residuals**3) / (6 * spread)) if spread > 0 else 0.0
    low, high = _bca_quantiles(replicates, estimate, acceleration, alpha)
    return BcaInterval(low, high, replications, int(np.isinf(replicates).sum()))


def _bca_quantiles(
    replicates: np.ndarray, estimate: float, acceleration: float, alpha: tuple[float, float],
) -> tuple[float | None, float | None]:
    """Bias-corrected, accelerated percentiles (R's quantile type 8, numpy's 'median_unbiased'); a percentile
    among infinite replicates is None. Replicates equal to the estimate count half below it, as
    scipy.stats.bootstrap does: a small table's resamples often repeat its own figure."""
    share_below = (np.sum(replicates < estimate) + np.sum(replicates <= estimate)) / (2 * len(replicates))
    # All replicates on one side of the estimate would give an infinite bias correction; keep it finite.
    half_step = 0.5 / len(replicates)
    bias = stats.norm.ppf(np.clip(share_below, half_step, 1 - half_step))
    z_alpha = stats.norm.ppf(alpha) + bias
    levels = stats.norm.cdf(bias + z_alpha / (1 - acceleration * z_alpha))
    ordered = np.sort(replicates)
    low, high = (_type8_quantile(ordered, float(level)) for level in levels)
    return low, high


def _type8_quantile(ordered: np.ndarray, level: float) -> float | None:
    """Hyndman and Fan's type 8 quantile of sorted values; None when it needs an infinite one."""
    n = len(ordered)
    position = min(max((n + 1 / 3) * level + 1 / 3, 1.0), float(n))  # 1-based, clamped as numpy does
    below = int(math.floor(position))
    fraction = position - below
    lower = ordered[below - 1]
    if math.isinf(lower):
        return None
    if fraction == 0:  # on a replicate: the next one plays no part (0 * inf would be NaN)
        return float(lower)
    upper = ordered[min(below, n - 1)]
    if math.isinf(upper):
        return None
    return float(lower + fraction * (upper - lower))
