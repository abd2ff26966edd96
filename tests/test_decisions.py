import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from store_builders import add_records, decide, open_stores

from linkage.service import decisions as write_path
from linkage.service.auth import Principal
from linkage.service.decisions import (
    MAX_NOTE_LENGTH,
    NO_DECISION,
    DecisionConflict,
    DecisionRefused,
    current_decision_id,
    current_decision_ids,
    current_decisions,
    decision_conflicts,
    decision_history,
    load_decisions_into,
    normalise_pair,
    record_decision,
    record_decisions,
)
from linkage.service.service_db import connect_service


def test_pair_is_stored_in_source_record_order(tmp_path):
    svc = connect_service(tmp_path / "svc.sqlite")
    d = record_decision(svc, "THAI", "9", "MOLSW", "1", "positive", "noy", note="same photo")
    assert (d.source_l, d.record_id_l, d.source_r, d.record_id_r) == ("MOLSW", "1", "THAI", "9")
    assert d.note == "same photo" and d.supersedes is None and d.decided_at


BAD_DECISIONS = [
    (("S", "1", "S", "1", "positive", "noy", None), "two different records, got S/1 twice"),
    (("S", "1", "S", "2", "maybe", "noy", None), "judgement must be positive, negative or unsure, got 'maybe'"),
    (("S", "1", "S", "2", "negative", "", None), "who decided"),
    (("S", "1", "S", "2", "negative", "noy", "x" * (MAX_NOTE_LENGTH + 1)), "note is too long"),
]


@pytest.mark.parametrize(("args", "message"), BAD_DECISIONS)
def test_bad_decisions_are_refused(tmp_path, args, message):
    svc = connect_service(tmp_path / "svc.sqlite")
    *decision, note = args
    with pytest.raises(ValueError, match=message):
        record_decision(svc, *decision, note=note)
    assert svc.execute("SELECT count(*) FROM decisions").fetchone()[0] == 0


@pytest.mark.parametrize(("args", "message"), BAD_DECISIONS)
def test_several_decisions_are_refused_as_one_is_and_none_recorded(tmp_path, args, message):
    # before: a pair of one record was "judgement must be ...", and a note of any length was kept
    svc = connect_service(tmp_path / "svc.sqlite")
    (s_l, r_l, s_r, r_r, judgement, by, note) = args
    good = (("S", "7", "S", "8"), "positive", None)
    with pytest.raises(ValueError, match=message):
        record_decisions(svc, [good, ((s_l, r_l, s_r, r_r), judgement, None)], by, note)
    assert svc.execute("SELECT count(*) FROM decisions").fetchone()[0] == 0


def test_a_terminal_decision_keeps_the_notes_limit(tmp_path):
    from typer.testing import CliRunner

    from linkage.cli import app

    db = str(tmp_path / "store.duckdb")
    add = ["decisions", "add", "MOLSW", "1", "THAI", "9", "positive", "--db", db, "--by", "noy", "--note"]
    refused = CliRunner().invoke(app, [*add, "x" * (MAX_NOTE_LENGTH + 1)])
    assert refused.exit_code == 1, refused.output  # before: recorded, 2001 characters
    assert f"the note is too long: {MAX_NOTE_LENGTH + 1} characters, at most {MAX_NOTE_LENGTH}" in refused.output
    assert CliRunner().invoke(app, [*add, "x" * MAX_NOTE_LENGTH]).exit_code == 0


def test_latest_decision_wins_and_supersedes(tmp_path):
    svc = connect_service(tmp_path / "svc.sqlite")
    first = record_decision(svc, "S", "1", "S", "2", "positive", "noy")
    second = record_decision(svc, "S", "2", "S", "1", "negative", "noy", expected_current=first.decision_id)
    assert second.supersedes == first.decision_id
    assert [d.decision_id for d in current_decisions(svc)] == [second.decision_id]
    assert decision_conflicts(svc) == []
    assert decision_history(svc, "S", "2", "S", "1") == [first, second]


def test_stale_expected_current_raises_conflict(tmp_path):
    svc = connect_service(tmp_path / "svc.sqlite")
    seen = record_decision(svc, "S", "1", "S", "2", "positive", "noy")
    newer = record_decision(svc, "S", "1", "S", "2", "negative", "kham", expected_current=seen.decision_id)
    with pytest.raises(DecisionConflict) as raised:
        record_decision(svc, "S", "1", "S", "2", "positive", "noy", expected_current=seen.decision_id)
    assert raised.value.current == newer.decision_id
    assert [d.decision_id for d in current_decisions(svc)] == [newer.decision_id]
    # a steward who expects a decision on a pair nobody decided is also told
    with pytest.raises(DecisionConflict):
        record_decision(svc, "S", "3", "S", "4", "positive", "noy", expected_current=newer.decision_id)
    # and so is one who saw no decision on a pair that has one now
    with pytest.raises(DecisionConflict):
        record_decision(svc, "S", "1", "S", "2", "positive", "noy", expected_current=NO_DECISION)
    first = record_decision(svc, "S", "3", "S", "4", "positive", "noy", expected_current=NO_DECISION)
    assert first.supersedes is None
    assert current_decision_id(svc, "S", "4", "S", "3") == first.decision_id
    assert current_decision_id(svc, "S", "5", "S", "6") is None


def test_the_current_decisions_of_many_pairs_are_read_in_one_query(tmp_path):
    svc = connect_service(tmp_path / "svc.sqlite")
    seen = record_decision(svc, "S", "1", "S", "2", "positive", "noy")
    record_decision(svc, "S", "2", "S", "1", "negative", "noy", expected_current=seen.decision_id)  # supersedes
    record_decision(svc, "S", "3", "T", "4", "positive", "noy")
    record_decision(svc, "S", "3", "T", "4", "negative", "kham")  # contested: both live, the latest applies
    record_decision(svc, "S", "1", "T", "4", "unsure", "noy")
    pairs = [("S", "2", "S", "1"), ("T", "4", "S", "3"), ("S", "1", "T", "4"), ("S", "1", "S", "3")]
    statements: list[str] = []
    svc.set_trace_callback(statements.append)
    current = current_decision_ids(svc, pairs)
    svc.set_trace_callback(None)
    assert len(statements) == 1  # /queue/next asked one query per item of a page of 50
    assert current == {normalise_pair(*p): current_decision_id(svc, *p) for p in pairs[:3]}
    assert current == {("S", "1", "S", "2"): 2, ("S", "3", "T", "4"): 4, ("S", "1", "T", "4"): 5}


def test_two_stewards_who_disagree_are_a_conflict_until_one_settles_it(tmp_path):
    con, svc = open_stores(tmp_path)
    add_records(con, [1, 2])
    decide(svc, 1, 2, "positive", "noy")
    latest = decide(svc, 1, 2, "negative", "kham")  # blind: did not see noy's decision
    conflicts = decision_conflicts(svc)
    assert [[d.decided_by for d in ds] for ds in conflicts] == [["noy", "kham"]]
    assert [d.decision_id for d in current_decisions(svc)] == [latest.decision_id]
    loaded = load_decisions_into(con, svc, "cd")
    assert loaded.contested == 1
    row = con.execute("SELECT judgement, contested, conflict_detail FROM cd").fetchall()[0]
    assert row[0] == "negative" and row[1] is True
    assert "noy said positive" in row[2] and "kham said negative" in row[2]

    decide(svc, 1, 2, "negative", "noy", expected_current=latest.decision_id)
    assert decision_conflicts(svc) == []
    assert load_decisions_into(con, svc, "cd").contested == 0


def test_same_steward_changing_their_mind_is_no_conflict(tmp_path):
    svc = connect_service(tmp_path / "svc.sqlite")
    record_decision(svc, "S", "1", "S", "2", "positive", "noy")
    record_decision(svc, "S", "1", "S", "2", "negative", "noy")
    assert decision_conflicts(svc) == []
    assert [d.judgement for d in current_decisions(svc)] == ["negative"]


def test_load_maps_pairs_to_ordered_rids_and_counts_unknown_records(tmp_path):
    con, svc = open_stores(tmp_path)
    add_records(con, [5], source="A")
    add_records(con, [3], source="B")  # (A, r5) < (B, r3) but rid 3 < rid 5
    record_decision(svc, "A", "r5", "B", "r3", "negative", "noy")
    record_decision(svc, "A", "r5", "B", "missing", "positive", "noy")
    loaded = load_decisions_into(con, svc, "cd")
    assert (loaded.loaded, loaded.unknown_records) == (1, 1)
    assert con.execute("SELECT rid_l, rid_r, judgement FROM cd").fetchall() == [(3, 5, "negative")]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.sampled_from(["positive", "negative", "unsure"]), min_size=1, max_size=6))
def test_careful_stewards_always_leave_the_last_decision_current(tmp_path_factory, judgements):
    svc = connect_service(tmp_path_factory.mktemp("svc") / "svc.sqlite")
    seen = None
    for i, judgement in enumerate(judgements):
        seen = record_decision(
            svc, "S", "1", "S", "2", judgement, f"steward{i % 2}", expected_current=seen and seen.decision_id
        )
    assert [d.decision_id for d in current_decisions(svc)] == [seen.decision_id]
    assert decision_conflicts(svc) == []


def test_decision_time_is_compared_in_the_stores_time_base(tmp_path):
    con, svc = open_stores(tmp_path)
    add_records(con, [1, 2])
    decide(svc, 1, 2, "positive")
    con.execute("SET TimeZone = 'Asia/Vientiane'")
    load_decisions_into(con, svc, "cd")
    skew = con.execute("SELECT epoch(current_timestamp::TIMESTAMP) - epoch(decided_at) FROM cd").fetchall()[0][0]
    assert 0 <= skew < 60


def test_cli_records_decisions_refuses_stale_ones_and_lists_conflicts(tmp_path):
    from typer.testing import CliRunner

    from linkage.cli import app

    db = str(tmp_path / "store.duckdb")
    runner = CliRunner()
    add = ["decisions", "add", "MOLSW", "1", "THAI", "9"]
    ok = runner.invoke(app, [*add, "positive", "--db", db, "--by", "noy", "--note", "same photo"])
    assert ok.exit_code == 0 and ok.output.startswith("decision 1: MOLSW/1 and THAI/9 positive by noy")
    assert runner.invoke(app, [*add, "negative", "--db", db, "--by", "kham"]).exit_code == 0
    stale = runner.invoke(app, [*add, "unsure", "--db", db, "--by", "kham", "--expected", "1"])
    assert stale.exit_code == 1 and "the current one is 2" in stale.output
    listed = runner.invoke(app, ["decisions", "conflicts", "--db", db])
    assert "noy said positive (decision 1); kham said negative (decision 2)" in listed.output
    assert listed.output.rstrip().endswith("1 pair(s) in conflict")


def test_the_one_write_path_checks_who_decides_and_on_which_sources(tmp_path):
    svc = connect_service(tmp_path / "svc.sqlite")
    pair = ("MOLSW", "1", "THAI", "9")
    for principal, field in [(Principal("key", "k1", "steward", frozenset({"MOLSW"})), "source_r"),
                             (Principal("key", "k2", "steward", frozenset({"THAI"})), "source_l"),
                             (Principal("user", "boss", "admin"), None),
                             (Principal("user", "ana", "analyst"), None),
                             (Principal("key", "sys", "system"), None)]:
        with pytest.raises(DecisionRefused) as refused:
            write_path.decide(svc, pair, "positive", principal)
        assert refused.value.field == field
    assert svc.execute("SELECT count(*) FROM decisions").fetchone()[0] == 0
    both = Principal("key", "k3", "steward", frozenset({"MOLSW", "THAI"}))
    assert write_path.decide(svc, pair, "positive", both).decided_by == "key:k3"
    noy = Principal("user", "noy", "steward")
    seen = write_path.decide(svc, pair, "negative", noy, expected_current=1)
    assert (seen.decided_by, seen.supersedes) == ("noy", 1)
    with pytest.raises(DecisionConflict, match="you saw no decision, the current one is 2"):
        write_path.decide(svc, pair, "unsure", noy, expected_current=NO_DECISION)
    assert write_path.decide(svc, pair, "unsure", "kham (terminal)").decided_by == "kham (terminal)"


def test_the_one_write_path_waits_for_the_lock_beside_the_database(tmp_path):
    import fcntl
    import threading

    svc_file = tmp_path / "svc.sqlite"
    connect_service(svc_file).close()
    done = []

    def decide_in_thread() -> None:
        con = connect_service(svc_file)
        done.append(write_path.decide(con, ("S", "1", "S", "2"), "positive", Principal("user", "noy", "steward")))
        con.close()

    with open(tmp_path / "svc.decisions.lock", "a+b") as held:  # as another worker process holding it
        fcntl.flock(held, fcntl.LOCK_EX)
        thread = threading.Thread(target=decide_in_thread)
        thread.start()
        thread.join(0.5)
        assert thread.is_alive() and not done
        fcntl.flock(held, fcntl.LOCK_UN)
    thread.join(10)
    assert [d.decided_by for d in done] == ["noy"]
