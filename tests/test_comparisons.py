"""The model's hand-written comparison SQL against what it stands for, in DuckDB."""

from __future__ import annotations

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linkage.model.comparisons import one_typo_apart_sql

_GUARDED = one_typo_apart_sql("v")
_ALPHABET = "0123456789+"


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    yield c
    c.close()


def _one_edit(draw, value: str) -> str:
    kind = draw(st.sampled_from(["substitute", "delete", "insert", "transpose"]))
    if kind == "insert" or not value:
        i = draw(st.integers(0, len(value)))
        return value[:i] + draw(st.sampled_from(_ALPHABET)) + value[i:]
    i = draw(st.integers(0, len(value) - 1))
    if kind == "substitute":
        return value[:i] + draw(st.sampled_from(_ALPHABET)) + value[i + 1:]
    if kind == "delete" or i == len(value) - 1:
        return value[:i] + value[i + 1:]
    return value[:i] + value[i + 1] + value[i] + value[i + 2:]


@st.composite
def _pairs(draw) -> tuple[str, str]:
    value = draw(st.text(_ALPHABET, max_size=16))
    other = _one_edit(draw, value) if draw(st.booleans()) else draw(st.text(_ALPHABET, max_size=16))
    return value, other


@settings(max_examples=400, deadline=None)
@given(_pairs())
def test_one_typo_apart_is_exactly_damerau_levenshtein_at_most_one(con, pair):
    """The cheap prefix/suffix test never turns away a pair one edit apart (short values, +856 and
    +66 numbers, edits at either end included), and the level says what the distance says."""
    left, right = pair
    guarded, plain = con.execute(
        f"SELECT {_GUARDED}, damerau_levenshtein(v_l, v_r) <= 1 FROM (SELECT ? AS v_l, ? AS v_r)", [left, right]
    ).fetchall()[0]
    assert guarded == plain


def test_one_typo_apart_on_phone_numbers(con):
    cases = {
        ("+8562055512345", "+8562055512354"): True,  # last two digits swapped
        ("+8562055512345", "+856205551234"): True,  # last digit dropped
        ("+8562055512345", "+8562095512345"): True,  # one digit mistyped after the prefix
        ("+8562055512345", "+8562055598765"): False,
        ("+66812345678", "+66812345679"): True,
        ("+66812345678", "+66812345687"): True,
        ("+66812345678", "+66912345687"): False,  # two edits
    }
    for (a, b), want in cases.items():
        got = con.execute(f"SELECT {_GUARDED} FROM (SELECT ? AS v_l, ? AS v_r)", [a, b]).fetchall()[0][0]
        assert got is want, (a, b)


def test_event_levels_count_the_days_between_the_two_records(con):
    """The event comparison (when the two records were made) by days apart, either order, and missing dates as no
    evidence: Splink's own CASE statement of the level SQL, run in DuckDB."""
    from linkage.model.comparisons import event_comparison
    from linkage.model.splink_adapter import comparison_specs

    settings = {"link_type": "dedupe_only", "comparisons": [event_comparison().get_comparison("duckdb").as_dict()]}
    (spec,) = comparison_specs(settings)
    labels = {lv.gamma: lv.label for lv in spec.levels}
    cases = {
        ("2024-03-01", "2024-03-01"): "records made within three days",
        ("2024-03-04", "2024-03-01"): "records made within three days",
        ("2024-03-01", "2024-03-05"): "records made within a month",
        ("2024-03-31", "2024-03-01"): "records made within a month",
        ("2024-03-01", "2024-04-01"): "records made within a year",
        ("2024-03-01", "2025-03-01"): "records made within a year",  # 365 days
        ("2023-03-01", "2024-03-01"): "records made more than a year apart",  # 366 days (leap year)
        (None, "2024-03-01"): "event date missing",
        ("2024-03-01", None): "event date missing",
    }
    for (left, right), want in cases.items():
        gamma = con.execute(f"SELECT {spec.case_sql} FROM (SELECT ?::DATE AS event_date_l, ?::DATE AS event_date_r)",
                            [left, right]).fetchall()[0][0]
        assert labels[gamma] == want, (left, right, labels[gamma])
