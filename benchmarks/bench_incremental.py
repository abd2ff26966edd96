"""Benchmark: incremental nights on a store of N records, for 1,000 / 10,000 / 100,000 new records.

Builds a store of about N records (demo night 1, one full nightly run with the committed
demo model; not the figure), then for each night size runs the real nightly job on its own
copy of that store with an inbox of that many rows of the demo's night 2 (the same world's
next night: new records, mostly of known persons, and a few changed re-sends), each file cut
to the same share of its rows. The time of each night should grow with the new records,
not with the store. Prints one JSON line.

    .venv/bin/python benchmarks/bench_incremental.py --size 100000 --new 1000 10000
    .venv/bin/python benchmarks/bench_incremental.py --size 1000000 --new 1000 10000 100000
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import emit, generate_demo, machine, peak_rss_mb, run_worker, source_files  # noqa: E402

_ENCODINGS = (("utf-16", b"\xff\xfe"), ("utf-8-sig", b"\xef\xbb\xbf"))


def _read_csv(path: Path) -> tuple[str, list[list[str]]]:
    raw = path.read_bytes()
    encoding = next((enc for enc, bom in _ENCODINGS if raw.startswith(bom)), None)
    if encoding is None:
        try:
            raw.decode("utf-8")
            encoding = "utf-8"
        except UnicodeDecodeError:
            encoding = "cp874"
    return encoding, list(csv.reader(io.StringIO(raw.decode(encoding), newline="")))


def cut_night(files: list[Path], share: float, out: Path) -> int:
    """Copy ``files`` into ``out`` keeping the header and the first ``share`` of each file's rows."""
    out.mkdir(parents=True, exist_ok=True)
    kept = 0
    for path in files:
        if path.suffix == ".xlsx":
            from openpyxl import Workbook, load_workbook

            rows = list(load_workbook(path, read_only=True).worksheets[0].iter_rows(values_only=True))
            keep = rows[: 1 + round(share * (len(rows) - 1))]
            book = Workbook(write_only=True)
            sheet = book.create_sheet("Cases")
            for row in keep:
                sheet.append(list(row))
            book.save(out / path.name)
        else:
            encoding, rows = _read_csv(path)
            keep = rows[: 1 + round(share * (len(rows) - 1))]
            with (out / path.name).open("w", encoding=encoding, newline="") as f:
                csv.writer(f).writerows(keep)
        kept += len(keep) - 1
    return kept


def copy_store(db: Path, to: Path) -> Path:
    """The store, its service database and its published snapshots (not its scratch directory).

    The snapshots are hard links, as a deployment's store has them: a night never writes into a published file
    (it copies the last one), and the last night's person documents are reused only for the very file they were
    built from (same inode); a copy of the snapshot would make every benchmark night publish whole."""
    to.mkdir(parents=True)
    for part in db.parent.iterdir():
        if part.name.startswith(db.stem) and not part.name.endswith(".work"):
            if part.suffix == ".published":
                shutil.copytree(part, to / part.name, copy_function=os.link)
            else:
                (shutil.copytree if part.is_dir() else shutil.copy2)(part, to / part.name)
    return to / db.name


def night(db: Path, inbox: Path, memory_limit: str) -> dict:
    """One nightly run in this (worker) process: its report's figures."""
    from linkage.nightly import NightlyConfig, run_nightly

    start = time.perf_counter()
    report = run_nightly(NightlyConfig(inbox=inbox, db=db, memory_limit=memory_limit))
    return {"wall_s": round(time.perf_counter() - start, 2), "seconds": report.seconds,
            "rows": report.rows, "pairs_scored": report.pairs_scored, "persons": report.persons} | peak_rss_mb()


def _worker(db: Path, inbox: Path, memory_limit: str) -> dict:
    cmd = [sys.executable, __file__, "--worker", str(db), str(inbox), "--memory-limit", memory_limit]
    return run_worker(cmd)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=20000, help="Records in the store (about).")
    parser.add_argument("--new", type=int, nargs="+", default=[1000, 10000, 100000], help="New records per night.")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--memory-limit", default="6GB")
    parser.add_argument("--worker", nargs=2, metavar=("DB", "INBOX"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        emit(night(Path(args.worker[0]), Path(args.worker[1]), args.memory_limit))
        return

    with tempfile.TemporaryDirectory(prefix="laolink-bench-incr-") as tmp:
        tmp_path = Path(tmp)
        demo, _ = generate_demo(tmp_path / "demo", args.size, args.seed)
        inbox1 = tmp_path / "night1"
        inbox1.mkdir()
        for f in source_files(demo):
            f.rename(inbox1 / f.name)
        base = tmp_path / "base" / "store.duckdb"
        base.parent.mkdir()
        figures: dict = {"benchmark": "incremental", "machine": machine()}
        figures["base_build"] = _worker(base, inbox1, args.memory_limit)
        generate_demo(demo, args.size, args.seed, night=2)
        night2 = source_files(demo, 2)
        night2_rows = cut_night(night2, 1.0, tmp_path / "night2-all")
        figures["store_records"] = figures["base_build"]["rows"].get("stored")
        nights = {}
        for n_new in args.new:
            inbox = tmp_path / f"night2-{n_new}"
            rows = cut_night(night2, min(1.0, n_new / night2_rows), inbox)
            db = copy_store(base, tmp_path / f"store-{n_new}")
            nights[str(n_new)] = {"rows_in_inbox": rows} | _worker(db, inbox, args.memory_limit)
            shutil.rmtree(db.parent)
        figures["nights"] = nights
        figures["wall_s_by_new_records"] = {k: v["wall_s"] for k, v in nights.items()}
        figures["machine_after"] = machine()
        emit(figures)


if __name__ == "__main__":
    main()
