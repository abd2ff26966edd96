"""Term frequencies without the person's own records (linkage.model.person_tf), on a real DuckDB table."""

from __future__ import annotations

import duckdb
import pytest

from linkage.model.person_tf import (
    learned_own_by_count,
    level_u_of_columns,
    own_records,
    person_tf_sql,
    person_tf_value,
    sharing_pairs_sql,
    tf_scale,
)


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
    assert {column: o.default for column, o in own.items()} == {"name_key": pytest.approx(2.8)}


def test_frequencies_leave_out_the_persons_own_records() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT * FROM (VALUES ('a'), ('a'), ('a'), ('a'), ('b'), ('b'), (NULL)) v(name_key)")
    own = own_records(_model(0.002), 1001)["name_key"]
    tf = dict(con.execute(person_tf_sql("t", "name_key", own)).fetchall())
    assert tf["a"] == pytest.approx((4 - 2.8) / 6)  # of 6 non-null values, 1.2 are other people's
    assert tf["b"] == 0.0  # two records, about one person: the level's minimum u decides
    assert None not in tf


def test_a_level_asking_more_than_equality_weighs_its_share_of_the_pairs_sharing_the_value() -> None:
    """"Given name equal, family name missing on one side" is its own reference in Splink: its weight was log2(m / tf),
    as if every pair sharing the given name were at the level. Its frequencies are scaled by the level's u over the
    u of equality on the column (DEV dev-nicknames-typos: 0.30; pairs put at 0.3 were one person 62 % of the time)."""
    model = {"probability_two_random_records_match": 0.002, "comparisons": [{"comparison_levels": [
        {"sql_condition": "x", "is_null_level": True},
        {"tf_adjustment_column": "name_key", "tf_minimum_u_value": 1e-5, "m_probability": 0.9, "u_probability": 1e-4},
        {"tf_adjustment_column": "given_key", "tf_minimum_u_value": 1e-5, "m_probability": 0.2, "u_probability": 0.03,
         "disable_tf_exact_match_detection": True},
    ]}]}
    assert level_u_of_columns(model) == {"given_key": 0.03}  # name_key has its exact level: Splink's own reference
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT * FROM (VALUES ('a'), ('a'), ('a'), ('b'), ('b'), ('c'), (NULL), (NULL))"
                " v(given_key)")
    sharing = con.execute(sharing_pairs_sql("t", "given_key")).fetchall()[0][0]
    assert sharing == 3 * 2 + 2 * 1  # ordered pairs of records with an equal given name
    scale = tf_scale(0.03, sharing, 8)  # equality's u: 8 / (8 x 7) = 1/7; the level holds 0.03 of 1/7 = 0.21
    assert scale == pytest.approx(0.21)
    tf = dict(con.execute(person_tf_sql("t", "given_key", None, scale)).fetchall())
    assert tf["a"] == pytest.approx(3 / 6 * 0.21) and tf["c"] == pytest.approx(1 / 6 * 0.21)
    assert tf_scale(0.5, sharing, 8) == 1.0  # never above equality's own frequencies
    assert tf_scale(0.03, 0, 8) == 1.0  # no two records equal: nothing to scale


def test_own_records_learned_per_count_replace_the_mean_for_that_count_only() -> None:
    learned = {"laolink": {"own_records_by_count": {"name_key": {"2": 1.98, "4": 3.7587}}}}
    by_count = learned_own_by_count(learned)
    assert by_count == {"name_key": {2: 1.98, 4: 3.7587}}
    own = own_records(_model(0.002), 1001, by_count)["name_key"]
    assert (own.at(2), own.at(3), own.at(4)) == (1.98, pytest.approx(2.8), 3.7587)
    assert learned_own_by_count({"laolink": {}}) == {}  # a model trained before: the mean for every count


def test_frequencies_with_learned_own_records_are_the_same_in_sql_and_python_to_the_last_bit() -> None:
    """The nightly counts term frequencies in SQL and /match in Python: a pair must weigh the same in both."""
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT 'v' || (i % 9) AS name_key FROM range(0, 60) r(i) WHERE i % 9 <= i % 13")
    counts = dict(con.execute("SELECT name_key, count(*) FROM t GROUP BY 1").fetchall())
    total = sum(counts.values())
    learned = {k: round(1 + 0.9137 * (k - 1), 4) for k in set(counts.values())}
    own = own_records(_model(0.00237), 1001, {"name_key": learned})["name_key"]
    tf = dict(con.execute(person_tf_sql("t", "name_key", own)).fetchall())
    assert {v: person_tf_value(k, total, own) for v, k in counts.items()} == tf  # exactly, not approximately
    assert tf == {v: pytest.approx(max(k - learned[k], 0) / total, abs=1e-15) for v, k in counts.items()}
    assert len(set(counts.values())) >= 4  # several counts, each with its own learned value
