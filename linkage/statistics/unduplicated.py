"""Unduplicated statistics: persons (not records) counted by their facts, by the combination of sources that
hold them, and smuggled migrants later found trafficked; exact for admins, protected for analysts.

Persons are the published persons of a snapshot (``person_facts`` says how each fact is chosen). Tables are
built in DuckDB from the one facts table; :func:`statistics_report` answers what the CLI, the API and the page
show. With ``exact=False`` every table is read from one protected base, :func:`protected_counts`: every table an
analyst may ask for (each fact, each pair of facts, the source combinations with each source's persons, the
smuggled-then-trafficked table), protected together by ``disclosure``, so that no two answers hide different
cells of the same counts and no combination of them gives a hidden cell away.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any

import duckdb

from linkage.errors import LaoLinkError
from linkage.statistics.disclosure import Cell, Sum, protect
from linkage.statistics.person_facts import FACTS, NOT_RECORDED, PersonFacts, create_person_facts
from linkage.store import sql_literal

MAX_BY = 2
# Time from the first record as a smuggled migrant to the first later record as a trafficking victim.
INTERVALS = ((183, "under 6 months"), (366, "6 to 12 months"), (731, "1 to 2 years"), (None, "2 years or more"))


def read_person_facts(snapshot: str | os.PathLike[str], truth: str | os.PathLike[str] | None = None) -> PersonFacts:
    """The published persons' facts of a snapshot file, with the days from smuggled to trafficked; ``truth``:
    the true persons of a demo truth file (source, record_id, person_id) instead, to see what linkage error does."""
    from linkage.statistics.person_lists import open_snapshot_records, person_table_at, snapshot_run

    with open_snapshot_records(snapshot, None) as published:
        con = published.con
        if truth is None:
            person_table_at(published, None)
        else:
            _true_persons(con, truth)
        facts = create_person_facts(con, "stat_person")
        table = con.sql(f"""
            WITH rp AS (SELECT p.person, r.* FROM stat_records r JOIN stat_person p USING (rid)),
            som AS (SELECT person, min(event_date_std) AS som_date FROM rp
                    WHERE role_code = 'smuggled_migrant' AND event_date_std IS NOT NULL GROUP BY person),
            tip AS (SELECT rp.person, min(rp.event_date_std) - any_value(som.som_date) AS days
                    FROM rp JOIN som USING (person)
                    WHERE rp.role_code = 'victim' AND coalesce(rp.case_type_code, 'TIP') = 'TIP'
                      AND rp.event_date_std > som.som_date GROUP BY rp.person)
            SELECT f.*, tip.days AS days_to_trafficked FROM {facts} f LEFT JOIN tip USING (person)
            ORDER BY f.person
        """).to_arrow_table()
        return PersonFacts.of(table, snapshot_run(published), published.threshold, published.sources,
                              published.has_exploitation)


def _true_persons(con: duckdb.DuckDBPyConnection, truth: str | os.PathLike[str]) -> None:
    """``stat_person`` from a truth file; a record the file does not list is a person of its own."""
    if not Path(truth).is_file():
        raise LaoLinkError(f"--truth: no file {truth}")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE stat_person AS
        SELECT r.rid, coalesce(t.person_id, 'rid-' || r.rid) AS person
        FROM snap.records r LEFT JOIN read_csv({sql_literal(truth)}, header = true, all_varchar = true) t
             ON t.source = r.source AND t.record_id = r.record_id""")


@dataclass
class CountTable:
    """Persons per combination of values of ``by`` (the sums a reader knows between tables:
    :func:`protected_counts`)."""

    by: tuple[str, ...]
    cells: dict[tuple[str, ...], int]
    total: int

    def as_dict(self, shown: ShownCells | None = None, name: str | None = None, total: Cell = ("persons",),
                swap: bool = False) -> dict[str, Any]:
        """Exact counts, or (``shown``) as the protected base shows its cells ``(name, *values)``."""
        def count(key: tuple[str, ...]) -> int | str:
            return self.cells[key] if shown is None else shown[(name or self.by[0], *(key[::-1] if swap else key))]

        return {"by": list(self.by), "total": self.total if shown is None else shown[total],
                "rows": [{**dict(zip(self.by, key, strict=True)), "persons": count(key)} for key in self.cells]}


ShownCells = dict[Cell, "int | str"]


def count_by(facts: PersonFacts, by: tuple[str, ...]) -> CountTable:
    """Persons by one or two (different) facts."""
    unknown = [name for name in by if name not in FACTS]
    if not by or unknown or len(by) > MAX_BY or len(set(by)) != len(by):
        raise LaoLinkError(f"--by takes one or two of {', '.join(FACTS)} (two different ones),"
                           f" got {', '.join(by) or 'nothing'}")
    columns = ", ".join(f"coalesce(CAST({name} AS VARCHAR), '{NOT_RECORDED}')" for name in by)
    rows = facts.query(f"SELECT {columns}, count(*) FROM facts GROUP BY ALL ORDER BY ALL")
    cells = {tuple(row[:-1]): int(row[-1]) for row in rows}
    return CountTable(by, cells, sum(cells.values()))


def source_combinations(facts: PersonFacts) -> CountTable:
    """Persons per combination of sources (UpSet)."""
    rows = facts.query("SELECT sources, count(*) AS n FROM facts GROUP BY ALL ORDER BY n DESC, sources")
    cells = {(row[0],): int(row[1]) for row in rows}
    return CountTable(("sources",), cells, sum(cells.values()))


def set_sizes(facts: PersonFacts) -> dict[str, int]:
    """Persons with a record from each source."""
    rows = facts.query("SELECT s, count(*) FROM (SELECT unnest(string_split(sources, '+')) AS s FROM facts)"
                       " GROUP BY s ORDER BY s")
    return {source: int(count) for source, count in rows}


def smuggled_then_trafficked(facts: PersonFacts) -> CountTable:
    """Persons recorded as smuggled migrants and later as trafficking victims, by the time between."""
    bands = " ".join(f"WHEN days_to_trafficked < {limit} THEN '{label}'" for limit, label in INTERVALS if limit)
    rows = facts.query(f"SELECT CASE {bands} ELSE '{INTERVALS[-1][1]}' END, count(*) FROM facts"
                       " WHERE days_to_trafficked IS NOT NULL GROUP BY ALL")
    found = {label: int(count) for label, count in rows}
    cells = {(label,): found.get(label, 0) for _, label in INTERVALS}
    return CountTable(("time_between",), cells, sum(cells.values()))


def median_days(facts: PersonFacts) -> float | None:
    """Median days from smuggled to trafficked (None: no one was)."""
    return facts.query("SELECT median(days_to_trafficked) FROM facts")[0][0]


def protected_counts(facts: PersonFacts) -> ShownCells:
    """Every cell an analyst may be shown, protected together: ``(fact, value)`` and ``("a,b", value_a,
    value_b)`` for each fact and pair of facts (in :data:`FACTS` order), ``("sources", combination)`` and
    ``("set_size", source)``, ``("smuggled", band)`` and ``("smuggled_total",)``, ``("persons",)``."""
    counts: dict[Cell, int] = {}
    sums: list[Sum] = []
    everyone: Cell = ("persons",)
    for fact in FACTS:
        table = count_by(facts, (fact,))
        counts[everyone] = table.total
        counts.update({(fact, *key): n for key, n in table.cells.items()})
        sums.append((everyone, tuple((fact, *key) for key in table.cells)))
    for pair in combinations(FACTS, 2):
        name = ",".join(pair)
        table = count_by(facts, pair)
        counts.update({(name, *key): n for key, n in table.cells.items()})
        for axis, fact in enumerate(pair):
            for value in sorted({key[axis] for key in table.cells}):
                sums.append(((fact, value), tuple((name, *key) for key in table.cells if key[axis] == value)))
    combos = source_combinations(facts)
    counts.update({("sources", *key): n for key, n in combos.cells.items()})
    sums.append((everyone, tuple(("sources", *key) for key in combos.cells)))
    for source, size in set_sizes(facts).items():
        counts[("set_size", source)] = size
        sums.append((("set_size", source), tuple(("sources", key[0]) for key in combos.cells
                                                 if source in key[0].split("+"))))
    later = smuggled_then_trafficked(facts)
    counts[("smuggled_total",)] = later.total
    counts.update({("smuggled", *key): n for key, n in later.cells.items()})
    sums.append((("smuggled_total",), tuple(("smuggled", *key) for key in later.cells)))
    return protect(counts, sums, keep=[everyone])


def _table(facts: PersonFacts, by: tuple[str, ...], shown: ShownCells | None) -> dict[str, Any]:
    table = count_by(facts, by)
    if shown is None:
        return table.as_dict()
    canonical = tuple(sorted(by, key=FACTS.index))
    return table.as_dict(shown, ",".join(canonical), swap=canonical != by)


def statistics_report(facts: PersonFacts, by: list[tuple[str, ...]], exact: bool,
                      shown: ShownCells | None = None) -> dict[str, Any]:
    """The tables of ``by`` (each one or two facts), the source combinations and smuggled-then-trafficked; for
    analysts (not ``exact``) from the protected base (``shown``, :func:`protected_counts` when not given)."""
    if not exact and shown is None:
        shown = protected_counts(facts)
    elif exact:
        shown = None
    combos = source_combinations(facts)
    sizes = set_sizes(facts)
    later = smuggled_then_trafficked(facts)
    median = median_days(facts)
    return {
        "run_id": facts.run_id,
        "threshold": facts.threshold,
        "exact": exact,
        "persons": combos.total if shown is None else shown[("persons",)],
        "tables": [_table(facts, names, shown) for names in by],
        "sources": {**combos.as_dict(shown, "sources"), "set_sizes": sizes if shown is None else {
            source: shown[("set_size", source)] for source in sizes}},
        "smuggled_then_trafficked": {**later.as_dict(shown, "smuggled", ("smuggled_total",)),
                                     "median_days": median if exact or later.total >= 5 else None},
    }
