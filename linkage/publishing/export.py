"""Exports of the published result as CSV, safe to open in a spreadsheet.

Exports read the current published snapshot (a complete night), never the store being
written. A cell that starts with = + - @ (or a tab or carriage return) would be run as
a formula by a spreadsheet; such cells are prefixed with an apostrophe.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import duckdb

from linkage.errors import LaoLinkError
from linkage.paths import store_paths
from linkage.publishing.publish import current_snapshot
from linkage.store import sql_literal


def neutralise_sql(expr: str) -> str:
    """SQL that prefixes a formula-looking text value with an apostrophe."""
    return (
        f"CASE WHEN left(CAST({expr} AS VARCHAR), 1) IN ('=', '+', '-', '@', chr(9), chr(13))"
        f" THEN '''' || CAST({expr} AS VARCHAR) ELSE CAST({expr} AS VARCHAR) END"
    )


CLUSTERS_SQL = """
SELECT {source} AS source, {record_id} AS record_id, rp.person_id
FROM records r JOIN record_person rp USING (rid)
ORDER BY rp.person_id, r.source, r.record_id
"""

PERSONS_SQL = """
SELECT rp.person_id,
       count(*) AS n_records,
       count(DISTINCT r.source) AS n_sources,
       {sources} AS sources,
       {roles} AS roles,
       {given} AS given_name,
       {family} AS family_name,
       mode(r.sex_code) AS sex,
       mode(r.dob_year) AS birth_year,
       mode(r.province_code) AS province_code,
       min(r.event_date_std) AS first_event,
       max(r.event_date_std) AS last_event
FROM records r JOIN record_person rp USING (rid)
GROUP BY rp.person_id
ORDER BY rp.person_id
"""


def _open_published(db: str | os.PathLike[str]) -> duckdb.DuckDBPyConnection:
    snapshot = current_snapshot(store_paths(db))
    if snapshot is None:
        raise LaoLinkError(f"nothing is published yet for {db}: run `laolink nightly` first")
    return duckdb.connect(str(snapshot), read_only=True)


def _audit_export(db: str | os.PathLike[str], what: str, rows: int, out: Path) -> None:
    """An export reads every person: it goes in the audit log."""
    import getpass

    from linkage.service.audit import record_audit
    from linkage.service.service_db import connect_service

    service = connect_service(store_paths(db).service_db)
    try:
        record_audit(service, action=f"export-{what}", outcome="ok", actor=getpass.getuser(), actor_kind="cli",
                     detail={"rows": rows, "out": str(out)})
    finally:
        service.close()


def _copy(con: duckdb.DuckDBPyConnection, sql: str, out: Path) -> int:
    out.parent.mkdir(parents=True, exist_ok=True)
    con.execute(f"CREATE TEMP TABLE export_rows AS {sql}")
    # Personal data: written in a private folder, made owner-only, then moved into place (whatever the umask).
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".export-") as private:
        part = Path(private) / out.name
        con.execute(f"COPY export_rows TO {sql_literal(part)} (HEADER, DELIMITER ',', QUOTE '\"')")
        os.chmod(part, 0o600)
        os.replace(part, out)
    return con.execute("SELECT count(*) FROM export_rows").fetchall()[0][0]


def export_clusters(db: str | os.PathLike[str], out: Path) -> int:
    """Write ``source,record_id,person_id`` for every stored record; returns the row count."""
    con = _open_published(db)
    try:
        sql = CLUSTERS_SQL.format(source=neutralise_sql("r.source"), record_id=neutralise_sql("r.record_id"))
        rows = _copy(con, sql, out)
    finally:
        con.close()
    _audit_export(db, "clusters", rows, out)
    return rows


def export_persons(db: str | os.PathLike[str], out: Path) -> int:
    """Write one summary row per person; returns the row count."""
    con = _open_published(db)
    try:
        sql = PERSONS_SQL.format(
            sources=neutralise_sql("string_agg(DISTINCT r.source, ';' ORDER BY r.source)"),
            roles=neutralise_sql("string_agg(DISTINCT r.role, ';' ORDER BY r.role)"),
            given=neutralise_sql("mode(r.given_name_std)"),
            family=neutralise_sql("mode(r.family_name_std)"),
        )
        rows = _copy(con, sql, out)
    finally:
        con.close()
    _audit_export(db, "persons", rows, out)
    return rows
