"""Soak test: concurrent clients read persons and post decisions while a nightly run publishes.

Builds a demo deployment on localhost (``laolink demo-data`` night 1 through a real nightly
run), starts ``laolink serve`` on a free port, logs in one steward per client, and lets
``--clients`` threads (default 32) loop for ``--seconds`` (default 120, or LAOLINK_SOAK_SECONDS):
GET /persons/{id}, GET /persons?name=, GET /review/queue, and POST /decisions on pairs only
that client decides (each naming the decision it last saw, so none may be refused). A few
seconds in, ``laolink nightly`` runs in a subprocess on the same deployment with the night-2
demo files and publishes while the load goes on (the load lasts until it has published).

Then: zero 5xx and zero transport errors, and every decision a client got 201 for is in the
service database exactly once (none lost, none duplicated, nothing stored that was not
acknowledged). Prints one JSON line (requests, errors, p50/p95/p99 ms, decisions) and exits
non-zero when any of that fails. ``make soak`` runs it.

On a shared 2-core machine the figures include the load generator (32 Python threads) and the
nightly run competing with the server for the same cores.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from api_server import start_api_server  # noqa: E402
from demo_deployment import demo_inbox, demo_model  # noqa: E402

from linkage.nightly import NightlyConfig, run_nightly  # noqa: E402
from linkage.paths import store_paths  # noqa: E402
from linkage.publishing.publish import current_snapshot  # noqa: E402


@dataclass
class ClientStats:
    latencies: list[float] = field(default_factory=list)
    by_kind: dict[str, list[float]] = field(default_factory=dict)
    statuses: Counter = field(default_factory=Counter)
    transport_errors: list[str] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)
    acknowledged: list[int] = field(default_factory=list)  # decision ids answered 201


def _published_sample(db: Path) -> tuple[list[str], list[str], list[tuple[str, str]]]:
    """Person IDs, names to search for, and records (source, record_id) of the served snapshot."""
    con = duckdb.connect(str(current_snapshot(store_paths(db))), read_only=True)
    try:
        persons = [p for (p,) in con.execute("SELECT person_id FROM persons WHERE status = 'active'").fetchall()]
        names = [n for (n,) in con.execute(
            "SELECT DISTINCT given_name_std FROM records WHERE given_name_std IS NOT NULL LIMIT 200").fetchall()]
        records = con.execute("SELECT source, record_id FROM records ORDER BY source, record_id").fetchall()
    finally:
        con.close()
    return persons, names, records


def _client_loop(client: httpx.Client, stats: ClientStats, stop: threading.Event, seed: int,
                 persons: list[str], names: list[str], pairs: list[tuple[tuple[str, str], tuple[str, str]]]) -> None:
    rng = random.Random(seed)
    last_seen: dict[int, int | None] = {i: None for i in range(len(pairs))}
    while not stop.is_set():
        roll = rng.random()
        try:
            started = time.perf_counter()
            if roll < 0.45:
                kind, response = "person", client.get(f"/api/v1/persons/{rng.choice(persons)}")
            elif roll < 0.70:
                kind, response = "search", client.get("/api/v1/persons", params={"name": rng.choice(names)})
            elif roll < 0.80:
                kind, response = "queue", client.get("/api/v1/review/queue", params={"page_size": 20})
            else:
                i = rng.randrange(len(pairs))
                (sl, rl), (sr, rr) = pairs[i]
                body = {"source_l": sl, "record_id_l": rl, "source_r": sr, "record_id_r": rr,
                        "judgement": rng.choice(["same", "not_same", "unsure"]), "note": f"soak {seed}",
                        "expected_decision_id": last_seen[i]}
                kind, response = "decision", client.post("/api/v1/decisions", json=body)
                if response.status_code == 201:
                    last_seen[i] = response.json()["decision_id"]
                    stats.acknowledged.append(last_seen[i])
            stats.latencies.append(time.perf_counter() - started)
            stats.by_kind.setdefault(kind, []).append(stats.latencies[-1])
        except httpx.TransportError as exc:
            stats.transport_errors.append(f"{type(exc).__name__}: {exc}")
            continue
        stats.statuses[(kind, response.status_code)] += 1
        if response.status_code >= 500:
            stats.server_errors.append(f"{kind} {response.status_code}: {response.text[:200]}")


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def soak(work: Path, *, clients: int, seconds: float, persons_n: int, nightly_after: float,
         max_extra: float) -> dict:
    model = demo_model()
    night1 = demo_inbox(work / "night1", night=1, persons=persons_n)
    night2 = demo_inbox(work / "night2", night=2, persons=persons_n)
    db = work / "deploy" / "laolink.duckdb"
    db.parent.mkdir()
    run_nightly(NightlyConfig(inbox=night1, db=db, model=model))
    persons, names, records = _published_sample(db)
    rng = random.Random(1)
    rng.shuffle(records)
    pairs = [tuple(sorted(records[k:k + 2])) for k in range(0, len(records) - 1, 2)]
    result: dict = {"benchmark": "soak", "clients": clients, "persons": persons_n, "records": len(records)}
    with start_api_server(db) as server:
        sessions = [server.first_login("steward") for _ in range(clients)]  # one-time passwords changed first
        run_before = sessions[0].get("/health").json()["published_run_id"]  # shown with a credential only
        stats = [ClientStats() for _ in range(clients)]
        stop = threading.Event()
        threads = [
            threading.Thread(target=_client_loop, daemon=True, args=(
                sessions[i], stats[i], stop, i, persons, names, pairs[i::clients]))
            for i in range(clients)
        ]
        started = time.perf_counter()
        for t in threads:
            t.start()
        time.sleep(nightly_after)
        env = {k: v for k, v in os.environ.items() if not k.startswith("LAOLINK_")}
        nightly_started = time.perf_counter()
        nightly = subprocess.Popen(
            [sys.executable, "-m", "linkage", "nightly", "--inbox", str(night2), "--db", str(db),
             "--model", str(model), "--memory-limit", "2GB"],
            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = started + seconds
        while time.perf_counter() < deadline or (nightly.poll() is None and time.perf_counter() < deadline + max_extra):
            time.sleep(0.2)
            if nightly.poll() is not None and "nightly_seconds" not in result:
                result["nightly_seconds"] = round(time.perf_counter() - nightly_started, 1)
        stop.set()
        for t in threads:
            t.join(timeout=60)
        elapsed = time.perf_counter() - started
        out, err = nightly.communicate(timeout=600)
        result["nightly_exit"] = nightly.returncode
        if nightly.returncode != 0:
            result["nightly_error"] = (err or out).strip().splitlines()[-1:]
        run_after = sessions[0].get("/health").json()["published_run_id"]
        with server.service() as con:
            stored = [d for (d,) in con.execute("SELECT decision_id FROM decisions WHERE note LIKE 'soak %'")]
        server_log = server.log()
    latencies = sorted(x for s in stats for x in s.latencies)
    acknowledged = [d for s in stats for d in s.acknowledged]
    statuses: Counter = Counter()
    for s in stats:
        statuses.update(s.statuses)
    result.update({
        "seconds": round(elapsed, 1),
        "requests": len(latencies),
        "requests_per_second": round(len(latencies) / elapsed, 1),
        "errors_5xx": sum(n for (_, code), n in statuses.items() if code >= 500),
        "transport_errors": sum(len(s.transport_errors) for s in stats),
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 1),
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
        "max_ms": round(latencies[-1] * 1000, 1) if latencies else None,
        "by_status": {f"{kind} {code}": n for (kind, code), n in sorted(statuses.items())},
        "p99_ms_by_kind": {kind: round(percentile(sorted(x for s in stats for x in s.by_kind.get(kind, [])), 0.99)
                                       * 1000, 1) for kind in ("person", "search", "queue", "decision")},
        "decisions_acknowledged": len(acknowledged),
        "decisions_stored": len(stored),
        "decisions_lost": len(set(acknowledged) - set(stored)),
        "decisions_duplicated": len(acknowledged) - len(set(acknowledged)) + len(stored) - len(set(stored)),
        "decisions_unacknowledged_but_stored": len(set(stored) - set(acknowledged)),
        "published_run_before": run_before,
        "published_run_after": run_after,
        "server_tracebacks": server_log.count("Traceback"),
        "examples": [e for s in stats for e in (s.server_errors + s.transport_errors)][:5],
    })
    return result


def failed(result: dict) -> list[str]:
    problems = []
    for key in ("errors_5xx", "transport_errors", "decisions_lost", "decisions_duplicated",
                "decisions_unacknowledged_but_stored", "server_tracebacks", "nightly_exit"):
        if result.get(key):
            problems.append(f"{key} = {result[key]}")
    if result["published_run_after"] == result["published_run_before"]:
        problems.append("the nightly run did not publish during the load")
    if result["decisions_acknowledged"] == 0:
        problems.append("no decision was acknowledged")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("LAOLINK_SOAK_SECONDS", "120")))
    parser.add_argument("--persons", type=int, default=200, help="demo persons (laolink demo-data --persons)")
    parser.add_argument("--nightly-after", type=float, default=5.0, help="seconds of load before the nightly starts")
    parser.add_argument("--max-extra", type=float, default=300.0,
                        help="longest the load goes on past --seconds waiting for the nightly to publish")
    parser.add_argument("--work", type=Path, default=None, help="folder for the deployment (default: a temp dir)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="laolink-soak-") as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        result = soak(work, clients=args.clients, seconds=args.seconds, persons_n=args.persons,
                      nightly_after=min(args.nightly_after, args.seconds / 2), max_extra=args.max_extra)
    problems = failed(result)
    result["ok"] = not problems
    print(json.dumps(result, ensure_ascii=False))
    for problem in problems:
        print(f"soak failed: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
