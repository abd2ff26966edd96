"""The match model end to end on a real DuckDB store with real Splink: train, predict, explain, evaluate."""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from linkage.cli import app
from linkage.errors import LaoLinkError
from linkage.model.blocking import BlockingCapError, check_cap, count_pairs, load_rules
from linkage.model.blocking_sql import sharing_a_key_sql
from linkage.model.evaluation import evaluate
from linkage.model.model_file import store_size_bucket, training_records
from linkage.model.model_input import splink_workspace
from linkage.model.person_tf import learned_own_by_count
from linkage.model.prediction import comparison_names, predict
from linkage.model.training import model_version, train
from linkage.store import connect

STD_COLUMNS = [
    "given_key", "family_key", "full_name_std", "sex_code", "dob", "dob_precision", "dob_year", "dob_month",
    "dob_day", "dob_year_min", "dob_year_max", "nationality_code", "province_code", "district_code", "village_key",
    "phone_e164", "id_number_std",
]  # fmt: skip


def _insert(con, rows: list[dict]) -> None:
    """Store records with standardized columns filled directly (as `laolink standardize` would)."""
    df = pd.DataFrame(rows)
    for col in STD_COLUMNS:
        if col not in df:
            df[col] = None
    con.register("rows_df", df)
    cols = ", ".join(STD_COLUMNS)
    con.execute(
        f"INSERT INTO records (rid, source, record_id, row_hash, file_id, line_no, {cols}, std_version) "
        f"SELECT rid, source, record_id, 'h', 1, rid, {cols}, 1 FROM rows_df"
    )
    con.unregister("rows_df")


def _synthetic_records(n_persons: int, seed: int) -> list[dict]:
    """People seen 1-4 times each with typical faults: key typos, nickname-only, swapped order, partial dates."""
    rnd = random.Random(seed)
    syllables = ["boun", "my", "phet", "souk", "kham", "vong", "sa", "thi", "noy", "la", "keo", "phou", "xay", "mani"]

    def word(n: int) -> str:
        return "".join(rnd.choice(syllables) for _ in range(n))

    def typo(s: str) -> str:
        i = rnd.randrange(len(s))
        return s[:i] + rnd.choice("aeiouknt") + s[i + 1 :]

    givens, families = [word(rnd.choice([1, 2, 2])) for _ in range(150)], [word(3) for _ in range(250)]
    rows, rid = [], 0
    for pid in range(n_persons):
        given, family = rnd.choice(givens), rnd.choice(families)
        born = dt.date(1970, 1, 1) + dt.timedelta(days=rnd.randrange(365 * 35))
        province = f"P{rnd.randrange(18):02d}"
        district, village, sex = f"{province}D{rnd.randrange(6)}", f"ban{rnd.randrange(30)}", rnd.choice("FM")
        phone = f"+856205{rnd.randrange(10**7):07d}"
        id_number = f"{rnd.randrange(10**8):08d}" if rnd.random() < 0.3 else None
        for _ in range(rnd.choice([1, 2, 2, 3, 4])):
            rid += 1
            g, f = (typo(given) if rnd.random() < 0.08 else given), family
            f = None if rnd.random() < 0.05 else f
            if rnd.random() < 0.04 and f:
                g, f = f, g
            r = rnd.random()
            date = dict(dob=born, dob_precision="day", dob_year=born.year, dob_month=born.month, dob_day=born.day)
            if r < 0.2:
                date = dict(dob_precision="year", dob_year=born.year)
            elif r < 0.35:
                event = born.year + rnd.randrange(15, 40)
                date = dict(dob_precision="range", dob_year_min=event - (event - born.year) - 1, dob_year_max=born.year)
            elif r < 0.42:
                date = {}
            rows.append(
                dict(
                    rid=rid, source=rnd.choice(["MOLSW-DSW", "MOPS-AHTD", "TH-REPAT"]), record_id=f"R{rid}",
                    person_id=f"P{pid}", given_key=g, family_key=f, full_name_std=" ".join(x for x in (g, f) if x),
                    sex_code=sex if rnd.random() < 0.95 else None, nationality_code="LAO", province_code=province,
                    district_code=district if rnd.random() < 0.9 else None, village_key=village,
                    phone_e164=phone if rnd.random() < 0.4 else None, **date,
                    id_number_std=id_number if rnd.random() < 0.5 else None,
                )
            )  # fmt: skip
    return rows


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("model")
    db = tmp / "store.duckdb"
    rows = _synthetic_records(700, seed=11)
    con = connect(db)
    _insert(con, rows)
    truth = tmp / "truth.csv"
    pd.DataFrame(rows)[["source", "record_id", "person_id"]].to_csv(truth, index=False)
    model_path = tmp / "models" / "test.json"
    report = train(con, model_path, seed=3, work_dir=tmp / "work")
    predicted = predict(con, model_path, run_id=1, work_dir=tmp / "work")
    yield dict(con=con, db=db, tmp=tmp, model=model_path, train=report, predict=predicted, truth=truth, rows=rows)
    con.close()


def test_training_writes_model_card_and_chart(trained):
    report = trained["train"]
    model = json.loads(trained["model"].read_text())
    assert [c["output_column_name"] for c in model["comparisons"]] == [
        "name", "birth", "sex", "place", "phone", "id_number", "nationality", "event",
    ]  # fmt: skip
    card = report.card_path.read_text()
    assert report.model_version in card and "em_passes" in card and report.chart_path.name in card
    assert report.chart_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert report.model_version == model_version(trained["model"]) and report.model_version.startswith("test-")
    # Equal names say more than chance: the name-key level outweighs the "names different" level.
    name_levels = {lv["label_for_charts"]: lv for lv in model["comparisons"][0]["comparison_levels"]}
    equal, different = name_levels["Lao name key equal (given and family)"], name_levels["names different"]
    bayes_factor = equal["m_probability"] / equal["u_probability"]
    assert bayes_factor > 100 * different["m_probability"] / different["u_probability"]


def test_training_is_deterministic_for_a_seed(trained):
    again = train(trained["con"], trained["tmp"] / "models" / "again.json", seed=3)
    assert json.loads(again.model_path.read_text()) == json.loads(trained["model"].read_text())


def test_training_learns_a_persons_own_records_per_count_of_records_sharing_a_name(trained):
    """linkage.model.own_by_count: kept in the model file, read back by prediction and /match."""
    model = json.loads(trained["model"].read_text())
    learned = learned_own_by_count(model)["name_key"]
    assert len(learned) >= 2 and all(1.0 <= own < max(count, 4.0) for count, own in learned.items()), learned
    assert "own_records_by_count" in trained["train"].parameters["seconds"]
    assert "own records among those sharing name_key" in trained["train"].card_path.read_text()


def test_predictions_are_ordered_and_explained_by_their_stored_columns(trained):
    con = trained["con"]
    model = json.loads(trained["model"].read_text())
    prior = model["probability_two_random_records_match"]
    rows = con.execute("SELECT * FROM predictions").df()
    assert len(rows) == trained["predict"].pairs_stored > 0
    assert (rows.rid_l < rows.rid_r).all()
    assert (rows.model_version == model_version(trained["model"])).all() and (rows.run_id == 1).all()
    assert rows.match_weight.min() >= -5.0
    # The waterfall: prior + each comparison's weight = the pair's match weight.
    mw = rows[[c for c in rows.columns if c.startswith("mw_")]].sum(axis=1)
    assert ((math.log2(prior / (1 - prior)) + mw - rows.match_weight).abs() < 1e-6).all()
    # Every level reached has a human label.
    unlabelled = con.execute(
        """
        SELECT count(*) FROM (UNPIVOT (SELECT model_version, gamma_name, gamma_birth, gamma_sex, gamma_place,
                                              gamma_phone, gamma_id_number, gamma_nationality FROM predictions)
                              ON COLUMNS('gamma_.*') INTO NAME comparison VALUE gamma) p
        ANTI JOIN comparison_levels c
          ON c.model_version = p.model_version AND 'gamma_' || c.comparison = p.comparison AND c.gamma = p.gamma
        """
    ).fetchall()[0][0]
    assert unlabelled == 0


def _levels_of(con, version: str, rid_l: int, rid_r: int) -> dict[str, str]:
    row = con.execute("SELECT * FROM predictions WHERE rid_l = ? AND rid_r = ?", [rid_l, rid_r]).df()
    assert len(row) == 1, f"pair {rid_l},{rid_r} was not stored"
    labels = dict(
        ((c, g), lab)
        for c, g, lab in con.execute(
            "SELECT comparison, gamma, label FROM comparison_levels WHERE model_version = ?", [version]
        ).fetchall()
    )
    return {c[6:]: labels[(c[6:], int(row[c].iloc[0]))] for c in row.columns if c.startswith("gamma_")}


# Pairs as they reach us, and the level each comparison must report.
LEVEL_CASES = [
    (
        dict(given_key="bounmy", family_key="sisavath", dob=dt.date(1990, 3, 4), dob_year=1990, dob_month=3, dob_day=4),
        dict(given_key="sisavath", family_key="bounmy", dob=dt.date(1990, 4, 3), dob_year=1990, dob_month=4, dob_day=3),
        {"name": "Lao name key equal with given and family swapped",
         "birth": "same birth date with day and month transposed"},
    ),
    (
        dict(given_key="noy", family_key="keola", dob_year=1985),
        dict(given_key="noy", family_key=None, dob=dt.date(1985, 7, 1), dob_year=1985, dob_month=7, dob_day=1),
        {"name": "given name key equal, family name missing on one side (nickname)",
         "birth": "same birth year (one side year only)"},
    ),
    (
        dict(given_key="phet", family_key="vongsa", dob_year_min=1994, dob_year_max=1995, phone_e164="+8562055512345"),
        dict(given_key="phet", family_key="vongsa", phone_e164="+8562055512345"),
        {"name": "Lao name key equal (given and family)", "birth": "birth date missing", "phone": "same phone"},
    ),
    (
        dict(given_key="kham", family_key="douangdy", dob_year_min=1994, dob_year_max=1995, id_number_std="A1234567"),
        dict(given_key="kham", family_key="douangdy", dob_year=1995, id_number_std="A1234576"),
        {"birth": "birth-year ranges overlap (age or partial date)", "id_number": "ID number one typo apart"},
    ),
]  # fmt: skip


def test_predict_shifts_every_weight_by_the_scaled_prior(trained, tmp_path):
    """Claiming the model saw only 100 records: the 700-record store's weights fall by the prior's log-odds."""
    con = trained["con"]
    model = json.loads(trained["model"].read_text())
    assert training_records(model) == len(trained["rows"])
    measured = model["probability_two_random_records_match"]
    model["laolink"] = {"training_records": 100}
    small = tmp_path / "trained-on-100.json"
    small.write_text(json.dumps(model))
    # The prior's part of a pair's weight (the total less every comparison's weight): person term frequencies
    # (linkage.model.person_tf) depend on the prior too, so a name's own weight may move with it as well.
    mw_sum = " + ".join(f"coalesce(mw_{c}, 0)" for c in comparison_names(model))
    prior_part = f"SELECT (rid_l, rid_r), match_weight - ({mw_sum}) FROM predictions"
    before = dict(con.execute(prior_part).fetchall())
    report = predict(con, small, run_id=9, threshold_match_weight=-1000)
    assert report.prior == pytest.approx(measured * 99 / (store_size_bucket(report.records) - 1))
    after = dict(con.execute(prior_part).fetchall())
    shift = math.log2(report.prior / (1 - report.prior)) - math.log2(measured / (1 - measured))
    assert shift < -2
    common = before.keys() & after.keys()
    assert len(common) == len(before) > 0
    assert all(abs(after[k] - before[k] - shift) < 1e-6 for k in common)
    predict(con, trained["model"], run_id=1)  # the fixture's predictions again, for the other tests


@pytest.mark.parametrize("left,right,expected", LEVEL_CASES)
def test_comparison_levels_of_real_cases(trained, tmp_path, left, right, expected):
    con = connect(tmp_path / "pair.duckdb")
    base = dict(source="S", sex_code="F", province_code="P01", district_code="P01D1", nationality_code="LAO")
    _insert(con, [base | {"rid": 1, "record_id": "a"} | left, base | {"rid": 2, "record_id": "b"} | right])
    predict(con, trained["model"], threshold_match_weight=-1000)
    levels = _levels_of(con, model_version(trained["model"]), 1, 2)
    for comparison, label in expected.items():
        assert levels[comparison] == label
    con.close()


def test_evaluation_on_the_synthetic_truth(trained):
    report = evaluate(trained["con"], truth_path=trained["truth"], threshold=0.9, out_dir=trained["tmp"] / "eval")
    assert report["truth_records"] == len(trained["rows"])
    assert report["pairwise"]["f1"] > 0.85
    assert report["clusters"]["pairwise_f1"] > 0.85
    assert 0.85 < report["clusters"]["bcubed_precision"] <= 1 and 0.85 < report["clusters"]["bcubed_recall"] <= 1
    assert report["pairwise"]["best_threshold"]["f1"] >= report["pairwise"]["f1"]
    for path in report["charts"]:
        assert Path(path).stat().st_size > 1000
    assert {Path(p).name for p in report["charts"]} == {
        "precision_recall.png", "precision_recall.html", "match_weight_histogram.png", "match_weight_histogram.html",
    }  # fmt: skip


def test_evaluation_rejects_a_truth_file_without_person_ids(trained, tmp_path):
    bad = tmp_path / "truth.csv"
    bad.write_text("source,record_id\nS,1\n")
    with pytest.raises(LaoLinkError, match="person_id"):
        evaluate(trained["con"], truth_path=bad)


@pytest.mark.parametrize(("kind", "partners_max_share"), [("TEMP TABLE", 1.0), ("TABLE", 1.0), ("TABLE", 0.0)])
def test_incremental_predict_rescores_only_pairs_with_new_records(trained, tmp_path, kind, partners_max_share,
                                                                   monkeypatch):
    """Blocked over the new records and their partners, or over every record (a night with many new records):
    the same pairs as a full run."""
    from linkage.model import prediction

    monkeypatch.setattr(prediction, "PARTNERS_MAX_NEW_SHARE", partners_max_share)
    db = tmp_path / "inc.duckdb"
    rows = [r for r in trained["rows"] if r["rid"] <= 600]
    con = connect(db)
    _insert(con, [r for r in rows if r["rid"] <= 500])
    predict(con, trained["model"], run_id=1)
    before = con.execute("SELECT * FROM predictions ORDER BY rid_l, rid_r").df()
    _insert(con, [r for r in rows if r["rid"] > 500])
    # a NULL among the rids names no record (and must not make every other record's flag unknown)
    con.execute(f"CREATE {kind} new_rids AS SELECT rid FROM records WHERE rid > 500 UNION ALL SELECT NULL::BIGINT")
    report = predict(con, trained["model"], only_rids_table="new_rids", run_id=2)
    assert report.new_records == 100
    incremental = con.execute("SELECT * FROM predictions ORDER BY rid_l, rid_r").df()
    old_pairs = incremental[incremental.run_id == 1].reset_index(drop=True)
    pd.testing.assert_frame_equal(old_pairs, before.reset_index(drop=True))
    assert (incremental[incremental.run_id == 2].rid_r > 500).all()
    # The new pairs are exactly those a full run finds for the new records, with the same scores.
    predict(con, trained["model"], run_id=3)
    full = con.execute("SELECT * FROM predictions WHERE rid_r > 500 ORDER BY rid_l, rid_r").df()
    cols = ["rid_l", "rid_r", "match_weight"]
    new_pairs = incremental[incremental.run_id == 2][cols].reset_index(drop=True)
    pd.testing.assert_frame_equal(new_pairs, full[cols].reset_index(drop=True))
    con.close()


def test_an_incremental_night_over_the_pairs_cap_scores_nothing(trained, tmp_path):
    """A night's pairs are counted once blocked: over the cap, the rule is named and no prediction changes."""
    con = connect(tmp_path / "inc.duckdb")
    rows = [r for r in trained["rows"] if r["rid"] <= 600]
    _insert(con, [r for r in rows if r["rid"] <= 500])
    predict(con, trained["model"], run_id=1)
    before = con.execute("SELECT * FROM predictions ORDER BY rid_l, rid_r").df()
    _insert(con, [r for r in rows if r["rid"] > 500])
    con.execute("CREATE TABLE new_rids AS SELECT rid FROM records WHERE rid > 500")
    with pytest.raises(BlockingCapError, match=r"blocking rule '[^']+' pushes the pairs .* over the cap of 10:"):
        predict(con, trained["model"], only_rids_table="new_rids", run_id=2, max_pairs=10)
    pd.testing.assert_frame_equal(con.execute("SELECT * FROM predictions ORDER BY rid_l, rid_r").df(), before)
    report = predict(con, trained["model"], only_rids_table="new_rids", run_id=2)
    assert report.pairs_estimated > report.pairs_stored > 0  # the pairs blocked, of which the stored are a part
    con.close()


def test_records_sharing_a_key_with_new_ones_are_all_a_rule_can_pair_with_them():
    """An incremental night scores only new records and those a rule's key equalities pair with one, either
    way round (the swapped-name rule pairs l.given with r.family); a rule without a key keeps every record."""
    import duckdb

    con = duckdb.connect()
    con.execute("""CREATE TABLE t AS SELECT * FROM (VALUES
        (1, 'bouasy', 'thammasack', 'VTE', true),  -- new
        (2, 'bouasy', 'thammasack', 'LPB', false),  -- same name, other province: name+province does not pair
        (3, 'thammasack', 'bouasy', NULL, false),  -- swapped
        (4, 'noy', 'thammasack', 'VTE', false),
        (5, NULL, NULL, 'VTE', false),
        (6, 'khamla', 'sisouk', 'SVK', true),  -- new
        (7, 'sisouk', 'phet', 'SVK', false),  -- family of 6 as given name: the swapped rule's other way round
        (8, 'bouasy', 'thammasack', 'VTE', false),
        (9, 'noy', 'thammasack', NULL, false)
        ) v(rid, given_key, family_key, province_code, new)""")
    name_province = ('l."given_key" = r."given_key" AND (l."family_key" = r."family_key")'
                     " AND l.province_code = r.province_code")
    swapped = "l.given_key = r.family_key AND l.family_key = r.given_key"
    given_as_family = "l.given_key = r.family_key AND l.province_code = r.province_code"

    def partners(*rules: str) -> set[int] | None:
        """The old records the rules' keys pair with a new one."""
        sql = sharing_a_key_sql(list(rules), "t", "new")
        return None if sql is None else {r[0] for r in con.execute(sql).fetchall()} - {1, 6}

    assert partners(name_province) == {8}
    assert partners(swapped) == {3}
    assert partners(given_as_family) == {7}  # 7's given name is 6's family name: 6 as the right record
    assert partners(name_province, swapped, given_as_family) == {3, 7, 8}
    assert partners(name_province, "l.given_key = r.given_key OR l.family_key = r.family_key") is None
    assert partners() is None  # no rules: nothing to restrict by
    # A rule's condition on one side holds the record on that side: the family name without a place on the left
    # pairs new record 1 (placed) only as the right one, so only 9 of the four Thammasacks is its partner.
    assert partners("l.family_key = r.family_key AND l.province_code IS NULL") == {9}
    assert partners("l.family_key = r.family_key AND r.province_code IS NULL") == {9}
    assert partners("l.family_key = r.family_key") == {2, 4, 8, 9}
    # SQL whose ANDs are not conditions (BETWEEN, CASE, a string) or a quoted side restricts nothing: its key does
    between = "l.family_key = r.family_key AND l.rid BETWEEN r.rid - 100 AND r.rid + 100"
    assert partners(between) == {2, 4, 8, 9}
    assert partners("l.family_key = r.family_key AND CASE WHEN r.province_code IS NULL AND true THEN true END") \
        == {2, 4, 8, 9}
    assert partners("""l.family_key = r.family_key AND "r".province_code IS NULL""") == {2, 4, 8, 9}


def test_blocking_report_refuses_rules_over_the_cap(trained):
    runner = CliRunner()
    ok = runner.invoke(app, ["blocking", "report", "--db", str(trained["db"]), "--max-pairs", "50000000"])
    assert ok.exit_code == 0, ok.output
    assert "name+province" in ok.output and "total pairs to score" in ok.output
    with splink_workspace(trained["con"]) as ws:
        ws.create_model_input()
        counts = count_pairs(ws, load_rules())
    over = next(c for c in counts if c.cumulative > 10)
    refused = runner.invoke(app, ["blocking", "report", "--db", str(trained["db"]), "--max-pairs", "10"])
    assert refused.exit_code == 1
    assert f"'{over.name}'" in refused.output and "over the cap of 10" in refused.output
    with pytest.raises(BlockingCapError, match=re.escape(f"'{over.name}'")):
        check_cap(counts, 10)
    with pytest.raises(BlockingCapError, match="over the cap"):
        predict(trained["con"], trained["model"], max_pairs=10)


def test_bad_blocking_rules_file_names_the_rule(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text("rules:\n  - name: both\n    columns: [a]\n    sql: l.a = r.a\n")
    with pytest.raises(LaoLinkError, match=r"rules.yaml: rule 1 \(both\)"):
        load_rules(path)


def test_stewards_decisions_train_m_and_serve_as_labels(trained, tmp_path):
    from linkage.service.service_db import connect_service

    rows = trained["rows"]
    by_person: dict[str, list[dict]] = {}
    for r in rows:
        by_person.setdefault(r["person_id"], []).append(r)
    same = next(rs for rs in by_person.values() if len(rs) >= 2)[:2]
    other = [rows[0], next(r for r in rows if r["person_id"] != rows[0]["person_id"])]
    service = tmp_path / "store.service.sqlite"
    svc = connect_service(service)
    for (a, b), judgement in ((same, "positive"), (other, "negative")):
        (a, b) = sorted((a, b), key=lambda r: (r["source"], r["record_id"]))
        svc.execute(
            "INSERT INTO decisions (source_l, record_id_l, source_r, record_id_r, judgement, decided_by) "
            "VALUES (?, ?, ?, ?, ?, 'steward')",
            (a["source"], a["record_id"], b["source"], b["record_id"], judgement),
        )
    svc.close()
    report = train(trained["con"], tmp_path / "with_decisions.json", seed=3, service_db=service)
    assert report.n_positive_decisions == 1
    assert "positive_decisions_used: 1" in report.card_path.read_text()
    scores = evaluate(trained["con"], service_db=service, threshold=0.5)
    assert scores["decisions"]["labelled_pairs"] == 2


def test_the_night_flag_is_false_for_records_not_named_even_beside_a_null_rid():
    """``rid IN (...)`` is NULL for every other record when the list holds a NULL; a NULL flag would drop the
    pairs whose new record is on the right (``r.laolink_new AND NOT l.laolink_new``)."""
    import duckdb

    from linkage.model.model_input import model_input_sql
    from linkage.store import STANDARDIZED_COLUMNS

    con = duckdb.connect()
    columns = ", ".join(f"NULL::{kind} AS {name}" for name, kind in STANDARDIZED_COLUMNS.items())
    con.execute(f"CREATE TABLE records AS SELECT r.range AS rid, {columns} FROM range(1, 5) r")
    con.execute("CREATE TABLE night AS SELECT * FROM (VALUES (2), (NULL)) v(rid)")
    flags = con.execute(f"SELECT rid, laolink_new FROM ({model_input_sql('records', None, 'night')}) ORDER BY rid")
    assert flags.fetchall() == [(1, False), (2, True), (3, False), (4, False)]


def test_the_model_and_rules_name_only_model_input_columns(trained, caplog):
    """Linkers skip Splink's settings validation (0.8 s each); this runs it on the training settings (every
    comparison level and prediction rule) and on the trained model with its training rules and a night's rules."""
    from splink import Linker

    from linkage.model.model_file import settings_for_store
    from linkage.model.prediction import _incremental_rules, load_rules_from_model
    from linkage.model.shipped import TRAIN_RULES
    from linkage.model.training import settings

    model_file = json.loads(trained["model"].read_text())
    model = settings_for_store(model_file, len(trained["rows"]))

    def with_rules(rules: list) -> dict:
        return model | {"blocking_rules_to_generate_predictions": rules}

    def validation_log(settings_, new_rids: str | None = None) -> str:
        caplog.clear()
        with splink_workspace(trained["con"]) as ws, caplog.at_level("WARNING", logger="splink"):
            ws.create_model_input(new_rids=new_rids)
            Linker(ws.register_model_input(), settings_, validate_settings=True)
        return "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("splink"))

    assert "no_such_column" in validation_log(with_rules(["l.no_such_column = r.no_such_column"]))  # it can fail
    assert validation_log(settings()) == ""
    assert validation_log(model) == ""
    training = [r.rule for key in ("em_passes", "deterministic") for r in load_rules(TRAIN_RULES, key)]
    assert validation_log(with_rules(training)) == ""
    trained["con"].execute("CREATE OR REPLACE TEMP TABLE night_rids AS SELECT rid FROM records LIMIT 5")
    halves = [r.get_blocking_rule("duckdb").as_dict() for r in _incremental_rules(load_rules_from_model(model_file))]
    assert validation_log(with_rules(halves), new_rids="night_rids") == ""
