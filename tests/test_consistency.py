"""Consistency cuts: records of one cluster that contradict each other outright are split apart."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from store_builders import add_records, clusters, decide, linked_store, load, open_stores, set_predictions

from linkage.clusters.clustering import cluster_records
from linkage.clusters.consistency import ConsistencyRules, constraint_pairs

# A father (1, born 1960) and his namesake son (3, born 1985) both link to a record of the
# same name without a birth date (2); the son's link is the stronger. 4 is the son again.
CHAIN = {(1, 2): 0.93, (2, 3): 0.99, (3, 4): 0.999}
BORN = {1: 1960, 3: 1985, 4: 1986}


@pytest.fixture
def store(tmp_path):
    con, svc = linked_store(tmp_path, range(1, 6), CHAIN, dob_years=BORN)
    yield con, svc
    con.close()


def run(con, svc, **kwargs):
    return cluster_records(con, threshold=0.9, run_id=1, decisions_table=load(con, svc), **kwargs)


def test_a_generation_apart_is_cut_at_the_weakest_link_and_flagged(store):
    con, svc = store
    report = run(con, svc)
    assert clusters(con) == {frozenset({1}), frozenset({2, 3, 4}), frozenset({5})}
    assert (report.consistency_pairs_cut, report.links_cut, report.negative_pairs_cut) == (1, 1, 0)
    flags = con.execute("SELECT kind, rid_l, rid_r, links_cut, detail FROM clustering_flags").fetchall()
    assert flags[0][:4] == ("consistency-cut", 1, 3, 1)
    assert json.loads(flags[0][4]) == {"reason": "birth years more than 10 years apart", "cut": [[1, 2]],
                                       "cut_probabilities": [pytest.approx(0.93)]}


def test_without_rules_the_chain_stays_one_cluster(store):
    con, svc = store
    run(con, svc, consistency=None)
    assert frozenset({1, 2, 3, 4}) in clusters(con)


def test_years_within_the_gap_and_missing_years_never_constrain(store):
    con, svc = store
    con.execute("UPDATE records SET dob_year = 1970 WHERE rid = 1")  # 15 years: still cut at 10
    run(con, svc, consistency=ConsistencyRules(max_birth_year_gap=20))
    assert frozenset({1, 2, 3, 4}) in clusters(con)


def test_an_age_range_counts_as_its_years(store):
    con, svc = store
    con.execute("UPDATE records SET dob_year = NULL, dob_year_min = 1984, dob_year_max = 1985 WHERE rid = 3")
    con.execute("UPDATE records SET dob_year_min = 1955, dob_year_max = 1956 WHERE rid = 2")
    run(con, svc)
    # 3 (aged, born 1984-85) contradicts 1 and 2 (born 1955-56); each pair is cut in turn at its weakest link.
    assert clusters(con) == {frozenset({1}), frozenset({2}), frozenset({3, 4}), frozenset({5})}


def test_same_person_decisions_are_never_cut(store):
    con, svc = store
    decide(svc, 1, 2, "positive")
    decide(svc, 2, 3, "positive")
    report = run(con, svc)
    # The stewards joined 1 and 3 whatever their years; 4 (1986) still contradicts 1 (1960) and goes.
    assert {frozenset({1, 2, 3}), frozenset({4})} <= clusters(con)
    assert (report.consistency_pairs_cut, report.links_cut) == (1, 1)


NO_YEARS = ConsistencyRules(max_birth_year_gap=None, different_sex=False, different_district=False)


def test_sex_and_district_rules_by_default_id_number_only_when_asked(store):
    con, svc = store
    con.execute("UPDATE records SET dob_year = NULL")
    con.execute("UPDATE records SET sex_code = CASE WHEN rid = 1 THEN 'F' ELSE 'M' END")
    run(con, svc, consistency=NO_YEARS)
    assert frozenset({1, 2, 3, 4}) in clusters(con)
    run(con, svc)
    assert frozenset({1}) in clusters(con)
    con.execute("UPDATE records SET sex_code = NULL, district_code = 'LA-VT-0' || rid WHERE rid IN (1, 4)")
    run(con, svc)
    assert {frozenset({1}), frozenset({2, 3, 4})} <= clusters(con)  # 1-2 is the weakest link between 1 and 4
    con.execute("UPDATE records SET district_code = NULL, id_number_std = 'P' || rid WHERE rid IN (3, 4)")
    run(con, svc)
    assert frozenset({1, 2, 3, 4}) in clusters(con)
    run(con, svc, consistency=ConsistencyRules(different_id_number=True))
    assert {frozenset({1, 2, 3}), frozenset({4})} <= clusters(con)


def test_a_direct_link_keeps_two_districts_together_a_chain_does_not(store):
    """The model linked 3 and 4 knowing their districts differ (a person who moved): the district rule leaves a
    direct link's two records together; 1, joined to them only through 2, is still cut apart."""
    con, svc = store
    con.execute("UPDATE records SET dob_year = NULL")
    con.execute("UPDATE records SET district_code = 'LA-VT-0' || rid WHERE rid IN (3, 4)")
    report = run(con, svc)
    assert frozenset({1, 2, 3, 4}) in clusters(con) and report.consistency_pairs_cut == 0
    con.execute("UPDATE records SET district_code = 'LA-VT-01' WHERE rid = 1")
    report = run(con, svc)
    assert {frozenset({1}), frozenset({2, 3, 4})} <= clusters(con)  # 1-2 is the weakest link between 1 and 3, 4
    assert report.consistency_pairs_cut == 1


def test_a_direct_link_sets_aside_the_district_rule_only(store):
    """3 and 4, linked directly and surely, differ in district and in sex: the sex rule still cuts them apart."""
    con, svc = store
    con.execute("UPDATE records SET dob_year = NULL")
    con.execute("UPDATE records SET district_code = 'LA-VT-0' || rid,"
                " sex_code = CASE WHEN rid = 3 THEN 'F' ELSE 'M' END"
                " WHERE rid IN (3, 4)")
    report = run(con, svc)
    assert not any(3 in c and 4 in c for c in clusters(con))
    flags = con.execute("SELECT detail->>'reason' FROM clustering_flags").fetchall()
    assert flags == [("different sex",)] and report.consistency_pairs_cut == 1


def test_full_birth_dates_only_when_asked_and_never_a_transposition(store):
    con, svc = store
    con.execute("UPDATE records SET dob_year = NULL")
    dates = {1: "2001-03-04", 3: "2001-04-03", 4: "2001-05-06"}
    for rid, day in dates.items():
        con.execute("UPDATE records SET dob = ?::DATE, dob_year = 2001 WHERE rid = ?", [day, rid])
    run(con, svc)
    assert frozenset({1, 2, 3, 4}) in clusters(con)
    con.execute("CREATE TEMP TABLE _one AS SELECT rid AS node, 1 AS label FROM records WHERE rid <= 4")
    # 1 and 3 differ only by a day-month transposition; 4 contradicts both.
    assert constraint_pairs(con, "_one", ConsistencyRules(different_birth_date=True)) == [
        (1, 4, "different full birth dates"),
        (3, 4, "different full birth dates"),
    ]
    run(con, svc, consistency=ConsistencyRules(different_birth_date=True))
    assert clusters(con) == {frozenset({1}), frozenset({2, 3}), frozenset({4}), frozenset({5})}


@settings(max_examples=25, deadline=None)
@given(
    st.dictionaries(
        st.tuples(st.integers(1, 8), st.integers(1, 8)).filter(lambda p: p[0] < p[1]),
        st.floats(0.9, 0.9999),
        max_size=16,
    ),
    st.dictionaries(st.integers(1, 8), st.integers(1940, 2010)),
)
def test_no_cluster_keeps_a_contradiction(tmp_path_factory, links, years):
    con, svc = open_stores(tmp_path_factory.mktemp("c"))
    add_records(con, range(1, 9), dob_years=years)
    set_predictions(con, links)
    run(con, svc)
    for cluster in clusters(con):
        known = [years[r] for r in cluster if r in years]
        assert not known or max(known) - min(known) <= 10
    con.execute("CREATE TEMP TABLE _l AS SELECT rid AS node, cluster_key AS label FROM record_cluster")
    assert constraint_pairs(con, "_l") == []
    con.close()
