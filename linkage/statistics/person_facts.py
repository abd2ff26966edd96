"""One row of facts per person, from all of their records: what the unduplicated statistics count persons by.

A person (a published cluster, or a cluster at another threshold) has many records that need not agree:

- ``year``: the year of their first record (the earliest event date); ``age_band``: their age at the first
  record that gives one (event date and a birth year or age);
- ``sex``, ``province`` (of origin), ``nationality``: the value most of their records give; a tie goes to the
  value recorded first. A province its source writes as the event's place (``province_is_event``: a
  repatriation centre, a checkpoint) is no one's origin and does not vote;
- ``exploitation``: the same, but 'unknown' only when no record names a form;
- ``role``: the gravest they were recorded in (``case_codes.ROLES_GRAVEST_FIRST``: victim, then smuggled_migrant,
  witness, suspect); ``case_type``: TIP if any record says so, then SOM, then other (``case_codes.CASE_TYPES``).
  A person recorded as a victim once counts as a victim;
- ``sources``: the sources holding a record of theirs, sorted, joined by '+'.
- ``counted_sources``: the same of their counted records (``stat_records.counted``: a role the estimate
  counts), what puts them on an estimate's lists; NULL when none is counted.

A fact no record gives is NULL (shown as 'not recorded'). Records are ordered by event date (unknown last),
then rid. The temp table ``stat_records`` (``person_lists.open_snapshot_records``) holds the records.
:class:`PersonFacts` keeps such a table in an in-memory database of its own, for the statistics to query.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

from linkage.fields.case_codes import CASE_TYPES, ROLES_GRAVEST_FIRST

NOT_RECORDED = "not recorded"
# fact -> (stat_records column, ORDER BY choosing among a person's values v with count n and first record f)
_CHOSEN: dict[str, tuple[str, str]] = {
    "sex": ("sex_code", "n DESC, f"),
    "province": ("province_code", "n DESC, f"),
    "nationality": ("nationality_code", "n DESC, f"),
    "exploitation": ("exploitation_code", "v = 'unknown', n DESC, f"),
    "role": ("role_code", f"list_position({list(ROLES_GRAVEST_FIRST)}, v), f"),
    "case_type": ("case_type_code", f"list_position({list(CASE_TYPES)}, v), f"),
}
FACTS: tuple[str, ...] = ("year", "province", "sex", "age_band", "role", "nationality", "case_type", "exploitation")


def create_person_facts(con: duckdb.DuckDBPyConnection, persons: str) -> str:
    """Temp table ``<persons>_facts``: one row per person of ``persons`` (rid, person) with :data:`FACTS`,
    ``sources``, ``counted_sources`` and ``first_date``; returns its name."""
    name = f"{persons}_facts"
    chosen = []
    for fact, (column, order) in _CHOSEN.items():
        chosen.append(f"""
            {fact}_pick AS (
                SELECT person, v AS {fact} FROM (
                    SELECT person, {column} AS v, count(*) AS n, min(ord) AS f FROM rp
                    WHERE {column} IS NOT NULL GROUP BY ALL)
                QUALIFY row_number() OVER (PARTITION BY person ORDER BY {order}) = 1)""")
    joins = " ".join(f"LEFT JOIN {fact}_pick USING (person)" for fact in _CHOSEN)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {name} AS
        WITH rp AS (SELECT p.person, r.* FROM stat_records r JOIN {persons} p ON p.rid = r.rid),
        base AS (
            SELECT person, CAST(min(event_year) AS VARCHAR) AS year, min(event_date_std) AS first_date,
                   arg_min(age_band, ord) FILTER (WHERE age_band IS NOT NULL) AS age_band,
                   array_to_string(list_sort(list_distinct(list(source))), '+') AS sources,
                   array_to_string(list_sort(list_distinct(list(source) FILTER (WHERE counted))), '+')
                       AS counted_sources
            FROM rp GROUP BY person),
        {', '.join(chosen)}
        SELECT base.*, {', '.join(f'{fact}_pick.{fact}' for fact in _CHOSEN)} FROM base {joins}
    """)
    return name


@dataclass(frozen=True)
class PersonFacts:
    """The facts of every person of one snapshot (one row per person), as table ``facts`` of an in-memory
    database of their own: built once, then queried by every table and request (:meth:`query`, from any thread)."""

    db: duckdb.DuckDBPyConnection = field(repr=False, compare=False)
    run_id: int | None
    threshold: float | None  # the match probability the nightly linked the published persons at (None: not said)
    sources: list[str]
    has_exploitation: bool = True  # False: the snapshot's records have no exploitation column yet
    clusters_at: float | None = None  # the persons are the clusters at this match probability (None: published)

    @classmethod
    def of(cls, rows: pa.Table, run_id: int | None, threshold: float | None, sources: list[str],
           has_exploitation: bool = True, clusters_at: float | None = None) -> PersonFacts:
        db = duckdb.connect()
        db.register("facts_rows", rows)
        db.execute("CREATE TABLE facts AS SELECT * FROM facts_rows")
        db.unregister("facts_rows")
        return cls(db, run_id, threshold, sources, has_exploitation, clusters_at)

    def query(self, sql: str) -> list[tuple]:
        """The rows of ``sql`` over ``facts``, on a cursor of its own: a connection serves one thread at a time."""
        cursor = self.db.cursor()
        try:
            return cursor.execute(sql).fetchall()
        finally:
            cursor.close()
