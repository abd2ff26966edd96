import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from store_builders import add_records, decide, load, open_stores, persons_of, set_predictions

from linkage.clusters.clustering import cluster_records
from linkage.clusters.person_ids import assign_person_ids


@pytest.fixture
def con(tmp_path):
    con, svc = open_stores(tmp_path)
    add_records(con, range(1, 21))
    yield con
    con.close()


def set_clusters(con, groups):
    """This run's clustering, as the clustering step writes it: key = lowest rid."""
    con.execute("DELETE FROM record_cluster")
    for group in groups:
        for rid in group:
            con.execute("INSERT INTO record_cluster VALUES (?, ?)", [rid, min(group)])


def night(con, run_id, groups):
    set_clusters(con, groups)
    return assign_person_ids(con, run_id=run_id)


def events(con, run_id):
    rows = con.execute(
        "SELECT person_id, event, other_person_id, n_records, detail FROM id_history"
        " WHERE run_id = ? ORDER BY event_id",
        [run_id],
    ).fetchall()
    return [(p, e, o, n, json.loads(d) if d else None) for p, e, o, n, d in rows]


def person(con, person_id):
    row = con.execute(
        "SELECT status, alias_of, created_run_id, updated_run_id, n_records FROM persons WHERE person_id = ?",
        [person_id],
    ).fetchall()
    return row[0] if row else None


def test_first_night_creates_one_id_per_cluster(con):
    report = night(con, 1, [{1, 2, 3}, {4}, {5, 6}])
    ids = persons_of(con)
    assert ids[1] == ids[2] == ids[3] and len({ids[1], ids[4], ids[5]}) == 3
    assert all(re.fullmatch(r"LA-P-\d{7}", p) for p in ids.values())
    assert (report.created, report.kept, report.active) == (3, 0, 3)
    assert sorted((e, n) for _, e, _, n, _ in events(con, 1)) == [("created", 1), ("created", 2), ("created", 3)]
    assert person(con, ids[1]) == ("active", None, 1, 1, 3)


def test_unchanged_night_keeps_every_id_and_writes_no_event(con):
    night(con, 1, [{1, 2, 3}, {4}, {5, 6}])
    before = (persons_of(con), con.execute("SELECT * FROM persons ORDER BY person_id").fetchall())
    report = night(con, 2, [{1, 2, 3}, {4}, {5, 6}])
    assert (persons_of(con), con.execute("SELECT * FROM persons ORDER BY person_id").fetchall()) == before
    assert events(con, 2) == []
    assert (report.kept, report.created, report.events) == (3, 0, 0)


def test_assigning_twice_for_the_same_clustering_changes_nothing(con):
    night(con, 1, [{1, 2}, {3}])
    night(con, 2, [{1, 2, 3, 4}, {5}])
    state = (persons_of(con), con.execute("SELECT * FROM persons ORDER BY person_id").fetchall())
    n_events = con.execute("SELECT count(*) FROM id_history").fetchall()[0][0]
    report = assign_person_ids(con, run_id=2)
    assert (persons_of(con), con.execute("SELECT * FROM persons ORDER BY person_id").fetchall()) == state
    assert con.execute("SELECT count(*) FROM id_history").fetchall()[0][0] == n_events
    assert report.events == 0


def test_growing_cluster_keeps_its_id(con):
    night(con, 1, [{1, 2}])
    pid = persons_of(con)[1]
    night(con, 2, [{1, 2, 3}])
    assert persons_of(con)[3] == pid
    assert events(con, 2) == [(pid, "records-added", None, 1, {"from": {}, "new_records": 1})]
    assert person(con, pid) == ("active", None, 1, 2, 3)


def test_merge_keeps_the_older_id_and_the_other_resolves_to_it(con):
    night(con, 1, [{5, 6}])
    older = persons_of(con)[5]
    night(con, 2, [{5, 6}, {1, 2}])  # the younger ID has the lower rids
    younger = persons_of(con)[1]
    night(con, 3, [{1, 2, 5, 6, 7}])
    assert set(persons_of(con).values()) == {older}
    assert person(con, younger) == ("alias", older, 2, 3, 0)
    assert person(con, older) == ("active", None, 1, 3, 5)
    assert events(con, 3) == [
        (younger, "merged-into", older, 2, {"records": [1, 2]}),  # the records it had: revived by them
        (older, "records-added", None, 3, {"from": {younger: 2}, "new_records": 1}),
    ]


def test_a_merge_undone_revives_the_alias_instead_of_a_new_id(con):
    night(con, 1, [{1}, {2, 3}])
    a, b = persons_of(con)[1], persons_of(con)[2]
    night(con, 2, [{1, 2, 3}])  # merged: b is an alias of a
    assert person(con, b)[:2] == ("alias", a)
    report = night(con, 3, [{1}, {2, 3}])  # split again: b's records are b again (before: a new LA-P-0000003)
    assert persons_of(con) == {1: a, 2: b, 3: b}
    assert person(con, b) == ("active", None, 1, 3, 2) and person(con, a)[:2] == ("active", None)
    assert events(con, 3) == [
        (b, "revived", a, 2, None),
        (b, "split-from", a, 2, {"cluster_records": 2}),
        (a, "records-removed", None, 2, {"to": {b: 2}, "no_longer_stored": 0}),
    ]
    assert (report.revived, report.created, report.kept) == (1, 0, 1)
    assert assign_person_ids(con, run_id=3).events == 0


def test_an_alias_revives_on_the_cluster_with_most_of_its_records_and_the_oldest_wins(con):
    night(con, 1, [{1, 2, 3}, {4}])
    a, d = persons_of(con)[1], persons_of(con)[4]
    night(con, 2, [{1, 2, 3}, {4}, {5, 6}])
    e = persons_of(con)[5]
    night(con, 3, [{1, 2, 3, 4, 5, 6}])  # d and e are aliases of a
    night(con, 4, [{1, 2, 3}, {4, 5, 6, 7}])  # d's record and e's records (and a new one) split off
    # both go with {4, 5, 6, 7}, which no active person claims: the older of the two comes back
    assert persons_of(con)[4] == d and person(con, e)[:2] == ("alias", a)
    night(con, 5, [{1, 2, 3}, {4}, {5, 6, 7}])  # e's records apart again: e comes back too
    assert (persons_of(con)[4], persons_of(con)[5], persons_of(con)[7]) == (d, e, e)


def test_equal_age_merge_keeps_the_lowest_number(con):
    night(con, 1, [{1}, {2}, {3}])
    ids = persons_of(con)
    night(con, 2, [{1, 2, 3}])
    assert set(persons_of(con).values()) == {min(ids.values())}
    report_rows = events(con, 2)
    assert sorted(o for _, e, o, _, _ in report_rows if e == "merged-into") == [ids[1], ids[1]]


def test_alias_chains_resolve_in_one_step(con):
    night(con, 1, [{1}])
    a = persons_of(con)[1]
    night(con, 2, [{1}, {2}])
    b = persons_of(con)[2]
    night(con, 3, [{1}, {2}, {3}])
    c = persons_of(con)[3]
    night(con, 4, [{1}, {2, 3}])  # c merges into b
    assert person(con, c)[:2] == ("alias", b)
    night(con, 5, [{1, 2, 3}])  # b merges into a: c must now point at a too
    assert person(con, b)[:2] == ("alias", a)
    assert person(con, c)[:2] == ("alias", a)


def test_split_majority_keeps_the_id_and_history_says_where_records_went(con):
    night(con, 1, [{1, 2, 3, 4, 5}])
    old = persons_of(con)[1]
    report = night(con, 2, [{1, 2}, {3, 4, 5}])
    ids = persons_of(con)
    assert ids[3] == old and ids[1] != old
    new = ids[1]
    assert report.split == 1 and report.kept == 1
    assert events(con, 2) == [
        (new, "split-from", old, 2, {"cluster_records": 2}),
        (old, "records-removed", None, 2, {"to": {new: 2}, "no_longer_stored": 0}),
    ]
    assert person(con, new) == ("active", None, 2, 2, 2)
    assert person(con, old) == ("active", None, 1, 2, 3)


def test_steward_split_keeps_the_id_with_the_majority_end_to_end(tmp_path):
    con, svc = open_stores(tmp_path)
    add_records(con, range(1, 8))
    chain = {(1, 2): 0.99, (2, 3): 0.99, (1, 3): 0.99, (3, 4): 0.92, (4, 5): 0.99, (5, 6): 0.99, (4, 6): 0.99}
    set_predictions(con, chain | {(6, 7): 0.99})
    for run_id in (1, 2):
        if run_id == 2:
            decide(svc, 1, 7, "negative")  # the weak link 3-4 is cut: {1,2,3} | {4,5,6,7}
        cluster_records(con, threshold=0.9, run_id=run_id, decisions_table=load(con, svc))
        assign_person_ids(con, run_id=run_id)
        if run_id == 1:
            old = persons_of(con)[1]
    ids = persons_of(con)
    assert ids[4] == old and ids[1] != old and ids[1] == ids[2] == ids[3]
    assert [(e, o, n) for _, e, o, n, _ in events(con, 2)] == [("split-from", old, 3), ("records-removed", None, 3)]
    con.close()


def test_records_moving_between_existing_persons(con):
    night(con, 1, [{1, 2, 3}, {4, 5, 6}])
    p1, p4 = persons_of(con)[1], persons_of(con)[4]
    night(con, 2, [{1, 2}, {3, 4, 5, 6}])
    assert persons_of(con)[3] == p4
    assert events(con, 2) == [
        (p1, "records-removed", None, 1, {"to": {p4: 1}, "no_longer_stored": 0}),
        (p4, "records-added", None, 1, {"from": {p1: 1}, "new_records": 0}),
    ]


def test_person_whose_records_are_gone_is_retired(con):
    night(con, 1, [{1, 2}, {3}])
    gone = persons_of(con)[3]
    report = night(con, 2, [{1, 2}])
    assert person(con, gone)[0] == "retired" and report.retired == 1
    assert events(con, 2) == [(gone, "records-removed", None, 1, {"to": {}, "no_longer_stored": 1})]


def test_new_ids_continue_after_the_highest(con):
    night(con, 1, [{1}, {2}])
    night(con, 2, [{1, 2}, {3}])
    assert persons_of(con)[3] == "LA-P-0000003"


@settings(max_examples=15, deadline=None)
@given(st.lists(st.lists(st.integers(0, 4), min_size=12, max_size=12), min_size=1, max_size=5))
def test_invariants_hold_over_any_sequence_of_nights(tmp_path_factory, nights):
    con, _ = open_stores(tmp_path_factory.mktemp("ids"))
    for run_id, labels in enumerate(nights, start=1):
        groups: dict[int, set[int]] = {}
        for rid, label in enumerate(labels, start=1):
            groups.setdefault(label, set()).add(rid)
        before = persons_of(con)
        night(con, run_id, list(groups.values()))
        after = persons_of(con)
        # every record has a person, and records together share one person
        assert set(after) == set(range(1, 13))
        assert all(len({after[r] for r in g}) == 1 for g in groups.values())
        assert len({after[min(g)] for g in groups.values()}) == len(groups)
        # a cluster that kept exactly its records keeps its ID
        for g in groups.values():
            olds = {before.get(r) for r in g}
            if len(olds) == 1 and None not in olds and sum(1 for p in before.values() if p in olds) == len(g):
                assert after[min(g)] == olds.pop()
        # n_records is right, aliases resolve to an active ID in one step
        counts = dict(con.execute("SELECT person_id, count(*) FROM record_person GROUP BY 1").fetchall())
        for pid, status, alias_of, n in con.execute(
            "SELECT person_id, status, alias_of, n_records FROM persons"
        ).fetchall():
            assert n == counts.get(pid, 0)
            assert (status == "active") == (pid in counts)
            if status == "alias":
                assert person(con, alias_of)[0] == "active"
        # assigning again changes nothing
        assert assign_person_ids(con, run_id=run_id).events == 0
    con.close()
