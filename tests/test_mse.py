"""Multiple systems estimation against the tables SparseMSE 2.0.1 ships (tests/data/mse/README.md has the source)."""

import tracemalloc
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from linkage.errors import InputFileError
from linkage.statistics.bootstrap import _bca_quantiles, bca_interval
from linkage.statistics.capture_table import CaptureTable, capture_table, read_capture_csv
from linkage.statistics.estimates import estimate
from linkage.statistics.mse import (
    DEFAULT_PTHRESH,
    MAX_LISTS,
    NOT_FINITE,
    NOT_IDENTIFIABLE,
    NoEstimate,
    TooManyLists,
    _FullTable,
    check_model,
    estimate_population,
    without_empty_lists,
)
from linkage.statistics.person_lists import parse_lists

DATA = Path(__file__).parent / "data" / "mse"

# SparseMSE 2.0.1 under R 4.2.2: estimatepopulation.0(z, method="stepwise", pthresh=0.02).
PUBLISHED = [
    ("UKdat_5.csv", 2744, 11312.99, (9884.40, 13027.40), ["LA:NG", "NG:GP", "PFNCA:GP", "LA:PFNCA", "GO:GP", "NG:GO"]),
    ("NewOrl.csv", 185, 1183.69, (720.92, 2046.06), ["D:E"]),
    ("Ned.csv", 8234, 111139.4, (92439.86, 133991.5), ["O:Z", "P:Z", "I:Z", "P:R", "O:P", "K:O"]),
]


@pytest.mark.parametrize(("file", "observed", "estimate", "interval", "terms"), PUBLISHED)
def test_published_tables_are_reproduced(file, observed, estimate, interval, terms):
    result = estimate_population(read_capture_csv(DATA / file))
    assert result.observed == observed
    assert result.estimate == pytest.approx(estimate, rel=0.005)
    assert result.ci95[0] == pytest.approx(interval[0], rel=0.02)
    assert result.ci95[1] == pytest.approx(interval[1], rel=0.02)
    assert result.terms == terms


def test_pairs_with_no_one_in_common_are_left_out_of_the_terms_but_shape_the_fit():
    result = estimate_population(read_capture_csv(DATA / "Ned.csv"))
    assert result.empty_overlaps == ["K:R", "I:K"]


def test_independent_lists_give_the_lincoln_petersen_figure():
    # Two lists, 100 on A only, 50 on B only, 50 on both: N = 150 * 100 / 50 = 300.
    table = capture_table(["A", "B"], [((1, 0), 100), ((0, 1), 50), ((1, 1), 50)])
    result = estimate_population(table)
    assert result.estimate == pytest.approx(300.0)
    assert result.terms == []
    assert result.ci95[0] < 300 < result.ci95[1]


def test_existence_and_identifiability_checks():
    # Everyone on A is also on C: with an A:C term the fitted count of A-without-C is zero, so no finite estimate.
    # A and B never overlap, nor B and C: with every pair term, too few histories remain for the parameters.
    table = capture_table(["A", "B", "C"], [((1, 0, 0), 30), ((0, 1, 0), 20), ((0, 0, 1), 25), ((1, 0, 1), 5)])
    full = _FullTable.of(table)
    assert check_model(full, ()) == 0
    assert check_model(full, ((1, 2),)) == 0
    assert check_model(full, ((0, 2),)) == NOT_FINITE
    assert check_model(full, ((0, 1), (0, 2), (1, 2))) & NOT_IDENTIFIABLE


def test_bca_interval_surrounds_the_estimate():
    table = read_capture_csv(DATA / "UKdat_5.csv")
    interval = bca_interval(table, replications=40, seed=7)
    # SparseMSE reports 8,785 to 14,701 from 1,000 replications; 40 replications land in the same region.
    assert 7500 < interval.low < 11312.99 < interval.high < 18000
    assert interval == bca_interval(table, replications=40, seed=7)
    assert interval.not_finite == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("A,B\n1,0\n", "header must be two or more list names then 'count'"),
        ("A,B,count\n1,2,5\n", "row 2, field B: expected 0 or 1, got '2'"),
        ("A,B,count\n1,0,5\n0,1,x\n", "row 3, field count: expected a whole number, got 'x'"),
        ("A,B,count\n1,0\n", "row 2: 2 fields, the header has 3"),
        ("A,B,count\n0,0,4\n", "row 2: people on no list cannot be observed"),
        ("A,A,count\n1,0,4\n", "list names repeat"),
    ],
)
def test_bad_tables_name_the_row_and_field(tmp_path, text, message):
    path = tmp_path / "table.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputFileError, match=message) as error:
        read_capture_csv(path)
    assert str(path) in str(error.value)


def test_repeated_histories_are_summed():
    table = capture_table(["A", "B"], [((1, 0), 3), ((1, 0), 4), ((1, 1), 2)])
    assert table.observed == 9
    assert np.array_equal(table.counts, [7, 2])


def test_a_list_with_a_zero_count_row_only_is_left_out():
    # C is named by a row with a count of 0: it saw no one, and the estimate is that of A and B alone.
    with_c = capture_table(["A", "B", "C"], [((1, 0, 0), 30), ((0, 1, 0), 20), ((1, 1, 0), 5), ((0, 0, 1), 0)])
    without = capture_table(["A", "B"], [((1, 0), 30), ((0, 1), 20), ((1, 1), 5)])
    answer = estimate(with_c, DEFAULT_PTHRESH)
    assert answer["estimate"] == pytest.approx(estimate_population(without).estimate) == pytest.approx(175.0, abs=1)
    assert list(without_empty_lists(with_c).lists) == ["A", "B"]


@pytest.mark.parametrize(
    ("rows", "reason"),
    [
        ([((1, 0), 10), ((1, 1), 5)], "A saw everyone seen"),
        ([((1, 0, 0), 10), ((1, 1, 0), 5), ((1, 0, 1), 4), ((1, 1, 1), 2)], "A saw everyone seen"),
        ([((1, 1), 7)], "A, B saw everyone seen"),
        ([((1, 0), 10), ((0, 1), 20)], "no one was seen on more than one list"),
        ([((1, 0, 0), 10), ((0, 1, 0), 20), ((0, 0, 1), 30)], "no one was seen on more than one list"),
    ],
)
def test_no_estimate_names_its_reason(rows, reason):
    lists = [name for name, _ in zip("ABC", rows[0][0], strict=False)]
    with pytest.raises(NoEstimate, match=reason) as error:
        estimate_population(capture_table(lists, rows))
    assert "hardly overlap" not in str(error.value)


def _independent_lists(n_lists: int, persons: int = 5000) -> CaptureTable:
    rng = np.random.default_rng(1)
    seen = rng.random((persons, n_lists)) < rng.uniform(0.05, 0.2, n_lists)
    rows = Counter(tuple(int(flag) for flag in person) for person in seen if person.any())
    return capture_table([f"L{i}" for i in range(n_lists)], list(rows.items()))


def test_the_existence_check_does_not_grow_with_the_square_of_the_cells():
    # 13 lists: 8,191 cells; a dense "x >= t" block of 8,191 x 8,191 held 1 GB (19 s, 1.7 GB for the estimate).
    full = _FullTable.of(_independent_lists(13))
    tracemalloc.start()
    try:
        assert check_model(full, ()) == 0
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50e6


def test_more_lists_than_the_limit_are_refused_before_anything_is_allocated():
    table = _independent_lists(MAX_LISTS + 1, persons=200)
    with pytest.raises(TooManyLists, match=r"at most 15 .* --lists A\+B"):
        estimate_population(table)
    with pytest.raises(TooManyLists, match="group sources"):
        parse_lists(None, [f"S{i:02d}" for i in range(MAX_LISTS + 1)])


def test_resamples_without_a_finite_estimate_leave_the_upper_bound_open():
    # 1 on A only, 1 on B only, 1 on both: most resamples lose the overlap or a list's own person. Before, where
    # the fit happened to stop entered the interval: 3 to 714,000,000.
    table = capture_table(["A", "B"], [((1, 0), 1), ((0, 1), 1), ((1, 1), 1)])
    interval = bca_interval(table, replications=200)
    assert interval.high is None and interval.low == pytest.approx(4.0)
    assert 100 < interval.not_finite < 200
    assert interval.as_dict() == {"ci95_bca": [interval.low, None],
                                  "bootstrap": {"replications": 200, "not_finite": interval.not_finite}}


def test_a_percentile_that_falls_on_the_last_finite_replicate_is_that_replicate():
    # Every percentile lands on the first replicate (position 1, nothing to interpolate): 100 + 0 * (inf - 100) was
    # NaN, an interval of (nan, nan).
    replicates = np.array([100.0] + [np.inf] * 999)
    assert _bca_quantiles(replicates, 100.0, 0.0, (0.025, 0.975)) == (100.0, 100.0)
    assert _bca_quantiles(np.array([np.inf] * 1000), 100.0, 0.0, (0.025, 0.975)) == (None, None)


@pytest.mark.parametrize("only_a", [1, 3, 8, 20])
@pytest.mark.parametrize("only_b", [1, 3, 20])
@pytest.mark.parametrize("both", [1, 2, 5])
def test_small_tables_bca_holds_the_estimate_and_no_arbitrary_bound(only_a, only_b, both):
    table = capture_table(["A", "B"], [((1, 0), only_a), ((0, 1), only_b), ((1, 1), both)])
    point = estimate_population(table).estimate
    interval = bca_interval(table, replications=60)
    assert interval.low is not None and interval.low <= point
    assert interval.high is None or point <= interval.high < 1e5
