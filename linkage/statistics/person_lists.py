"""Capture-history tables from the published persons: which lists (sources, or groups of them) saw each person.

A person is a published cluster (``record_person`` of the current snapshot), or, to show what linkage error does
to the estimate, a connected component of the snapshot's model links at another match-probability threshold
(positive decisions kept; negative decisions and consistency cuts, which only the nightly applies, are not).
Strata describe the person over all of their records: most frequent sex and province, year of the first record,
age band at the first record. Everything is computed in DuckDB; Python only receives the (small) tables.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import duckdb

from linkage.clusters.clustering import _connected_components
from linkage.errors import LaoLinkError
from linkage.paths import store_paths
from linkage.publishing.publish import current_snapshot
from linkage.statistics.capture_table import CaptureTable, capture_table
from linkage.store import sql_literal

# Beside the estimate from the published persons: the same from the clusters at these match probabilities.
SENSITIVITY_THRESHOLDS = (0.5, 0.95)
ALL = "all"
UNKNOWN = "unknown"
AGE_BANDS = ((0, "0-11"), (12, "12-17"), (18, "18-24"), (25, "25-34"), (35, "35-49"), (50, "50+"))
# Stratum of a person (aggregates over their records, alias r); None: the whole population.
STRATA: dict[str, str] = {
    "sex": "mode(r.sex_code)",
    "province": "mode(r.province_code)",
    "year": "CAST(min(r.event_year) AS VARCHAR)",
    "age_band": "arg_min(r.age_band, r.event_date_std)",
    "exploitation": "mode(r.exploitation)",
}


@dataclass(frozen=True)
class ListSpec:
    """One list of the estimate: a name and the sources whose records put a person on it."""

    name: str
    sources: tuple[str, ...]


def parse_lists(text: str | None, known_sources: list[str]) -> list[ListSpec]:
    """``A,B+C`` -> lists A and B+C (a '+' groups sources into one list); None: one list per known source."""
    if not text:
        return [ListSpec(source, (source,)) for source in known_sources]
    specs = []
    for item in (part.strip() for part in text.split(",")):
        sources = tuple(source.strip() for source in item.split("+") if source.strip())
        unknown = [source for source in sources if source not in known_sources]
        if not sources or unknown:
            raise LaoLinkError(f"--lists: unknown source {', '.join(unknown) or repr(item)}; "
                               f"the store has {', '.join(known_sources)}")
        specs.append(ListSpec(item, sources))
    if len(specs) < 2:
        raise LaoLinkError("--lists: multiple systems estimation needs at least two lists")
    return specs


@dataclass(frozen=True)
class PublishedRecords:
    """An in-memory connection with the current snapshot attached as ``snap`` and temp table ``stat_records``."""

    con: duckdb.DuckDBPyConnection
    sources: list[str]
    has_exploitation: bool


@contextmanager
def open_published_records(db: str | os.PathLike[str], role: str | None) -> Iterator[PublishedRecords]:
    """The current snapshot's records with their stratum fields; ``role`` limits who counts (None: everyone)."""
    snapshot = current_snapshot(store_paths(db))
    if snapshot is None:
        raise LaoLinkError(f"nothing is published yet for {db}: run `laolink nightly` first")
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH {sql_literal(snapshot)} AS snap (READ_ONLY)")
        columns = {name for (name,) in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE database_name = 'snap' AND table_name = 'records'"
        ).fetchall()}
        exploitation = "r.exploitation" if "exploitation" in columns else "NULL"
        bands = " ".join(f"WHEN age_at_event >= {low} THEN '{name}'" for low, name in reversed(AGE_BANDS))
        con.execute(
            f"""
            CREATE TEMP TABLE stat_records AS
            SELECT rid, source, event_date_std, year(event_date_std) AS event_year, sex_code, province_code,
                   {exploitation} AS exploitation, CASE {bands} END AS age_band,
                   $role IS NULL OR lower(trim(role)) = $role AS counted
            FROM (SELECT r.*, year(r.event_date_std) - coalesce(r.dob_year, (r.dob_year_min + r.dob_year_max) // 2)
                         AS age_at_event FROM snap.records r)
            """,
            {"role": role.lower() if role else None},
        )
        sources = [row[0] for row in con.execute("SELECT DISTINCT source FROM stat_records ORDER BY 1").fetchall()]
        yield PublishedRecords(con, sources, "exploitation" in columns)
    finally:
        con.close()


def person_table_at(published: PublishedRecords, threshold: float | None) -> str:
    """A temp table ``(rid, person)``: the published persons (None) or the clusters at ``threshold``."""
    con = published.con
    if threshold is None:
        con.execute("CREATE OR REPLACE TEMP TABLE stat_person AS"
                    " SELECT rid, person_id AS person FROM snap.record_person")
        return "stat_person"
    links = (f"(SELECT rid_l, rid_r FROM snap.predictions WHERE match_probability >= {float(threshold)!r}"
             " UNION ALL SELECT rid_l, rid_r FROM snap.cluster_links WHERE origin = 'decision') AS links")
    _connected_components(con, links, "stat_components")
    name = f"stat_person_{round(threshold * 1000)}"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT r.rid, CAST(coalesce(c.label, r.rid) AS VARCHAR) AS person"
        " FROM stat_records r LEFT JOIN stat_components c ON c.node = r.rid"
    )
    return name


def capture_tables(
    published: PublishedRecords, persons: str, lists: list[ListSpec], by: str | None,
) -> dict[str, CaptureTable]:
    """One capture-history table per stratum that any list saw, strata in sorted order."""
    if by is not None and by not in STRATA:
        raise LaoLinkError(f"--by must be one of {', '.join(STRATA)}, got {by!r}")
    if by == "exploitation" and not published.has_exploitation:
        raise LaoLinkError("--by exploitation: the published records have no exploitation column yet")
    stratum = f"coalesce({STRATA[by]}, '{UNKNOWN}')" if by else f"'{ALL}'"
    flags = ", ".join(
        f"max(CASE WHEN r.counted AND r.source IN ({', '.join(sql_literal(s) for s in spec.sources)}) THEN 1 ELSE 0"
        f" END) AS l{i}" for i, spec in enumerate(lists)
    )
    names = [f"l{i}" for i in range(len(lists))]
    rows = published.con.execute(
        f"""
        SELECT stratum, {', '.join(names)}, count(*) FROM (
            SELECT p.person, {stratum} AS stratum, {flags}
            FROM stat_records r JOIN {persons} p ON p.rid = r.rid GROUP BY p.person
        ) WHERE {' + '.join(names)} > 0
        GROUP BY ALL ORDER BY ALL
        """
    ).fetchall()
    grouped: dict[str, list[tuple[tuple[int, ...], int]]] = {}
    for row in rows:
        grouped.setdefault(str(row[0]), []).append((tuple(int(flag) for flag in row[1:-1]), int(row[-1])))
    return {key: capture_table([spec.name for spec in lists], histories) for key, histories in grouped.items()}
