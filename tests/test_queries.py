"""The API's query functions on hand-built published snapshots."""

from __future__ import annotations

import duckdb
import pytest
from snapshot_builder import build_snapshot, gamma_of

from api.queries.persons import get_person, resolve_person
from api.queries.review import province_filter, queue_items_after, review_pair, review_queue, rid_of, top_levels
from api.queries.runs import get_run, list_runs
from api.queries.search import parse_search, search_persons
from linkage.errors import FieldError
from linkage.service.decisions import record_decision
from linkage.service.service_db import connect_service

NAME_KEYS_EQUAL = gamma_of("name", "Lao name key equal (given and family)")
YEAR_ONE_SIDE = gamma_of("birth", "same birth year (one side year only)")
SAME_PHONE = gamma_of("phone", "same phone")


def rec(source, record_id, **kw):
    base = {"source": source, "record_id": record_id, "role": "victim"}
    base.update(kw)
    return base


BOUASY = dict(full_name="Bouasy Thammasack", given_key="BUASI", family_key="THAMASAK",
              full_name_std="bouasy thammasack", dob_year=2001, dob="2001-07-04", province_code="SV",
              phone_e164="+8562055550101", date_of_birth="04/07/2001", phone="020 5555 0101")
KHAM = dict(full_name="Khamla Sisavath", given_key="KAMLA", family_key="SISAVAT", full_name_std="khamla sisavath",
            dob_year=1995, province_code="VT", phone_e164="+8562055559999")

RECORDS = [
    rec("MOLSW-DSW", "A1", **BOUASY),
    rec("MOPS-AHTD", "B1", **{**BOUASY, "full_name": "ບົວສີ ທຳມະສັກ", "phone_e164": None}),
    rec("TH-REPAT", "C1", role="suspect", **KHAM),
    rec("PROV-SVK", "D1", **{**KHAM, "province_code": "SV", "dob_year": 1996}),
    rec("PROV-SVK", "E1", given_key="NOI", family_key="PHOMMA", full_name_std="noy phomma", province_code="SV"),
]
PERSONS = [
    {"person_id": "LA-P-0000001", "n_records": 2},
    {"person_id": "LA-P-0000002", "status": "alias", "alias_of": "LA-P-0000003"},
    {"person_id": "LA-P-0000003", "status": "alias", "alias_of": "LA-P-0000001"},
    {"person_id": "LA-P-0000004", "status": "retired"},
    {"person_id": "LA-P-0000005", "n_records": 1},
    {"person_id": "LA-P-0000006", "n_records": 1},
    {"person_id": "LA-P-0000007", "n_records": 1},
    {"person_id": "LA-P-0000008", "status": "alias", "alias_of": "LA-P-0000009"},
    {"person_id": "LA-P-0000009", "status": "alias", "alias_of": "LA-P-0000008"},
]
RECORD_PERSON = {
    ("MOLSW-DSW", "A1"): "LA-P-0000001",
    ("MOPS-AHTD", "B1"): "LA-P-0000001",
    ("TH-REPAT", "C1"): "LA-P-0000005",
    ("PROV-SVK", "D1"): "LA-P-0000006",
    ("PROV-SVK", "E1"): "LA-P-0000007",
}
HISTORY = [
    {"person_id": "LA-P-0000003", "event": "merged-into", "other_person_id": "LA-P-0000001", "n_records": 1},
    {"person_id": "LA-P-0000005", "event": "split-from", "other_person_id": "LA-P-0000004", "n_records": 1},
    {"person_id": "LA-P-0000006", "event": "split-from", "other_person_id": "LA-P-0000004", "n_records": 1},
]
PAIR_AB = {"l": ("MOLSW-DSW", "A1"), "r": ("MOPS-AHTD", "B1"), "match_probability": 0.97, "match_weight": 5.0,
           "gamma": {"name": NAME_KEYS_EQUAL, "birth": YEAR_ONE_SIDE, "phone": -1},
           "mw": {"name": 3.5, "birth": 2.0, "phone": 0.0}}
PAIR_CD = {"l": ("TH-REPAT", "C1"), "r": ("PROV-SVK", "D1"), "match_probability": 0.55, "match_weight": 0.3,
           "gamma": {"name": NAME_KEYS_EQUAL, "birth": 4, "place": 0},
           "mw": {"name": 3.5, "birth": 0.5, "place": -3.0}}
QUEUE = [
    {"l": ("TH-REPAT", "C1"), "r": ("PROV-SVK", "D1"), "priority": 0.9, "match_probability": 0.55},
    {"l": ("MOLSW-DSW", "A1"), "r": ("MOPS-AHTD", "B1"), "priority": 0.2, "match_probability": 0.97},
    {"kind": "cluster", "person_id": "LA-P-0000007", "priority": 0.5, "reason": "decision-conflict"},
]
RUNS = [
    {"run_id": 1, "status": "failed", "report": {"error": "boom"}},
    {"run_id": 2, "report": {"pairs_scored": 10}},
]


@pytest.fixture(scope="module")
def snap(tmp_path_factory):
    db = tmp_path_factory.mktemp("snap") / "laolink.duckdb"
    path = build_snapshot(
        db, RECORDS, persons=PERSONS, record_person=RECORD_PERSON, id_history=HISTORY,
        review_queue=QUEUE, predictions=[PAIR_AB, PAIR_CD], runs=RUNS, run_id=2,
    )
    con = duckdb.connect(str(path), read_only=True)
    yield con
    con.close()


def test_active_person_has_records_links_and_history(snap):
    p = get_person(snap, "LA-P-0000001")
    assert p["status"] == "active" and p["resolved_to"] == "LA-P-0000001"
    assert [(r["source"], r["record_id"]) for r in p["records"]] == [("MOLSW-DSW", "A1"), ("MOPS-AHTD", "B1")]
    assert p["records"][1]["full_name"] == "ບົວສີ ທຳມະສັກ" and p["records"][0]["given_key"] == "BUASI"
    assert len(p["links"]) == 1
    link = p["links"][0]
    assert link["match_probability"] == pytest.approx(0.97)
    assert {link["record_id_l"], link["record_id_r"]} == {"A1", "B1"}
    assert [h["event"] for h in p["history"]] == ["merged-into"]  # LA-P-0000003 merged into it


def test_alias_chain_resolves_to_the_active_person(snap):
    p = get_person(snap, "LA-P-0000002")
    assert p["status"] == "alias" and p["resolved_to"] == "LA-P-0000001"
    assert p["records"] == [] and p["links"] == []
    assert resolve_person(snap, "LA-P-0000003") == "LA-P-0000001"


def test_alias_cycle_resolves_to_nothing(snap):
    assert resolve_person(snap, "LA-P-0000008") is None
    assert get_person(snap, "LA-P-0000009")["resolved_to"] is None


def test_split_history_lists_where_records_went(snap):
    p = get_person(snap, "LA-P-0000004")
    assert p["status"] == "retired" and p["resolved_to"] is None
    assert sorted(p["successors"]) == ["LA-P-0000005", "LA-P-0000006"]
    assert {h["event"] for h in p["history"]} == {"split-from"}


def test_unknown_person_is_none(snap):
    assert get_person(snap, "LA-P-9999999") is None


def test_queue_is_ordered_by_priority_with_counts(snap):
    q = review_queue(snap)
    assert [it["priority"] for it in q["items"]] == [0.9, 0.5, 0.2]
    assert q["total"] == 3 and q["by_kind"] == {"cluster": 1, "pair": 2}
    assert q["by_source"] == {"MOLSW-DSW": 1, "MOPS-AHTD": 1, "PROV-SVK": 2, "TH-REPAT": 1}  # C1-D1 and E1's cluster
    assert q["items"][0]["record_l"]["record_id"] == "C1" and q["items"][1]["record_l"] is None


@pytest.mark.parametrize(
    ("filters", "expected_priorities"),
    [
        ({"kind": "pair"}, [0.9, 0.2]),
        ({"kind": "cluster"}, [0.5]),
        ({"source": "MOPS-AHTD"}, [0.2]),
        ({"source": "PROV-SVK"}, [0.9, 0.5]),  # the pair C1-D1 and the cluster of E1
        ({"province": "VT"}, [0.9]),
        ({"role": "suspect"}, [0.9]),
        ({"role": "suspect", "kind": "cluster"}, []),
        ({"source": "NOWHERE"}, []),
    ],
)
def test_queue_filters(snap, filters, expected_priorities):
    q = review_queue(snap, **filters)
    assert [it["priority"] for it in q["items"]] == expected_priorities
    assert q["total"] == len(expected_priorities)


@pytest.mark.parametrize(
    ("typed", "code"),
    [("Savannakhet", "LA-SV"), ("ສະຫວັນນະເຂດ", "LA-SV"), ("LA-SV", "LA-SV"), ("", None), (None, None),
     ("Vientiane", "Vientiane"), ("QQ", "QQ"), ("VT", "LA-VT")],  # ambiguous or unknown: kept as typed
)
def test_queue_province_filter_is_read_once_for_routes_and_pages(typed, code):
    assert province_filter(typed) == code


def test_top_levels_are_each_comparisons_highest_gamma(snap):
    (version,) = snap.execute("SELECT any_value(model_version) FROM comparison_levels").fetchall()[0]
    top = top_levels(snap, version)
    assert top["phone"] == SAME_PHONE and top["name"] == NAME_KEYS_EQUAL  # the strongest level is the highest
    assert top_levels(snap, "no such model") == {}


@pytest.mark.parametrize("filters", [{}, {"kind": "pair"}, {"source": "PROV-SVK"}, {"role": "suspect"}])
def test_the_next_items_are_the_queues_items_in_its_order(snap, filters):
    """/queue/next's keyset walk lists what the queue page lists, item for item (reason and records included)."""
    walked: list = []
    while page := queue_items_after(snap, walked[-1]["item_id"] if walked else None, filters, None, limit=2):
        walked += page
    assert walked == review_queue(snap, **filters)["items"]  # before: the walk's items lacked reason and scores


def test_queue_pages(snap):
    first = review_queue(snap, limit=2, offset=0)
    second = review_queue(snap, limit=2, offset=2)
    assert len(first["items"]) == 2 and [it["priority"] for it in second["items"]] == [0.2]
    assert first["total"] == second["total"] == 3


def test_pair_detail_shows_fields_stored_comparison_and_decision(snap, tmp_path):
    svc = connect_service(tmp_path / "svc.sqlite")
    item_id = review_queue(snap, source="MOPS-AHTD")["items"][0]["item_id"]
    pair = review_pair(snap, svc, item_id)
    assert pair["decision"] is None
    assert pair["person_id_l"] == pair["person_id_r"] == "LA-P-0000001"
    by_field = {f["field"]: f for f in pair["fields"]}
    assert by_field["full_name"]["raw_r"] == "ບົວສີ ທຳມະສັກ"
    assert by_field["phone"]["standardized_l"] == {"phone_e164": "+8562055550101"}
    assert by_field["phone"]["standardized_r"] == {"phone_e164": None}
    pred = pair["prediction"]
    assert pred["match_probability"] == pytest.approx(0.97)
    comps = {c["comparison"]: c for c in pred["comparisons"]}
    assert comps["name"]["label"] == "Lao name key equal (given and family)" and comps["name"]["match_weight"] == 3.5
    assert comps["phone"]["gamma"] == -1 and comps["phone"]["label"] == "phone missing"
    assert comps["birth"]["label"] == "same birth year (one side year only)"

    d = record_decision(svc, "MOPS-AHTD", "B1", "MOLSW-DSW", "A1", "positive", "noy", note="same phone")
    pair = review_pair(snap, svc, item_id)
    assert pair["decision"]["decision_id"] == d.decision_id and pair["decision"]["judgement"] == "positive"


def test_cluster_item_is_not_a_pair(snap):
    cluster_item = review_queue(snap, kind="cluster")["items"][0]["item_id"]
    assert review_pair(snap, None, cluster_item) is None
    assert review_pair(snap, None, 424242) is None


def test_rid_of(snap):
    assert rid_of(snap, "MOLSW-DSW", "A1") is not None and rid_of(snap, "MOLSW-DSW", "nope") is None


def test_runs_newest_first_with_reports(snap):
    runs, total = list_runs(snap)
    assert total == 2 and [r["run_id"] for r in runs] == [2, 1]
    assert get_run(snap, 2)["report"] == {"pairs_scored": 10} and get_run(snap, 2)["status"] == "ok"
    assert get_run(snap, 1)["status"] == "failed" and get_run(snap, 3) is None


def test_search_by_phone_in_any_format(snap):
    results, total = search_persons(snap, parse_search(phone="+856 20 5555 0101"))
    assert total == 1 and results[0]["person_id"] == "LA-P-0000001"
    assert results[0]["best_record"]["record_id"] == "A1"


def test_search_needs_a_name_or_phone():
    with pytest.raises(FieldError) as err:
        parse_search(dob="2001")
    assert err.value.field == "name"


def test_search_bad_date_names_the_field():
    pytest.importorskip("linkage.fields.name_key")
    with pytest.raises(FieldError) as err:
        parse_search(name="Bouasy", dob="31/02/2001")
    assert err.value.field == "dob"


@pytest.fixture(scope="module")
def std_snap(tmp_path_factory):
    pytest.importorskip("linkage.fields.name_parse")
    raw = [
        {"source": "MOLSW-DSW", "record_id": "A1", "full_name": "Ms Bouasy Thammasack", "date_of_birth": "04/07/2001",
         "province": "Savannakhet"},
        {"source": "MOPS-AHTD", "record_id": "B1", "full_name": "ບົວສີ ທຳມະສັກ", "date_of_birth": "2001"},
        {"source": "TH-REPAT", "record_id": "C1", "full_name": "นางสาว บัวสี พมมะจัน", "date_of_birth": "1985",
         "province": "Vientiane Capital"},
        {"source": "PROV-SVK", "record_id": "D1", "full_name": "Khamla Sisavath", "date_of_birth": "1999"},
    ]
    db = tmp_path_factory.mktemp("std-snap") / "laolink.duckdb"
    path = build_snapshot(
        db, raw, standardize=True,
        persons=[{"person_id": p} for p in ("LA-P-0000001", "LA-P-0000002", "LA-P-0000003")],
        record_person={("MOLSW-DSW", "A1"): "LA-P-0000001", ("MOPS-AHTD", "B1"): "LA-P-0000001",
                       ("TH-REPAT", "C1"): "LA-P-0000002", ("PROV-SVK", "D1"): "LA-P-0000003"},
    )
    con = duckdb.connect(str(path), read_only=True)
    yield con
    con.close()


@pytest.mark.parametrize("name", ["ບົວສີ ທຳມະສັກ", "Buasi Thammasak", "บัวสี ทำมะสัก", "Thammasack Bouasy"])
def test_search_finds_the_person_in_any_script_or_order(std_snap, name):
    results, total = search_persons(std_snap, parse_search(name=name))
    assert results[0]["person_id"] == "LA-P-0000001" and results[0]["records_matched"] == 2
    assert total == 2  # LA-P-0000002 shares the given name only, ranked below
    assert results[1]["person_id"] == "LA-P-0000002" and results[1]["score"] < results[0]["score"]


def test_search_birth_date_and_province_narrow(std_snap):
    results, _ = search_persons(std_snap, parse_search(name="Bouasy", dob="1985"))
    assert [r["person_id"] for r in results] == ["LA-P-0000002"]
    results, _ = search_persons(std_snap, parse_search(name="Bouasy", province="Vientiane Capital"))
    assert [r["person_id"] for r in results] == ["LA-P-0000002", "LA-P-0000001"]  # B1 has no province
