"""Decisions shown at once, at store level: a decision snapshot's person IDs carried into the next night,
the night and the decision publisher under one lock, and the night's own clustering settings.

Stores are built by the real nightly job from demo data with the shipped model; decisions go through
``decide`` into the real service database, snapshots are real published DuckDB files.
"""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import duckdb
import pytest

from linkage.model.shipped import DEFAULT_MODEL
from linkage.nightly import NightlyConfig, StepStart, run_nightly
from linkage.paths import store_paths
from linkage.publishing.decision_publish import publish_decisions
from linkage.publishing.publish import SNAPSHOT_NAME, current_snapshot
from linkage.service.decisions import decide
from linkage.service.service_db import connect_service
from tests.demo_deployment import demo_inbox, published


@pytest.fixture(scope="module")
def night_one(tmp_path_factory) -> dict[str, Path]:
    """A store after demo night 1, and night 2's files (new records of the same persons) kept aside."""
    base = tmp_path_factory.mktemp("decided")
    inbox = demo_inbox(base / "demo", night=1)
    db = base / "store" / "laolink.duckdb"
    db.parent.mkdir()
    run_nightly(NightlyConfig(inbox=inbox, db=db, model=DEFAULT_MODEL, threads=1))
    night_two = demo_inbox(base / "demo2", night=2)
    return {"store": db.parent, "night_two": night_two}


def _copy_store(night_one: dict[str, Path], to: Path) -> Path:
    shutil.copytree(night_one["store"], to / "store")
    return to / "store" / "laolink.duckdb"


def _night(db: Path, inbox: Path, **settings) -> None:
    run_nightly(NightlyConfig(inbox=inbox, db=db, model=DEFAULT_MODEL, threads=1, **settings))


def _persons_with_three_records(db: Path) -> list[tuple[str, list[tuple[int, str, str]]]]:
    """Published persons of exactly three records: (person, [(rid, source, record_id)] by rid)."""
    rows = published(db, """
        SELECT rp.person_id, list((r.rid, r.source, r.record_id) ORDER BY r.rid)
        FROM record_person rp JOIN records r USING (rid) GROUP BY rp.person_id HAVING count(*) = 3
        ORDER BY rp.person_id""")
    return [(person, [tuple(v.values()) if isinstance(v, dict) else tuple(v) for v in recs]) for person, recs in rows]


def _split_off(db: Path, records: list[tuple[int, str, str]], who: str = "steward-test") -> int:
    """Split the last of a person's records from the others, as the person page does (one 'no' per pair)."""
    _, source, record_id = records[-1]
    service = connect_service(store_paths(db).service_db)
    try:
        ids = [decide(service, (s, r, source, record_id), "negative", who).decision_id for _, s, r in records[:-1]]
    finally:
        service.close()
    return max(ids)


def _publish_decisions(db: Path) -> Path | None:
    service = connect_service(store_paths(db).service_db)
    try:
        return publish_decisions(store_paths(db), service)
    finally:
        service.close()


def _store(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


RECORD_PERSON = "SELECT rid, person_id FROM record_person ORDER BY rid"
PERSONS = "SELECT person_id, status, alias_of, n_records FROM persons ORDER BY person_id"


def test_a_night_after_decisions_keeps_their_ids_as_if_each_had_been_a_night(night_one, tmp_path):
    # two splits decided and published one after the other; the later one takes a record of a lower rid
    a = _copy_store(night_one, tmp_path / "a")
    persons = _persons_with_three_records(a)
    (first_person, first), (second_person, second) = max(persons, key=lambda p: p[1][-1][0]), persons[0]
    assert first[-1][0] > second[-1][0]
    empty_inbox = tmp_path / "empty"
    empty_inbox.mkdir()

    _split_off(a, first)
    _publish_decisions(a)
    _split_off(a, second)
    snapshot = _publish_decisions(a)
    assert snapshot is not None and "_d" in snapshot.name
    given = dict(published(a, "SELECT rid, person_id FROM record_person WHERE rid IN (?, ?)",
                            [first[-1][0], second[-1][0]]))
    assert given[first[-1][0]] < given[second[-1][0]]  # IDs numbered in the order of the decisions
    assert {given[first[-1][0]], given[second[-1][0]]}.isdisjoint({first_person, second_person})
    _night(a, night_one["night_two"])

    # the same decisions, each followed by a night without new records, then the same night 2
    c = _copy_store(night_one, tmp_path / "c")
    _split_off(c, first)
    _night(c, empty_inbox)
    _split_off(c, second)
    _night(c, empty_inbox)
    _night(c, night_one["night_two"])

    assert _store(a, "SELECT count(*) FROM records")[0][0] > sum(len(r) for _, r in persons)  # night 2 came
    assert _store(a, RECORD_PERSON) == _store(c, RECORD_PERSON)
    assert _store(a, PERSONS) == _store(c, PERSONS)
    after = dict(published(a, "SELECT rid, person_id FROM record_person WHERE rid IN (?, ?)",
                            [first[-1][0], second[-1][0]]))
    assert after == given  # the IDs given at the decisions still name the same records
    adopted = _store(a, "SELECT person_id, event, run_id FROM id_history WHERE detail->>'cause' = 'decision'"
                        " ORDER BY event_id")
    assert {(given[first[-1][0]], "split-from", 1), (given[second[-1][0]], "split-from", 1)} <= set(adopted)


def test_a_decision_made_while_the_night_publishes_is_on_the_night_with_its_settings(night_one, tmp_path):
    db = _copy_store(night_one, tmp_path)
    person, records = _persons_with_three_records(db)[0]
    settings = {"threshold": 0.95, "review_band": (0.5, 0.95)}  # not the defaults the publisher used to assume
    waiting: dict[str, object] = {}

    def decide_during_publish(step: StepStart) -> None:
        if step.name != "publish":
            return
        waiting["decision"] = _split_off(db, records)
        publisher = threading.Thread(target=lambda: waiting.update(path=_publish_decisions(db)))
        publisher.start()
        time.sleep(1.0)
        waiting["blocked"] = publisher.is_alive()  # the night holds the publish lock
        waiting["thread"] = publisher

    run_nightly(NightlyConfig(inbox=night_one["night_two"], db=db, model=DEFAULT_MODEL, threads=1, **settings),
                on_step=decide_during_publish)
    waiting["thread"].join(timeout=60)
    assert waiting["blocked"] is True
    current = current_snapshot(store_paths(db))
    named = SNAPSHOT_NAME.fullmatch(current.name)  # the night, then the decision
    assert named and (int(named["night"]), int(named["decision"])) == (2, waiting["decision"])
    assert waiting["path"] == current  # the publisher found it done
    split = dict(published(db, "SELECT rid, person_id FROM record_person WHERE rid IN (?, ?, ?)",
                            [r for r, _, _ in records]))
    assert split[records[-1][0]] != split[records[0][0]] == split[records[1][0]]

    # the decision publisher clustered as a night with the same settings and decisions does
    decided_persons = published(db, RECORD_PERSON)
    decided_queue = published(db, "SELECT kind, rid_l, rid_r FROM review_queue ORDER BY ALL")
    empty_inbox = tmp_path / "empty"
    empty_inbox.mkdir()
    _night(db, empty_inbox, **settings)
    named = SNAPSHOT_NAME.fullmatch(current_snapshot(store_paths(db)).name)
    assert named and int(named["night"]) == 3 and named["decision"] is None
    assert published(db, RECORD_PERSON) == decided_persons
    assert published(db, "SELECT kind, rid_l, rid_r FROM review_queue ORDER BY ALL") == decided_queue
    report = published(db, "SELECT report->'clusters'->>'review_band', report->'clusters'->>'threshold'"
                            " FROM runs WHERE run_id = 3")
    assert report == [("[0.5,0.95]", "0.95")]


def test_queue_items_keep_their_ids_when_a_decision_is_published(night_one, tmp_path):
    """A steward's pair page opened before a decision snapshot must still find its item after it."""
    db = _copy_store(night_one, tmp_path)
    queue = "SELECT item_id, kind, rid_l, rid_r FROM review_queue WHERE rid_l IS NOT NULL ORDER BY item_id"
    before = published(db, queue)
    assert len(before) > 5
    _, records = _persons_with_three_records(db)[0]
    _split_off(db, records)
    assert _publish_decisions(db) is not None
    after = published(db, queue)
    by_pair = {tuple(rest): item for item, *rest in before}
    kept = [(item, by_pair[tuple(rest)]) for item, *rest in after if tuple(rest) in by_pair]
    assert len(kept) >= len(before) - 3 and all(new == old for new, old in kept)
    assert len({item for item, *_ in after}) == len(after)


def test_a_queue_item_id_is_never_given_to_another_item(night_one, tmp_path):
    """Items made by decision publishes and by nights are numbered above every id given before, also after the
    item that had the highest one left the queue (a pair page opened on an id must never show another pair)."""
    db = _copy_store(night_one, tmp_path)
    singles = [rec[0] for _, rec in published(db, """
        SELECT rp.person_id, list((r.source, r.record_id)) FROM record_person rp JOIN records r USING (rid)
        GROUP BY 1 HAVING count(*) = 1 ORDER BY 1 DESC LIMIT 6""")]
    singles = [tuple(v.values()) if isinstance(v, dict) else tuple(v) for v in singles]
    given: dict[int, tuple] = {}

    def note_items() -> None:
        for item, *pair in published(db, "SELECT item_id, kind, rid_l, rid_r, person_id FROM review_queue"):
            assert given.setdefault(item, tuple(pair)) == tuple(pair), f"item {item} given to another item"

    def contest(a, b) -> None:  # two stewards disagree: a "stewards disagree" item
        service = connect_service(store_paths(db).service_db)
        try:
            decide(service, (*a, *b), "positive", "steward-a")
            decide(service, (*a, *b), "negative", "steward-b")
        finally:
            service.close()
        _publish_decisions(db)
        note_items()

    def settle(a, b) -> None:  # the first steward agrees with the second: the item leaves the queue
        service = connect_service(store_paths(db).service_db)
        try:
            current = service.execute("SELECT max(decision_id) FROM decisions").fetchone()[0]
            decide(service, (*a, *b), "negative", "steward-a", expected_current=current)
        finally:
            service.close()
        _publish_decisions(db)
        note_items()

    note_items()
    contest(singles[0], singles[1])
    top = max(given)
    settle(singles[0], singles[1])
    assert top not in {r[0] for r in published(db, "SELECT item_id FROM review_queue")}
    contest(singles[2], singles[3])  # before: numbered max(queue) + 1, the id the settled item had
    settle(singles[2], singles[3])
    contest(singles[4], singles[5])
    empty_inbox = tmp_path / "empty"
    empty_inbox.mkdir()
    _night(db, empty_inbox)  # its queue numbers the contested item from the store's own sequence
    note_items()
    assert _store(db, "SELECT count(*) FROM review_queue WHERE CAST(reasons AS VARCHAR) LIKE '%stewards_disagree%'"
                  )[0][0] == 1


def test_a_record_moved_between_two_persons_after_a_night_shows_in_both_documents(night_one, tmp_path):
    """A decision publish, a night (whose snapshot is a copy of the decision one), then a decision that moves a
    record from one existing person to another: both persons' documents are the live answer, and the move is in
    the history under event IDs no earlier event has."""
    import json

    from api.queries.persons import get_person
    from linkage.publishing.person_docs import open_person_docs

    db = _copy_store(night_one, tmp_path / "m")
    persons = _persons_with_three_records(db)
    _split_off(db, persons[0][1])
    _publish_decisions(db)
    _night(db, night_one["night_two"])
    (source_person, moved), (target_person, kept) = [p for p in _persons_with_three_records(db)
                                                     if p[0] != persons[0][0]][:2]
    service = connect_service(store_paths(db).service_db)
    try:
        for _, s, r in moved[:-1]:
            decide(service, (s, r, *moved[-1][1:]), "negative", "steward-test")
        decide(service, (*kept[0][1:], *moved[-1][1:]), "positive", "steward-test")
    finally:
        service.close()
    snapshot = _publish_decisions(db)
    assert dict(published(db, RECORD_PERSON))[moved[-1][0]] == target_person
    events = published(db, "SELECT event_id, person_id, event FROM id_history ORDER BY event_id")
    assert len({e for e, _, _ in events}) == len(events)
    assert {(source_person, "records-removed"), (target_person, "records-added")} <= {(p, e) for _, p, e in events[-2:]}
    con = duckdb.connect(str(snapshot), read_only=True)
    docs = open_person_docs(snapshot)
    try:
        for person in (source_person, target_person):
            entry = docs.entry(person)
            assert entry is not None and json.loads(entry[0])["records"] == get_person(con, person)["records"]
    finally:
        docs.close()
        con.close()


def test_decisions_wait_for_a_night_killed_after_giving_ids_and_show_when_it_is_resumed(night_one, tmp_path):
    """A night killed after assigning IDs may have given numbers the served snapshot does not know: a decision
    published over that snapshot would number its new person with one of them, and the resumed night would give
    the same number to another person. The decision waits; the resumed night publishes it after its own snapshot."""
    import os
    import subprocess
    import sys

    db = _copy_store(night_one, tmp_path / "k")
    killed = subprocess.run(
        [sys.executable, "-m", "linkage", "nightly", "--inbox", str(night_one["night_two"]), "--db", str(db),
         "--model", str(DEFAULT_MODEL)],
        env={**os.environ, "LAOLINK_KILL_AT": "cluster:after-ids"}, capture_output=True, text=True, timeout=600)
    assert killed.returncode == -9, killed.stderr  # SIGKILL at the fault point
    served = current_snapshot(store_paths(db))
    person, records = _persons_with_three_records(db)[0]
    _split_off(db, records)
    assert _publish_decisions(db) == served  # nothing numbered over the old snapshot
    assert dict(published(db, RECORD_PERSON))[records[-1][0]] == person

    _night(db, night_one["night_two"])  # the resumed night, then the decision published over its snapshot
    assert not (store_paths(db).published_dir / "night-unpublished").exists()
    given = dict(published(db, RECORD_PERSON))
    assert given[records[-1][0]] != person and given[records[0][0]] == given[records[1][0]] == person
    events = published(db, "SELECT event_id FROM id_history")
    assert len(events) == len(set(events))


_KILLED_AFTER_IDS = """
import os, signal, sys
from linkage.paths import store_paths
from linkage.publishing import decision_publish
from linkage.service.service_db import connect_service
assign = decision_publish.assign_person_ids
def assign_then_die(con, **kwargs):  # the server killed while its publisher thread re-clusters
    assign(con, **kwargs)
    os.kill(os.getpid(), signal.SIGKILL)
decision_publish.assign_person_ids = assign_then_die
paths = store_paths(sys.argv[1])
decision_publish.publish_decisions(paths, connect_service(paths.service_db))
"""


def test_a_decision_publish_killed_part_way_leaves_nothing_and_the_next_one_publishes(night_one, tmp_path):
    """A server killed while it publishes a decision leaves the snapshot it was writing and its write-ahead
    log: the next publish (the same decisions, or a later one) is not held up by them, and they go."""
    import subprocess
    import sys

    db = _copy_store(night_one, tmp_path / "k")
    published_dir = store_paths(db).published_dir
    (_, first), (_, second) = _persons_with_three_records(db)[:2]
    served = current_snapshot(store_paths(db))
    for records in (first, second):
        _split_off(db, records)
        killed = subprocess.run([sys.executable, "-c", _KILLED_AFTER_IDS, str(db)], capture_output=True, text=True,
                                timeout=300)
        assert killed.returncode == -9, killed.stderr[-2000:]
        assert current_snapshot(store_paths(db)) == served
        assert list(published_dir.glob("run-*.duckdb.tmp*")), "the killed attempt's files, as it left them"
        attempts = {p.name.split(".duckdb")[0] for p in published_dir.glob("run-*.duckdb.tmp*")}
        assert len(attempts) == 1, attempts  # the attempt killed last: the one before removed them first
    snapshot = _publish_decisions(db)
    assert snapshot is not None and snapshot != served and current_snapshot(store_paths(db)) == snapshot
    given = dict(published(db, RECORD_PERSON))
    for records in (first, second):
        assert given[records[-1][0]] != given[records[0][0]] == given[records[1][0]]
    assert sorted(p.name for p in published_dir.glob("run-*.tmp*")) == []


def test_publishing_decisions_again_without_a_new_one_keeps_the_served_snapshot(night_one, tmp_path):
    """The server's publisher runs a second pass after a burst of decisions: with no decision newer than the
    served decision snapshot's, it publishes nothing (no re-clustering, no new file)."""
    db = _copy_store(night_one, tmp_path / "again")
    _split_off(db, _persons_with_three_records(db)[0][1])
    decided = _publish_decisions(db)
    assert decided is not None and current_snapshot(store_paths(db)) == decided
    files = sorted(store_paths(db).published_dir.iterdir())
    assert _publish_decisions(db) == decided
    assert current_snapshot(store_paths(db)) == decided and sorted(store_paths(db).published_dir.iterdir()) == files


def test_a_night_killed_after_adopting_a_decision_snapshot_keeps_its_event_ids_as_an_uninterrupted_one(
        night_one, tmp_path):
    """A decision snapshot is served; the next night takes its persons and ID events in, is killed and resumed:
    the events keep the IDs the decision snapshot served them with, and the night publishes what a night that
    was not killed publishes, event IDs included."""
    import os
    import subprocess
    import sys

    db = _copy_store(night_one, tmp_path / "killed")
    for _, records in _persons_with_three_records(db)[:2]:
        _split_off(db, records)
    decided = _publish_decisions(db)
    history = "SELECT event_id, person_id, event, other_person_id, n_records, run_id FROM id_history ORDER BY ALL"
    decision_events = published(db, history)
    shutil.copytree(db.parent, tmp_path / "uninterrupted" / "store")
    uninterrupted = tmp_path / "uninterrupted" / "store" / db.name

    def night(store: Path, kill_at: str | None = None) -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items() if k != "LAOLINK_KILL_AT"}
        return subprocess.run(
            [sys.executable, "-m", "linkage", "nightly", "--inbox", str(night_one["night_two"]), "--db", str(store),
             "--model", str(DEFAULT_MODEL)],
            env={**env, "LAOLINK_KILL_AT": kill_at} if kill_at else env, capture_output=True, text=True, timeout=600)

    killed = night(db, "cluster:after-decisions")
    assert killed.returncode == -9, killed.stderr[-2000:]
    assert current_snapshot(store_paths(db)) == decided
    for store in (db, uninterrupted):
        done = night(store)
        assert done.returncode == 0, done.stderr[-2000:]
    resumed_events = published(db, history)
    assert set(decision_events) <= set(resumed_events)  # every event under the ID it was served with
    assert resumed_events == published(uninterrupted, history)
    assert published(db, RECORD_PERSON) == published(uninterrupted, RECORD_PERSON)
