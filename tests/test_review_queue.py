import itertools
import json
import math

import duckdb
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from store_builders import add_records, decide, load, open_stores, set_predictions

from api.pages.i18n import Translator
from api.queue_reasons import reason_text
from linkage.clusters.bridges import _bridges
from linkage.clusters.clustering import cluster_records
from linkage.clusters.person_ids import assign_person_ids
from linkage.clusters.review_queue import build_review_queue, review_band


@pytest.fixture
def stores(tmp_path):
    con, svc = open_stores(tmp_path)
    yield con, svc
    con.close()


def night(con, svc, run_id=1, band=(0.3, 0.9), **options):
    table = load(con, svc)
    cluster_records(con, threshold=0.9, run_id=run_id, decisions_table=table)
    assign_person_ids(con, run_id=run_id)
    return build_review_queue(con, band=band, run_id=run_id, decisions_table=table, **options)


def queue(con, lang="en"):
    """The items, their stored reasons (codes with values) as the pages show them in ``lang``."""
    rows = con.execute(
        "SELECT kind, rid_l, rid_r, person_id, priority, CAST(reasons AS VARCHAR), match_probability, reason"
        " FROM review_queue ORDER BY priority DESC, item_id"
    ).fetchall()
    assert all(row[7] is None for row in rows)  # no English text is stored
    return [(*row[:5], reason_text(json.loads(row[5]), Translator(lang)), row[6]) for row in rows]


def test_uncertain_pairs_closest_to_even_odds_come_first(stores):
    con, svc = stores
    add_records(con, range(1, 9))
    set_predictions(con, {(1, 2): 0.35, (3, 4): 0.52, (5, 6): 0.8, (7, 8): 0.95, (1, 8): 0.1})
    assert night(con, svc) == 3
    items = queue(con)
    assert [(k, a, b) for k, a, b, *_ in items] == [("pair", 3, 4), ("pair", 1, 2), ("pair", 5, 6)]
    # uncertainty 0.96, times the records a yes would join (2 of the 8 that count fully, log scale)
    assert items[0][4] == pytest.approx(0.96 * np.log(2) / np.log(8))
    assert items[0][5] == ("match probability 0.52 is in the uncertain band 0.30-0.90; a yes joins 2 records; "
                           "now in different persons")
    assert items[0][6] == pytest.approx(0.52)
    assert items[0][3] is None


def test_uncertain_pair_inside_one_person_is_not_asked(stores):
    """Links of the person already join its records: neither answer would change a person."""
    con, svc = stores
    add_records(con, range(1, 4))
    set_predictions(con, {(1, 2): 0.99, (2, 3): 0.99, (1, 3): 0.6})
    assert night(con, svc) == 0


def test_two_persons_are_asked_about_once_and_not_after_a_no(stores):
    con, svc = stores
    add_records(con, range(1, 7))
    set_predictions(con, {(1, 2): 0.99, (3, 4): 0.99, (1, 3): 0.6, (2, 4): 0.7, (2, 3): 0.4, (5, 6): 0.5})
    night(con, svc)
    assert [(a, b) for _, a, b, *_ in queue(con)] == [(2, 4), (5, 6)]  # their likeliest pair; 4 records count more
    decide(svc, 1, 3, "negative")  # a no on any of their pairs answers for the two persons
    night(con, svc, run_id=2)
    assert [(a, b) for _, a, b, *_ in queue(con)] == [(5, 6)]


def test_two_persons_are_not_asked_again_after_a_not_sure_until_their_records_change(stores):
    con, svc = stores
    add_records(con, range(1, 7))
    set_predictions(con, {(1, 2): 0.99, (3, 4): 0.99, (1, 3): 0.6, (2, 4): 0.7, (2, 3): 0.4, (5, 6): 0.5})
    night(con, svc)
    assert [(a, b) for _, a, b, *_ in queue(con)] == [(2, 4), (5, 6)]
    decide(svc, 2, 4, "unsure")  # before: asked again through (1, 3), then (2, 3)
    night(con, svc, run_id=2)
    assert [(a, b) for _, a, b, *_ in queue(con)] == [(5, 6)]
    con.execute("UPDATE records SET version = 2, updated_at = TIMESTAMP '2100-01-01' WHERE rid = 3")
    night(con, svc, run_id=3)  # a record of theirs changed: asked again, through their likeliest pair not decided
    assert [(a, b) for _, a, b, *_ in queue(con)] == [(1, 3), (5, 6)]


def test_two_persons_whose_records_contradict_are_not_asked_about(stores):
    """A yes would join a record born 1960 with one born 1990: clustering's consistency rules would cut them apart
    again, so the pair is no question; without those rules it is one."""
    con, svc = stores
    add_records(con, range(1, 7), dob_years={1: 1960, 3: 1990})
    set_predictions(con, {(1, 2): 0.99, (3, 4): 0.99, (2, 4): 0.6, (5, 6): 0.5})
    night(con, svc)
    assert [(k, a, b) for k, a, b, *_ in queue(con)] == [("pair", 5, 6)]
    night(con, svc, run_id=2, consistency=None)
    assert [(k, a, b) for k, a, b, *_ in queue(con)] == [("pair", 2, 4), ("pair", 5, 6)]


def test_pairs_of_one_comparison_pattern_are_spread(stores):
    """The second pair of a pattern comes after the first of another, so labels cover more patterns."""
    con, svc = stores
    add_records(con, range(1, 7))
    set_predictions(con, {(1, 2): 0.5, (3, 4): 0.52, (5, 6): 0.45})
    con.execute("ALTER TABLE predictions ADD COLUMN gamma_name INTEGER")
    con.execute("UPDATE predictions SET gamma_name = CASE WHEN rid_l = 5 THEN 1 ELSE 2 END")
    night(con, svc)
    assert [(a, b) for _, a, b, *_ in queue(con)] == [(1, 2), (5, 6), (3, 4)]


def test_reasons_are_shown_in_lao(stores):
    con, svc = stores
    add_records(con, range(1, 3))
    set_predictions(con, {(1, 2): 0.5})
    night(con, svc)
    [item] = queue(con, "lo")
    assert item[5] == ("ຄວາມເປັນໄປໄດ້ທີ່ຈະກົງກັນ 0.50 ຢູ່ໃນຊ່ວງບໍ່ແນ່ນອນ 0.30-0.90; ຖ້າຕອບວ່າແມ່ນ ຈະລວມ 2 ບັນທຶກ; "
                       "ປັດຈຸບັນຢູ່ໃນບຸກຄົນຕ່າງກັນ")


def test_decided_pair_leaves_the_queue_and_returns_when_a_record_changes(stores):
    con, svc = stores
    add_records(con, range(1, 5))
    set_predictions(con, {(1, 2): 0.5, (3, 4): 0.6})
    decide(svc, 1, 2, "unsure")
    night(con, svc)
    assert [(a, b) for _, a, b, *_ in queue(con)] == [(3, 4)]
    # record 2 is re-ingested with new content after the decision
    con.execute("UPDATE records SET version = 2, updated_at = TIMESTAMP '2100-01-01' WHERE rid = 2")
    night(con, svc, run_id=2)
    assert [(a, b) for _, a, b, *_ in queue(con)] == [(1, 2), (3, 4)]


def test_bridge_between_two_groups_is_queued(stores):
    con, svc = stores
    add_records(con, range(1, 8))
    pairs = {(1, 2): 0.99, (2, 3): 0.99, (1, 3): 0.99, (4, 5): 0.99, (5, 6): 0.99, (4, 6): 0.99, (3, 4): 0.93}
    pairs[(6, 7)] = 0.99  # 7 hangs off one link too, but a lone record is not a "group"
    set_predictions(con, pairs)
    night(con, svc, min_density=0.2)
    [item] = queue(con)
    kind, a, b, person_id, priority, reason, p = item
    assert (kind, a, b, p) == ("cluster", 3, 4, pytest.approx(0.93))
    assert person_id == con.execute("SELECT person_id FROM record_person WHERE rid = 1").fetchall()[0][0]
    assert reason == "one link (match probability 0.93) is all that holds this cluster of 7 records together"
    assert 1 < priority < 2


def test_birth_years_too_far_apart_are_queued_with_a_configurable_gap(stores):
    con, svc = stores
    add_records(con, range(1, 4), dob_years={1: 1990, 2: 1991, 3: 1995})
    set_predictions(con, {(1, 2): 0.99, (2, 3): 0.99, (1, 3): 0.99})
    night(con, svc)
    [item] = queue(con)
    assert item[:3] == ("cluster", 1, 3)
    assert item[5] == "birth years 1990 and 1995 are more than 2 years apart"
    assert night(con, svc, run_id=2, max_birth_year_gap=5) == 0


def test_low_density_cluster_is_queued(stores):
    con, svc = stores
    add_records(con, range(1, 7))
    # a star: every link is a bridge to a lone record (not queued as a bridge), density 5/15
    set_predictions(con, {(1, k): 0.99 for k in range(2, 7)})
    night(con, svc)
    [item] = queue(con)
    assert item[0] == "cluster" and item[1] is None
    assert item[5] == "only 5 links among 6 records (density 0.33): a chain of weak links, not a group"
    assert night(con, svc, run_id=2, min_density=0.3) == 0


def test_cluster_split_by_a_negative_decision_is_queued_once(stores):
    con, svc = stores
    add_records(con, range(1, 7))
    set_predictions(
        con, {(1, 2): 0.99, (2, 3): 0.99, (1, 3): 0.99, (4, 5): 0.99, (5, 6): 0.99, (4, 6): 0.99, (3, 4): 0.95}
    )
    decide(svc, 1, 6, "negative")
    night(con, svc)
    items = queue(con)
    assert [(k, a, b) for k, a, b, *_ in items] == [("cluster", 1, 6)]  # was listed for both persons of the cut
    assert 2 < items[0][4] < 3
    assert items[0][5] == (
        "a not-the-same decision split this cluster: 1 weakest model link(s) cut between records 1 and 6"
    )


def test_the_review_band_follows_the_threshold():
    """As many bits of match weight under the threshold as over it: the pairs just under a raised threshold are
    asked about, not those of a band fixed for another."""
    assert review_band(0.6) == pytest.approx((0.3465, 0.8093), abs=1e-4)
    assert review_band(0.5) == pytest.approx((1 / 3.8284, 1 - 1 / 3.8284), abs=1e-4)
    for threshold in (0.6, 0.9, 0.99):
        low, high = review_band(threshold)
        assert low < threshold < high
        logit = [math.log2(p / (1 - p)) for p in (low, threshold, high)]
        assert logit[1] - logit[0] == pytest.approx(logit[2] - logit[1]) == pytest.approx(1.5)


def test_a_consistency_cut_asks_about_the_strongest_link_it_cut(stores):
    """A father (1, born 1960) and his namesake son (3, born 1985) linked through a record without a date (2): the
    rule keeps 1 and 3 apart by cutting 1-2. Whether 1 and 3 are one person the rule has answered; what a steward
    can tell is whether the cut link 1-2 was right, when the model was sure of it (over the band's top). A link
    under the band's top that a contradiction cut is settled: it is asked about neither through the cut nor as an
    uncertain pair."""
    con, svc = stores
    add_records(con, range(1, 5), dob_years={1: 1960, 3: 1985, 4: 1986})
    set_predictions(con, {(1, 2): 0.93, (2, 3): 0.99, (3, 4): 0.999})
    night(con, svc, band=(0.3, 0.9))
    items = queue(con)
    assert [(k, a, b, p) for k, a, b, *_, p in items] == [("cluster", 1, 2, 0.93)]
    assert 2 < items[0][4] < 3
    assert items[0][5].startswith("records that cannot be one person (birth years more than 10 years apart) were"
                                  " cut apart: 1 weakest model link(s) cut between records 1 and 3")
    night(con, svc, run_id=2, band=(0.3, 0.95))
    assert queue(con) == []
    # not because 1's and 3's persons contradict: without that filter the cut link is still no pair item
    night(con, svc, run_id=3, band=(0.3, 0.95), consistency=None)
    assert queue(con) == []


def test_stewards_disagreeing_on_a_pair_do_not_hide_a_cut_between_the_same_persons(stores):
    """The cut item is dropped only for an uncertain pair item between its two persons, not for a contested pair."""
    con, svc = stores
    add_records(con, range(1, 6), dob_years={1: 1960, 3: 1985})
    set_predictions(con, {(1, 2): 0.93, (2, 3): 0.99, (3, 4): 0.999, (1, 5): 0.999})
    decide(svc, 4, 5, "positive", "noy")
    decide(svc, 4, 5, "unsure", "kham")  # another steward, who did not see noy's decision
    night(con, svc, band=(0.3, 0.9))
    assert [(k, a, b) for k, a, b, *_ in queue(con)] == [("pair", 4, 5), ("cluster", 1, 2)]


def test_a_consistency_item_is_shown_in_the_cluster_of_the_link_it_asks_about(stores):
    """Chain 1-...-6: 5 (born 1990) contradicts 1 (1960) and 3 (1962). The first cut takes 2-3, the second 3-4;
    the item of 1 versus 5 asks about 2-3, so it belongs with 2's person, not with 5's."""
    con, svc = stores
    add_records(con, range(1, 7), dob_years={1: 1960, 3: 1962, 5: 1990})
    set_predictions(con, {(1, 2): 0.99, (2, 3): 0.91, (3, 4): 0.93, (4, 5): 0.999, (5, 6): 0.999})
    night(con, svc, band=(0.3, 0.9))
    person = dict(con.execute("SELECT rid, person_id FROM record_person").fetchall())
    items = {(a, b): p for k, a, b, p, *_ in queue(con)}
    assert items == {(2, 3): person[2], (3, 4): person[4]}


def test_decision_conflicts_are_queued_first(stores):
    con, svc = stores
    add_records(con, range(1, 7))
    set_predictions(con, {(5, 6): 0.5})
    decide(svc, 1, 2, "positive")
    decide(svc, 2, 3, "positive")
    decide(svc, 1, 3, "negative")  # contradicts the two above
    decide(svc, 4, 5, "positive", "noy")
    decide(svc, 4, 5, "negative", "kham")  # another steward, who did not see noy's decision
    night(con, svc)
    items = queue(con)
    assert [(k, a, b) for k, a, b, *_ in items] == [("pair", 4, 5), ("cluster", 1, 3), ("pair", 5, 6)]
    assert items[0][5].startswith("stewards disagree on this pair: noy said positive")
    assert "judged not the same person, but same-person decisions join them (records 1, 2, 3)" in items[1][5]


def test_queue_is_rebuilt_each_run(stores):
    con, svc = stores
    add_records(con, range(1, 3))
    set_predictions(con, {(1, 2): 0.5})
    night(con, svc, run_id=1)
    night(con, svc, run_id=2)
    assert con.execute("SELECT run_id, count(*) FROM review_queue GROUP BY run_id").fetchall() == [(2, 1)]


def _brute_force_bridges(edges, min_side):
    def components(es):
        parent = {x: x for e in edges for x in e}

        def find(x):
            while parent[x] != x:
                x = parent[x]
            return x

        for a, b in es:
            parent[find(a)] = find(b)
        groups = {}
        for x in parent:
            groups.setdefault(find(x), set()).add(x)
        return list(groups.values())

    before = len(components(edges))
    found = []
    for i, (a, b) in enumerate(edges):
        rest = edges[:i] + edges[i + 1 :]
        parts = components(rest)
        if len(parts) > before:
            side_a = next(p for p in parts if a in p)
            side_b = next(p for p in parts if b in p)
            if min(len(side_a), len(side_b)) >= min_side:
                found.append(i)
    return found


@settings(max_examples=60, deadline=None)
@given(st.sets(st.tuples(st.integers(1, 12), st.integers(1, 12)).filter(lambda e: e[0] < e[1]), max_size=20))
def test_bridges_match_brute_force(edges):
    edges = sorted(edges)
    rid_l = np.array([a for a, _ in edges], dtype=np.int64)
    rid_r = np.array([b for _, b in edges], dtype=np.int64)
    for min_side in (1, 2):
        assert sorted(_bridges(rid_l, rid_r, min_side)) == _brute_force_bridges(edges, min_side)


def test_bridges_of_a_clique_are_none():
    edges = list(itertools.combinations(range(1, 6), 2))
    assert _bridges(np.array([a for a, _ in edges]), np.array([b for _, b in edges]), 1) == []


def test_a_chain_too_long_for_one_person_is_on_the_queue_with_the_threshold_it_was_held_to(stores):
    con, svc = stores
    add_records(con, range(1, 12))
    set_predictions(con, {(i, i + 1): 0.95 for i in range(1, 11)} | {(1, 2): 0.9999})
    table = load(con, svc)
    report = cluster_records(con, threshold=0.9, run_id=1, decisions_table=table, max_records=4)
    assign_person_ids(con, run_id=1)
    build_review_queue(con, band=(0.3, 0.9), run_id=1, decisions_table=table)
    assert report.oversized_components == 1 and report.largest_cluster == 2
    (kind, rid_l, _, person_id, _, reason, _), = [i for i in queue(con) if "chained" in i[5]]  # fmt: skip
    assert (kind, rid_l) == ("cluster", 1) and person_id is not None
    # 0.95 (the first stricter threshold) keeps every link; 0.99 drops the nine links at 0.95.
    assert reason == ("links chained 11 records into one cluster, more than any one person has (limit 4): only "
                      "model links of match probability 0.99 or more were kept in them (9 weaker links dropped)")


def test_the_queue_build_restores_the_optimizers_it_turned_off(stores):
    con, svc = stores
    add_records(con, range(1, 3))
    set_predictions(con, {(1, 2): 0.5})
    con.execute("SET disabled_optimizers = 'join_order'")
    night(con, svc)
    assert con.execute("SELECT current_setting('disabled_optimizers')").fetchall()[0][0] == "join_order"
    with pytest.raises(duckdb.CatalogException, match="no_such_table"):  # fails inside the build
        build_review_queue(con, band=(0.3, 0.9), run_id=2, decisions_table="no_such_table")
    assert con.execute("SELECT current_setting('disabled_optimizers')").fetchall()[0][0] == "join_order"


def test_a_record_with_a_given_name_only_is_asked_about_once_at_a_time(stores):
    """Record 5 is "Noy" alone; three persons called Noy (1, 2, 3) are each an uncertain match for it: one item asks
    about its most likely (2), not three; after a "no", the next most likely (3) is asked."""
    con, svc = stores
    add_records(con, range(1, 7))
    for rid, family in ((1, "sisenla"), (2, "vongsa"), (3, "phommachanh"), (4, "keo"), (5, None), (6, None)):
        con.execute("UPDATE records SET given_key = 'noy', family_key = ? WHERE rid = ?", [family, rid])
    set_predictions(con, {(1, 5): 0.5, (2, 5): 0.7, (3, 5): 0.6, (4, 6): 0.5})
    night(con, svc)
    assert [(r[1], r[2]) for r in queue(con) if r[0] == "pair"] == [(4, 6), (2, 5)]
    decide(svc, 2, 5, "negative")
    night(con, svc, run_id=2)
    assert [(r[1], r[2]) for r in queue(con) if r[0] == "pair"] == [(4, 6), (3, 5)]


def test_two_persons_whose_records_barely_look_alike_are_not_asked_about(stores):
    """Persons {1, 2} and {3, 4, 5}: their likeliest pair (2, 3) is uncertain, but of their six pairs of records it
    is the only one scored at all (mean 0.07): a yes would join five records that mostly disagree. Once two more of
    their pairs look alike (mean 0.2) the question is asked."""
    con, svc = stores
    add_records(con, range(1, 8))
    links = {(1, 2): 0.99, (3, 4): 0.99, (4, 5): 0.99, (6, 7): 0.5}
    set_predictions(con, links | {(2, 3): 0.4})
    night(con, svc)
    assert [(a, b) for k, a, b, *_ in queue(con) if k == "pair"] == [(6, 7)]
    set_predictions(con, links | {(2, 3): 0.4, (1, 4): 0.5, (2, 4): 0.3})
    night(con, svc, run_id=2)
    assert [(a, b) for k, a, b, *_ in queue(con) if k == "pair"] == [(1, 4), (6, 7)]


def test_a_person_is_asked_about_once_at_a_time(stores):
    """Record 3 is an uncertain match for 1 (0.5) and 2 (0.7): one item asks about its likeliest, 2; after a no, 1.
    In the chain 4-5 (0.7), 5-6 (0.6), 6-7 (0.5) the likeliest pair takes 5, and 6-7 is asked beside it."""
    con, svc = stores
    add_records(con, range(1, 8))
    set_predictions(con, {(1, 3): 0.5, (2, 3): 0.7, (4, 5): 0.7, (5, 6): 0.6, (6, 7): 0.5})
    night(con, svc)
    assert sorted((a, b) for k, a, b, *_ in queue(con) if k == "pair") == [(2, 3), (4, 5), (6, 7)]
    decide(svc, 2, 3, "negative")
    night(con, svc, run_id=2)
    assert sorted((a, b) for k, a, b, *_ in queue(con) if k == "pair") == [(1, 3), (4, 5), (6, 7)]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 7), st.integers(0, 7), st.integers(1, 99)), max_size=14))
def test_one_question_per_person_keeps_what_the_greedy_order_keeps(edges):
    """The rounds of ``one_question_per_person`` keep exactly the pairs a greedy pass in order of likelihood keeps."""
    from linkage.clusters.queue_persons import one_question_per_person

    pairs = {}
    for a, b, p in edges:
        if a != b:
            pairs.setdefault((min(a, b), max(a, b)), p / 100)
    con = duckdb.connect()
    con.execute("CREATE TEMP TABLE _band_pairs (rid_l BIGINT, rid_r BIGINT, match_probability DOUBLE,"
                " key_a BIGINT, key_b BIGINT)")
    for (a, b), p in pairs.items():  # record ids 10 * the person's key: ties broken by them as by the keys
        con.execute("INSERT INTO _band_pairs VALUES (?, ?, ?, ?, ?)", [10 * a, 10 * b, p, a, b])
    one_question_per_person(con)
    kept = {tuple(r) for r in con.execute("SELECT key_a, key_b FROM _band_pairs").fetchall()}
    taken, expected = set(), set()
    for (a, b), _ in sorted(pairs.items(), key=lambda kv: (-kv[1], kv[0])):
        if a not in taken and b not in taken:
            expected.add((a, b))
            taken |= {a, b}
    assert kept == expected


def test_new_items_are_numbered_in_the_queues_order(stores):
    """A bridge item (priority 1.5 and over) comes before a pair item and is numbered first; an item still in the
    queue the next night keeps its id, and the night's new items are numbered after every earlier one."""
    con, svc = stores
    add_records(con, range(1, 11))
    pairs = {(1, 2): 0.99, (2, 3): 0.99, (1, 3): 0.99, (4, 5): 0.99, (5, 6): 0.99, (4, 6): 0.99, (3, 4): 0.93,
             (7, 8): 0.5}
    set_predictions(con, pairs)
    night(con, svc, min_density=0.2)
    first = con.execute("SELECT item_id, kind, rid_l FROM review_queue ORDER BY priority DESC").fetchall()
    assert [(k, a) for _, k, a in first] == [("cluster", 3), ("pair", 7)]
    assert first[0][0] < first[1][0]
    set_predictions(con, pairs | {(9, 10): 0.52})
    night(con, svc, run_id=2, min_density=0.2)
    second = dict(con.execute("SELECT rid_l, item_id FROM review_queue WHERE kind = 'pair'").fetchall())
    assert second[7] == first[1][0]  # (7, 8) kept its id
    assert second[9] > first[1][0]


def test_tied_items_are_numbered_in_the_order_of_their_persons(stores):
    """Forty clusters alike (stars of six records, too sparse for their size) are forty items of one priority: they
    are numbered in the order of their persons, as a re-run of the night numbers them."""
    con, svc = stores
    add_records(con, range(1, 241))
    set_predictions(con, {(centre, centre + leaf): 0.99 for centre in range(1, 241, 6) for leaf in range(1, 6)})
    night(con, svc)
    items = con.execute("SELECT person_id, item_id FROM review_queue ORDER BY person_id").fetchall()
    assert len(items) == 40 and len({p for p, _ in items}) == 40
    assert [i for _, i in items] == sorted(i for _, i in items)
