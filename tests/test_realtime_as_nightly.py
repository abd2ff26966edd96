"""Real-time matching reads a record as the nightly read it: the rules the nightly applies after parsing (a
province from its district, a source's placeholder birth dates, event places), and values it cannot read left empty.
Each test compares the real-time answer with the nightly's own on a small real store."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from snapshot_builder import build_snapshot, fixed_model

from linkage.errors import FieldError
from linkage.fields.province_fill import fill_province, province_fill_sql
from linkage.fields.standardize_one import SourceRules, read_record, standardize_record
from linkage.model.blocking_sql import model_blocking_rules
from linkage.model.realtime_match import (
    RECORD_KEY,
    SNAPSHOT_RID,
    SNAPSHOT_VALUES,
    RealtimeScorer,
    build_scorer,
    snapshot_model,
)
from linkage.sources.exchange_format import EXCHANGE_COLUMNS
from linkage.store import STANDARDIZED_COLUMNS
from tests.mapping_samples import write_csv_mapping

pytest.importorskip("linkage.fields.name_parse")
STD = [c for c in STANDARDIZED_COLUMNS if c != "std_version"]


def stored_records(con: duckdb.DuckDBPyConnection) -> list[tuple[int, dict, dict]]:
    """(rid, exchange-format fields, standardized columns) of every record, as the nightly stored them."""
    cur = con.execute(f"SELECT rid, {', '.join(EXCHANGE_COLUMNS)}, {', '.join(STD)} FROM records ORDER BY rid")
    n = len(EXCHANGE_COLUMNS)
    return [(row[0], dict(zip(EXCHANGE_COLUMNS, row[1:1 + n], strict=True)),
             dict(zip(STD, row[1 + n:], strict=True))) for row in cur.fetchall()]


def model_row(scorer: RealtimeScorer, standardized: dict) -> dict:
    """The model input row of a record read in real time, as the batch scoring it builds it (``SNAPSHOT_RID``: the
    snapshot's record of its source and record_id)."""
    cur = scorer.mirror.cursor()
    try:
        return scorer.model_inputs(cur, [standardized])[0][0]
    finally:
        cur.close()


PLACES = [  # (province, district): one written, both, one of them ambiguous
    (None, "Pathoumphone"), (None, "Salavan"), ("Vientiane", "Xaysettha"), ("Vientiane", None),
    ("Vientiane", "Phonthong"), (None, "Phonthong"), (None, "Xaysetha"), ("Savannakhet", None), (None, None),
]


def test_a_missing_or_ambiguous_province_comes_from_a_district_that_exists_once(tmp_path):
    raw = [{"source": "S", "record_id": str(i), "full_name": "Bouasy Thammasack", "province": p, "district": d,
            "age": "17" if i % 2 else None} for i, (p, d) in enumerate(PLACES)]
    con = duckdb.connect(str(build_snapshot(tmp_path / "laolink.duckdb", raw, standardize=True)), read_only=True)
    try:
        records = stored_records(con)
    finally:
        con.close()
    filled = [std["province_code"] for _, r, std in records if r["province"] is None and std["district_code"]]
    assert filled == ["LA-CH", "LA-SL"]  # the case the rule is for, present in the store
    for _, record, std in records:
        assert read_record(record)[0] == std, record


def test_the_province_rule_in_sql_and_python_agree():
    cases = [(None, None), ("LA-SV", None), (None, "LA-VT-03"), ("LA-VI", "LA-VT-03")]
    sql = province_fill_sql("p", "d")
    by_sql = [duckdb.sql(f"SELECT {sql} FROM (SELECT ?::VARCHAR AS p, ?::VARCHAR AS d)", params=c).fetchall()[0][0]
              for c in cases]
    assert by_sql == [fill_province(*c) for c in cases] == [None, "LA-SV", "LA-VT", "LA-VI"]


def test_values_the_nightly_cannot_read_are_left_empty_and_named():
    std, issues = read_record({"full_name": "Bouasy", "province": "Vientiane", "district": "Phonthong",
                               "age": "about 1", "date_of_birth": "31/02/2001", "case_type": "robbery"})
    assert {i.field for i in issues} == {"province", "district", "age", "date_of_birth", "case_type"}
    assert std["province_code"] is std["district_code"] is std["dob_year"] is std["case_type_code"] is None
    assert std["given_key"] is not None
    with pytest.raises(FieldError) as err:  # the strict reading still names the first field
        standardize_record({"province": "Vientiane", "district": "Phonthong"})
    assert err.value.field == "province"


# ---------------------------------------------------------------- per-source rules, through real mapped files

COLUMNS = {"record_id": "ID", "full_name": "Name", "sex": "Sex", "date_of_birth": "DOB", "province": "Province",
           "district": "District"}
PEOPLE = [("Bouasy Thammasack", "F"), ("Khamla Sisavath", "F"), ("Noy Phommachanh", "M"), ("Somphone Keo", "M"),
          ("Vanh Douangmala", "F"), ("Phet Sayavong", "M")]


def _file(inbox: Path, name: str, rows: list[tuple[str, str, str, str, str]]) -> Path:
    path = inbox / f"{name}.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(list(COLUMNS.values()))
        writer.writerows([f"{name}-{i}", *row] for i, row in enumerate(rows))
    return path


# A person's own records learned per count of records sharing a name (linkage.model.own_by_count): the names of
# PEOPLE are on 3 or 4 records.
LEARNED_OWN = {"laolink": {"own_records_by_count": {"name_key": {"3": 2.9, "4": 3.75}}}}


@pytest.fixture(scope="module", params=["mean own records", "learned own records"])
def mapped_snapshot(tmp_path_factory, request):
    """A store of three sources, one writing 01/01 for 'year only' (auto), one an event-place source, one plain;
    standardized, scored with the LaoLink model (fixed m/u: ``snapshot_builder.fixed_model``, with or without own
    records learned per count) and published; yields the snapshot connection."""
    from linkage.fields.standardize import standardize
    from linkage.model.prediction import predict
    from linkage.model.training import model_version
    from linkage.paths import store_paths
    from linkage.publishing.publish import publish_snapshot
    from linkage.sources.ingest import ingest_files
    from linkage.store import connect

    root = tmp_path_factory.mktemp("rt-rules")
    maps, inbox = root / "mappings", root / "inbox"
    maps.mkdir()
    inbox.mkdir()
    write_csv_mapping(maps, "home", "PROV-HOME", COLUMNS)
    write_csv_mapping(maps, "habit", "PROV-HABIT", COLUMNS)  # auto: most of its births on 1 January
    write_csv_mapping(maps, "repat", "TH-EVENT", COLUMNS, "province_is: event_place")
    years = [1990 + i for i in range(len(PEOPLE))]
    home = [(n, s, (dt.date(y, 1, 1) + dt.timedelta(days=40 + 50 * i)).strftime("%d/%m/%Y"), "Savannakhet",
             "Kaysone Phomvihane") for i, ((n, s), y) in enumerate(zip(PEOPLE, years, strict=True))]
    habit = [(n, s, f"01/01/{y}", "Savannakhet", "") for (n, s), y in zip(PEOPLE, years, strict=True)]
    habit += [(f"Person {i}", "F", f"01/01/{1970 + i}", "Salavan", "") for i in range(12)]
    event = [(n, s, dob, "Champasak", "") for n, s, dob, *_ in home]  # the checkpoint's province
    event += [(PEOPLE[0][0], "F", home[0][2], "Champasak", "Pathoumphone")]  # with a district: the home address
    files = [_file(inbox, "home", home), _file(inbox, "habit", habit), _file(inbox, "repat", event)]
    db, model = root / "laolink.duckdb", root / "model.json"
    learned = LEARNED_OWN if request.param == "learned own records" else {}
    model.write_text(json.dumps(fixed_model() | learned), encoding="utf-8")
    con = connect(db)
    try:
        ingest_files(con, files, mappings_dir=maps)
        standardize(con)
        version = model_version(model)
        con.execute("INSERT INTO runs (run_id, status, model_version, report, finished_at) "
                    "VALUES (1, 'ok', ?, '{}', current_timestamp)", [version])
        con.execute("INSERT INTO models VALUES (?, ?, ?, 1)", [version, str(model), model.read_text(encoding="utf-8")])
        predict(con, model, run_id=1)
        con.execute("CHECKPOINT")
        path = publish_snapshot(con, store_paths(db), 1)
    finally:
        con.close()
    snap = duckdb.connect(str(path), read_only=True)
    yield snap
    snap.close()


def test_a_source_rule_is_applied_as_the_nightly_applied_it(mapped_snapshot):
    """Each stored record sent again standardizes to the nightly's columns, its source's rules included."""
    version, settings = snapshot_model(mapped_snapshot)
    scorer = build_scorer(mapped_snapshot, version, settings, model_blocking_rules(settings))
    records = stored_records(mapped_snapshot)
    marks = {(r["source"], std["dob_placeholder"], std["province_is_event"]) for _, r, std in records}
    assert ("PROV-HABIT", "01-01", False) in marks and ("TH-EVENT", None, True) in marks  # the rules took effect
    assert ("TH-EVENT", None, False) in marks  # a district: the home address
    for rid, record, std in records:
        real_time, issues = scorer.read_record(record)
        assert model_row(scorer, real_time)[SNAPSHOT_RID] == rid  # the snapshot's own record: its values counted
        assert real_time.pop(RECORD_KEY) == (record["source"], record["record_id"])
        assert (real_time, issues) == (std, []), record


def test_stored_pairs_score_in_real_time_as_the_nightly_scored_them(mapped_snapshot):
    version, settings = snapshot_model(mapped_snapshot)
    scorer = build_scorer(mapped_snapshot, version, settings, model_blocking_rules(settings))
    raw = {rid: record for rid, record, _ in stored_records(mapped_snapshot)}
    pairs = mapped_snapshot.execute("SELECT rid_l, rid_r, match_probability FROM predictions").fetchall()
    sources = {frozenset((raw[a]["source"], raw[b]["source"])) for a, b, _ in pairs}
    assert {frozenset(("PROV-HOME", "PROV-HABIT")), frozenset(("PROV-HOME", "TH-EVENT"))} <= sources
    cur = scorer.mirror.cursor()
    for rid_l, rid_r, probability in pairs:
        for query, candidate in ((rid_l, rid_r), (rid_r, rid_l)):
            rows, _ = scorer.model_inputs(cur, [scorer.read_record(raw[query])[0]])
            scored = scorer.score_rows([(rows[0], [candidate])])[0][0]
            assert scored["match_probability"] == pytest.approx(probability, abs=1e-12), json.dumps(
                [raw[query], raw[candidate]], default=str)
    if "laolink" in settings:  # what was learned is what both read: without it, some pair scores otherwise
        mean = build_scorer(mapped_snapshot, version, {k: v for k, v in settings.items() if k != "laolink"},
                            model_blocking_rules(settings))
        mean_cur = mean.mirror.cursor()
        differ = 0
        for rid_l, rid_r, probability in pairs:
            rows, _ = mean.model_inputs(mean_cur, [mean.read_record(raw[rid_l])[0]])
            differ += abs(mean.score_rows([(rows[0], [rid_r])])[0][0]["match_probability"] - probability) > 1e-6
        assert differ > 0


# ---------------------------------------------------------------- records posted with persist=true


def _nightly_rules(db: Path, model: Path, inbox: Path, maps: Path) -> tuple[dict, list[tuple[int, dict, dict]], list]:
    """Run a night; the served snapshot's source rules, its stored records, and each record read in real time (with
    the rid of the snapshot's record its batch finds it is)."""
    from linkage.fields.standardize_one import source_rules
    from linkage.nightly import NightlyConfig, run_nightly
    from linkage.paths import store_paths
    from linkage.publishing.publish import current_snapshot

    assert run_nightly(NightlyConfig(inbox=inbox, db=db, model=model, mappings=maps)).status == "ok"
    snap = duckdb.connect(str(current_snapshot(store_paths(db))), read_only=True)
    try:
        version, settings = snapshot_model(snap)
        scorer = build_scorer(snap, version, settings, model_blocking_rules(settings))
        records = stored_records(snap)
        read = [scorer.read_record(r) for _, r, _ in records]
        return source_rules(snap), records, [(*r, model_row(scorer, r[0]).get(SNAPSHOT_RID)) for r in read]
    finally:
        snap.close()


def test_a_record_posted_with_persist_is_stored_by_its_sources_rules_and_changes_none(tmp_path):
    """A Thai list (Buddhist-era years, event places, 01/07 for 'year only'): a record of it posted with persist is
    stored by the next night as a record of that list (15/08/45 is 2002, its province the checkpoint's), not as a
    file of its own that the source's rules then come from; real time reads the source as before, as the nightly."""
    from linkage.paths import store_paths
    from linkage.service.pending_records import add_pending_record
    from linkage.service.service_db import connect_service

    maps, inbox, empty = tmp_path / "mappings", tmp_path / "inbox", tmp_path / "empty"
    for folder in (maps, inbox, empty):
        folder.mkdir()
    write_csv_mapping(maps, "home", "PROV-HOME", COLUMNS)
    write_csv_mapping(maps, "repat", "TH-EVENT", COLUMNS,
                      "province_is: event_place\nbuddhist_era: true\nplaceholder_birth_dates: [01/07]")
    home = [(n, s, f"{10 + i}/0{1 + i}/{1990 + i}", "Savannakhet", "Kaysone Phomvihane")
            for i, (n, s) in enumerate(PEOPLE)]
    event = [(n, s, f"{10 + i}/0{1 + i}/{2533 + i}", "Champasak", "") for i, (n, s) in enumerate(PEOPLE)]
    _file(inbox, "home", home)
    _file(inbox, "repat", [*event, ("Keo Manivong", "M", "01/07/2535", "Champasak", "")])
    db, model = tmp_path / "laolink.duckdb", tmp_path / "model.json"
    model.write_text(json.dumps(fixed_model()), encoding="utf-8")
    before, _, _ = _nightly_rules(db, model, inbox, maps)
    assert before["TH-EVENT"] == SourceRules(("07-01",), True, "be")

    posted = {"record_id": "API-1", "source": "TH-EVENT", "full_name": "Bouasy Thammasack", "sex": "F",
              "date_of_birth": "15/08/45", "province": "Champasak"}
    service = connect_service(store_paths(db).service_db)
    try:
        add_pending_record(service, posted, "key:test")
        add_pending_record(service, {**posted, "record_id": "API-2", "date_of_birth": "01/07/2540"}, "key:test")
        add_pending_record(service, {**posted, "record_id": "API-3", "source": "PROV-HOME"}, "key:test")
    finally:
        service.close()
    after, records, real_time = _nightly_rules(db, model, empty, maps)
    assert after == before
    stored = {r["record_id"]: std for _, r, std in records}
    assert (stored["API-1"]["dob"], stored["API-1"]["province_is_event"]) == (dt.date(2002, 8, 15), True)
    assert (stored["API-2"]["dob_placeholder"], stored["API-2"]["dob_year"]) == ("07-01", 1997)
    assert (stored["API-3"]["dob"], stored["API-3"]["province_is_event"]) == (dt.date(1945, 8, 15), False)
    for (rid, record, std), (read, issues, held) in zip(records, real_time, strict=True):
        assert held == rid
        assert read.pop(RECORD_KEY) == (record["source"], record["record_id"])
        assert (read, issues) == (std, []), record


def test_records_posted_before_the_upgrade_no_longer_decide_their_sources_rules(tmp_path):
    """A store whose night read a posted record as a file of the exchange mapping: that file is the API's once
    migrated, and the source is read by its own list again."""
    from linkage.fields.standardize_one import source_rules
    from linkage.store import migrate
    from tests.store_builders import store_at_migration

    con = store_at_migration(tmp_path / "store.duckdb", 18)
    try:
        con.execute("INSERT INTO ingested_files (file_id, path, sha256, mapping, placeholder_birth_dates, province_is,"
                    " date_era) VALUES (1, '/srv/inbox/night1_repat.csv', 'a', 'repat', '07-01', 'event_place', 'be'),"
                    " (2, '/srv/laolink.work/pending/pending-run-000002-1-1.csv', 'b', 'exchange', 'auto', 'home',"
                    " 'auto'), (3, '/srv/inbox/exchange.csv', 'c', 'exchange', 'auto', 'home', 'auto')")
        con.execute("INSERT INTO records (source, record_id, row_hash, file_id, line_no) VALUES"
                    " ('TH-EVENT', 'R-1', 'h', 1, 2), ('TH-EVENT', 'API-1', 'h', 2, 2), ('S', 'E-1', 'h', 3, 2)")
        migrate(con)
        assert con.execute("SELECT mapping FROM ingested_files ORDER BY file_id").fetchall() == [
            ("repat",), ("(api)",), ("exchange",)]
        assert source_rules(con)["TH-EVENT"] == SourceRules(("07-01",), True, "be")
    finally:
        con.close()


HOME = [(n, s, f"{10 + i}/0{1 + i}/{1990 + i}", "Savannakhet", "Kaysone Phomvihane") for i, (n, s) in enumerate(PEOPLE)]
SISOUKS = [(f"Person {i} Sisouk", "F", f"01/02/{1960 + i}", "Salavan", "") for i in range(30)]


def _home_nights(tmp_path: Path, home: list[tuple]) -> tuple[Path, Callable[[], duckdb.DuckDBPyConnection]]:
    """An inbox holding ``home`` as source PROV-HOME's file, and a function that runs a night on the inbox (the LaoLink
    model with fixed m/u) and opens the snapshot it published."""
    from linkage.nightly import NightlyConfig, run_nightly
    from linkage.paths import store_paths
    from linkage.publishing.publish import current_snapshot

    maps, inbox = tmp_path / "mappings", tmp_path / "inbox"
    maps.mkdir()
    inbox.mkdir()
    write_csv_mapping(maps, "home", "PROV-HOME", COLUMNS)
    _file(inbox, "home", home)
    db, model = tmp_path / "laolink.duckdb", tmp_path / "model.json"
    model.write_text(json.dumps(fixed_model()), encoding="utf-8")

    def night() -> duckdb.DuckDBPyConnection:
        assert run_nightly(NightlyConfig(inbox=inbox, db=db, model=model, mappings=maps)).status == "ok"
        return duckdb.connect(str(current_snapshot(store_paths(db))), read_only=True)

    return inbox, night


def _stored_weights(snap: duckdb.DuckDBPyConnection, record_id: str) -> dict[str, float]:
    """The stored pairs of the record ``record_id``: the other record's record_id -> the pair's match weight."""
    return dict(snap.execute(
        "SELECT o.record_id, p.match_weight FROM predictions p JOIN records n ON n.rid IN (p.rid_l, p.rid_r) "
        "JOIN records o ON o.rid IN (p.rid_l, p.rid_r) AND o.rid <> n.rid WHERE n.record_id = ?", [record_id]
    ).fetchall())


def test_a_record_the_store_does_not_hold_scores_as_the_next_night_stores_it(tmp_path):
    """/match counted the term frequencies of a new record's values over the snapshot without it, while the next
    night counts it (a name of one stored record weighed 3.96 bits more in /match than the night stored, 5,669
    records); a record the snapshot holds is counted once, as it stands."""
    home = [*HOME, *SISOUKS]
    inbox, night = _home_nights(tmp_path, home)
    snap = night()
    try:
        version, settings = snapshot_model(snap)
        scorer = build_scorer(snap, version, settings, model_blocking_rules(settings))
        new = {"source": "PROV-HOME", "record_id": "home_2-0", "full_name": PEOPLE[0][0], "sex": "F",
               "date_of_birth": home[0][2], "province": "Savannakhet", "district": "Kaysone Phomvihane"}
        query, _ = scorer.read_record(new)
        assert SNAPSHOT_RID not in model_row(scorer, query)
        real_time = {row["record_id"]: row["match_weight"] for row in scorer.match_rows([query])[0]}
        held, _ = scorer.read_record({**new, "record_id": "home-0"})  # the stored record sent again
        assert model_row(scorer, held)[SNAPSHOT_RID] is not None
        assert scorer.match_rows([held])[0] != scorer.match_rows([query])[0]
    finally:
        snap.close()
    _file(inbox, "home_2", [home[0]])
    snap = night()
    try:
        stored = _stored_weights(snap, "home_2-0")
    finally:
        snap.close()
    assert "home-0" in stored and set(stored) <= set(real_time)
    for record_id, weight in stored.items():  # the person term frequency's own records: N - 1 then N
        assert real_time[record_id] == pytest.approx(weight, abs=0.01), record_id


def test_a_stored_record_sent_with_another_name_scores_as_the_next_night_stores_it(tmp_path):
    """A record the snapshot holds, sent again with another name, was held as a whole: its new name weighed as if the
    snapshot counted it already (k / T), where the next night counts it, the record's old name giving way ((k + 1 -
    own) / T). Per column now: a value the stored record carries is counted once, another as the night counts it."""
    home = [*HOME, *[(PEOPLE[1][0], "F", HOME[1][2], "Salavan", "")] * 3, *SISOUKS]  # home-1's name and birth date
    inbox, night = _home_nights(tmp_path, home)
    renamed = (PEOPLE[1][0], "F", HOME[1][2], *HOME[0][3:])  # home-0 sent again with home-1's name and birth date
    snap = night()
    try:
        version, settings = snapshot_model(snap)
        scorer = build_scorer(snap, version, settings, model_blocking_rules(settings))
        query, _ = scorer.read_record({"source": "PROV-HOME", "record_id": "home-0",
                                       **dict(zip(list(COLUMNS)[1:], renamed, strict=True))})
        row = model_row(scorer, query)
        assert row[SNAPSHOT_RID] is not None  # the stored record, another name
        assert row[SNAPSHOT_VALUES]["name_key"] != row["name_key"]
        real_time = {r["record_id"]: r["match_weight"] for r in scorer.match_rows([query])[0]}
    finally:
        snap.close()
    _file(inbox, "home", [renamed, *home[1:]])
    snap = night()
    try:
        stored = _stored_weights(snap, "home-0")
    finally:
        snap.close()
    assert {"home-1", "home-6"} <= set(stored) and set(stored) <= set(real_time)
    for record_id, weight in stored.items():
        assert real_time[record_id] == pytest.approx(weight, abs=1e-9), record_id
