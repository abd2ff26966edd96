"""Cuts remembered between clusterings (linkage/clusters/cut_cache.py): a component cut as before is not cut again,
one that changed is, and the clusters are those of a clustering that remembers nothing."""

import json

import pytest
from store_builders import clusters, linked_store, load, set_predictions

from linkage.clusters.clustering import cluster_records
from linkage.clusters.cut_cache import CUT_CACHE_TABLE

# Two components to cut: a father (1, born 1960) and his namesake son (3, born 1985) joined through a record
# without a date (2); and 5-6-7 where a steward said 5 and 7 are not the same person.
LINKS = {(1, 2): 0.93, (2, 3): 0.99, (3, 4): 0.999, (5, 6): 0.95, (6, 7): 0.97}
BORN = {1: 1960, 3: 1985, 4: 1986}


@pytest.fixture
def store(tmp_path):
    con, svc = linked_store(tmp_path, range(1, 8), LINKS, dob_years=BORN, negatives=[(5, 7)])
    yield con, svc
    con.close()


def run(con, svc, run_id=1):
    report = cluster_records(con, threshold=0.9, run_id=run_id, decisions_table=load(con, svc))
    flags = con.execute("SELECT kind, rid_l, rid_r, links_cut, CAST(detail AS VARCHAR) FROM clustering_flags"
                        " WHERE run_id = ? ORDER BY ALL", [run_id]).fetchall()
    return clusters(con), flags, (report.consistency_pairs_cut, report.negative_pairs_cut, report.links_cut)


def remembered(con):
    return {sig: (json.loads(cut), json.loads(flags)) for sig, cut, flags in con.execute(
        f"SELECT signature, CAST(cut AS VARCHAR), CAST(flags AS VARCHAR) FROM {CUT_CACHE_TABLE}").fetchall()}


def test_a_component_cut_as_before_takes_its_remembered_cut(store):
    con, svc = store
    first = run(con, svc)
    assert first[0] == {frozenset({1}), frozenset({2, 3, 4}), frozenset({5}), frozenset({6, 7})}
    cache = remembered(con)
    assert sorted(cut for cut, _ in cache.values()) == [[[1, 2]], [[5, 6]]]
    assert run(con, svc, run_id=2)[0::2] == first[0::2]
    # the second clustering read the remembered cuts: one altered by hand is what it applies
    father = next(sig for sig, (cut, _) in cache.items() if cut == [[1, 2]])
    con.execute(f"UPDATE {CUT_CACHE_TABLE} SET cut = '[[2, 3]]' WHERE signature = ?", [father])
    assert run(con, svc, run_id=3)[0] == {frozenset({1, 2}), frozenset({3, 4}), frozenset({5}), frozenset({6, 7})}


def test_a_component_that_changed_is_cut_again(store):
    con, svc = store
    run(con, svc)
    before = remembered(con)
    set_predictions(con, {**LINKS, (1, 2): 0.999, (2, 3): 0.95})  # now the son's link is the weaker
    assert run(con, svc, run_id=2)[0] == {frozenset({1, 2}), frozenset({3, 4}), frozenset({5}), frozenset({6, 7})}
    after = remembered(con)
    assert len(after) == 2 and len(set(after) & set(before)) == 1  # the steward's component did not change
    con.execute("UPDATE records SET dob_year = 1984 WHERE rid = 1")  # no contradiction left there
    run(con, svc, run_id=3)
    assert sorted(cut for cut, _ in remembered(con).values()) == [[[5, 6]]]


def test_clusters_are_those_of_a_store_without_remembered_cuts(store, tmp_path):
    con, svc = store
    other, other_svc = linked_store(tmp_path / "plain", range(1, 8), LINKS, dob_years=BORN, negatives=[(5, 7)])
    other.execute(f"DROP TABLE {CUT_CACHE_TABLE}")  # a snapshot written before the table
    plain = run(other, other_svc)
    assert run(con, svc) == plain and run(con, svc, run_id=2)[0::2] == plain[0::2]
    other.close()
