"""The prior scaled to the store: a model trained on one store size, applied to a larger or smaller one."""

from __future__ import annotations

import math

import pytest

from linkage.model.model_file import prior_for_store, settings_for_store, store_size_bucket, training_records

MODEL = {"probability_two_random_records_match": 1e-4, "laolink": {"training_records": 20_000}}


def test_the_prior_falls_with_the_store_size():
    n = 1_048_576  # a whole number of doublings: its own bucket
    assert store_size_bucket(n) == n
    assert prior_for_store(MODEL, n) == pytest.approx(1e-4 * 19_999 / (n - 1))
    # A store five times larger gives a prior about five times smaller (each bucket is within 2^0.125 of its size).
    assert prior_for_store(MODEL, 100_000) / prior_for_store(MODEL, 500_000) == pytest.approx(5, rel=0.19)


def test_the_prior_rises_for_a_smaller_store_and_is_not_scaled_without_a_training_size():
    assert prior_for_store(MODEL, 20_000) == prior_for_store(MODEL, 21_000) == 1e-4
    n = 1_024  # a whole number of doublings: its own bucket
    assert prior_for_store(MODEL, n) == pytest.approx(1e-4 * 19_999 / (n - 1))
    assert prior_for_store(MODEL, 2) == 0.5  # never above an even chance, however small the store
    unsized = {"probability_two_random_records_match": 1e-4}
    assert training_records(unsized) is None and prior_for_store(unsized, 10**7) == 1e-4


def test_buckets_change_only_when_the_store_grows_by_about_a_fifth():
    assert store_size_bucket(1_000_000) == store_size_bucket(1_010_000)
    assert store_size_bucket(1_000_000) != store_size_bucket(1_250_000)
    for n in (3, 999, 123_457, 7_654_321):
        assert abs(math.log2(store_size_bucket(n) / n)) <= 0.125 + 1e-9


def test_splink_never_sees_laolinks_own_key():
    settings = settings_for_store(MODEL, 1_000_000)
    assert "laolink" not in settings and settings["probability_two_random_records_match"] < 1e-4
    assert "laolink" in MODEL  # the model itself is not changed


def test_the_nightly_scores_everything_again_when_growth_changes_the_prior(tmp_path):
    """The scaled prior is part of the nightly's scoring version: pairs scored under another prior are re-scored."""
    import json

    from store_builders import add_records, open_stores

    from linkage.model.store_model import standardized_records
    from linkage.nightly import _records_to_score, _scoring_version

    model = tmp_path / "m.json"
    model.write_text(json.dumps(MODEL | {"laolink": {"training_records": 100}}))
    con, _ = open_stores(tmp_path)
    add_records(con, range(1, 301))
    con.execute("UPDATE records SET std_version = 1")
    first = _scoring_version(model, "m", standardized_records(con))
    con.execute("UPDATE records SET scored_model = ?, scored_version = version", [first])
    add_records(con, range(301, 311))  # 3 % more: the same bucket, only the new records are scored
    con.execute("UPDATE records SET std_version = 1")
    assert _scoring_version(model, "m", standardized_records(con)) == first
    assert _records_to_score(con, first) == (False, 10)
    add_records(con, range(311, 601))  # twice the records: a new prior, every record is scored again
    con.execute("UPDATE records SET std_version = 1")
    grown = _scoring_version(model, "m", standardized_records(con))
    assert grown != first and _records_to_score(con, grown) == (True, 600)
    con.close()


def test_the_nightly_scores_everything_again_when_term_frequencies_are_counted_otherwise(tmp_path, monkeypatch):
    """Pairs stored before an upgrade that counts term frequencies otherwise (session 14: a nickname level's share of
    the pairs) kept their old weights while /match weighed anew: the term frequencies' version is part of the
    scoring version."""
    import json

    from store_builders import add_records, open_stores

    import linkage.model.person_tf as person_tf
    from linkage.nightly import _records_to_score, _scoring_version

    model = tmp_path / "m.json"
    model.write_text(json.dumps(MODEL | {"laolink": {"training_records": 100}}))
    con, _ = open_stores(tmp_path)
    add_records(con, range(1, 11))
    con.execute("UPDATE records SET std_version = 1")
    before = _scoring_version(model, "m", 10)
    con.execute("UPDATE records SET scored_model = ?, scored_version = version", [before])
    assert _records_to_score(con, before) == (False, 0)
    monkeypatch.setattr(person_tf, "TERM_FREQUENCY_VERSION", person_tf.TERM_FREQUENCY_VERSION + 1)
    assert _records_to_score(con, _scoring_version(model, "m", 10)) == (True, 10)
    con.close()


def test_a_prior_of_one_is_capped_at_every_size_and_such_a_model_cannot_score():
    """A retrain that measured a prior of 1.0 (an infinite prior weight: Splink's SQL names a column "inf") scored
    the store it was trained on unscaled and unbounded, and every night failed."""
    from linkage.model.model_file import MAX_PRIOR, model_problems

    degenerate = {"probability_two_random_records_match": 1.0, "laolink": {"training_records": 2_936}}
    for n in (1, 2_936, 3_000, 10**6):
        assert 0 < prior_for_store(degenerate, n) <= MAX_PRIOR
    assert prior_for_store({"probability_two_random_records_match": 1.0}, 100) == MAX_PRIOR
    level = {"sql_condition": "x", "label_for_charts": "same", "m_probability": 0.9, "u_probability": 0.01}
    model = {"probability_two_random_records_match": 1e-4,
             "comparisons": [{"output_column_name": "c", "comparison_levels": [{"is_null_level": True}, level]}]}
    assert model_problems(model) == []
    assert model_problems({**model, "probability_two_random_records_match": 1.0}) == [
        "probability that two random records match 1.0, not within (0, 0.5)"]
    bad = {**model, "comparisons": [{"output_column_name": "c", "comparison_levels": [
        {**level, "m_probability": 0.0}, {**level, "u_probability": 1.5},
        {k: v for k, v in level.items() if k != "m_probability"},
        {k: v for k, v in level.items() if k != "u_probability"},
    ]}]}  # a level seen by EM but never among random pairs has no u: Splink's default
    assert model_problems(bad) == ["c: same: m_probability 0.0", "c: same: u_probability 1.5",
                                   "c: same: m_probability None"]
    assert model_problems({"probability_two_random_records_match": 1e-4}) == ["not a model file (no comparisons)"]


def test_a_given_model_that_cannot_score_is_refused_naming_the_file_and_the_field(tmp_path):
    """A --model file with a prior of 1.0 was scored as if it said MAX_PRIOR (0.5), without a word: the night and
    `laolink predict` now refuse it with what model_problems finds, the file named."""
    import json

    from linkage.errors import LaoLinkError
    from linkage.model.prediction import predict
    from linkage.model.shipped import DEFAULT_MODEL
    from linkage.nightly import NightlyConfig, run_nightly
    from linkage.store import connect

    bad = tmp_path / "given.json"
    bad.write_text(json.dumps({**json.loads(DEFAULT_MODEL.read_text(encoding="utf-8")),
                               "probability_two_random_records_match": 1.0}), encoding="utf-8")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    db = tmp_path / "s.duckdb"
    expected = f"{bad}: this model cannot score: probability that two random records match 1.0, not within (0, 0.5)"
    with pytest.raises(LaoLinkError) as refused:
        run_nightly(NightlyConfig(inbox=inbox, db=db, model=bad, threads=1))
    assert str(refused.value).startswith(expected)
    con = connect(db)
    try:
        status, report = con.execute("SELECT status, report FROM runs ORDER BY run_id DESC LIMIT 1").fetchall()[0]
        assert status == "failed" and expected in json.loads(report)["error"]  # the runs page shows why
        with pytest.raises(LaoLinkError) as refused:
            predict(con, bad, work_dir=tmp_path / "work")
        assert str(refused.value).startswith(expected)
    finally:
        con.close()
