"""Benchmark `laolink ingest`: N exchange-format rows into a fresh store, one JSON line of figures.

    .venv/bin/python benchmarks/bench_ingest.py --rows 1000000
    .venv/bin/python benchmarks/bench_ingest.py --file some.csv

Without --file it writes N synthetic rows (generated in SQL, not row by row) to a temporary CSV
first; that step is not timed. Prints {records, wall_s, peak_rss_mb, rows_per_s, ...} where
peak_rss_mb is the larger of this process's and its children's peak resident memory.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from linkage.sources.exchange_format import EXCHANGE_COLUMNS  # noqa: E402
from linkage.sources.ingest import ingest_files  # noqa: E402
from linkage.store import open_store  # noqa: E402

_GIVEN = ["Bouasy", "Bounmy", "Noy", "Phet", "Souk", "Khamla", "Vanh", "Ketsana", "ບົວສີ", "ນ້ອຍ", "บัวสี", "Somphone"]
_FAMILY = ["Thammasack", "Phommachanh", "Sisouphanh", "Keomany", "ທຳມະສັກ", "ແກ້ວມະນີ", "ทำมะสัก", "Vongsa"]
_PROVINCES = ["Savannakhet", "Savannaketh", "Vientiane Capital", "Champasak", "ສະຫວັນນະເຂດ", "Luang Prabang", ""]
_SOURCES = ["MOLSW-DSW", "MOPS-AHTD", "PROV-SVK", "TH-REPAT", "BORDER-FRIENDSHIP-BRIDGE-1"]


def _pick(values: list[str], seed: str) -> str:
    items = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    return f"([{items}])[1 + (hash(i, {seed}) % {len(values)})::INTEGER]"


def write_synthetic_csv(path: Path, rows: int, changed_every: int = 0) -> None:
    """Write ``rows`` synthetic exchange-format rows with DuckDB (vectorised).

    ``changed_every`` > 0 re-sends the same records with every n-th one's phone changed.
    """
    exprs = {
        "record_id": "'R-' || lpad(i::VARCHAR, 9, '0')",
        "source": _pick(_SOURCES, "1"),
        "role": _pick(["victim", "victim", "suspect", "witness", ""], "2"),
        "full_name": f"{_pick(_GIVEN, '3')} || ' ' || {_pick(_FAMILY, '4')}",
        "given_name": _pick(_GIVEN, "3"),
        "family_name": _pick(_FAMILY, "4"),
        "sex": _pick(["F", "M", "female", "ຍິງ", "หญิง", ""], "5"),
        "date_of_birth": "CASE hash(i, 6) % 3 WHEN 0 THEN strftime(DATE '1970-01-01' + (hash(i, 7) % 15000)::INTEGER,"
                         " '%d/%m/%Y') WHEN 1 THEN (1970 + hash(i, 8) % 40)::VARCHAR ELSE '' END",
        "age": "CASE WHEN hash(i, 9) % 5 = 0 THEN (14 + hash(i, 10) % 30)::VARCHAR ELSE '' END",
        "nationality": _pick(["Lao", "LAO", "ລາວ", "ลาว", "Thai", ""], "11"),
        "province": _pick(_PROVINCES, "12"),
        "district": _pick(["Kaysone Phomvihane", "Xaybouly", "Pakse", ""], "13"),
        "village": _pick(["Nongdouang", "Ban Phonsavang", "ບ້ານ ນາໄຊ", ""], "14"),
        "phone": "CASE WHEN hash(i, 15) % 2 = 0 THEN '+856 20 ' || lpad((hash(i, 16) % 100000000)::VARCHAR, 8, '0')"
                 " ELSE '' END" + (f" || CASE WHEN i % {changed_every} = 0 THEN ' (new)' ELSE '' END"
                                   if changed_every else ""),
        "id_number": "CASE WHEN hash(i, 17) % 4 = 0 THEN lpad((hash(i, 18) % 1000000000)::VARCHAR, 9, '0') ELSE '' END",
        "event_date": "strftime(DATE '2015-01-01' + (hash(i, 19) % 3000)::INTEGER, '%d/%m/%Y')",
        "case_type": _pick(["TIP", "SOM", ""], "20"),
        "exploitation": _pick(["labour", "sexual", "forced marriage", ""], "21"),
    }
    select = ", ".join(f"{exprs[c]} AS {c}" for c in EXCHANGE_COLUMNS)
    con = duckdb.connect()
    con.execute("SET memory_limit = '1GB'")
    con.execute(f"COPY (SELECT {select} FROM range({rows}) t(i) ORDER BY i) TO '{path}' (HEADER, DELIMITER ',')")
    con.close()


def peak_rss_mb() -> float:
    """Peak resident memory of this process or any child, in MB (Linux reports KiB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="synthetic rows to generate (without --file)")
    parser.add_argument("--file", type=Path, help="ingest this file instead of synthetic rows")
    parser.add_argument("--resend", action="store_true",
                        help="then ingest the same records again with every 10th one changed (update path)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_ingest_") as tmp:
        source = args.file
        if source is None:
            source = Path(tmp) / "exchange_bench.csv"
            write_synthetic_csv(source, args.rows)
        db = Path(tmp) / "bench.duckdb"
        started = time.perf_counter()
        with open_store(db) as con:
            report = ingest_files(con, [source])
        wall = time.perf_counter() - started
        figures: dict[str, object] = {
            "records": report.read,
            "stored": report.stored,
            "quarantined": report.quarantined,
            "file_mb": round(source.stat().st_size / 1e6, 1),
            "wall_s": round(wall, 2),
            "peak_rss_mb": round(peak_rss_mb(), 1),
            "rows_per_s": round(report.read / wall) if wall else None,
        }
        if args.resend and args.file is None:
            again = Path(tmp) / "exchange_bench_resent.csv"
            write_synthetic_csv(again, args.rows, changed_every=10)
            started = time.perf_counter()
            with open_store(db) as con:
                resent = ingest_files(con, [again])
            resend_wall = time.perf_counter() - started
            figures |= {"resend_updated": resent.updated, "resend_unchanged": resent.unchanged,
                        "resend_wall_s": round(resend_wall, 2), "peak_rss_mb": round(peak_rss_mb(), 1)}
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
