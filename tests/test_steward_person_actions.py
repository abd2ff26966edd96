"""Split and merge on the person page, against a real server on a store the real nightly built from demo data.

Each test takes persons no other test touches; decisions go through the page forms as a browser posts them
(the form's fields, the session's CSRF token) and are followed into the snapshot the server publishes.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import duckdb
import pytest
from api_server import SHARED_SERVER_ENV, start_api_server

from linkage.model.shipped import DEFAULT_MODEL
from linkage.nightly import NightlyConfig, run_nightly
from linkage.publishing.decision_publish import served_decisions_through
from linkage.publishing.publish import current_snapshot
from linkage.service.decisions import decision_conflicts
from tests.demo_deployment import demo_inbox, published


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    base = tmp_path_factory.mktemp("steward-actions")
    inbox = demo_inbox(base / "demo", persons=300, seed=11)
    db = base / "laolink.duckdb"
    run_nightly(NightlyConfig(inbox=inbox, db=db, model=DEFAULT_MODEL, threads=1))
    return {"db": db, "inbox": inbox}


@pytest.fixture(scope="module")
def server(deployment):
    with start_api_server(deployment["db"], env=SHARED_SERVER_ENV) as srv:
        yield srv


def persons_of(db: Path, rids: list[int]) -> dict[int, str]:
    return dict(published(db, "SELECT rid, person_id FROM record_person WHERE rid IN (SELECT unnest(?::BIGINT[]))",
                          [rids]))


def persons_of_size(db: Path, size: int) -> list[tuple[str, list[int]]]:
    """Published persons of ``size`` records (``size`` 4: four or more), with their rids, by person ID."""
    having = "count(*) >= 4" if size == 4 else f"count(*) = {size}"
    return [(p, list(rids)) for p, rids in published(
        db, f"SELECT person_id, list(rid ORDER BY rid) FROM record_person GROUP BY 1 HAVING {having} ORDER BY 1")]


def last_decision(server) -> int:
    with server.service() as con:
        return con.execute("SELECT coalesce(max(decision_id), 0) FROM decisions").fetchone()[0]


def wait_published(server, timeout: float = 60) -> None:
    """Until the served snapshot holds every decision made so far (``served_decisions_through``, as the pages ask)."""
    last = last_decision(server)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        con = duckdb.connect(str(current_snapshot(server.paths)), read_only=True)
        try:
            if served_decisions_through(con) >= last:
                return
        finally:
            con.close()
        time.sleep(0.25)
    raise AssertionError(f"decision {last} not published within {timeout} s")


def form_fields(client, person_id: str) -> dict[str, str]:
    """The hidden fields the person page's forms carry (the newest decision the page was clustered with)."""
    page = client.get(f"/persons/{person_id}")
    assert page.status_code == 200, page.text
    return dict(re.findall(r'name="(seen_through)" value="(\d+)"', page.text)[:1])


def split(client, person_id: str, rid: int, shown: dict[str, str] | None = None):
    data = {"rid": str(rid), "note": "", **(form_fields(client, person_id) if shown is None else shown)}
    return client.post(f"/persons/{person_id}/split", data=data, follow_redirects=False)


def merge(client, person_id: str, other: str, shown: dict[str, str] | None = None):
    data = {"other": other, "note": "", **(form_fields(client, person_id) if shown is None else shown)}
    return client.post(f"/persons/{person_id}/merge", data=data, follow_redirects=False)


def audited(server, before: int, action: str) -> list[tuple]:
    return [(r["outcome"], r["status"]) for r in server.audit_rows(after=before) if r["action"] == action]


def test_a_source_limited_key_opens_no_item_its_queue_hides(server, deployment):
    # a flagged cluster whose pair is of some sources while its person holds records of others: the queue hides it
    # (its reason comes from the other records), and so do the pair page and the API
    rows = published(deployment["db"], """
        SELECT q.item_id, list_distinct([a.source, b.source]),
               (SELECT list(DISTINCT r.source) FROM record_person rp JOIN records r USING (rid)
                WHERE rp.person_id = q.person_id)
        FROM review_queue q JOIN records a ON a.rid = q.rid_l JOIN records b ON b.rid = q.rid_r
        WHERE q.kind = 'cluster' ORDER BY q.item_id""")
    item, sources, _ = next(r for r in rows if set(r[2]) - set(r[1]))
    key = server.client_as("steward", sources=sorted(sources))
    listed = key.get("/api/v1/review/queue", params={"page_size": 100}).json()["items"]
    assert item not in [i["item_id"] for i in listed]
    before = server.last_audit_id()
    assert key.get(f"/api/v1/review/pairs/{item}").status_code == 404  # before: 200, a reason from other sources
    assert key.get(f"/pairs/{item}").status_code == 404
    assert audited(server, before, "review.pair") == [("error", 404)]
    assert audited(server, before, "page.pair") == [("error", 404)]
    assert server.client_as("steward").get(f"/api/v1/review/pairs/{item}").status_code == 200


def test_refused_and_failed_reads_and_writes_of_persons_are_audited(server, deployment):
    db = deployment["db"]
    person, rids = persons_of_size(db, 2)[0]
    record = published(db, "SELECT source, record_id FROM records WHERE rid = ?", [rids[0]])[0]
    analyst, steward = server.client_as("analyst"), server.client_as("steward")
    first = last_decision(server)
    cases = [
        ("decision.create", ("denied", 403), lambda: split(analyst, person, rids[0], shown={})),
        ("decision.create", ("denied", 403), lambda: merge(analyst, person, "LA-P-0000001", shown={})),
        ("page.person", ("error", 404), lambda: steward.get("/persons/LA-P-9999999")),
        ("page.pair", ("error", 404), lambda: steward.get("/pairs/999999")),
        ("review.pair", ("error", 404), lambda: steward.get("/api/v1/review/pairs/999999")),
        ("decision.create", ("error", 404), lambda: steward.post("/api/v1/decisions", json={
            "source_l": record[0], "record_id_l": record[1], "source_r": record[0], "record_id_r": "no-such-record",
            "judgement": "same"})),
        ("decision.create", ("error", 404), lambda: split(steward, person, 10**9, shown={})),
        ("decision.create", ("error", 404), lambda: merge(steward, person, "LA-P-9999999", shown={})),
        ("decision.create", ("error", 422), lambda: split(steward, person, rids[0], shown={"note": "x" * 2001})),
        ("page.person", ("ok", 200), lambda: steward.get(f"/persons/{person}")),
    ]
    for action, expected, call in cases:
        before = server.last_audit_id()
        answer = call()
        assert answer.status_code == expected[1], (action, answer.text[:300])
        assert audited(server, before, action) == [expected], action
    assert last_decision(server) == first  # none of them recorded anything


def test_merging_a_split_off_record_back_restores_the_person_whole(server, deployment):
    db = deployment["db"]
    person, rids = persons_of_size(db, 4)[0]
    steward = server.client_as("steward")
    first = last_decision(server)
    assert split(steward, person, rids[-1]).status_code == 303
    wait_published(server)
    after_split = persons_of(db, rids)
    other = after_split[rids[-1]]
    assert other != person and {after_split[r] for r in rids[:-1]} == {person}
    answer = merge(steward, person, other)
    assert answer.status_code == 303 and answer.headers["location"] == f"/persons/{person}?notice=decision_pending"
    wait_published(server)
    assert set(persons_of(db, rids).values()) == {person}  # before: record 1 left with the split-off one
    with server.service() as con:
        made = con.execute("SELECT decision_id, judgement, supersedes FROM decisions WHERE decision_id > ?"
                           " ORDER BY decision_id", (first,)).fetchall()
    negatives = {r[0] for r in made if r[1] == "negative"}
    # every "not the same" of the split is superseded by a "same person" of the merge
    assert negatives and negatives == {r[2] for r in made if r[1] == "positive"}


def test_a_second_stewards_split_of_a_merge_overturns_it_instead_of_contesting_it(server, deployment):
    db = deployment["db"]
    (a, [rid_a]), (b, [rid_b]) = persons_of_size(db, 1)[-2:]
    first, second = server.client_as("steward"), server.client_as("steward")
    assert merge(first, a, b).status_code == 303
    wait_published(server)
    merged = persons_of(db, [rid_a, rid_b])
    assert len(set(merged.values())) == 1
    assert split(second, merged[rid_a], rid_b).status_code == 303
    wait_published(server)
    assert len(set(persons_of(db, [rid_a, rid_b]).values())) == 2
    with server.service() as con:
        assert decision_conflicts(con) == []  # before: both live, "stewards disagree"
    contested = published(db, "SELECT count(*) FROM review_queue WHERE CAST(reasons AS VARCHAR)"
                              " LIKE '%stewards_disagree%'")
    assert contested == [(0,)]


def test_a_split_of_a_person_decided_again_since_the_page_was_shown_is_refused(server, deployment):
    db = deployment["db"]
    person, rids = persons_of_size(db, 3)[0]
    late, early = server.client_as("steward"), server.client_as("steward")
    shown = form_fields(late, person)
    assert split(early, person, rids[-1]).status_code == 303
    count = last_decision(server)
    before = server.last_audit_id()
    refused = split(late, person, rids[-1], shown=shown)
    assert refused.status_code == 409 and f'href="/persons/{person}"' in refused.text
    assert last_decision(server) == count
    rows = [r for r in server.audit_rows(after=before) if r["action"] == "decision.create"]
    assert [(r["outcome"], r["status"], r["person_ids"]) for r in rows] == [("error", 409, [person])]
    wait_published(server)


def test_a_merge_undone_by_a_split_gives_the_record_its_id_back(server, deployment):
    db = deployment["db"]
    (a, [rid_a]), (b, [rid_b]) = persons_of_size(db, 1)[-12:-10]
    steward = server.client_as("steward")
    assert merge(steward, a, b).status_code == 303
    wait_published(server)
    merged = steward.get(f"/api/v1/persons/{b}").json()
    assert merged["status"] == "alias" and merged["resolved_to"] == a
    assert split(steward, a, rid_b).status_code == 303
    wait_published(server)
    assert persons_of(db, [rid_a, rid_b]) == {rid_a: a, rid_b: b}  # before: a new ID, and b an alias of a
    again = steward.get(f"/api/v1/persons/{b}").json()
    assert again["status"] == "active" and [r["rid"] for r in again["records"]] == [rid_b]
    assert ("revived", a) in [(h["event"], h["other_person_id"]) for h in again["history"]]
    page = steward.get(f"/persons/{b}")
    assert page.status_code == 200 and f'data-rid="{rid_b}"' in page.text


def walk_next(client, query: str = "", start: str = "/queue/next") -> list:
    """Follow /queue/next from the top as the pair page does after each answer: the items it opens, then where
    it ends (the queue)."""
    seen: list = []
    location = client.get(start + (f"?{query}" if query else ""), follow_redirects=False).headers["location"]
    while location.startswith("/pairs/") and len(seen) < 500:
        item = int(location.split("?")[0].rsplit("/", 1)[1])
        seen.append(item)
        location = client.get(f"/queue/next?after={item}" + (f"&{query}" if query else ""),
                              follow_redirects=False).headers["location"]
    return [*seen, location]


def test_next_item_offers_pairs_stewards_disagree_on(server, deployment):
    from linkage.publishing.decision_publish import publish_decisions
    from linkage.service.decisions import decide

    db = deployment["db"]
    (_, [rid_a]), (_, [rid_b]) = persons_of_size(db, 1)[-22:-20]
    (a,), (b,) = (published(db, "SELECT source, record_id FROM records WHERE rid = ?", [r]) for r in (rid_a, rid_b))
    with server.service() as con:  # two stewards who disagree (as `laolink decisions add` records them)
        decide(con, (*a, *b), "positive", "steward-one")
        decide(con, (*a, *b), "negative", "steward-two")
        publish_decisions(server.paths, con)
    (item,) = published(db, "SELECT item_id FROM review_queue WHERE rid_l = ? AND rid_r = ?",
                        [min(rid_a, rid_b), max(rid_a, rid_b)])[0]
    walked = walk_next(server.client_as("steward"))
    assert item in walked and walked[-1] == "/queue"  # before: every pair with a decision was skipped


def test_next_item_keeps_the_queues_filters(server, deployment):
    steward = server.client_as("steward")
    queue = steward.get("/api/v1/review/queue", params={"page_size": 100, "kind": "pair"}).json()
    source = min(queue["by_source"], key=lambda s: (queue["by_source"][s], s))  # a source of some pair items
    assert queue["by_source"][source] < queue["page"]["total"]
    listed = steward.get("/api/v1/review/queue", params={"source": source, "kind": "pair"}).json()["items"]
    walked = walk_next(steward, f"source={source}&kind=pair")
    assert walked[-1] == f"/queue?kind=pair&source={source}"
    assert set(walked[:-1]) <= {i["item_id"] for i in listed}  # before: the unfiltered queue
    page = steward.get(f"/queue?source={source}&kind=pair").text
    assert f'href="/pairs/{listed[0]["item_id"]}?kind=pair&amp;source={source}"' in page
    pair = steward.get(f"/pairs/{listed[0]['item_id']}?kind=pair&source={source}").text
    assert f'href="/queue/next?after={listed[0]["item_id"]}&amp;kind=pair&amp;source={source}"' in pair


@pytest.fixture(scope="module")
def long_queue(tmp_path_factory):
    """A snapshot whose queue holds 520 pair items of equal priority (in item order)."""
    from snapshot_builder import build_snapshot

    db = tmp_path_factory.mktemp("long-queue") / "laolink.duckdb"
    records = [{"source": "MOLSW-DSW", "record_id": f"{side}{i}", "full_name": f"Person {i}", "sex": "F"}
               for i in range(520) for side in "AB"]
    build_snapshot(db, records, standardize=True,
                   review_queue=[{"l": ("MOLSW-DSW", f"A{i}"), "r": ("MOLSW-DSW", f"B{i}")} for i in range(520)])
    with start_api_server(db, env=SHARED_SERVER_ENV) as srv:
        yield srv


def test_next_item_walks_the_whole_queue(long_queue):
    steward = long_queue.client_as("steward")
    items = [i["item_id"] for page in (1, 2, 3, 4, 5, 6)
             for i in steward.get("/api/v1/review/queue", params={"page": page, "page_size": 100}).json()["items"]]
    assert len(items) == 520
    after = steward.get(f"/queue/next?after={items[509]}", follow_redirects=False).headers["location"]
    assert after == f"/pairs/{items[510]}"  # before: the first 500 items only, so from the top again
    assert steward.get(f"/queue/next?after={items[-1]}", follow_redirects=False).headers["location"] == "/queue"


def test_person_and_pair_pages_speak_lao_and_say_when_a_decision_shows(server, deployment):
    from linkage.service.decisions import decide

    db = deployment["db"]
    steward = server.client_as("steward")
    person = persons_of_size(db, 3)[1][0]
    english = steward.get(f"/persons/{person}").text
    assert "next nightly run" not in english and "within seconds" in english  # the confirmations
    steward.cookies.set("laolink_lang", "lo")
    lao = steward.get(f"/persons/{person}").text
    assert '<span class="tag">ໃຊ້ງານຢູ່</span>' in lao and ">active<" not in lao
    assert "ສ້າງໃໝ່" in lao and ">created<" not in lao  # its ID history's events
    queue = steward.get("/queue").text
    assert '<option value="smuggled_migrant" >ແຮງງານເຂົ້າເມືອງຜິດກົດໝາຍ</option>' in queue
    assert '<option value="victim" >ຜູ້ເຄາະຮ້າຍ</option>' in queue
    item, rid_l, rid_r = published(db, "SELECT item_id, rid_l, rid_r FROM review_queue WHERE kind = 'pair' AND"
                                       " CAST(reasons AS VARCHAR) LIKE '%uncertain_band%' ORDER BY item_id LIMIT 1")[0]
    (left,), (right,) = (published(db, "SELECT source, record_id FROM records WHERE rid = ?", [r])
                         for r in (rid_l, rid_r))
    with server.service() as con:  # decided, not yet published: the page shows the current decision
        decide(con, (*left, *right), "negative", "steward-lao")
    decided = re.findall(r'<p class="decided">(.*?)</p>', steward.get(f"/pairs/{item}").text)
    assert decided == ["ການຕັດສິນປັດຈຸບັນ: ບໍ່ແມ່ນຄົນດຽວກັນ ໂດຍ steward-lao"]  # before: "negative"


def test_the_person_page_prints_only_its_own_notices(server, deployment):
    person = persons_of_size(deployment["db"], 3)[2][0]
    steward = server.client_as("steward")
    forged = steward.get(f"/persons/{person}", params={"notice": "Your account is locked: call +856 20 5555 0000"})
    assert forged.status_code == 200 and "account is locked" not in forged.text
    known = steward.get(f"/persons/{person}", params={"notice": "decision_pending"})
    assert "Decision recorded" in known.text


def test_the_queue_filters_by_every_role_and_a_merge_takes_an_alias_id(server, deployment):
    db = deployment["db"]
    steward = server.client_as("steward")
    migrants = steward.get("/api/v1/review/queue", params={"role": "smuggled_migrant", "page_size": 100})
    assert migrants.status_code == 200, migrants.text  # before: 422
    coded = published(db, "SELECT count(DISTINCT q.item_id) FROM review_queue q JOIN records r"
                          " ON r.rid IN (q.rid_l, q.rid_r) WHERE r.role_code = 'smuggled_migrant'")[0][0]
    assert migrants.json()["page"]["total"] >= coded > 0
    (a, [rid_a]), (b, [rid_b]), (c, [rid_c]) = persons_of_size(db, 1)[-32:-29]
    assert merge(steward, a, b).status_code == 303
    wait_published(server)
    assert steward.get(f"/api/v1/persons/{b}").json()["status"] == "alias"
    answer = merge(steward, c, b)  # b names the person it was merged into
    assert answer.status_code == 303, answer.text  # before: Not found
    wait_published(server)
    assert len(set(persons_of(db, [rid_a, rid_b, rid_c]).values())) == 1
    long_note = merge(steward, c, a, shown={"note": "x" * 2001})
    assert long_note.status_code == 422 and "at most 2000 characters" in long_note.text
