"""A record with a given name only joins one group (linkage.clusters.partial_names), on a real DuckDB store."""

from __future__ import annotations

import pytest
from store_builders import clusters, decide, linked_store, load

from linkage.clusters.clustering import cluster_records
from linkage.clusters.consistency import ConsistencyRules

# Two women called Noy: 1-2 "Noy Sisenla", 3-4 "Noy Vongsa". 5 and 6 are "Noy" alone; 7 is "Noy" alone, linked to 6.
LINKS = {(1, 2): 0.99, (3, 4): 0.99, (1, 5): 0.95, (3, 5): 0.7, (3, 6): 0.9, (5, 6): 0.8, (6, 7): 0.9}
NAMES = {1: "sisenla", 2: "sisenla", 3: "vongsa", 4: "vongsa"}


@pytest.fixture
def store(tmp_path):
    con, svc = linked_store(tmp_path, range(1, 8), LINKS)
    for rid in range(1, 8):
        con.execute("UPDATE records SET given_key = 'noy', family_key = ? WHERE rid = ?", [NAMES.get(rid), rid])
    yield con, svc
    con.close()


def _cluster(con, svc, **rules):
    return cluster_records(con, threshold=0.6, run_id=1, decisions_table=load(con, svc),
                           consistency=ConsistencyRules(**rules))


def test_a_record_with_a_given_name_only_joins_the_group_of_its_strongest_link(store):
    """Connected components made one person of both women through 5 (and 6); now 5 joins Noy Sisenla (its strongest
    link), 6 Noy Vongsa, 7 follows 6, and the link 5-6 between the two goes."""
    con, svc = store
    report = _cluster(con, svc)
    assert clusters(con) == {frozenset({1, 2, 5}), frozenset({3, 4, 6, 7})}
    assert report.partial_name_links_dropped == 2  # 3-5 and 5-6
    assert not con.execute("SELECT count(*) FROM cluster_links WHERE (rid_l, rid_r) IN ((3, 5), (5, 6))"
                           ).fetchall()[0][0]


def test_a_stewards_decision_decides_the_group(store):
    con, svc = store
    decide(svc, 3, 5, "positive")
    _cluster(con, svc)
    assert frozenset({3, 4, 5, 6, 7}) in clusters(con)


def test_the_rule_turned_off_keeps_every_link(store):
    con, svc = store
    report = _cluster(con, svc, partial_name_joins_one=False)
    assert clusters(con) == {frozenset(range(1, 8))}
    assert report.partial_name_links_dropped == 0
