"""Benchmark: decision to published snapshot, the time a split made on the person page takes to show.

Demo night 1 for about ``--size`` records, the real nightly job with the shipped model (not timed), then
``--decisions`` times: split the newest record off a person of three records (one 'no' per pair, through
``decide`` as the page records it) and time ``publish_decisions`` (copy the served snapshot, re-cluster it
with every decision, assign IDs, rebuild the queue, rewrite the changed persons' documents, swap CURRENT).
The page shows the change on its next read after that. Prints one JSON line.

    .venv/bin/python benchmarks/bench_decision_publish.py --size 20000
    .venv/bin/python benchmarks/bench_decision_publish.py --size 100000
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import emit, generate_demo, machine  # noqa: E402


def main() -> None:
    import duckdb

    from linkage.model.shipped import DEFAULT_MODEL
    from linkage.nightly import NightlyConfig, run_nightly
    from linkage.paths import store_paths
    from linkage.publishing.decision_publish import publish_decisions
    from linkage.publishing.publish import current_snapshot
    from linkage.service.decisions import decide
    from linkage.service.service_db import connect_service

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=20000, help="about this many records")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--decisions", type=int, default=3, help="splits decided and published one by one")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench_decision_") as tmp:
        demo, _ = generate_demo(Path(tmp) / "demo", args.size, args.seed)
        inbox = Path(tmp) / "inbox"
        inbox.mkdir()
        for f in demo.glob("night1_*"):
            shutil.move(f, inbox / f.name)
        db = Path(tmp) / "laolink.duckdb"
        started = time.perf_counter()
        run_nightly(NightlyConfig(inbox=inbox, db=db, model=DEFAULT_MODEL))
        night_s = time.perf_counter() - started
        paths = store_paths(db)
        snap = duckdb.connect(str(current_snapshot(paths)), read_only=True)
        records = snap.execute("SELECT count(*) FROM records").fetchall()[0][0]
        persons = snap.execute(
            """SELECT list((r.source, r.record_id) ORDER BY r.rid) FROM record_person rp JOIN records r USING (rid)
               GROUP BY rp.person_id HAVING count(*) = 3 ORDER BY rp.person_id LIMIT ?""", [args.decisions]
        ).fetchall()
        snap.close()
        service = connect_service(paths.service_db)
        seconds = []
        try:
            for (recs,) in persons:
                keys = [tuple(v.values()) if isinstance(v, dict) else tuple(v) for v in recs]
                for source, record_id in keys[:-1]:
                    decide(service, (source, record_id, *keys[-1]), "negative", "bench")
                started = time.perf_counter()
                publish_decisions(paths, service)
                seconds.append(round(time.perf_counter() - started, 2))
        finally:
            service.close()
        size_mb = round(current_snapshot(paths).stat().st_size / 2**20, 1)
    emit({"benchmark": "decision_publish", "records": records, "nightly_s": round(night_s, 1),
          "snapshot_mb": size_mb, "decision_to_snapshot_s": seconds, "machine": machine()})


if __name__ == "__main__":
    main()
