"""Cluster consistency: pairs of records in one cluster that cannot be one person.

Links are decided pair by pair, so a chain can join what no single link would: a father's
record and his namesake son's each link to a record of the same name without a birth date,
and the three become one cluster although father and son were born 25 years apart. After
the connected components, every pair of records of a cluster that contradict each other
outright becomes a "not the same" constraint, and clustering cuts the weakest links between
them exactly as it does for a steward's "not the same" decision (a steward's "same person"
decision is never cut).

A contradiction is evidence no single person's records give, whatever the names:
- birth years more than ``max_birth_year_gap`` apart, both known (a full date, a year, or the
  range an age gives); a person's own records disagree by a year or two, not by a generation;
- different sex codes, both present;
- different districts of origin, both present: where a person comes from does not change
  between records. Offices that write where a person lives now or was found give one person
  several districts; training measures how often one person's records disagree on it and the
  nightly turns the rule off for a store where they often do
  (``linkage/model/consistency_evidence.py``, as it turns the birth-year rule off). Two records
  the model linked directly and surely (:data:`DIRECT_LINK_KEEPS_DISTRICTS`) stay together: the
  rule is for chains, and the model weighed that pair's districts itself;
- two records of a source that lists each person once (mapping ``one_record_per_person``,
  ``linkage/clusters/one_to_one.py``): the source itself says they are two people;
- off by default: different full birth dates (a typo in a day is common, and twins are
  better told apart by their names), different ID numbers (one person may show an ID card in
  one source and a passport in another).

Measured on demo data (20,000 records, tuning seeds 1-3, threshold 0.8): pairwise F1 after
clustering rises from 0.957 (no cuts) to about 0.97; each rule adds precision and costs
almost no recall. The cost of a wrong constraint is bounded: one weak link is cut and a
steward sees the cluster in the review queue.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import duckdb

from linkage.clusters.one_to_one import LISTED_ONCE_TABLE, listed_once_sources
from linkage.clusters.partial_names import PARTIAL_NAME_SQL

DISTRICT_REASON = "different districts"
# A model link at least this likely (or a steward's "same person") keeps its two records together whatever their
# districts: the model weighed their district disagreement and was sure all the same, as for a person who moved.
# On the outside team's corpus (DEV seed 7) 49 of the 51 district cuts between directly linked records (at 0.6)
# split one person, 37 of 37 at 0.95 or over; on our DEV variants, whose persons never move, 21 of 21 were
# namesakes, one of them at 0.95 or over. 0.95 was chosen there: DEV F1 unchanged, outsider DEV +0.0056.
DIRECT_LINK_KEEPS_DISTRICTS = 0.95


@dataclass(frozen=True)
class ConsistencyRules:
    """Which contradictions inside a cluster make two of its records separate persons."""

    max_birth_year_gap: int | None = 10  # None: birth years never constrain
    different_birth_date: bool = False
    different_district: bool = True
    different_sex: bool = True
    different_id_number: bool = False
    same_listed_once_source: bool = True
    partial_name_joins_one: bool = True  # a record with a given name only joins one group (partial_names.py)

    def as_dict(self) -> dict:
        return asdict(self)

    def conditions(self) -> list[tuple[str, str]]:
        """(reason, SQL over ``a``/``b`` records) for each active rule."""
        out = []
        if self.max_birth_year_gap is not None:
            gap = int(self.max_birth_year_gap)
            lo_a, hi_a = "coalesce(a.dob_year_min, a.dob_year)", "coalesce(a.dob_year_max, a.dob_year)"
            lo_b, hi_b = "coalesce(b.dob_year_min, b.dob_year)", "coalesce(b.dob_year_max, b.dob_year)"
            apart = f"({lo_a} > {hi_b} + {gap} OR {lo_b} > {hi_a} + {gap})"
            out.append((f"birth years more than {gap} years apart", apart))
        if self.different_birth_date:
            out.append(
                (
                    "different full birth dates",
                    "a.dob <> b.dob AND NOT (year(a.dob) = year(b.dob) AND month(a.dob) = day(b.dob) "
                    "AND day(a.dob) = month(b.dob))",
                )
            )
        if self.different_district:
            out.append((DISTRICT_REASON, "a.district_code <> b.district_code"))
        if self.different_sex:
            out.append(("different sex", "a.sex_code <> b.sex_code"))
        if self.different_id_number:
            out.append(("different ID numbers", "a.id_number_std <> b.id_number_std"))
        if self.same_listed_once_source:
            out.append(("one source that lists each person once", "a.listed_once AND a.source = b.source"))
        return out


DEFAULT_RULES = ConsistencyRules()


def constraint_pairs(
    con: duckdb.DuckDBPyConnection,
    labels: str,
    rules: ConsistencyRules = DEFAULT_RULES,
    max_records: int | None = None,
    links: str | None = None,
) -> list[tuple[int, int, str]]:
    """(rid_l, rid_r, reason) for every contradicting pair of records in one component of ``labels``.

    ``labels(node, label)`` holds the component of every linked record (clustering's working
    table); components over ``max_records`` (if given) are left out (every pair of them is too many,
    and clustering has flagged them). The pairs come out ordered, so cutting them is deterministic.
    ``links(rid_l, rid_r, match_probability, origin)``: clustering's links; the district rule leaves together the
    two records of a decision's link or of a model link of at least :data:`DIRECT_LINK_KEEPS_DISTRICTS`.
    """
    conditions = rules.conditions()
    if not conditions:
        return []
    small = "" if max_records is None else (
        f"WHERE l.label IN (SELECT label FROM {labels} GROUP BY label HAVING count(*) <= {int(max_records)})")
    direct = ""
    if links is not None:  # the district condition holds only off a sure direct link; every other rule as it is
        direct = (f"LEFT JOIN (SELECT DISTINCT rid_l, rid_r FROM {links} WHERE origin = 'decision'"
                  f" OR match_probability >= {DIRECT_LINK_KEEPS_DISTRICTS}) k ON k.rid_l = a.rid AND k.rid_r = b.rid")
        conditions = [(why, f"({sql}) AND k.rid_l IS NULL" if why == DISTRICT_REASON else sql)
                      for why, sql in conditions]
    reason = "CASE " + " ".join(f"WHEN {sql} THEN '{why}'" for why, sql in conditions) + " END"
    return con.execute(
        f"""
        WITH members AS (
            SELECT l.label, {member_columns_sql(con, rules)}
            FROM {labels} l JOIN records r ON r.rid = l.node
            {small}
        )
        SELECT a.rid, b.rid, {reason} AS reason
        FROM members a JOIN members b ON a.label = b.label AND a.rid < b.rid
        {direct}
        WHERE {" OR ".join(f"({sql})" for _, sql in conditions)}
        ORDER BY a.rid, b.rid
        """
    ).fetchall()


def member_columns_sql(con: duckdb.DuckDBPyConnection, rules: ConsistencyRules) -> str:
    """The columns of ``records r`` that :func:`contradiction_sql` reads, ``listed_once`` among them."""
    listed_once = "false"
    if rules.same_listed_once_source:
        listed_once_sources(con, refresh=False)  # made by the clustering run that asks
        listed_once = f"r.source IN (SELECT source FROM {LISTED_ONCE_TABLE})"
    partial = f"{PARTIAL_NAME_SQL} AS partial_name, " if rules.partial_name_joins_one else ""
    return ("r.rid, r.dob, r.dob_year, r.dob_year_min, r.dob_year_max, r.district_code, r.sex_code, "
            f"r.id_number_std, r.source, {partial}{listed_once} AS listed_once")


def contradiction_sql(rules: ConsistencyRules) -> str:
    """SQL over records ``a`` and ``b`` (:func:`member_columns_sql`): true when they cannot be one person."""
    return " OR ".join(f"({sql})" for _, sql in rules.conditions()) or "false"
