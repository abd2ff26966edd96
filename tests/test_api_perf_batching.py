"""Group scoring of real-time matches: requests scored together answer exactly as one at a time."""

from __future__ import annotations

import threading

import duckdb
import pytest
from snapshot_builder import build_snapshot
from test_realtime_match import BOUASY, PERSONS, RECORD_PERSON, RECORDS, model_input_row, std_of

from api.scorer_cache import scorer_for
from linkage.model.realtime_match import _model_input_query

QUERIES = [
    std_of(**{**BOUASY, "full_name_std": "bouasy thammasak"}),
    std_of(**{**BOUASY, "dob": None, "dob_month": None, "dob_day": None, "dob_precision": "year"}),
    std_of(given_key="NOI", family_key="PHOMMA", full_name_std="noy phomma", phone_e164="+8562055550101"),
    std_of(phone_e164="+66812345678", sex_code="M"),
    std_of(given_key="KAMLA", family_key="SISAVAT", full_name_std="khamla sisavath", dob_year=1990,
           province_code="VT", district_code="VT-01"),
    std_of(given_key="NOBODY", family_key="ATALL"),  # no candidate
]


@pytest.fixture(scope="module")
def snap(tmp_path_factory):
    db = tmp_path_factory.mktemp("batch") / "laolink.duckdb"
    path = build_snapshot(db, RECORDS, persons=PERSONS, record_person=RECORD_PERSON)
    con = duckdb.connect(str(path), read_only=True)
    yield con
    con.close()


def test_one_query_for_many_jobs_equals_one_query_each(snap):
    scorer = scorer_for(snap)
    cur = scorer.mirror.cursor()
    jobs = [(row, scorer.candidates_many(cur, [row])[0]) for row in (model_input_row(cur, q) for q in QUERIES)]
    together = scorer.score_rows(jobs)
    alone = [scorer.score_rows([job])[0] for job in jobs]
    assert together == alone
    assert [len(rows) for rows in together] == [len(rids) for _, rids in jobs]
    assert any(len(rows) > 1 for rows in together) and together[-1] == []
    for rows in together:  # best first within each job
        weights = [r["match_weight"] for r in rows]
        assert weights == sorted(weights, reverse=True)


def test_concurrent_matches_answer_as_sequential_ones(snap):
    scorer = scorer_for(snap)
    expected = [scorer.score(snap, q, top_k=10) for q in QUERIES]
    results: dict[int, object] = {}
    barrier = threading.Barrier(4 * len(QUERIES))

    def worker(i: int) -> None:
        barrier.wait()
        results[i] = scorer.score(snap, QUERIES[i % len(QUERIES)], top_k=10)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4 * len(QUERIES))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(results) == len(threads)
    for i, result in results.items():
        assert result == expected[i % len(QUERIES)]


def test_a_job_that_fails_fails_alone(snap):
    scorer = scorer_for(snap)
    cur = scorer.mirror.cursor()
    good = model_input_row(cur, QUERIES[0])
    good_rids = scorer.candidates_many(cur, [good])[0]
    bad = {**good, "dob": "not a date"}  # the query casts it to DATE: this job's query fails
    with pytest.raises(duckdb.Error):
        scorer.score_rows([(bad, good_rids)])
    outcome: dict[str, object] = {}
    barrier = threading.Barrier(2)

    def run(name: str, standardized) -> None:
        barrier.wait()
        try:
            outcome[name] = scorer._batcher.score(standardized)
        except duckdb.Error as exc:
            outcome[name] = exc

    bad_record = {**QUERIES[0], "dob": "not a date"}  # the model input query casts it to DATE
    threads = [threading.Thread(target=run, args=(n, r)) for n, r in (("good", QUERIES[0]), ("bad", bad_record))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert outcome["good"] == scorer.score_rows([(good, good_rids)])[0] == scorer.match_rows([QUERIES[0]])[0]
    assert isinstance(outcome["bad"], duckdb.Error)


def test_model_input_and_candidates_of_many_records_equal_each_alone(snap):
    scorer = scorer_for(snap)
    cur = scorer.mirror.cursor()
    rows = [model_input_row(cur, q) for q in QUERIES]
    assert _model_input_query(cur, QUERIES, [], scorer.name_counts)[0] == rows
    together = scorer.candidates_many(cur, rows)
    assert together == [scorer.candidates_many(cur, [row])[0] for row in rows]
    model_rows, hashed = scorer.model_inputs(cur, QUERIES)  # the hashes computed with the model input
    assert model_rows == rows and scorer.candidates_many(cur, model_rows, hashed) == together
    assert any(together) and together[-1] == []
    assert scorer.match_rows(QUERIES) == [scorer.match_rows([q])[0] for q in QUERIES]
