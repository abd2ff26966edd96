"""Disclosure control audited from the outside: an analyst who takes every table the statistics offer (the 36
tables of one or two facts, the source combinations with each source's persons, smuggled-then-trafficked, the
estimates' strata) and solves for the hidden cells (``sdc_audit``: the review's audit, table by table, and a
joint one) must work out none of them, on real nightly-built demo stores of 150 and 2,000 persons.

Before the protection audited what it published, the review's audit recovered 65 and 38 cells of these stores
exactly (the 2023 row by role: 28, 17, <5, 38, <5 under a year total of 91 gave both small cells as 4).
"""

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from api_server import start_api_server
from demo_deployment import demo_inbox, demo_model
from sdc_audit import joint_ranges, report_cells, reviewer_audit, withheld_everywhere
from typer.testing import CliRunner

from linkage.cli import app
from linkage.nightly import NightlyConfig, run_nightly
from linkage.paths import store_paths
from linkage.publishing.publish import current_snapshot
from linkage.statistics.person_facts import FACTS
from linkage.statistics.person_lists import STRATA

runner = CliRunner()
EVERY_TABLE = [*FACTS, *(f"{a},{b}" for a, b in itertools.combinations(FACTS, 2))]


def _store(base: Path, persons: int, seed: int) -> Path:
    inbox = demo_inbox(base / "demo", persons=persons, seed=seed)
    db = base / "laolink.duckdb"
    run_nightly(NightlyConfig(inbox=inbox, db=db, model=demo_model(), threads=1))
    return db


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    return _store(tmp_path_factory.mktemp("sdc150"), 150, 3)


@pytest.fixture(scope="module")
def large(tmp_path_factory) -> Path:
    return _store(tmp_path_factory.mktemp("sdc2000"), 2000, 7)


BOTH = pytest.mark.parametrize("name", ["small", "large"], ids=["150 persons", "2000 persons"])


def _report(db: Path, *args: str) -> dict:
    by = [part for table in EVERY_TABLE for part in ("--by", table)]
    result = runner.invoke(app, ["stats", "--db", str(db), "--json", *by, *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _narrowed(cells: dict, ranges: dict) -> list:
    """Hidden cells an analyst narrows: a "<5" cell short of 1 to 4, a withheld cell pinned to one value."""
    return sorted(key for key, (low, high) in ranges.items()
                  if (high - low < 3 if cells[key] == "<5" else low == high))


def _assert_resists(cells: dict, sums: list, as_little: dict) -> list:
    """No hidden cell narrower than withholding everything else would leave it (``as_little``: that report's
    cells); returns the cells the listing alone narrows."""
    ranges = joint_ranges(cells, sums)
    narrowed = _narrowed(cells, ranges)
    if narrowed:
        floor = joint_ranges(*as_little)
        for key in narrowed:
            low, high = ranges[key]
            least_low, least_high = floor[key]
            assert high - low >= min(3, least_high - least_low), (key, cells[key], (low, high), floor[key])
    return narrowed


@BOTH
def test_no_hidden_cell_can_be_worked_out_from_every_table_together(name, request):
    report = _report(request.getfixturevalue(name))
    assert reviewer_audit(report) == []
    cells, sums = report_cells(report)
    assert sum(value == "<5" for value in cells.values()) > 100
    structural = _assert_resists(cells, sums, report_cells(withheld_everywhere(report)))
    if name == "large":
        assert structural == []  # nothing small enough for the listing to give a cell away


@BOTH
def test_estimates_show_the_persons_cells_and_resist_the_same_audit(name, request):
    from api.queries.stats import estimates_report, stats_report

    snapshot = current_snapshot(store_paths(request.getfixturevalue(name)))
    persons = stats_report(snapshot, "test", [(fact,) for fact in FACTS], exact=False)
    oneway = {(t["by"][0], row[t["by"][0]]): row["persons"] for t in persons["tables"] for row in t["rows"]}
    beside: dict[str, dict] = {}
    for by in (None, *STRATA):  # None: one estimate of everyone
        answer = estimates_report(snapshot, "test", by, exact=False)
        for row in answer["strata"]:
            cell = ("persons",) if by is None else (by, row["stratum"])
            assert row["observed"] == (persons["persons"] if by is None else oneway.get(cell, 0)), cell
            assert isinstance(row["observed"], int) or row["estimate"] is None
            for key, other in row["at_threshold"].items():
                if other is not None:
                    beside.setdefault(key, {})[cell] = other["observed"]
    for shown in beside.values():  # at each threshold: every split of the persons seen, the total known
        sums = [(("persons",), [cell for cell in shown if cell[0] == by]) for by in STRATA]
        as_little = {cell: "x" if isinstance(n, int) and n >= 5 and cell != ("persons",) else n
                     for cell, n in shown.items()}
        _assert_resists(shown, sums, (as_little, sums))


def test_every_answer_shows_the_same_cells(small):
    store = small
    report = _report(store)
    cells, _ = report_cells(report)
    with start_api_server(store.resolve()) as server:
        analyst = server.client_as("analyst")
        for by in (["year", "role", "year,role"], ["role,year"], ["sex,age_band", "case_type,exploitation"]):
            answer = analyst.get("/api/v1/stats/persons", params={"by": by}).json()
            for table in answer["tables"]:
                order = sorted(range(len(table["by"])), key=lambda i: table["by"][i])
                name = ",".join(table["by"][i] for i in order)
                for row in table["rows"]:
                    assert row["persons"] == cells[(name, *(row[table["by"][i]] for i in order))], (by, row)
            assert answer["sources"]["rows"] == report["sources"]["rows"]
        for by in ("province", "year"):
            for row in analyst.get("/api/v1/stats/mse", params={"by": by}).json()["strata"]:
                assert row["observed"] == cells.get((by, row["stratum"]), 0), (by, row)
        assert analyst.get("/stats").status_code == 200


def test_the_pattern_is_the_same_in_every_process(small):
    outputs = set()
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run([sys.executable, "-m", "linkage", "stats", "--db", str(small), "--json",
                                 "--by", "province,case_type"], env=env, capture_output=True, text=True, check=True)
        outputs.add(result.stdout)
    assert len(outputs) == 1


def test_a_hidden_stratum_says_why_and_a_count_the_base_does_not_hold_is_a_fault(small):
    from api.queries.stats import CountMismatch, estimates_report, protect_estimate

    snapshot = current_snapshot(store_paths(small))
    reasons: dict[str, set[str]] = {}
    for by in STRATA:
        for row in estimates_report(snapshot, "test", by, exact=False)["strata"]:
            for answer in (row, *row["at_threshold"].values()):
                if answer is not None and answer["observed"] in ("<5", "x"):
                    reasons.setdefault(answer["observed"], set()).add(answer["reason"])
    (small_reason,), (withheld_reason,) = reasons["<5"], reasons["x"]
    assert "fewer than 5" in small_reason
    assert "fewer than 5" not in withheld_reason and "too few" not in withheld_reason  # it holds 5 or more
    assert "give" in withheld_reason and "away" in withheld_reason
    # A count the protected base holds otherwise than the estimate saw is not a cell to hide: it is raised.
    row = next(row for row in estimates_report(snapshot, "test", "sex", exact=True)["strata"] if row["observed"])
    cell = ("sex", row["stratum"])
    for shown in ({cell: row["observed"] + 1}, {}):
        with pytest.raises(CountMismatch, match=row["stratum"]):
            protect_estimate(row, cell, shown)
    assert protect_estimate(row, cell, {cell: row["observed"]}) == row


def test_each_thresholds_persons_are_built_once_per_snapshot(small, monkeypatch):
    from api.queries.stats import estimates_report
    from linkage.statistics import person_lists

    built: list[float | None] = []
    build = person_lists.person_table_at

    def counted(published, threshold):
        built.append(threshold)
        return build(published, threshold)

    monkeypatch.setattr(person_lists, "person_table_at", counted)
    snapshot = current_snapshot(store_paths(small))
    for by in (None, *STRATA):
        for exact in (True, False):
            estimates_report(snapshot, "built-once", by, exact)
    assert sorted(built, key=str) == sorted([None, *person_lists.SENSITIVITY_THRESHOLDS], key=str)
