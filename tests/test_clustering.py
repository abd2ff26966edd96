import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from store_builders import add_records, clusters, decide, linked_store, load, open_stores, set_predictions

from linkage.clusters.clustering import cluster_records
from linkage.clusters.cuts import minimum_cut

# Two groups {1,2,3} and {4,5,6}, each tightly linked, joined by a weak link 3-4 (0.91) and
# a stronger one 2-5 (0.97). Record 7 is alone; 8-9 are below the threshold.
TWO_GROUPS = {
    (1, 2): 0.999, (2, 3): 0.998, (1, 3): 0.997,
    (4, 5): 0.999, (5, 6): 0.998, (4, 6): 0.997,
    (3, 4): 0.91, (2, 5): 0.97,
    (8, 9): 0.2,
}  # fmt: skip


@pytest.fixture
def store(tmp_path):
    con, svc = linked_store(tmp_path, range(1, 10), TWO_GROUPS)
    yield con, svc
    con.close()


def run(con, svc, run_id=1, threshold=0.9):
    return cluster_records(con, threshold=threshold, run_id=run_id, decisions_table=load(con, svc))


def test_every_record_is_in_a_cluster_singletons_too(store):
    con, svc = store
    report = run(con, svc)
    assert clusters(con) == {frozenset({1, 2, 3, 4, 5, 6}), frozenset({7}), frozenset({8}), frozenset({9})}
    assert (report.records, report.clusters, report.singletons, report.largest_cluster) == (9, 4, 3, 6)
    keys = dict(con.execute("SELECT rid, cluster_key FROM record_cluster").fetchall())
    assert keys[6] == 1 and keys[9] == 9  # the key is the cluster's lowest rid


def test_positive_decision_joins_records_the_model_keeps_apart(store):
    con, svc = store
    decide(svc, 8, 9, "positive")
    decide(svc, 7, 9, "positive")  # no prediction at all for 7-9
    report = run(con, svc)
    assert frozenset({7, 8, 9}) in clusters(con)
    assert report.decision_links == 2
    origins = con.execute("SELECT rid_l, rid_r, origin FROM cluster_links WHERE rid_l >= 7").fetchall()
    assert sorted(origins) == [(7, 9, "decision"), (8, 9, "decision")]


def test_negative_decision_cuts_the_weakest_links_and_flags_the_cluster(store):
    con, svc = store
    decision = decide(svc, 1, 6, "negative")
    report = run(con, svc)
    assert {frozenset({1, 2, 3}), frozenset({4, 5, 6})} <= clusters(con)
    assert (report.negative_pairs_cut, report.links_cut) == (1, 2)
    flags = con.execute("SELECT run_id, kind, rid_l, rid_r, links_cut, detail FROM clustering_flags").fetchall()
    assert len(flags) == 1 and flags[0][:5] == (1, "negative-cut", 1, 6, 2)
    detail = json.loads(flags[0][5])
    assert detail == {"negative_decision_id": decision.decision_id, "cut": [[2, 5], [3, 4]],
                      "cut_probabilities": [pytest.approx(0.97), pytest.approx(0.91)]}
    kept = {(a, b) for a, b in con.execute("SELECT rid_l, rid_r FROM cluster_links").fetchall()}
    assert kept == set(TWO_GROUPS) - {(2, 5), (3, 4), (8, 9)}


def test_cut_takes_the_weak_link_not_the_strong_group(tmp_path):
    # 1=2=3 strongly, 3-4 weakly: "1 is not 4" must cut only 3-4
    con, svc = open_stores(tmp_path)
    add_records(con, range(1, 5))
    set_predictions(con, {(1, 2): 0.999, (2, 3): 0.999, (1, 3): 0.99, (3, 4): 0.92})
    decide(svc, 1, 4, "negative")
    report = run(con, svc)
    assert clusters(con) == {frozenset({1, 2, 3}), frozenset({4})}
    assert report.links_cut == 1


def test_negative_decision_on_a_direct_link_alone_needs_no_cut(store):
    con, svc = store
    decide(svc, 3, 4, "negative")
    decide(svc, 2, 5, "negative")
    report = run(con, svc)
    assert {frozenset({1, 2, 3}), frozenset({4, 5, 6})} <= clusters(con)
    assert report.links_cut == 0
    assert con.execute("SELECT count(*) FROM clustering_flags").fetchall()[0][0] == 0


def test_positive_decision_links_are_never_cut(store):
    con, svc = store
    decide(svc, 3, 4, "positive")  # the weak link is now a steward's fact
    decide(svc, 1, 6, "negative")
    run(con, svc)
    cl = clusters(con)
    assert not any({1, 6} <= c for c in cl)
    assert any({3, 4} <= c for c in cl)


def test_contradicting_decisions_keep_records_together_and_are_flagged(store):
    con, svc = store
    decide(svc, 7, 8, "positive")
    decide(svc, 8, 9, "positive")
    decide(svc, 7, 9, "negative")
    report = run(con, svc)
    assert frozenset({7, 8, 9}) in clusters(con)
    assert report.decision_conflicts == 1
    kind, detail = con.execute("SELECT kind, detail FROM clustering_flags").fetchall()[0]
    assert kind == "decision-conflict"
    assert json.loads(detail)["joined_by_positive_decisions"] == [7, 8, 9]


def test_decisions_survive_reclustering_and_retraining(store):
    con, svc = store
    decide(svc, 8, 9, "positive")
    decide(svc, 1, 6, "negative")
    run(con, svc, run_id=1)
    first = clusters(con)
    run(con, svc, run_id=2)
    assert clusters(con) == first
    # a retrained model: different scores, a new strong link 1-5, and 8-9 now judged hopeless
    retrained = {pair: min(p, 0.95) for pair, p in TWO_GROUPS.items()} | {(1, 5): 0.999, (8, 9): 0.001}
    set_predictions(con, retrained, model="m2")
    run(con, svc, run_id=3)
    after = clusters(con)
    assert frozenset({8, 9}) in after
    assert not any({1, 6} <= c for c in after)
    assert con.execute("SELECT count(*) FROM clustering_flags WHERE run_id = 3").fetchall()[0][0] == 1
    # only the last run's flags stay (runs 1 and 2 flagged the same cut: kept, they grew every night)
    assert con.execute("SELECT DISTINCT run_id FROM clustering_flags").fetchall() == [(3,)]


def test_long_chain_in_reverse_order_becomes_one_cluster(tmp_path):
    con, svc = open_stores(tmp_path)
    n = 300
    add_records(con, range(1, n + 1))
    set_predictions(con, {(i, i + 1): 0.99 for i in range(n - 1, 0, -1)})
    run(con, svc)
    assert clusters(con) == {frozenset(range(1, n + 1))}


@pytest.mark.parametrize(
    ("links", "cut"),
    [
        # two strong links in parallel (3 + 3) cost more than one link of 5
        ({(1, 2): 3.0, (1, 3): 3.0, (2, 4): 5.0, (3, 4): 5.0, (4, 5): 5.0}, [(4, 5)]),
        ({(1, 2): 1.0, (2, 3): 0.5, (3, 4): 2.0}, [(2, 3)]),
        # an infinite (decision) link forces the cut elsewhere
        ({(1, 2): math.inf, (2, 3): 9.0, (1, 3): 1.0}, [(1, 3), (2, 3)]),
    ],
)
def test_minimum_cut(links, cut):
    capacity: dict[int, dict[int, float]] = {}
    for (a, b), c in links.items():
        capacity.setdefault(a, {})[b] = c
        capacity.setdefault(b, {})[a] = c
    assert minimum_cut(capacity, 1, max(capacity)) == cut


def _reference_components(n, edges):
    parent = list(range(n + 1))

    def find(x):
        while parent[x] != x:
            x = parent[x]
        return x

    for a, b in edges:
        parent[find(a)] = find(b)
    groups: dict[int, set[int]] = {}
    for x in range(1, n + 1):
        groups.setdefault(find(x), set()).add(x)
    return {frozenset(g) for g in groups.values()}


@settings(max_examples=20, deadline=None)
@given(
    st.lists(st.tuples(st.integers(1, 25), st.integers(1, 25), st.floats(0.5, 0.999)), max_size=40),
    st.lists(st.tuples(st.integers(1, 25), st.integers(1, 25), st.booleans()), max_size=5),
)
def test_components_match_a_reference_and_decisions_always_hold(tmp_path_factory, edges, decisions):
    con, svc = open_stores(tmp_path_factory.mktemp("cl"))
    add_records(con, range(1, 26))
    pairs = {(min(a, b), max(a, b)): p for a, b, p in edges if a != b}
    set_predictions(con, pairs)
    run(con, svc, threshold=0.5)
    assert clusters(con) == _reference_components(25, pairs)
    judged = {(min(a, b), max(a, b)): same for a, b, same in decisions if a != b}
    for (a, b), same in judged.items():
        decide(svc, a, b, "positive" if same else "negative")
    run(con, svc, run_id=2, threshold=0.5)
    after = clusters(con)
    assert sum(len(c) for c in after) == 25
    flagged = "SELECT rid_l, rid_r FROM clustering_flags WHERE kind = 'decision-conflict'"
    conflicts = set(con.execute(flagged).fetchall())
    for (a, b), same in judged.items():
        together = any({a, b} <= c for c in after)
        assert together == same or (a, b) in conflicts
    # a conflict is flagged only when same-person decisions alone join the pair
    positives = [pair for pair, same in judged.items() if same]
    for a, b in conflicts:
        assert any({a, b} <= c for c in _reference_components(25, positives))
    con.close()


def test_a_chain_longer_than_any_person_is_held_to_stricter_links_and_flagged(tmp_path):
    """Twelve records chained by links at 0.85: no person has that many (here: 5), so only strong links stay."""
    con, svc = open_stores(tmp_path)
    add_records(con, range(1, 14))
    chain = {(i, i + 1): 0.85 for i in range(1, 12)} | {(1, 2): 0.999, (5, 6): 0.95, (12, 13): 0.97}
    set_predictions(con, chain)
    decide(svc, 3, 4, "positive")
    report = cluster_records(con, threshold=0.8, run_id=1, decisions_table=load(con, svc), max_records=5)
    singletons = {frozenset({r}) for r in (7, 8, 9, 10, 11)}
    assert clusters(con) == {frozenset({1, 2}), frozenset({3, 4}), frozenset({5, 6}), frozenset({12, 13})} | singletons
    assert report.oversized_components == 1
    (kind, rid_l, links_cut, detail), = con.execute(
        "SELECT kind, rid_l, links_cut, detail FROM clustering_flags").fetchall()  # fmt: skip
    # 13 records > 5: links under 0.9 dropped (the 3-4 decision is never dropped); 12-13 was never oversized.
    assert (kind, rid_l, links_cut) == ("oversized-cluster", 1, 8)
    assert json.loads(detail) == {"records": 13, "max_records": 5, "threshold": 0.9}
    con.close()
