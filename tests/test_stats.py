"""Unduplicated statistics on a real nightly-built demo store: `laolink stats`, the API and its exports.

Counts are checked against persons' facts computed here in plain Python from the snapshot's records, grouped by
the demo's truth file (and by the published persons); analysts must never see a cell of 1 to 4 persons.
"""

import csv
import io
import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import pytest
from api_server import start_api_server
from demo_deployment import demo_inbox, demo_model, nightly_store
from typer.testing import CliRunner

from linkage.cli import app
from linkage.clusters.clustering import DEFAULT_LINK_THRESHOLD
from linkage.nightly import NightlyConfig, run_nightly
from linkage.paths import store_paths
from linkage.publishing.publish import current_snapshot
from linkage.statistics.disclosure import SUPPRESSED, WITHHELD
from linkage.statistics.estimates import estimate_strata, persons_beside
from linkage.statistics.mse import NoEstimate
from linkage.statistics.person_lists import open_published_records, person_facts_at

runner = CliRunner()
FACTS = ("year", "province", "sex", "age_band", "role", "nationality", "case_type", "exploitation")
BANDS = ((50, "50+"), (35, "35-49"), (25, "25-34"), (18, "18-24"), (12, "12-17"), (0, "0-11"))
ROLE_ORDER = ("victim", "smuggled_migrant", "witness", "suspect")
CASE_ORDER = ("TIP", "SOM", "other")


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    return nightly_store(tmp_path_factory.mktemp("stats"), demo_model())


@pytest.fixture(scope="module")
def server(store):
    with start_api_server(store) as srv:
        yield srv


def _most(values: list[tuple[str, int]], unknown_last: bool = False) -> str | None:
    """Most frequent value, ties to the one recorded first; (value, record order) pairs."""
    counts = Counter(v for v, _ in values)
    first = {}
    for v, order in values:
        first.setdefault(v, order)
    return min(counts, key=lambda v: (unknown_last and v == "unknown", -counts[v], first[v])) if counts else None


def _gravest(values: list[tuple[str, int]], order: tuple[str, ...]) -> str | None:
    return min((v for v, _ in values), key=order.index, default=None)


def _person_facts(records: list[dict]) -> dict:
    records = sorted(records, key=lambda r: (r["event_date_std"] is None, r["event_date_std"] or 0, r["rid"]))
    facts: dict = {}
    dates = [r["event_date_std"] for r in records if r["event_date_std"]]
    facts["year"] = str(min(dates).year) if dates else None
    facts["age_band"] = None
    for r in records:
        low, high = r["dob_year_min"], r["dob_year_max"]
        born = r["dob_year"] if r["dob_year"] is not None else (low + high) // 2 if None not in (low, high) else None
        if r["event_date_std"] and born is not None:
            age = r["event_date_std"].year - born
            band = next((name for low, name in BANDS if age >= low), None)
            if band:
                facts["age_band"] = band
                break
    pairs = {c: [(r[c], i) for i, r in enumerate(records) if r[c] is not None]
             for c in ("sex_code", "province_code", "nationality_code", "exploitation_code", "role_code",
                       "case_type_code")}
    # a province written as where the event happened (a repatriation centre's) is not the person's origin
    pairs["province_code"] = [(r["province_code"], i) for i, r in enumerate(records)
                              if r["province_code"] is not None and not r["province_is_event"]]
    facts.update(sex=_most(pairs["sex_code"]), province=_most(pairs["province_code"]),
                 nationality=_most(pairs["nationality_code"]),
                 exploitation=_most(pairs["exploitation_code"], unknown_last=True),
                 role=_gravest(pairs["role_code"], ROLE_ORDER), case_type=_gravest(pairs["case_type_code"], CASE_ORDER))
    facts["sources"] = "+".join(sorted({r["source"] for r in records}))
    smuggled = [r["event_date_std"] for r in records if r["role_code"] == "smuggled_migrant" and r["event_date_std"]]
    later = [r["event_date_std"] for r in records if smuggled and r["role_code"] == "victim"
             and r["case_type_code"] in ("TIP", None) and r["event_date_std"] and r["event_date_std"] > min(smuggled)]
    facts["days"] = (min(later) - min(smuggled)).days if later else None
    return facts


def reference(db: Path, truth: Path | None) -> list[dict]:
    """Each person's facts, from the snapshot's records grouped by the truth file (or the published persons)."""
    con = duckdb.connect(str(current_snapshot(store_paths(db))), read_only=True)
    cursor = con.execute("SELECT r.*, rp.person_id FROM records r JOIN record_person rp USING (rid)")
    names = [d[0] for d in cursor.description]
    records = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    con.close()
    if truth is not None:
        with truth.open(encoding="utf-8") as f:
            true_person = {(r["source"], r["record_id"]): r["person_id"] for r in csv.DictReader(f)}
        for r in records:
            r["person_id"] = true_person.get((r["source"], r["record_id"]), f"rid-{r['rid']}")
    persons: dict[str, list[dict]] = {}
    for r in records:
        persons.setdefault(r["person_id"], []).append(r)
    return [_person_facts(rs) for rs in persons.values()]


def _stats(*args: str) -> dict:
    result = runner.invoke(app, ["stats", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("by_truth", [True, False], ids=["true persons", "published persons"])
def test_exact_counts_equal_counts_from_each_persons_records(store, by_truth):
    truth = store.parent / "demo" / "truth.csv"
    expected = reference(store, truth if by_truth else None)
    report = _stats("--db", str(store), "--exact", *(["--truth", str(truth)] if by_truth else []))
    assert report["persons"] == len(expected)
    for table in report["tables"]:
        (fact,) = table["by"]
        want = Counter(p[fact] or "not recorded" for p in expected)
        assert {row[fact]: row["persons"] for row in table["rows"]} == want, fact
    assert {row["sources"]: row["persons"] for row in report["sources"]["rows"]} == Counter(
        p["sources"] for p in expected)
    later = report["smuggled_then_trafficked"]
    days = [p["days"] for p in expected if p["days"] is not None]
    assert later["total"] == len(days) > 0
    assert sum(row["persons"] for row in later["rows"] if row["time_between"] == "under 6 months") == sum(
        d < 183 for d in days)


def test_demo_case_fields_reach_the_statistics(store):
    report = _stats("--db", str(store), "--exact", "--by", "case_type,exploitation", "--by", "role")
    cells = {(r["case_type"], r["exploitation"]): r["persons"] for r in report["tables"][0]["rows"]}
    assert cells[("TIP", "labour")] > 0 and cells[("SOM", "not recorded")] > 0
    roles = {r["role"]: r["persons"] for r in report["tables"][1]["rows"]}
    assert roles["victim"] > roles["smuggled_migrant"] > 0


def _assert_protected(table: dict, exact: dict | None = None) -> None:
    values = [row["persons"] for row in table["rows"]]
    assert not any(isinstance(v, int) and 0 < v < 5 for v in values), table
    assert sum(v in (SUPPRESSED, WITHHELD) for v in values) != 1, table  # one hidden cell = the total minus others
    if exact is not None:
        for shown, row in zip(table["rows"], exact["rows"], strict=True):
            assert (shown["persons"] == SUPPRESSED) == (0 < row["persons"] < 5)
            assert shown["persons"] in (SUPPRESSED, WITHHELD, row["persons"])


def test_cli_default_and_export_are_protected(store, tmp_path):
    by = ["--by", "sex,age_band", "--by", "role"]
    exact = _stats("--db", str(store), "--exact", *by)
    shown = _stats("--db", str(store), *by, "--out", str(tmp_path / "s.csv"))
    for table, exact_table in zip(shown["tables"], exact["tables"], strict=True):
        _assert_protected(table, exact_table)
    _assert_protected(shown["sources"], exact["sources"])
    assert any(row["persons"] == SUPPRESSED for row in shown["sources"]["rows"])
    with (tmp_path / "s.csv").open(encoding="utf-8-sig") as f:
        persons = [row["persons"] for row in csv.DictReader(f)]
    assert SUPPRESSED in persons and not {"1", "2", "3", "4"} & set(persons)
    assert (tmp_path / "s.csv").stat().st_mode & 0o777 == 0o600


def test_one_facts_database_answers_many_threads_alike(store):
    # The persons' facts are one in-memory database shared by every table and request (a server's threads).
    from linkage.statistics.unduplicated import read_person_facts, statistics_report

    facts = read_person_facts(current_snapshot(store_paths(store)))
    by = [(fact,) for fact in FACTS] + [("sex", "age_band"), ("case_type", "exploitation")]
    alone = [statistics_report(facts, by, exact=True), statistics_report(facts, by, exact=False)]
    with ThreadPoolExecutor(8) as pool:
        together = list(pool.map(lambda i: statistics_report(facts, by, exact=i % 2 == 0), range(16)))
    assert together == [alone[i % 2] for i in range(16)]
    assert alone[0]["persons"] == len(reference(store, None))


def test_bad_by_is_one_clear_line(store):
    result = runner.invoke(app, ["stats", "--db", str(store), "--by", "shoe_size"])
    assert result.exit_code == 1 and "--by takes one or two of year" in result.output


def test_api_analyst_sees_protected_counts_admin_exact_and_every_read_is_audited(server):
    analyst, admin = server.client_as("analyst"), server.client_as("admin")
    before = server.last_audit_id()
    params = {"by": ["sex,age_band", "province", "role"]}
    exact = admin.get("/api/v1/stats/persons", params=params).json()
    shown = analyst.get("/api/v1/stats/persons", params=params).json()
    assert exact["exact"] is True and shown["exact"] is False
    for table, exact_table in zip(shown["tables"], exact["tables"], strict=True):
        _assert_protected(table, exact_table)
    _assert_protected(shown["sources"], exact["sources"])
    _assert_protected(shown["smuggled_then_trafficked"], exact["smuggled_then_trafficked"])
    assert any(0 < row["persons"] < 5 for t in exact["tables"] for row in t["rows"])
    export = analyst.get("/api/v1/stats/export", params={"format": "csv"})
    persons = [row["persons"] for row in csv.DictReader(io.StringIO(export.content.decode("utf-8-sig")))]
    assert SUPPRESSED in persons and not {"1", "2", "3", "4"} & set(persons)
    xlsx = analyst.get("/api/v1/stats/export", params={"format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    estimates = analyst.get("/api/v1/stats/mse", params={"by": "province"}).json()
    assert estimates["threshold"] == DEFAULT_LINK_THRESHOLD and "closed population" in estimates["assumptions"]
    for row in estimates["strata"]:
        assert not (isinstance(row["observed"], int) and 0 < row["observed"] < 5)
        assert row["observed"] not in (SUPPRESSED, WITHHELD) or row["estimate"] is None
    assert server.client_as("steward").get("/api/v1/stats/persons").status_code == 403
    assert analyst.get("/api/v1/stats/persons", params={"by": "shoe_size"}).status_code == 422
    actions = Counter(row["action"] for row in server.audit_rows(before))
    assert actions["stats.read"] == 2 and actions["stats.export"] == 2 and actions["stats.mse"] == 1


def test_a_store_with_one_source_has_statistics_and_says_why_there_is_no_estimate(tmp_path):
    inbox = demo_inbox(tmp_path / "demo")
    for path in inbox.iterdir():
        if "mops_ahtd" not in path.name:
            path.unlink()
    db = tmp_path / "laolink.duckdb"
    run_nightly(NightlyConfig(inbox=inbox, db=db, model=demo_model(), threads=1))
    # The estimates raise; each caller answers in its own way: the CLI fails, the service shows the reason.
    with open_published_records(db, None) as published, pytest.raises(NoEstimate, match=r"1 source \(MOPS-AHTD\)"):
        estimate_strata(person_facts_at(published, None), persons_beside(published), None, "sex", 0.02)
    result = runner.invoke(app, ["mse", "--db", str(db)])
    assert result.exit_code == 1 and "1 source (MOPS-AHTD): multiple systems estimation needs" in result.output
    with start_api_server(db.resolve()) as srv:
        analyst = srv.client_as("analyst")
        answer = analyst.get("/api/v1/stats/mse", params={"by": "sex"})
        assert answer.status_code == 200, answer.text
        assert answer.json()["strata"] == [] and "needs at least two lists" in answer.json()["reason"]
        page = analyst.get("/stats")
        assert page.status_code == 200 and 'id="mse-reason"' in page.text and "1 source (MOPS-AHTD)" in page.text
        assert analyst.get("/api/v1/stats/persons", params={"by": "sex"}).json()["sources"]["total"] > 0


def test_province_of_origin_leaves_out_provinces_written_as_the_event_place(tmp_path):
    # The same demo world with TH-REPAT writing its repatriation centre's province on 70 % of its records (its
    # mapping marks them province_is_event): such a province is no one's origin and must not win the vote.
    from linkage.demo_data.generate import generate
    from linkage.demo_data.shift import Shift

    generate(tmp_path / "demo", 400, seed=11, shift=Shift(event_place=0.7))
    inbox = tmp_path / "demo" / "inbox"
    inbox.mkdir()
    for path in (tmp_path / "demo").glob("night1_*"):
        path.rename(inbox / path.name)
    db = tmp_path / "laolink.duckdb"
    run_nightly(NightlyConfig(inbox=inbox, db=db, model=demo_model(), threads=1))
    truth = tmp_path / "demo" / "truth.csv"
    expected = reference(db, truth)
    report = _stats("--db", str(db), "--exact", "--truth", str(truth), "--by", "province")
    shown = {row["province"]: row["persons"] for row in report["tables"][0]["rows"]}
    assert shown == Counter(p["province"] or "not recorded" for p in expected)
    con = duckdb.connect(str(current_snapshot(store_paths(db))), read_only=True)
    marked = con.execute("SELECT count(*) FROM records WHERE province_is_event AND province_code IS NOT NULL")
    assert marked.fetchone()[0] > 50
    con.close()
