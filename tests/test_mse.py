"""Multiple systems estimation against the tables SparseMSE 2.0.1 ships (tests/data/mse/README.md has the source)."""

from pathlib import Path

import numpy as np
import pytest

from linkage.errors import InputFileError
from linkage.statistics.bootstrap import bca_interval
from linkage.statistics.capture_table import capture_table, read_capture_csv
from linkage.statistics.mse import NOT_FINITE, NOT_IDENTIFIABLE, _FullTable, check_model, estimate_population

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
    low, high = bca_interval(table, replications=40, seed=7)
    # SparseMSE reports 8,785 to 14,701 from 1,000 replications; 40 replications land in the same region.
    assert 7500 < low < 11312.99 < high < 18000
    assert (low, high) == bca_interval(table, replications=40, seed=7)


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
