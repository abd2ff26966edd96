"""The minimum cut (``linkage.clusters.cuts.minimum_cut``) against every cut of small random graphs."""

import itertools
import math
import random

import pytest

from linkage.clusters.cuts import _apply_negative_decisions, minimum_cut


def _graph(rng: random.Random, n: int, density: float, infinite: float) -> dict[int, dict[int, float]]:
    capacity: dict[int, dict[int, float]] = {v: {} for v in range(1, n + 1)}
    for a, b in itertools.combinations(range(1, n + 1), 2):
        if rng.random() < density:
            # whole numbers and halves: sums are exact, so ties between cuts are real ties
            c = math.inf if rng.random() < infinite else rng.choice([0.5, 1.0, 1.5, 2.0, 3.0, 5.0])
            capacity[a][b] = capacity[b][a] = c
    return capacity


def _least_cut_nearest_the_source(capacity: dict[int, dict[int, float]], s: int, t: int) -> list[tuple[int, int]]:
    """Every set of records holding s and not t: the links leaving the smallest of those whose links cost least
    (the minimum cuts' source sets are closed under intersection, so that one is unique)."""
    others = [v for v in capacity if v not in (s, t)]
    best, sides = math.inf, []
    for k in range(len(others) + 1):
        for chosen in itertools.combinations(others, k):
            side = {s, *chosen}
            cost = sum(c for u in side for v, c in capacity[u].items() if v not in side)
            if cost < best:
                best, sides = cost, [side]
            elif cost == best:
                sides.append(side)
    side = set.intersection(*sides)
    return sorted((min(u, v), max(u, v)) for u in side for v in capacity[u] if v not in side)


def _joined(capacity: dict[int, dict[int, float]], s: int, t: int, usable) -> bool:
    seen, todo = {s}, [s]
    while todo:
        u = todo.pop()
        for v, c in capacity[u].items():
            if v not in seen and usable(c):
                seen.add(v)
                todo.append(v)
    return t in seen


@pytest.mark.parametrize("seed", range(300))
def test_the_minimum_cut_is_the_least_cut_nearest_the_source(seed):
    rng = random.Random(seed)
    capacity = _graph(rng, rng.randint(2, 8), rng.choice([0.3, 0.5, 0.8]), rng.choice([0.0, 0.15]))
    s, t = rng.sample(sorted(capacity), 2)
    if _joined(capacity, s, t, math.isinf):
        with pytest.raises(ValueError):
            minimum_cut(capacity, s, t)
        return
    expected = _least_cut_nearest_the_source(capacity, s, t) if _joined(capacity, s, t, bool) else []
    assert minimum_cut(capacity, s, t) == expected


@pytest.mark.parametrize("seed", range(100))
def test_contradicting_pairs_are_cut_as_not_the_same_decisions_on_them_would_be(seed):
    """A contradicting pair whose first record has no "same person" decision link is not searched for one (no
    decision can join it): its cuts are those of a "not the same" decision on the pair, which always searches."""
    rng = random.Random(seed)
    capacity = _graph(rng, 9, 0.45, 0.1)
    links = [(a, b, c, "decision" if math.isinf(c) else "model") for a in capacity for b, c in capacity[a].items()
             if a < b]
    linked = sorted(v for v in capacity if capacity[v])  # clustering's pairs are of linked records
    if len(linked) < 2:
        return
    pairs = sorted({tuple(sorted(rng.sample(linked, 2))) for _ in range(6)})
    by_rules = _apply_negative_decisions(links, [], [(a, b, "different sex") for a, b in pairs])
    by_decisions = _apply_negative_decisions(links, [(a, b, i) for i, (a, b) in enumerate(pairs)])
    assert by_rules[0] == by_decisions[0]

    def cuts(flags: list[dict]) -> list[tuple]:
        return [(f["rid_l"], f["rid_r"], f["detail"]["cut"]) for f in flags if f["kind"] != "decision-conflict"]

    assert cuts(by_rules[1]) == cuts(by_decisions[1])
    assert len(by_rules[1]) + sum(f["kind"] == "decision-conflict" for f in by_decisions[1]) == len(by_decisions[1])
