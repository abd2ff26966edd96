"""Own records per count of records carrying a value, learned by EM from the pairs' other evidence
(linkage.model.own_by_count)."""

from __future__ import annotations

import numpy as np
import pytest

from linkage.model.own_by_count import PRIOR_VALUES, _own_per_count


def _pairs(rng: np.random.Generator, count: int, values: int, share: float) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of ``values`` values carried by ``count`` records each, ``share`` of them one person; each pair's other
    evidence is one field agreeing with probability 0.9 (one person) or 0.1 (two), weighed as its true odds."""
    n = values * count * (count - 1) // 2
    same = rng.random(n) < share
    agree = rng.random(n) < np.where(same, 0.9, 0.1)
    return np.full(n, count), np.where(agree, np.log2(0.9 / 0.1), np.log2(0.1 / 0.9))


def test_em_recovers_the_share_of_same_person_pairs_per_count() -> None:
    rng = np.random.default_rng(5)
    parts = [_pairs(rng, 2, 3000, 0.95), _pairs(rng, 4, 1500, 0.7), _pairs(rng, 9, 200, 0.2)]
    k, w = (np.concatenate(x) for x in zip(*parts, strict=True))
    own = _own_per_count(k, w, mean=3.0)
    # 1 + share x (count - 1), pulled towards the mean by PRIOR_VALUES of its values
    for count, values, share in ((2, 3000, 0.95), (4, 1500, 0.7), (9, 200, 0.2)):
        weight = values / (values + PRIOR_VALUES)
        learned_share = ((own[count] - (1 - weight) * 3.0) / weight - 1) / (count - 1)
        assert learned_share == pytest.approx(share, abs=0.03), count
    assert set(own) == {2, 4, 9}  # counts no value has are not guessed


def test_a_count_with_few_values_stays_near_the_mean() -> None:
    k, w = _pairs(np.random.default_rng(1), 12, 1, 1.0)  # one value of 12 records, all one person
    assert abs(_own_per_count(k, w, mean=3.0)[12] - 3.0) < abs(12 - 3.0) / 10

