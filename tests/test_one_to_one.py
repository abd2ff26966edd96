"""Sources that list each person once (mapping ``one_record_per_person``): one-to-one links and cuts.

Real migrated stores; predictions carry a comparison weight (``mw_name``) beside the prior, as the nightly's do.
"""

from __future__ import annotations

import math

import pytest
from store_builders import clusters, load, open_stores

from linkage.clusters.clustering import cluster_records
from linkage.sources.mapping import MappingError, load_mapping

PRIOR_WEIGHT = -12.0  # log2 odds of two random records matching


def _store(tmp_path, *, listed_once: bool):
    con, svc = open_stores(tmp_path)
    for file_id, source in ((1, "REG-A"), (2, "REG-B")):
        con.execute("INSERT INTO ingested_files (file_id, path, sha256, mapping, one_record_per_person)"
                    " VALUES (?, ?, 'x', 'm', ?)", [file_id, f"{source}.csv", listed_once])
    for rid in range(1, 9):
        file_id, source = (1, "REG-A") if rid <= 4 else (2, "REG-B")
        con.execute("INSERT INTO records (rid, source, record_id, row_hash, file_id, line_no) VALUES (?, ?, ?, 'h', ?,"
                    " ?)", [rid, source, f"r{rid}", file_id, rid])
    con.execute("CREATE TABLE predictions (rid_l BIGINT, rid_r BIGINT, match_weight DOUBLE, match_probability DOUBLE,"
                " model_version VARCHAR, run_id BIGINT, gamma_name INTEGER, mw_name DOUBLE)")
    return con, svc


def _predict(con, evidence: dict[tuple[int, int], float]) -> None:
    """Pairs with their comparison weight (bits); the match weight adds the prior."""
    for (a, b), bits in evidence.items():
        weight = PRIOR_WEIGHT + bits
        con.execute("INSERT INTO predictions VALUES (?, ?, ?, ?, 'm1', 1, 1, ?)",
                    [a, b, weight, 1 / (1 + 2 ** -weight), bits])


def _cluster(con, svc):
    return cluster_records(con, threshold=0.6, run_id=1, decisions_table=load(con, svc))


# 1-5, 3-7 and 4-8 certain; 2-6 the only candidate of both 2 and 6, at pairwise probability 0.2
REGISTERS = {(1, 5): 20.0, (3, 7): 20.0, (4, 8): 20.0, (2, 6): 10.0}


def test_the_only_candidate_between_two_registers_is_linked(tmp_path):
    con, svc = _store(tmp_path, listed_once=True)
    _predict(con, REGISTERS)
    report = _cluster(con, svc)
    assert frozenset({2, 6}) in clusters(con)
    assert report.assignment_pairs == 4
    con.close()


def test_without_the_setting_the_pairwise_probability_decides(tmp_path):
    con, svc = _store(tmp_path, listed_once=False)
    _predict(con, REGISTERS)
    report = _cluster(con, svc)
    assert {frozenset({2}), frozenset({6})} <= clusters(con)
    assert report.assignment_pairs == 0
    con.close()


def test_two_equally_good_candidates_are_not_linked(tmp_path):
    con, svc = _store(tmp_path, listed_once=True)
    _predict(con, {(1, 5): 20.0, (4, 8): 20.0, (2, 6): 10.0, (2, 7): 10.0})
    _cluster(con, svc)
    probabilities = dict(((a, b), p) for a, b, p in con.execute(
        "SELECT rid_l, rid_r, match_probability FROM cluster_links").fetchall())
    assert (2, 6) not in probabilities and (2, 7) not in probabilities
    assert {frozenset({2}), frozenset({6}), frozenset({7})} <= clusters(con)
    con.close()


def test_two_records_of_one_register_are_cut_apart(tmp_path):
    con, svc = _store(tmp_path, listed_once=True)
    _predict(con, {(1, 5): 20.0, (2, 5): 19.0})  # 1 and 2 both look like 5: one of them is not
    report = _cluster(con, svc)
    assert frozenset({1, 5}) in clusters(con) and frozenset({2}) in clusters(con)
    assert report.consistency_pairs_cut == 1
    reason = con.execute("SELECT detail->>'reason' FROM clustering_flags WHERE kind = 'consistency-cut'").fetchall()
    assert reason == [("one source that lists each person once",)]
    con.close()


def test_assignment_probability_follows_the_formula(tmp_path):
    con, svc = _store(tmp_path, listed_once=True)
    _predict(con, REGISTERS)
    from linkage.clusters.one_to_one import create_assignment_probabilities, listed_once_sources

    assert listed_once_sources(con) == 2
    create_assignment_probabilities(con)
    (probability,) = con.execute("SELECT match_probability FROM _assignment WHERE rid_l = 2").fetchall()[0]
    pairwise = [1 / (1 + 2 ** -(PRIOR_WEIGHT + bits)) for bits in REGISTERS.values()]
    covered = sum(pairwise) / 4  # expected A-B matches over A's four records
    candidate = 2 ** 10 * covered / 4
    assert math.isclose(probability, candidate / (1 - covered + candidate), rel_tol=1e-9)
    con.close()


def test_the_setting_must_be_true_or_false(tmp_path):
    path = tmp_path / "register.yaml"
    path.write_text("name: register\nsource: REG\ncolumns: {record_id: id, full_name: name}\n"
                    "one_record_per_person: yes please\n", encoding="utf-8")
    with pytest.raises(MappingError, match=r"register\.yaml.*one_record_per_person must be true or false"):
        load_mapping(path)


def test_a_link_only_the_assignment_made_is_asked_about_when_a_consistency_rule_cuts_it(tmp_path):
    """2-6 is linked by the one-to-one assignment (pairwise 0.2, under the review band: no pair item). When a
    birth-year contradiction (2 born 1960, 9 born 1990, joined through 6) cuts it, the review queue asks about
    2-6 at the probability clustering gave it."""
    from linkage.clusters.person_ids import assign_person_ids
    from linkage.clusters.review_queue import build_review_queue, review_band

    con, svc = _store(tmp_path, listed_once=True)
    con.execute("INSERT INTO ingested_files (file_id, path, sha256, mapping, one_record_per_person)"
                " VALUES (3, 'OTHER.csv', 'y', 'm', false)")
    con.execute("INSERT INTO records (rid, source, record_id, row_hash, file_id, line_no, dob_year)"
                " VALUES (9, 'OTHER', 'r9', 'h', 3, 9, 1990)")
    con.execute("UPDATE records SET dob_year = 1960 WHERE rid = 2")
    _predict(con, {**REGISTERS, (6, 9): 20.0})
    decisions = load(con, svc)
    report = cluster_records(con, threshold=0.6, run_id=1, decisions_table=decisions)
    assert report.consistency_pairs_cut == 1 and frozenset({6, 9}) in clusters(con)
    assign_person_ids(con, run_id=1)
    build_review_queue(con, band=review_band(0.6), run_id=1, decisions_table=decisions)
    items = con.execute("SELECT kind, rid_l, rid_r, match_probability FROM review_queue").fetchall()
    assert [item[:3] for item in items] == [("cluster", 2, 6)]
    assert items[0][3] > 0.6  # the assignment's, not the pairwise 0.2
    con.close()
