"""Benchmark: API latency of GET /persons/{id} and POST /match at 1 and 16 concurrent clients.

Builds a synthetic published store of ``--size`` records (names from Lao syllables, keys from
the real name key, persons of 1-3 records with links) unless ``--db`` names a store that has
a published snapshot, starts ``laolink serve`` (``--workers`` processes) on a free localhost port,
waits until every server process has built its in-memory copies, and sends requests with a
system API key. Each (endpoint, clients) level runs until ``--requests`` answers or
``--seconds`` pass. Prints the server's resident memory per process, then one JSON line per
level with p50/p95/p99 in milliseconds and the machine's 1-minute load average.

    .venv/bin/python benchmarks/bench_api.py --size 1000000
    .venv/bin/python benchmarks/bench_api.py --db var/laolink.duckdb --workers 2

On a shared 2-core machine, the 16-client figures include the load generator itself
(16 threads on kept-alive http.client connections, lighter than httpx) competing with the
server for the same cores, and whatever else runs: read them next to the load average.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import duckdb
import httpx

REPO = Path(__file__).resolve().parents[1]
SYLLABLES = ["bou", "a", "sy", "kham", "la", "phon", "si", "sa", "vath", "thong", "vong", "noy", "ma", "khai",
             "chan", "phet", "dao", "keo", "phou", "mee"]
SOURCES = ["MOLSW-DSW", "MOLSW-LMI", "MOPS-AHTD", "PROV-SVK", "BORDER-FRIENDSHIP-BRIDGE-1", "TH-REPAT"]


def _model() -> dict:
    """The demo model when trained, else the real settings with fixed m/u (tests/snapshot_builder.py)."""
    demo = REPO / "models" / "demo.json"
    if demo.exists():
        return json.loads(demo.read_text(encoding="utf-8"))
    sys.path.insert(0, str(REPO / "tests"))
    from snapshot_builder import fixed_model

    return fixed_model()


def build_store(db: Path, size: int, seed: int = 7) -> None:
    """A published store of ``size`` synthetic records, standardized through the real name key."""
    from linkage.fields.name_key import name_key, romanize_name
    from linkage.model.prediction import comparison_names, ensure_prediction_tables, level_labels
    from linkage.paths import store_paths
    from linkage.publishing.publish import publish_snapshot
    from linkage.store import connect

    started = time.perf_counter()
    n_persons = int(size / 1.6)
    s = len(SYLLABLES)
    givens = [(i, (SYLLABLES[i // s] + SYLLABLES[i % s]).capitalize()) for i in range(s * s)]
    families = [(i, (SYLLABLES[i // (s * s)] + SYLLABLES[(i // s) % s] + SYLLABLES[i % s]).capitalize())
                for i in range(s ** 3)]
    con = connect(db)
    con.execute("CREATE TEMP TABLE g AS SELECT * FROM (VALUES (0, '', '', '')) t(i, name, std, key) LIMIT 0")
    con.executemany("INSERT INTO g VALUES (?, ?, ?, ?)", [(i, n, romanize_name(n), name_key(n)) for i, n in givens])
    con.execute("CREATE TEMP TABLE f AS SELECT * FROM g LIMIT 0")
    con.executemany("INSERT INTO f VALUES (?, ?, ?, ?)", [(i, n, romanize_name(n), name_key(n)) for i, n in families])
    con.execute("INSERT INTO ingested_files (path, sha256, mapping) VALUES ('synthetic', 'x', 'exchange')")
    sources = "[" + ", ".join(f"'{x}'" for x in SOURCES) + "]"
    con.execute(
        f"""
        CREATE TEMP TABLE p AS
        SELECT i AS pidx, hash(i * 3 + {seed}) % {len(givens)} AS gi, hash(i * 5 + {seed}) % {len(families)} AS fi,
               (1960 + hash(i * 7 + {seed}) % 50)::INTEGER AS y, (1 + hash(i * 11 + {seed}) % 12)::INTEGER AS m,
               (1 + hash(i * 13 + {seed}) % 28)::INTEGER AS d, CASE WHEN hash(i) % 2 = 0 THEN 'F' ELSE 'M' END AS sex,
               '020' || lpad((hash(i * 17 + {seed}) % 100000000)::VARCHAR, 8, '0') AS phone
        FROM range({n_persons}) t(i);
        INSERT INTO records (rid, source, record_id, role, full_name, sex, date_of_birth, phone, row_hash, file_id,
            line_no, name_script, given_name_std, family_name_std, full_name_std, given_key, family_key,
            name_order_swapped, sex_code, dob, dob_precision, dob_year, dob_month, dob_day, nationality_code,
            phone_e164, std_version)
        SELECT r.i, {sources}[1 + r.i % 6], 'R' || r.i, 'victim', g.name || ' ' || f.name, p.sex,
               lpad(p.d::VARCHAR, 2, '0') || '/' || lpad(p.m::VARCHAR, 2, '0') || '/' || p.y,
               CASE WHEN r.i % 3 = 0 THEN NULL ELSE p.phone END, 'h', 1, r.i,
               'latin', g.std, f.std, g.std || ' ' || f.std, g.key, f.key, false, p.sex,
               make_date(p.y, p.m, p.d), 'day', p.y, p.m, p.d, 'LAO',
               CASE WHEN r.i % 3 = 0 THEN NULL ELSE '+856' || substr(p.phone, 2) END, 1
        FROM (SELECT i, CASE WHEN i < {n_persons} THEN i ELSE hash(i + {seed}) % {n_persons} END AS pidx
              FROM range(1, {size} + 1) t(i)) r
        JOIN p USING (pidx) JOIN g ON g.i = p.gi JOIN f ON f.i = p.fi;
        INSERT INTO record_person
        SELECT r.i, 'LA-P-' || lpad(r.pidx::VARCHAR, 7, '0')
        FROM (SELECT i, CASE WHEN i < {n_persons} THEN i ELSE hash(i + {seed}) % {n_persons} END AS pidx
              FROM range(1, {size} + 1) t(i)) r;
        INSERT INTO persons SELECT person_id, 'active', NULL, 1, 1, count(*) FROM record_person GROUP BY person_id;
        INSERT INTO id_history (person_id, event, n_records, run_id)
        SELECT person_id, 'created', n_records, 1 FROM persons;
        """
    )
    model = _model()
    names = comparison_names(model)
    ensure_prediction_tables(con, names, replace=True)
    con.executemany("INSERT INTO comparison_levels VALUES ('bench', ?, ?, ?)", level_labels(model))
    gammas = ", ".join("1" for _ in names)
    weights = ", ".join("1.0" for _ in names)
    con.execute(
        f"""INSERT INTO predictions
            SELECT rid_l, rid_r, 5.0, 0.97, 'bench', 1, {gammas}, {weights} FROM (
                SELECT rid AS rid_l, lead(rid) OVER (PARTITION BY person_id ORDER BY rid) AS rid_r FROM record_person)
            WHERE rid_r IS NOT NULL"""
    )
    con.execute("INSERT INTO runs (run_id, status, model_version, report) VALUES (1, 'ok', 'bench', '{}')")
    con.execute("INSERT INTO models VALUES ('bench', 'synthetic', ?, 1)", [json.dumps(model)])
    publish_snapshot(con, store_paths(db), 1)
    con.close()
    print(json.dumps({"built_records": size, "persons": n_persons, "seconds": round(time.perf_counter() - started, 1)}),
          flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(db: Path, workers: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    log = open(db.with_name("bench-server.log"), "w")  # noqa: SIM115 - open while the server runs
    process = subprocess.Popen(
        [sys.executable, "-m", "linkage", "serve", "--db", str(db), "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(workers)],
        cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return process, base
        except httpx.TransportError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError("server did not start")


def server_processes(pid: int) -> list[int]:
    """The server process and its worker processes (Linux /proc)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
    return out


def server_rss_mb(pid: int) -> dict[str, int]:
    """Resident memory of the server process and each of its worker processes."""
    out = {}
    for p in server_processes(pid):
        with contextlib.suppress(OSError, StopIteration):
            status = Path(f"/proc/{p}/status").read_text()
            out[str(p)] = int(next(x for x in status.splitlines() if x.startswith("VmRSS:")).split()[1]) // 1024
    return out


def server_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) the server processes have used: per request, it does not depend on how
    busy the shared machine is, where latency does."""
    total = 0
    for p in server_processes(pid):
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime in clock ticks
    return total / os.sysconf("SC_CLK_TCK")


def samples(db: Path, n: int = 2000) -> tuple[list[str], list[dict]]:
    """Person IDs to read, and match queries made from stored records with a spelling change."""
    from linkage.paths import store_paths
    from linkage.publishing.publish import current_snapshot

    con = duckdb.connect(str(current_snapshot(store_paths(db))), read_only=True)
    try:
        ids = [r[0] for r in con.execute(
            f"SELECT person_id FROM persons WHERE status = 'active' USING SAMPLE {n} ROWS").fetchall()]
        rows = con.execute(
            f"SELECT full_name, sex, date_of_birth, phone FROM records USING SAMPLE {n} ROWS"
        ).fetchall()
    finally:
        con.close()
    queries = []
    for full_name, sex, dob, phone in rows:
        name = (full_name or "").replace("ou", "u").replace("th", "t")  # a romanization variant
        queries.append({"full_name": name, "sex": sex, "date_of_birth": dob, "phone": phone})
    return ids, queries


def run_level(base: str, key: str, endpoint: str, clients: int, requests: int, seconds: float,
              ids: list[str], queries: list[dict]) -> dict:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    counter = iter(range(requests))

    host, port = base.removeprefix("http://").split(":")
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    def worker(worker_id: int) -> None:
        # http.client on a kept-alive connection: a fraction of httpx's CPU per request, so the load
        # generator takes less of the cores the server needs.
        nonlocal errors
        rng = random.Random(worker_id)
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        try:
            while time.monotonic() < stop:
                with lock:
                    if next(counter, None) is None:
                        return
                t0 = time.perf_counter()
                try:
                    if endpoint == "GET /persons/{id}":
                        conn.request("GET", f"/api/v1/persons/{rng.choice(ids)}", headers=headers)
                    else:
                        conn.request("POST", "/api/v1/match", body=json.dumps(rng.choice(queries)), headers=headers)
                    response = conn.getresponse()
                    response.read()
                    ok = response.status == 200
                except (OSError, http.client.HTTPException):  # a timeout counts as an error; reconnect
                    conn.close()
                    ok = False
                elapsed = (time.perf_counter() - t0) * 1000
                with lock:
                    latencies.append(elapsed)
                    errors += not ok
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [latencies[0]] * 99
    return {"endpoint": endpoint, "clients": clients, "requests": len(latencies), "errors": errors,
            "p50_ms": round(q[49], 1), "p95_ms": round(q[94], 1), "p99_ms": round(q[98], 1),
            "throughput_per_s": round(len(latencies) / wall, 1),
            "load_avg_1m": round(os.getloadavg()[0], 2)}  # the machine is shared: read figures next to it


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000, help="records of the synthetic store")
    parser.add_argument("--db", type=Path, help="use this store's published snapshot instead of building one")
    parser.add_argument("--requests", type=int, default=1000, help="answers per level at most")
    parser.add_argument("--seconds", type=float, default=30.0, help="seconds per level at most")
    parser.add_argument("--workers", type=int, default=None, help="server processes (laolink serve's default)")
    args = parser.parse_args()
    from linkage.cli.serve import default_workers
    from linkage.paths import store_paths
    from linkage.service.auth import create_key
    from linkage.service.service_db import connect_service

    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or Path(tmp) / "bench.duckdb"
        if args.db is None:
            build_store(db, args.size)
        svc = connect_service(store_paths(db).service_db)
        _, key = create_key(svc, f"bench-{int(time.time())}", "system", created_by="bench_api")
        svc.close()
        ids, queries = samples(db)
        workers = args.workers or default_workers()
        process, base = start_server(db, workers)
        try:
            t0 = time.perf_counter()
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline:  # until every server process has built its in-memory copies
                slowest = max(run_level(base, key, endpoint, 2 * workers, 20 * workers, 60, ids, queries)["p99_ms"]
                              for endpoint in ("GET /persons/{id}", "POST /match"))
                if slowest < 1000:
                    break
            print(json.dumps({"warm_up_s": round(time.perf_counter() - t0, 1), "workers": workers,
                              "server_rss_mb": server_rss_mb(process.pid)}), flush=True)
            for endpoint in ("GET /persons/{id}", "POST /match"):
                for clients in (1, 16):
                    cpu = server_cpu_seconds(process.pid)
                    result = run_level(base, key, endpoint, clients, args.requests, args.seconds, ids, queries)
                    result["server_cpu_ms_per_request"] = round(
                        (server_cpu_seconds(process.pid) - cpu) * 1000 / max(result["requests"], 1), 1)
                    print(json.dumps({"size": args.size if args.db is None else str(args.db), **result}), flush=True)
        finally:
            process.terminate()
            process.wait(timeout=30)


if __name__ == "__main__":
    main()
