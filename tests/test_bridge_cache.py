"""Bridges remembered between review queues (linkage/clusters/bridges.py): a cluster whose links are as they were
takes its remembered bridges, one that changed is searched again, and the queue is that of a store that
remembers nothing."""

import pytest
from store_builders import add_records, load, open_stores, set_predictions

from linkage.clusters.bridges import BRIDGE_CACHE_TABLE
from linkage.clusters.clustering import cluster_records
from linkage.clusters.person_ids import assign_person_ids
from linkage.clusters.review_queue import build_review_queue

# Two clusters held together by one link each: triangles 1-2-3 and 4-5-6 joined by 3-4, triangles 7-8-9 and
# 10-11-12 joined by 9-10; and a clique 13-16, which has no bridge.
TRIANGLES = {(a, b): 0.99 for t in ((1, 2, 3), (4, 5, 6), (7, 8, 9), (10, 11, 12)) for a, b in ((t[0], t[1]),
                                                                                                  (t[1], t[2]),
                                                                                                  (t[0], t[2]))}
LINKS = {**TRIANGLES, (3, 4): 0.93, (9, 10): 0.95, **{(a, b): 0.99 for a in range(13, 17) for b in range(a + 1, 17)}}


def night(con, svc, run_id):
    table = load(con, svc)
    cluster_records(con, threshold=0.9, run_id=run_id, decisions_table=table)
    assign_person_ids(con, run_id=run_id)
    build_review_queue(con, band=(0.3, 0.9), run_id=run_id, decisions_table=table, min_density=0.2)
    return sorted(con.execute("SELECT rid_l, rid_r FROM review_queue WHERE kind = 'cluster'").fetchall())


def remembered(con):
    return sorted(sorted((b["rid_l"], b["rid_r"]) for b in bridges) for (bridges,) in con.execute(
        f"SELECT bridges FROM {BRIDGE_CACHE_TABLE}").fetchall())


@pytest.fixture
def store(tmp_path):
    con, svc = open_stores(tmp_path)
    add_records(con, range(1, 17))
    set_predictions(con, LINKS)
    yield con, svc
    con.close()


def test_a_cluster_as_before_takes_its_remembered_bridges(store):
    con, svc = store
    assert night(con, svc, 1) == [(3, 4), (9, 10)]
    assert remembered(con) == [[], [(3, 4)], [(9, 10)]]  # the clique is remembered with none
    assert night(con, svc, 2) == [(3, 4), (9, 10)]
    # the second queue read the remembered bridges: one altered by hand is what it asks about
    con.execute(f"UPDATE {BRIDGE_CACHE_TABLE} SET bridges = [{{'rid_l': 1, 'rid_r': 2}}]"
                " WHERE list_contains(bridges, {'rid_l': 3, 'rid_r': 4})")
    assert night(con, svc, 3) == [(1, 2), (9, 10)]


def test_a_cluster_whose_links_changed_is_searched_again(store):
    con, svc = store
    night(con, svc, 1)
    set_predictions(con, {**LINKS, (2, 5): 0.99})  # a second link between the first two triangles: no bridge
    assert night(con, svc, 2) == [(9, 10)]
    assert remembered(con) == [[], [], [(9, 10)]]  # the old cluster's signature is gone, the new one has none
    set_predictions(con, {k: v for k, v in LINKS.items() if k != (13, 14)})  # the clique loses a link: no bridge
    assert night(con, svc, 3) == [(3, 4), (9, 10)]
    assert remembered(con) == [[], [(3, 4)], [(9, 10)]]


def test_the_queue_is_that_of_a_store_without_remembered_bridges(store, tmp_path):
    con, svc = store
    other, other_svc = open_stores(tmp_path / "plain")
    add_records(other, range(1, 17))
    set_predictions(other, LINKS)
    other.execute(f"DROP TABLE {BRIDGE_CACHE_TABLE}")  # a snapshot written before the table
    plain = night(other, other_svc, 1)
    assert night(con, svc, 1) == plain == night(con, svc, 2)
    other.close()
