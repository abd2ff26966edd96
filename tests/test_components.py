"""Connected components (``linkage.clusters.components``) against a union-find, whatever the records' numbers."""

import random

import duckdb
import pytest

from linkage.clusters.components import connected_components


def _union_find(links: list[tuple[int, int]]) -> set[tuple[int, int]]:
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for a, b in links:
        if a != b:
            ra, rb = find(a), find(b)
            parent[max(ra, rb)] = min(ra, rb)  # the root is the lowest record
    return {(x, find(x)) for x in parent}


@pytest.mark.parametrize("seed", range(40))
def test_components_are_those_of_a_union_find(seed):
    rng = random.Random(seed)
    n = rng.choice([1, 3, 40, 500])
    # numbers close together (a store's sequence), spread far apart, or around zero and the largest BIGINTs
    base, step = rng.choice([(1, 1), (1, 10**9), (-(2**62), 2**50), (2**62, 1), (-20, 1)])
    numbers = [base + i * step for i in rng.sample(range(n * 3), n)]
    links = [(rng.choice(numbers), rng.choice(numbers)) for _ in range(rng.randint(0, 2 * n))]
    links += links[: len(links) // 4]  # a link twice
    con = duckdb.connect()
    con.execute("CREATE TABLE k (rid_l BIGINT, rid_r BIGINT)")
    if links:
        con.executemany("INSERT INTO k VALUES (?, ?)", links)
    connected_components(con, "k", "out")
    assert set(con.execute("SELECT node, label FROM out").fetchall()) == _union_find(links)
    connected_components(con, "(SELECT rid_r AS rid_l, rid_l AS rid_r FROM k) AS turned", "out2")
    assert set(con.execute("SELECT node, label FROM out2").fetchall()) == _union_find(links)


def test_a_long_chain_in_reverse_order_is_one_component():
    con = duckdb.connect()
    con.execute("CREATE TABLE k AS SELECT i + 1 AS rid_l, i AS rid_r FROM range(1, 200000) t(i) ORDER BY i DESC")
    connected_components(con, "k", "out")
    assert con.execute("SELECT count(*), min(label), max(label) FROM out").fetchall() == [(200000, 1, 1)]
