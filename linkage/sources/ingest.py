"""Ingest source files into the store, losing nothing.

Each file is one transaction. Its rows are read into a staging table (with their line numbers),
then validated (``linkage/sources/staged_rows.py``), de-duplicated and merged into ``records``
(``linkage/sources/record_merge.py``) with set-based SQL:

- a good row is stored with its raw values untouched (empty cells become NULL; ``record_id``
  and ``source`` are trimmed, being keys); standardized columns stay NULL for ``standardize``;
- a bad row goes to ``quarantine`` with the file, line, field and a plain-language reason;
- a row equal to the stored record (same ``row_hash``) is unchanged; a changed one updates the
  record (version + 1, standardized columns reset) after copying the old version to ``record_history``.

A file that cannot be read at all is rejected whole and recorded (``ingested_files.status =
'rejected'`` plus a quarantine row without a line). Re-ingesting a file with the same content
changes nothing. Every file's counts add up: read = stored + updated + unchanged + quarantined.

Callers (the CLI, the nightly job) use :func:`ingest_files`, which commits per file and so must not
be called inside an open transaction; its :class:`IngestReport` has per-file and total counts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

import duckdb
import pyarrow as pa

from linkage.errors import InputFileError
from linkage.sources.exchange_format import OPTIONAL_COLUMNS
from linkage.sources.file_settings import backfill_file_settings, date_era
from linkage.sources.ingest_report import FileReport, IngestReport
from linkage.sources.mapping import Mapping, MappingError, choose_mapping, load_mappings
from linkage.sources.plain_csv import Declined
from linkage.sources.read_again import earlier_reading, unreadable_recorded
from linkage.sources.readers import DEFAULT_BATCH_ROWS, ReadLimits, SourceFile, normalize_header, open_source
from linkage.sources.record_merge import merge_checked
from linkage.sources.row_rules import claimed_sources
from linkage.sources.staged_rows import MAX_CELL_CHARS, STAGED

# ---------------------------------------------------------------- helpers


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def resolve_columns(source: SourceFile, mapping: Mapping) -> tuple[dict[str, int], list[str]]:
    """Header position of each mapped exchange column, and the file's headers no column uses.

    A mapped header missing from the file, or present twice, rejects the file; the headers of the optional
    exchange columns (case_type, exploitation) may be missing, and those columns are then not in the answer.
    """
    positions: dict[str, list[int]] = {}
    for i, header in enumerate(source.headers):
        positions.setdefault(normalize_header(header), []).append(i)
    where = f"mapping {mapping.name!r} ({mapping.path.name})"
    absent = {c for c in OPTIONAL_COLUMNS if c in mapping.columns and c not in mapping.mandatory
              and normalize_header(mapping.columns[c]) not in positions}
    if absent:
        mapping = replace(mapping, columns={c: h for c, h in mapping.columns.items() if c not in absent})
    missing = [h for h in mapping.headers if normalize_header(h) not in positions]
    if missing:
        raise InputFileError(str(source.path), f"lacks the header(s) {', '.join(map(repr, missing))} that {where}"
                                               f" needs; its headers are {', '.join(map(repr, source.headers))}")
    twice = [h for h in mapping.headers if len(positions[normalize_header(h)]) > 1]
    if twice:
        raise InputFileError(str(source.path), f"has the header(s) {', '.join(map(repr, twice))} more than once;"
                                               " cannot tell which column to use")
    wanted = {column: positions[normalize_header(h)][0] for column, h in mapping.columns.items()}
    used = set(wanted.values())
    ignored = [h or f"(column {i + 1}, no header)" for i, h in enumerate(source.headers) if i not in used]
    return wanted, ignored


# ---------------------------------------------------------------- one file


def _record_rejection(con: duckdb.DuckDBPyConnection, report: FileReport, sha256: str,
                      digest: str | None = None) -> FileReport:
    report.status = "rejected"
    con.execute("BEGIN TRANSACTION")
    try:
        (file_id,) = con.execute(
            "INSERT INTO ingested_files (path, sha256, mapping, encoding, status, reason, mapping_digest)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING file_id",
            [report.path, sha256, report.mapping or "(none)", report.encoding, "rejected", report.reason, digest],
        ).fetchall()[0]
        con.execute("INSERT INTO quarantine (file_id, path, line_no, field, reason) VALUES (?, ?, NULL, NULL, ?)",
                    [file_id, report.path, f"file rejected: {report.reason}"])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    report.file_id = file_id
    return report


def _stage(con: duckdb.DuckDBPyConnection, source: SourceFile, wanted: dict[str, int], file_id: int,
           path: str, batch_rows: int) -> int:
    """Read the file into the staging table; rows that do not fit the header go straight to quarantine.

    A plain CSV file is read natively (no misfit rows there); any other is read, or read again, by Python.
    Returns the number of misfit rows."""
    columns = list(wanted)
    con.execute(f"DROP TABLE IF EXISTS {STAGED}")
    con.execute(f"CREATE TEMP TABLE {STAGED} (line_no BIGINT, " + ", ".join(f"{c} VARCHAR" for c in columns) + ")")
    if _stage_native(con, source, [wanted[c] for c in columns], columns):
        return 0
    problems = 0
    for batch in source.batches([wanted[c] for c in columns], columns, batch_rows):
        con.register("_ingest_batch", batch.table)
        con.execute(f"INSERT INTO {STAGED} SELECT * FROM _ingest_batch")
        con.unregister("_ingest_batch")
        if batch.problems:
            bad = pa.table({
                "line_no": pa.array([p.line_no for p in batch.problems], pa.int64()),
                "reason": pa.array([p.reason for p in batch.problems], pa.string()),
                "raw": pa.array([p.raw for p in batch.problems], pa.string()),
            })
            con.register("_ingest_bad", bad)
            con.execute("INSERT INTO quarantine (file_id, path, line_no, field, reason, raw_line)"
                        " SELECT ?, ?, line_no, NULL, reason, raw FROM _ingest_bad", [file_id, path])
            con.unregister("_ingest_bad")
            problems += len(batch.problems)
    return problems


def _stage_native(con: duckdb.DuckDBPyConnection, source: SourceFile, wanted: list[int], columns: list[str]) -> bool:
    """Stage the file in one statement from the native reader; False (nothing staged) when it is not plain."""
    try:
        read = source.native_read(wanted, columns)
    except Declined:
        return False
    con.register("_ingest_stream", read.stream)
    try:
        con.execute(f"INSERT INTO {STAGED} SELECT * FROM _ingest_stream")
    finally:
        con.unregister("_ingest_stream")
    if read.declined is not None:
        con.execute(f"DELETE FROM {STAGED}")
        return False
    return True


def ingest_file(con: duckdb.DuckDBPyConnection, path: str | Path, mapping: Mapping | None = None, *,
                mappings: Iterable[Mapping] = (), limits: ReadLimits | None = None,
                max_cell_chars: int = MAX_CELL_CHARS, batch_rows: int = DEFAULT_BATCH_ROWS,
                only_source: str | None = None, night_started: dt.datetime | None = None) -> FileReport:
    """Ingest one file in one transaction. ``mapping`` None: chosen from ``mappings`` by file name.

    Rows are quarantined (with the reason) for what ``linkage/sources/row_rules.py`` forbids too, among them a
    source that another of ``mappings`` names as its own, or any source but ``only_source`` (a source folder's).
    Whether a file read before is read again: ``linkage/sources/read_again.py`` (``night_started``: when the nightly
    run reading it began)."""
    started = time.perf_counter()
    mappings = list(mappings)
    path = Path(path)
    report = FileReport(path=str(path.resolve()), status="ingested")
    if not path.is_file():  # nothing to hash or keep: reported, not recorded
        report.status, report.reason = "rejected", "is not a readable file"
        return report
    try:
        sha256 = file_sha256(path)
    except OSError as exc:  # e.g. another user's upload the nightly may not read
        report.reason = f"cannot be read: {exc.strerror or exc}"
        report.file_id = unreadable_recorded(con, report.path, night_started)
        if report.file_id is not None:  # by this night's killed attempt
            report.status = "rejected"
            return report
        return _record_rejection(con, report, "")  # no content hash: recorded again each night it is unreadable
    try:
        mapping = mapping or choose_mapping(path.name, mappings)
    except MappingError as exc:
        report.reason = str(exc)
        return _record_rejection(con, report, sha256)
    report.mapping = mapping.name if only_source is None else f"{mapping.name}@{only_source}"
    digest = mapping.digest
    earlier = earlier_reading(con, sha256, report.mapping, digest, night_started)
    if not earlier and only_source is not None:
        allowed = mapping.allowed_sources
        if allowed is not None and only_source not in allowed:
            report.reason = (f"its folder holds source {only_source} only, and mapping {mapping.name} writes "
                             f"{', '.join(sorted(allowed))}")
            return _record_rejection(con, report, sha256, digest)
        mapping = replace(mapping, sources=(only_source,))
    if earlier:
        file_id, earlier_path, at, status = earlier
        report.status = "already ingested" if status == "ingested" else "already rejected"
        report.file_id = file_id
        report.reason = f"same content as file {file_id} ({earlier_path}), {status} {at:%Y-%m-%d %H:%M}"
        report.seconds = time.perf_counter() - started
        return report
    try:
        source = open_source(path, fmt=mapping.format, encoding=mapping.encoding, sheet=mapping.sheet,
                             delimiter=mapping.delimiter, limits=limits)
    except InputFileError as exc:
        report.reason = exc.reason
        return _record_rejection(con, report, sha256, digest)
    with source:
        report.encoding = source.encoding
        try:
            wanted, report.ignored_headers = resolve_columns(source, mapping)
            mapping = replace(mapping, columns={c: h for c, h in mapping.columns.items() if c in wanted})
        except InputFileError as exc:
            report.reason = exc.reason
            return _record_rejection(con, report, sha256, digest)
        con.execute("BEGIN TRANSACTION")
        try:
            (file_id,) = con.execute(
                "INSERT INTO ingested_files (path, sha256, mapping, encoding, status, ignored_headers,"
                " placeholder_birth_dates, province_is, one_record_per_person, mapping_digest, date_era)"
                " VALUES (?, ?, ?, ?, 'ingested', ?, ?, ?, ?, ?, ?) RETURNING file_id",
                [report.path, sha256, report.mapping, report.encoding, ", ".join(report.ignored_headers) or None,
                 mapping.placeholder_birth_dates, mapping.province_is, mapping.one_record_per_person,
                 digest, date_era(mapping)]).fetchall()[0]
            misfits = _stage(con, source, wanted, file_id, report.path, batch_rows)
            counts = merge_checked(con, mapping, file_id, report.path, max_cell_chars, claimed_sources(mappings))
            report.file_id = file_id
            report.read = counts["staged"] + misfits
            report.quarantined = counts["quarantined"] + misfits
            report.stored, report.updated, report.unchanged = counts["stored"], counts["updated"], counts["unchanged"]
            if not report.adds_up:
                raise RuntimeError(f"{path}: ingest counts do not add up: {report}")
            con.execute(
                "UPDATE ingested_files SET rows_read = ?, rows_stored = ?, rows_updated = ?, rows_unchanged = ?,"
                " rows_quarantined = ? WHERE file_id = ?",
                [report.read, report.stored, report.updated, report.unchanged, report.quarantined, file_id])
            con.execute("COMMIT")
        except InputFileError as exc:
            con.execute("ROLLBACK")
            report.reason = exc.reason
            report.read = report.stored = report.updated = report.unchanged = report.quarantined = 0
            return _record_rejection(con, report, sha256, digest)
        except BaseException:
            con.execute("ROLLBACK")
            raise
    report.seconds = time.perf_counter() - started
    return report


def ingest_files(con: duckdb.DuckDBPyConnection, paths: Sequence[str | Path], *, mapping: str | None = None,
                 mappings_dir: str | Path | None = None, limits: ReadLimits | None = None,
                 max_cell_chars: int = MAX_CELL_CHARS, folder_source: dict[Path, str] | None = None,
                 night_started: dt.datetime | None = None) -> IngestReport:
    """Ingest files into the store at ``con``, each in its own transaction, in the order given.

    ``mapping`` names the mapping for every file; None picks one per file by its file_pattern.
    ``folder_source`` binds a file to the one source it may write (the nightly's inbox source folders);
    ``night_started``: when the nightly run began (``linkage/sources/read_again.py``).
    Raises MappingError for an unknown mapping name or an invalid mapping file (nothing ingested).
    """
    known = load_mappings(mappings_dir)
    if mapping is not None and mapping not in known:
        raise MappingError(f"no mapping named {mapping!r}; known mappings: {', '.join(sorted(known))}")
    backfill_file_settings(con, known.values())
    report = IngestReport()
    for path in paths:
        report.files.append(ingest_file(con, path, known[mapping] if mapping else None, mappings=known.values(),
                                        limits=limits, max_cell_chars=max_cell_chars,
                                        only_source=(folder_source or {}).get(Path(path)),
                                        night_started=night_started))
    return report
