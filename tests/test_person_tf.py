"""Term frequencies without the person's own records (linkage.model.person_tf), on a real DuckDB table."""

from __future__ import annotations

import duckdb
import pytest

from linkage.model.person_tf import own_records, person_term_frequencies


def _model(prior: float) -> dict:
    return {
        "probability_two_random_records_match": prior,
        "comparisons": [
            {"comparison_levels": [
                {"sql_condition": "x", "is_null_level": True},
                {"tf_adjustment_column": "name_key", "tf_minimum_u_value": 1e-5, "m_probability": 0.9},
                {"tf_adjustment_column": "phone", "m_probability": 0.95},  # no minimum: Splink's own frequencies
            ]},
        ],
    }


def test_own_records_are_one_plus_the_expected_matches_sharing_the_value() -> None:
    own = own_records(_model(0.002), 1001)  # a record expects 0.002 x 1000 = 2 matches, 90 % share the name
    assert own == {"name_key": pytest.approx(2.8)}


def test_frequencies_leave_out_the_persons_own_records() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT * FROM (VALUES ('a'), ('a'), ('a'), ('a'), ('b'), ('b'), (NULL)) v(name_key)")
    tf = person_term_frequencies(con, "t", _model(0.002), 1001)["name_key"]
    assert tf["a"] == pytest.approx((4 - 2.8) / 6)  # of 6 non-null values, 1.2 are other people's
    assert tf["b"] == 0.0  # two records, about one person: the level's minimum u decides
    assert None not in tf
