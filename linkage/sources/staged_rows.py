"""Check the rows of a staged file (``STAGED``, read by ``linkage/sources/ingest.py``) and quarantine the bad ones.

``check_staged`` builds ``CHECKED``: each staged row cleaned as it will be stored (keys trimmed, blank cells NULL),
its first problem (a NUL byte, a cell over the limit, a missing key, an empty or unreadable mandatory field, or
what ``linkage/sources/row_rules.py`` forbids), the first line of its record_id in the file and its row hash.
``quarantine_checked`` moves the rows with a problem, and the repeats of a record_id, to ``quarantine``.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow as pa

from linkage.errors import FieldError
from linkage.fields.invisible import INVISIBLE_CHARACTERS, KEY_BLANKS, visible_or_none
from linkage.sources.exchange_format import EXCHANGE_COLUMNS
from linkage.sources.mapping import DATE_COLUMNS, Mapping
from linkage.sources.row_hash import row_hash_sql
from linkage.sources.row_rules import problem_checks

MAX_CELL_CHARS = 4096
KEY_COLUMNS = ("source", "record_id")
STAGED = "_ingest_stg"
CHECKED = "_ingest_chk"
# A checked row (k) that becomes or updates a record: no problem, and the first line of its record_id in the file.
GOOD = "k.problem IS NULL AND k.first_line = k.line_no"
_DATES = "_ingest_bad_dates"


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
        f"SELECT DISTINCT {column} FROM {STAGED} WHERE trim({column}) <> ''").fetchall()]
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


def check_staged(con: duckdb.DuckDBPyConnection, mapping: Mapping, max_cell_chars: int,
                  claimed: dict[str, str]) -> None:
    """``CHECKED``: each staged row cleaned, its first problem (or NULL), the first line of its record_id in the
    file (when it has no problem) and its row hash."""
    joins = []
    date_reasons = []
    for c in mapping.mandatory:
        if c in DATE_COLUMNS and c in mapping.columns:
            con.register(f"{_DATES}_{c}", _bad_dates(con, c, mapping.buddhist_era))
            joins.append(f"LEFT JOIN {_DATES}_{c} d_{c} ON d_{c}.value = s.{c}")
            date_reasons.append(f"d_{c}.reason AS d_{c}_reason")
    cleaned = ", ".join([f"{_cleaned(c, mapping)} AS c_{c}" for c in EXCHANGE_COLUMNS] + date_reasons)
    con.execute(f"DROP TABLE IF EXISTS {CHECKED}")
    # A record_id repeated in the file: its good lines' first (a group of the few repeated keys, not a window).
    con.execute(f"""
        CREATE TEMP TABLE {CHECKED} AS
        WITH checked AS MATERIALIZED (
            SELECT line_no, {', '.join(f'c_{c}' for c in EXCHANGE_COLUMNS)},
                   {_problem_sql(mapping, max_cell_chars, claimed)} AS problem
            FROM (SELECT s.*, {cleaned} FROM {STAGED} s {' '.join(joins)})
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


def quarantine_checked(con: duckdb.DuckDBPyConnection, mapping: Mapping, file_id: int, path: str) -> int:
    """Quarantine the checked rows with a problem, and the repeats of a record_id in the file; return how many."""
    raw_json = "to_json(struct_pack(" + ", ".join(f"{c} := s.{c}" for c in mapping.columns) + "))"
    (quarantined,) = con.execute(f"""
        INSERT INTO quarantine (file_id, path, line_no, field, reason, raw_line)
        SELECT ?, ?, k.line_no,
            coalesce(k.problem.field, 'record_id'),
            coalesce(k.problem.reason, 'duplicate of line ' || k.first_line || ': record_id '''
                     || k.c_record_id || ''' appears more than once in this file'),
            {raw_json}
        FROM {CHECKED} k JOIN {STAGED} s ON s.line_no = k.line_no
        WHERE k.problem IS NOT NULL OR k.first_line <> k.line_no
        ORDER BY k.line_no
    """, [file_id, path]).fetchall()[0]
    return quarantined
