"""Ingest source files into the store, losing nothing.

Each file is one transaction. Its rows are read into a staging table (with their line numbers),
then validated, de-duplicated and merged into ``records`` with set-based SQL:

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

from linkage.errors import FieldError, InputFileError
from linkage.fields.invisible import INVISIBLE_CHARACTERS, KEY_BLANKS, visible_or_none
from linkage.sources.exchange_format import EXCHANGE_COLUMNS, OPTIONAL_COLUMNS
from linkage.sources.file_settings import backfill_file_settings, date_era
from linkage.sources.ingest_report import FileReport, IngestReport
from linkage.sources.mapping import (
    DATE_COLUMNS,
    Mapping,
    MappingError,
    choose_mapping,
    load_mappings,
    mapping_digest,
)
from linkage.sources.plain_csv import Declined
from linkage.sources.read_again import earlier_reading, unreadable_recorded
from linkage.sources.readers import DEFAULT_BATCH_ROWS, ReadLimits, SourceFile, normalize_header, open_source
from linkage.sources.row_hash import keep_unwritten_optional, row_hash_sql
from linkage.sources.row_rules import ROLE_TABLE, bad_roles, claimed_sources, problem_checks
from linkage.store import STANDARDIZED_COLUMNS

MAX_CELL_CHARS = 4096
RAW_COLUMNS: tuple[str, ...] = tuple(c for c in EXCHANGE_COLUMNS if c not in ("source", "record_id"))
KEY_COLUMNS = ("source", "record_id")

_STG = "_ingest_stg"
_CHK = "_ingest_chk"
_KNOWN = "_ingest_known"
# A checked row (k) that becomes or updates a record: no problem, and the first line of its record_id in the file.
_GOOD = "k.problem IS NULL AND k.first_line = k.line_no"
_DATES = "_ingest_bad_dates"


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


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


# An invisible character anywhere in a key, as a regular-expression class, and the blanks trimmed at its ends: a
# record_id copied with a zero-width joiner or a tab is the same record, one of invisible characters only is none.
_INVISIBLE_CLASS = "[" + "".join(f"\\x{{{ord(c):04X}}}" for c in INVISIBLE_CHARACTERS) + "]"
_BLANKS = " || ".join(f"chr({ord(c)})" for c in KEY_BLANKS)  # as invisible.key_or_none trims them


def _cleaned(column: str, mapping: Mapping) -> str:
    """SQL for a staged column as stored: keys trimmed, blank cells NULL, everything else untouched."""
    if column not in mapping.columns:
        if column == "source" and mapping.source:
            return _sql_text(mapping.source)
        return "NULL::VARCHAR"
    if column in KEY_COLUMNS:  # keys also lose invisible characters (linkage/fields/invisible.py) and outer blanks
        expr = f"nullif(trim(regexp_replace(s.{column}, '{_INVISIBLE_CLASS}', '', 'g'), {_BLANKS}), '')"
        if column == "source" and mapping.source:
            expr = f"coalesce({expr}, {_sql_text(mapping.source)})"
        return expr
    # trim() only where the first character is one it removes: a blank cell starts with one (3× faster)
    return (f"CASE WHEN s.{column} = '' OR (trim(left(s.{column}, 1)) = '' AND trim(s.{column}) = '') THEN NULL"
            f" ELSE s.{column} END")


def _problem_sql(mapping: Mapping, max_cell_chars: int, claimed: dict[str, str]) -> str:
    """SQL for a row's first problem as struct(field, reason), NULL for a good row (duplicates aside)."""
    mapped = [c for c in EXCHANGE_COLUMNS if c in mapping.columns]
    checks = [
        f"CASE WHEN contains({c}, chr(0)) THEN struct_pack(field := '{c}', reason := 'contains a NUL byte') END"
        for c in mapped
    ] + [
        f"CASE WHEN strlen({c}) > {max_cell_chars} AND length({c}) > {max_cell_chars} THEN struct_pack("
        f"field := '{c}', reason := 'value is '"
        f" || length({c}) || ' characters long, over the limit of {max_cell_chars}') END"
        for c in mapped
    ] + [
        "CASE WHEN c_record_id IS NULL THEN struct_pack(field := 'record_id', reason := 'no record_id') END",
        "CASE WHEN c_source IS NULL THEN struct_pack(field := 'source', reason := 'no source') END",
    ]
    for c in mapping.mandatory:
        if c in KEY_COLUMNS:
            continue
        checks.append(f"CASE WHEN c_{c} IS NULL THEN struct_pack(field := '{c}', reason := "
                      "'mandatory field is empty') END")
        if c in DATE_COLUMNS:
            checks.append(f"CASE WHEN d_{c}_reason IS NOT NULL THEN struct_pack(field := '{c}', reason := "
                          f"d_{c}_reason) END")
    return "coalesce(" + ", ".join(checks + problem_checks(mapping, claimed)) + ")"


def _bad_dates(con: duckdb.DuckDBPyConnection, column: str, buddhist_era: bool | None) -> pa.Table:
    """Distinct staged values of a mandatory date column that do not parse, with the reason."""
    from linkage.fields.dates import parse_date

    today = dt.date.today()
    values = [v for (v,) in con.execute(
        f"SELECT DISTINCT {column} FROM {_STG} WHERE trim({column}) <> ''").fetchall()]
    bad_values: list[str] = []
    reasons: list[str] = []
    for value in values:
        try:
            parsed = parse_date(visible_or_none(value), buddhist_era=buddhist_era, today=today)
        except FieldError as exc:
            bad_values.append(value)
            reasons.append(f"unreadable date {value!r}: {exc.reason}")
            continue
        if parsed is None:
            bad_values.append(value)
            reasons.append(f"mandatory date is not known: {value!r}")
    return pa.table({"value": pa.array(bad_values, pa.string()), "reason": pa.array(reasons, pa.string())})


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
    con.execute(f"DROP TABLE IF EXISTS {_STG}")
    con.execute(f"CREATE TEMP TABLE {_STG} (line_no BIGINT, " + ", ".join(f"{c} VARCHAR" for c in columns) + ")")
    if _stage_native(con, source, [wanted[c] for c in columns], columns):
        return 0
    problems = 0
    for batch in source.batches([wanted[c] for c in columns], columns, batch_rows):
        con.register("_ingest_batch", batch.table)
        con.execute(f"INSERT INTO {_STG} SELECT * FROM _ingest_batch")
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
        con.execute(f"INSERT INTO {_STG} SELECT * FROM _ingest_stream")
    finally:
        con.unregister("_ingest_stream")
    if read.declined is not None:
        con.execute(f"DELETE FROM {_STG}")
        return False
    return True


def _merge(con: duckdb.DuckDBPyConnection, mapping: Mapping, file_id: int, path: str,
           max_cell_chars: int, claimed: dict[str, str]) -> dict[str, int]:
    """Validate the staged rows and merge them into records; returns the counts."""
    _check_staged(con, mapping, max_cell_chars, claimed)
    quarantined = _quarantine_checked(con, mapping, file_id, path)
    keep_unwritten_optional(con, _CHK, mapping)
    con.execute(f"""
        INSERT INTO sources (source)
        SELECT DISTINCT c_source FROM {_CHK}
        WHERE problem IS NULL AND c_source NOT IN (SELECT source FROM sources)
    """)
    # the good rows whose record the store holds (their rid and hash), not a copy of every good row
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {_KNOWN} AS
        SELECT k.line_no, r.rid, r.row_hash <> k.row_hash AS changed
        FROM {_CHK} k JOIN records r ON r.source = k.c_source AND r.record_id = k.c_record_id WHERE {_GOOD}
    """)
    (good,) = con.execute(f"SELECT count(*) FROM {_CHK} k WHERE {_GOOD}").fetchall()[0]
    updated, unchanged = con.execute(
        f"SELECT count(*) FILTER (changed), count(*) FILTER (NOT changed) FROM {_KNOWN}").fetchall()[0]
    counts = {"stored": good - updated - unchanged, "updated": updated, "unchanged": unchanged}
    con.execute(f"INSERT INTO file_sources SELECT ?, c_source, count(*) FROM {_CHK} k WHERE {_GOOD} GROUP BY c_source"
                " ORDER BY c_source", [file_id])  # the sources it read, unchanged rows too (file_settings.py)
    if counts["updated"]:
        _update_changed(con, file_id)
    if counts["stored"]:
        _insert_new(con, file_id)
    (read,) = con.execute(f"SELECT count(*) FROM {_STG}").fetchall()[0]
    con.execute(f"DROP TABLE {_STG}; DROP TABLE {_CHK}; DROP TABLE {_KNOWN}")
    return {"staged": read, "quarantined": quarantined, **counts}


def _check_staged(con: duckdb.DuckDBPyConnection, mapping: Mapping, max_cell_chars: int,
                  claimed: dict[str, str]) -> None:
    """``_CHK``: each staged row cleaned, its first problem (or NULL), the first line of its record_id in the
    file (when it has no problem) and its row hash."""
    joins = []
    date_reasons = []
    for c in mapping.mandatory:
        if c in DATE_COLUMNS and c in mapping.columns:
            con.register(f"{_DATES}_{c}", _bad_dates(con, c, mapping.buddhist_era))
            joins.append(f"LEFT JOIN {_DATES}_{c} d_{c} ON d_{c}.value = s.{c}")
            date_reasons.append(f"d_{c}.reason AS d_{c}_reason")
    if "role" in mapping.columns:  # the closed list of roles (linkage/sources/row_rules.py)
        con.register(ROLE_TABLE, bad_roles(con, _STG))
        joins.append(f"LEFT JOIN {ROLE_TABLE} bad_role ON bad_role.value = s.role")
        date_reasons.append("bad_role.reason AS bad_role_reason")
    cleaned = ", ".join([f"{_cleaned(c, mapping)} AS c_{c}" for c in EXCHANGE_COLUMNS] + date_reasons)
    con.execute(f"DROP TABLE IF EXISTS {_CHK}")
    # A record_id repeated in the file: its good lines' first (a group of the few repeated keys, not a window).
    con.execute(f"""
        CREATE TEMP TABLE {_CHK} AS
        WITH checked AS MATERIALIZED (
            SELECT line_no, {', '.join(f'c_{c}' for c in EXCHANGE_COLUMNS)},
                   {_problem_sql(mapping, max_cell_chars, claimed)} AS problem
            FROM (SELECT s.*, {cleaned} FROM {_STG} s {' '.join(joins)})
        ), repeated AS (
            SELECT c_source, c_record_id, min(line_no) AS first_line FROM checked
            WHERE problem IS NULL GROUP BY ALL HAVING count(*) > 1
        )
        SELECT checked.*,
            CASE WHEN problem IS NULL THEN coalesce(repeated.first_line, line_no) END AS first_line,
            {row_hash_sql()} AS row_hash
        FROM checked LEFT JOIN repeated USING (c_source, c_record_id)
    """)
    for c in mapping.mandatory:
        if c in DATE_COLUMNS and c in mapping.columns:
            con.unregister(f"{_DATES}_{c}")
    if "role" in mapping.columns:
        con.unregister(ROLE_TABLE)


def _quarantine_checked(con: duckdb.DuckDBPyConnection, mapping: Mapping, file_id: int, path: str) -> int:
    """Quarantine the checked rows with a problem, and the repeats of a record_id in the file; return how many."""
    raw_json = "to_json(struct_pack(" + ", ".join(f"{c} := s.{c}" for c in mapping.columns) + "))"
    (quarantined,) = con.execute(f"""
        INSERT INTO quarantine (file_id, path, line_no, field, reason, raw_line)
        SELECT ?, ?, k.line_no,
            coalesce(k.problem.field, 'record_id'),
            coalesce(k.problem.reason, 'duplicate of line ' || k.first_line || ': record_id '''
                     || k.c_record_id || ''' appears more than once in this file'),
            {raw_json}
        FROM {_CHK} k JOIN {_STG} s ON s.line_no = k.line_no
        WHERE k.problem IS NOT NULL OR k.first_line <> k.line_no
        ORDER BY k.line_no
    """, [file_id, path]).fetchall()[0]
    return quarantined


def _update_changed(con: duckdb.DuckDBPyConnection, file_id: int) -> None:
    """Keep the replaced versions of changed records in ``record_history``, then update them (their standardized
    columns reset, so the next standardize fills them again)."""
    raw_list = ", ".join(RAW_COLUMNS)
    con.execute(f"""
        INSERT INTO record_history (rid, source, record_id, {raw_list}, row_hash, version, file_id, line_no,
                                    replaced_by_file_id)
        SELECT r.rid, r.source, r.record_id, {', '.join(f'r.{c}' for c in RAW_COLUMNS)}, r.row_hash, r.version,
               r.file_id, r.line_no, ?
        FROM records r JOIN {_KNOWN} g ON g.rid = r.rid
        WHERE g.changed
    """, [file_id])
    resets = ", ".join(f"{c} = NULL" for c in STANDARDIZED_COLUMNS)
    con.execute(f"""
        UPDATE records SET {', '.join(f'{c} = g.c_{c}' for c in RAW_COLUMNS)},
            row_hash = g.row_hash, version = records.version + 1, file_id = ?, line_no = g.line_no,
            updated_at = current_timestamp, {resets}
        FROM (SELECT c.*, k.rid FROM {_CHK} c JOIN {_KNOWN} k USING (line_no) WHERE k.changed) g
        WHERE records.rid = g.rid
    """, [file_id])


def _insert_new(con: duckdb.DuckDBPyConnection, file_id: int) -> None:
    """Insert the records the store does not hold yet, in file order."""
    raw_list = ", ".join(RAW_COLUMNS)
    # The column default would draw rids row by row (2 s of a million-row insert). Drawn in one statement instead,
    # one per line from the first new record's to the last's, so that a record's rid is first + its line's offset:
    # increasing in line order without numbering the rows (the lines of unchanged or quarantined rows in between
    # leave gaps, as rolled-back draws do). Only ingest draws them, in one transaction: they come out contiguous.
    new = f"{_CHK} k WHERE {_GOOD} AND k.line_no NOT IN (SELECT line_no FROM {_KNOWN})"
    low, high = con.execute(f"SELECT min(line_no), max(line_no) FROM {new}").fetchall()[0]
    first, last = con.execute("SELECT min(r), max(r) FROM (SELECT nextval('record_rid_seq') AS r FROM range(?))",
                              [high - low + 1]).fetchall()[0]
    if last - first != high - low:
        raise RuntimeError(f"record ids drawn for lines {low}..{high} are not contiguous ({first}..{last})")
    con.execute(f"""
        INSERT INTO records (rid, source, record_id, {raw_list}, row_hash, file_id, line_no)
        SELECT ? + line_no - ?, c_source, c_record_id, {', '.join(f'c_{c}' for c in RAW_COLUMNS)}, row_hash, ?, line_no
        FROM {new} ORDER BY line_no
    """, [first, low, file_id])


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
    digest = mapping_digest(mapping)
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
            counts = _merge(con, mapping, file_id, report.path, max_cell_chars, claimed_sources(mappings))
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
