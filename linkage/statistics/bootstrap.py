"""BCa bootstrap intervals for the stepwise MSE estimate, as SparseMSE's ``estimatepopulation`` computes them.

Bootstrap samples redraw the observed people multinomially over the observed histories and repeat the whole
stepwise fit; the acceleration comes from a jackknife that removes one person of each history in turn
(DiCiccio and Efron 1996; Chan, Silverman and Vincent 2021, section 3.3).
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from linkage.statistics.capture_table import CaptureTable
from linkage.statistics.mse import DEFAULT_PTHRESH, stepwise_fit

DEFAULT_REPLICATIONS = 1000


def _point_estimate(table: CaptureTable, pthresh: float) -> float:
    return table.observed + float(np.exp(stepwise_fit(table, pthresh).intercept))


def bca_interval(
    table: CaptureTable, replications: int = DEFAULT_REPLICATIONS, pthresh: float = DEFAULT_PTHRESH,
    seed: int = 1234, alpha: tuple[float, float] = (0.025, 0.975),
) -> tuple[float, float]:
    """BCa interval of the total population from ``replications`` multinomial bootstrap samples."""
    if replications < 2:
        raise ValueError(f"a bootstrap needs at least 2 replications, got {replications}")
    rng = np.random.default_rng(seed)
    counts = table.counts
    estimate = _point_estimate(table, pthresh)
    samples = rng.multinomial(int(counts.sum()), counts / counts.sum(), size=replications)
    replicates = np.array([_point_estimate(table.with_counts(sample), pthresh) for sample in samples])
    jackknife = np.zeros(len(counts))
    for row in np.flatnonzero(counts > 0):
        reduced = counts.copy()
        reduced[row] -= 1
        jackknife[row] = _point_estimate(table.with_counts(reduced), pthresh)
    residuals = counts @ jackknife / counts.sum() - jackknife
    acceleration = (counts @ residuals**3) / (6 * (counts @ residuals**2) ** 1.5)
    return _bca_quantiles(replicates, estimate, float(acceleration), alpha)


def _bca_quantiles(
    replicates: np.ndarray, estimate: float, acceleration: float, alpha: tuple[float, float],
) -> tuple[float, float]:
    """Bias-corrected, accelerated percentiles (R's quantile type 8 is numpy's 'median_unbiased')."""
    share_below = np.mean(replicates < estimate)
    # All replicates on one side of the estimate would give an infinite bias correction; keep it finite.
    half_step = 0.5 / len(replicates)
    bias = stats.norm.ppf(np.clip(share_below, half_step, 1 - half_step))
    z_alpha = stats.norm.ppf(alpha) + bias
    levels = stats.norm.cdf(bias + z_alpha / (1 - acceleration * z_alpha))
    low, high = np.quantile(replicates, levels, method="median_unbiased")
    return float(low), float(high)
