"""Plain Splink end to end on the demo files: what an engineer without LaoLink would run, from the files on.

Each of the seven files is read into DuckDB as its shape needs: DuckDB's ``read_csv`` for the UTF-8 and
UTF-16 CSVs, the Thai-encoded (cp874) CSV transcoded to UTF-8 in a stream first, the XLSX through openpyxl.
Of each, the four raw columns of benchmarks/bench_plain_splink.py's model are taken by that file's own
headers (no standardization), then the same steps as ``run_plain``: prior, u, EM, predict, cluster.

    .venv/bin/python benchmarks/plain_splink_files.py DEMO_DIR
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
import pyarrow as pa
from splink import DuckDBAPI, Linker

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_plain_splink import plain_settings, train_plain  # noqa: E402

# Per file kind (by its name): (full name, date of birth, province, sex) as SQL over its columns.
_EXCHANGE = ("coalesce(full_name, concat_ws(' ', given_name, family_name))", "date_of_birth", "province", "sex")
_COLUMNS = {
    "border_fb1": ("concat_ws(' ', \"Given names\", Surname)", '"Date of Birth"', '"Place of Birth"', "Sex"),
    "molsw_dsw": ('"ຊື່ / Name"', "DOB", '"Province of origin"', "Sex"),
    "th_repat": ("column01", "column03", "column06", "column02"),  # Thai headers: by position
}


def _kind(path: Path) -> str:
    return next((k for k in _COLUMNS if path.stem.endswith(k)), "exchange")


def _relation_sql(con: duckdb.DuckDBPyConnection, path: Path, scratch: Path) -> str:
    """A SELECT of one file's rows as (full_name, dob, province, sex), raw text."""
    kind = _kind(path)
    name, dob, province, sex = _COLUMNS.get(kind, _EXCHANGE)
    if path.suffix == ".xlsx":
        from openpyxl import load_workbook

        rows = load_workbook(path, read_only=True).worksheets[0].iter_rows(values_only=True)
        header = [str(h) for h in next(rows)]
        columns = list(zip(*rows, strict=False)) or [[] for _ in header]
        table = pa.table({h: pa.array([None if v is None else str(v) for v in col], pa.string())
                          for h, col in zip(header, columns, strict=False)})
        con.register(f"xlsx_{path.stem}", table)
        source = f'"xlsx_{path.stem}"'
    elif kind == "th_repat":
        utf8 = scratch / f"{path.stem}.utf8.csv"
        with path.open(encoding="cp874", newline="") as src, utf8.open("w", encoding="utf-8", newline="") as out:
            while chunk := src.read(1 << 20):
                out.write(chunk)
        source = f"read_csv('{utf8}', all_varchar = true, header = false, skip = 1)"
    else:
        encoding = "utf-16" if path.read_bytes()[:2] == b"\xff\xfe" else "utf-8"
        source = f"read_csv('{path}', all_varchar = true, header = true, encoding = '{encoding}')"
    return (f"SELECT {name} AS full_name, {dob} AS dob, {province} AS province, {sex} AS sex FROM {source}")


def register_files(con: duckdb.DuckDBPyConnection, files: list[Path], scratch: Path) -> int:
    """``plain_input(rid, full_name, dob, province, sex)`` from the files, cleaned as bench_plain_splink cleans."""
    union = " UNION ALL ".join(_relation_sql(con, f, scratch) for f in files)
    con.execute(
        f"""
        CREATE OR REPLACE TABLE plain_input AS
        SELECT row_number() OVER () AS rid,
               nullif(lower(trim(full_name)), '') AS full_name, nullif(trim(dob), '') AS dob,
               nullif(lower(trim(province)), '') AS province, nullif(lower(trim(sex)), '') AS sex
        FROM ({union})
        """
    )
    return con.execute("SELECT count(*) FROM plain_input").fetchall()[0][0]


def run_plain_from_files(files: list[Path], *, threshold: float = 0.9, seed: int = 42) -> dict:
    """Register, train, predict and cluster with plain Splink; seconds per step and peak memory."""
    figures: dict = {"model": "plain-splink-from-files", "threshold": threshold}
    with tempfile.TemporaryDirectory(prefix="plain-splink-") as tmp:
        con = duckdb.connect(str(Path(tmp) / "plain.duckdb"))
        try:
            start = time.perf_counter()
            figures["records"] = register_files(con, files, Path(tmp))
            figures["register_s"] = round(time.perf_counter() - start, 2)
            db_api = DuckDBAPI(connection=con, materialisation="parquet", materialisation_dir=tmp)
            start = time.perf_counter()
            linker = Linker(db_api.register("plain_input", table_name="plain_records"), plain_settings())
            train_plain(linker, seed)
            figures["train_s"] = round(time.perf_counter() - start, 2)
            start = time.perf_counter()
            scored = linker.inference.predict(threshold_match_weight=-5, warning_mode="never")
            figures["pairs_stored"] = con.execute(f"SELECT count(*) FROM {scored.physical_name}").fetchall()[0][0]
            figures["predict_s"] = round(time.perf_counter() - start, 2)
            start = time.perf_counter()
            clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
                scored, threshold_match_probability=threshold)
            figures["n_clusters"] = con.execute(
                f"SELECT count(DISTINCT cluster_id) FROM {clusters.physical_name}").fetchall()[0][0]
            figures["cluster_s"] = round(time.perf_counter() - start, 2)
        finally:
            con.close()
    figures["total_s"] = round(sum(figures[k] for k in ("register_s", "train_s", "predict_s", "cluster_s")), 2)
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("demo", type=Path, help="Folder of demo files (night1_*).")
    parser.add_argument("--night", type=int, default=1)
    args = parser.parse_args()
    files = sorted(p for p in args.demo.iterdir() if p.name.startswith(f"night{args.night}_"))
    print(json.dumps(run_plain_from_files(files)), flush=True)


if __name__ == "__main__":
    main()
