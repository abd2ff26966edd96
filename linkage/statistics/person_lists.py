"""Capture-history tables from the published persons: which lists (sources, or groups of them) saw each person.

A person is a published cluster (``record_person`` of the current snapshot), or, to show what linkage error does
to the estimate, a connected component of the snapshot's model links at another match-probability threshold
(positive decisions kept; negative decisions and consistency cuts, which only the nightly applies, are not).
Strata are the person's facts (``linkage.statistics.person_facts``: most frequent sex and province, year and
age band of the first record, ...), as the unduplicated statistics count them: the persons at each threshold
are one facts table (``person_facts_at``), built once, from which every stratum's capture table is counted in
DuckDB; Python only receives the (small) tables.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import duckdb

from linkage.clusters.components import connected_components
from linkage.errors import FieldError, LaoLinkError
from linkage.paths import store_paths
from linkage.publishing.publish import current_snapshot
from linkage.statistics.capture_table import CaptureTable, capture_table
from linkage.statistics.person_facts import NOT_RECORDED, PersonFacts, create_person_facts
from linkage.store import sql_literal

# Beside the estimate from the published persons: the same from the clusters at these match probabilities.
SENSITIVITY_THRESHOLDS = (0.5, 0.95)
ALL = "all"
AGE_BANDS = ((0, "0-11"), (12, "12-17"), (18, "18-24"), (25, "25-34"), (35, "35-49"), (50, "50+"))
STRATA = ("sex", "province", "year", "age_band", "exploitation")  # person facts an estimate may be split by


@dataclass(frozen=True)
class ListSpec:
    """One list of the estimate: a name and the sources whose records put a person on it."""

    name: str
    sources: tuple[str, ...]


def parse_lists(text: str | None, known_sources: list[str]) -> list[ListSpec]:
    """``A,B+C`` -> lists A and B+C (a '+' groups sources into one list); None: one list per known source.
    Fewer than two sources, or more lists than the estimate takes, are refused here (NoEstimate), before any
    table is built; so is a source in two lists (its persons would make the lists overlap by construction)."""
    from linkage.statistics.mse import NoEstimate, refuse_too_many_lists

    if not text:
        if len(known_sources) < 2:
            raise NoEstimate(f"the published records come from {len(known_sources)} source"
                             f" ({', '.join(known_sources) or 'none'}): multiple systems estimation needs at least"
                             " two lists")
        refuse_too_many_lists(len(known_sources))
        return [ListSpec(source, (source,)) for source in known_sources]
    specs = []
    for item in (part.strip() for part in text.split(",")):
        sources = tuple(source.strip() for source in item.split("+") if source.strip())
        unknown = [source for source in sources if source not in known_sources]
        if not sources or unknown:
            raise LaoLinkError(f"--lists: unknown source {', '.join(unknown) or repr(item)}; "
                               f"the store has {', '.join(known_sources)}")
        specs.append(ListSpec(item, sources))
    named = [source for spec in specs for source in spec.sources]
    repeated = sorted({source for source in named if named.count(source) > 1})
    if repeated:
        raise LaoLinkError(f"--lists: {', '.join(repeated)} in more than one list; each source may be in one list")
    if len(specs) < 2:
        raise LaoLinkError("--lists: multiple systems estimation needs at least two lists")
    refuse_too_many_lists(len(specs))
    return specs


@dataclass(frozen=True)
class PublishedRecords:
    """An in-memory connection with the current snapshot attached as ``snap`` and temp table ``stat_records``."""

    con: duckdb.DuckDBPyConnection
    sources: list[str]
    has_exploitation: bool
    threshold: float | None  # the match probability the nightly linked the published persons at (None: not said)


# Codes of the snapshot's records the statistics read; a snapshot older than a column gives NULL.
_CODES = ("sex_code", "province_code", "nationality_code", "role_code", "case_type_code", "exploitation_code")


def _code_column(name: str, columns: set[str]) -> str:
    """A code of the snapshot's records; a province written as the event's place (a repatriation centre's, a
    checkpoint's: ``province_is_event``) is not the person's and is read as not given."""
    if name not in columns:
        return f"NULL::VARCHAR AS {name}"
    if name == "province_code" and "province_is_event" in columns:
        return "CASE WHEN r.province_is_event THEN NULL ELSE r.province_code END AS province_code"
    return f"r.{name}"


@contextmanager
def open_published_records(db: str | os.PathLike[str], role: str | None) -> Iterator[PublishedRecords]:
    """The current snapshot's records with their stratum fields; ``role`` limits who counts (None: everyone;
    a role as records write it, e.g. 'victim' or 'ຜູ້ເຄາະຮ້າຍ'; an unknown one is refused)."""
    from linkage.fields.case_codes import role_code

    try:
        role = role_code(role)
    except FieldError as exc:
        raise LaoLinkError(f"--role {role!r} is not a role: {exc.reason}") from None
    snapshot = current_snapshot(store_paths(db))
    if snapshot is None:
        raise LaoLinkError(f"nothing is published yet for {db}: run `laolink nightly` first")
    with open_snapshot_records(snapshot, role) as published:
        yield published


@contextmanager
def open_snapshot_records(snapshot: str | os.PathLike[str], role: str | None) -> Iterator[PublishedRecords]:
    """:func:`open_published_records` for a snapshot file (the API passes the one its request holds)."""
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH {sql_literal(snapshot)} AS snap (READ_ONLY)")
        columns = {name for (name,) in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE database_name = 'snap' AND table_name = 'records'"
        ).fetchall()}
        codes = ", ".join(_code_column(c, columns) for c in _CODES)
        role_of = "r.role_code" if "role_code" in columns else "lower(trim(r.role))"
        bands = " ".join(f"WHEN age_at_event >= {low} THEN '{name}'" for low, name in reversed(AGE_BANDS))
        con.execute(
            f"""
            CREATE TEMP TABLE stat_records AS
            SELECT rid, source, event_date_std, year(event_date_std) AS event_year, {codes},
                   CASE {bands} END AS age_band, $role IS NULL OR {role_of} = $role AS counted,
                   row_number() OVER (ORDER BY event_date_std NULLS LAST, rid) AS ord
            FROM (SELECT r.*, year(r.event_date_std) - coalesce(r.dob_year, (r.dob_year_min + r.dob_year_max) // 2)
                         AS age_at_event FROM snap.records r) r
            """,
            {"role": role.lower() if role else None},
        )
        sources = [row[0] for row in con.execute("SELECT DISTINCT source FROM stat_records ORDER BY 1").fetchall()]
        yield PublishedRecords(con, sources, "exploitation_code" in columns, _nightly_threshold(con))
    finally:
        con.close()


def _nightly_threshold(con: duckdb.DuckDBPyConnection) -> float | None:
    """The threshold the snapshot's run linked at (its report's clusters.threshold), None when not recorded."""
    try:
        rows = con.execute("SELECT TRY_CAST(json_extract(r.report, '$.clusters.threshold') AS DOUBLE)"
                           " FROM snap.runs r JOIN snap.snapshot_info i USING (run_id)").fetchall()
    except duckdb.Error:
        return None
    return rows[0][0] if rows else None


def person_table_at(published: PublishedRecords, threshold: float | None) -> str:
    """A temp table ``(rid, person)``: the published persons (None) or the clusters at ``threshold``."""
    con = published.con
    if threshold is None:
        con.execute("CREATE OR REPLACE TEMP TABLE stat_person AS"
                    " SELECT rid, person_id AS person FROM snap.record_person")
        return "stat_person"
    links = (f"(SELECT rid_l, rid_r FROM snap.predictions WHERE match_probability >= {float(threshold)!r}"
             " UNION ALL SELECT rid_l, rid_r FROM snap.cluster_links WHERE origin = 'decision') AS links")
    connected_components(con, links, "stat_components")
    name = f"stat_person_{round(threshold * 1000)}"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT r.rid, CAST(coalesce(c.label, r.rid) AS VARCHAR) AS person"
        " FROM stat_records r LEFT JOIN stat_components c ON c.node = r.rid"
    )
    return name


def snapshot_run(published: PublishedRecords) -> int | None:
    """The run that published the snapshot."""
    return published.con.execute("SELECT max(run_id) FROM snap.snapshot_info").fetchall()[0][0]


def person_facts_at(published: PublishedRecords, threshold: float | None) -> PersonFacts:
    """The facts of the published persons (None) or the clusters at ``threshold``, ``counted_sources`` as
    ``published`` counts records: built once, every estimate's strata and capture tables are read from them."""
    facts = create_person_facts(published.con, person_table_at(published, threshold))
    table = published.con.sql(f"SELECT * FROM {facts} ORDER BY person").to_arrow_table()
    return PersonFacts.of(table, snapshot_run(published), published.threshold, published.sources,
                          published.has_exploitation, threshold)


def capture_tables(facts: PersonFacts, lists: list[ListSpec], by: str | None) -> dict[str, CaptureTable]:
    """One capture-history table per stratum that any list saw, strata in sorted order."""
    if by is not None and by not in STRATA:
        raise LaoLinkError(f"--by must be one of {', '.join(STRATA)}, got {by!r}")
    if by == "exploitation" and not facts.has_exploitation:
        raise LaoLinkError("--by exploitation: the published records have no exploitation column yet")
    stratum = f"coalesce(CAST({by} AS VARCHAR), '{NOT_RECORDED}')" if by else f"'{ALL}'"
    on_list = ["[" + ", ".join(sql_literal(source) for source in spec.sources) + "]" for spec in lists]
    flags = ", ".join(f"coalesce(list_has_any(string_split(counted_sources, '+'), {sources}), false)::INTEGER AS l{i}"
                      for i, sources in enumerate(on_list))
    names = [f"l{i}" for i in range(len(lists))]
    rows = facts.query(f"SELECT stratum, {', '.join(names)}, count(*) FROM (SELECT {stratum} AS stratum, {flags}"
                       f" FROM facts) WHERE {' + '.join(names)} > 0 GROUP BY ALL ORDER BY ALL")
    grouped: dict[str, list[tuple[tuple[int, ...], int]]] = {}
    for row in rows:
        grouped.setdefault(str(row[0]), []).append((tuple(int(flag) for flag in row[1:-1]), int(row[-1])))
    return {key: capture_table([spec.name for spec in lists], histories) for key, histories in grouped.items()}
