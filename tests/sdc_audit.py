"""What an analyst can work out from protected statistics (the JSON of `laolink stats` / GET /stats/persons),
written apart from ``linkage.statistics.disclosure`` so that the tests check it from the outside.

``reviewer_audit``: the read-only review's audit, table by table: a table's total, the one-way tables' shown
counts as the sums of a two-way table's rows and columns, the sources' shown sizes; "<5" is 1 to 4, "x" is 0 or
at least 5; integer programmes (scipy's HiGHS). A hidden cell whose smallest and largest values agree is
recovered.

``joint_ranges``: everything at once, as the strongest reader would: every table's sums, hidden one-way cells
and totals as unknowns too, "<5" 1 to 4, "x" at least 5 (zero cells are shown and small ones are "<5", so a
withheld cell is neither); each hidden cell's smallest and largest value.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

Key = tuple[str, ...]


def _key(row: dict, table: dict) -> tuple:
    return tuple(row[fact] for fact in table["by"])


def reviewer_audit(report: dict) -> list[tuple]:
    """Hidden cells recovered exactly, table by table (the review's sdc_audit.py)."""
    oneway = {t["by"][0]: {r[t["by"][0]]: r["persons"] for r in t["rows"]} for t in report["tables"]
              if len(t["by"]) == 1}
    recovered = []
    for table in [*report["tables"], report["sources"], report["smuggled_then_trafficked"]]:
        cells = {_key(r, table): r["persons"] for r in table["rows"]}
        groups = []
        if isinstance(table["total"], int):
            groups.append((list(cells), table["total"]))
        if len(table["by"]) == 2:
            for axis, fact in enumerate(table["by"]):
                for value, n in oneway.get(fact, {}).items():
                    if isinstance(n, int):
                        groups.append(([k for k in cells if k[axis] == value], n))
        if table["by"] == ["sources"]:
            for source, n in report["sources"]["set_sizes"].items():
                if isinstance(n, int):
                    groups.append(([k for k in cells if source in k[0].split("+")], n))
        for key, (low, high) in _reviewer_bounds(cells, groups).items():
            if low == high:
                recovered.append((table["by"], key, cells[key], low))
    return recovered


def _reviewer_bounds(cells: dict, groups: list) -> dict:
    hidden = [k for k, v in cells.items() if not isinstance(v, int)]
    if not hidden:
        return {}
    n, index, big = len(hidden), {k: i for i, k in enumerate(hidden)}, 10**6
    rows, low, high = [], [], []
    for keys, total in groups:
        row, rest = np.zeros(2 * n), total
        for k in keys:
            if k in index:
                row[index[k]] = 1
            else:
                rest -= cells[k]
        if row.any():
            rows.append(row)
            low.append(rest)
            high.append(rest)
    lower, upper = np.zeros(2 * n), np.zeros(2 * n)
    for k, i in index.items():
        if cells[k] == "<5":
            lower[i], upper[i] = 1, 4
        else:  # x: 0, or at least 5 (z = 1)
            upper[i], upper[n + i] = big, 1
            at_least = np.zeros(2 * n)
            at_least[i], at_least[n + i] = 1, -5
            at_most = np.zeros(2 * n)
            at_most[i], at_most[n + i] = 1, -big
            rows += [at_least, at_most]
            low += [0, -np.inf]
            high += [np.inf, 0]
    constraints = [LinearConstraint(np.array(rows), low, high)] if rows else []
    out = {}
    for k, i in index.items():
        c = np.zeros(2 * n)
        c[i] = 1
        smallest = milp(c, constraints=constraints, bounds=Bounds(lower, upper), integrality=np.ones(2 * n))
        largest = milp(-c, constraints=constraints, bounds=Bounds(lower, upper), integrality=np.ones(2 * n))
        out[k] = (round(smallest.fun), round(-largest.fun))
    return out


def report_cells(report: dict) -> tuple[dict[Key, object], list[tuple[Key, list[Key]]]]:
    """Every cell of a report (value as shown) and the sums a reader knows between them."""
    cells: dict[Key, object] = {("persons",): report["persons"]}
    sums: list[tuple[Key, list[Key]]] = []
    for table in report["tables"]:
        facts = table["by"]
        order = sorted(range(len(facts)), key=lambda i: facts[i])  # one name per pair of facts, any order asked
        name = ",".join(facts[i] for i in order)
        members = []
        for row in table["rows"]:
            key = (name, *(str(row[facts[i]]) for i in order))
            cells[key] = row["persons"]
            members.append(key)
        sums.append((("persons",), members))
        if len(facts) == 2:
            for position, i in enumerate(order):
                for value in sorted({key[1 + position] for key in members}):
                    sums.append(((facts[i], value), [k for k in members if k[1 + position] == value]))
    combos = []
    for row in report["sources"]["rows"]:
        cells[("sources", row["sources"])] = row["persons"]
        combos.append(("sources", row["sources"]))
    sums.append((("persons",), combos))
    for source, size in report["sources"]["set_sizes"].items():
        cells[("set_size", source)] = size
        sums.append((("set_size", source), [k for k in combos if source in k[1].split("+")]))
    later = report["smuggled_then_trafficked"]
    cells[("smuggled_total",)] = later["total"]
    bands = [("smuggled", row["time_between"]) for row in later["rows"]]
    cells.update({band: row["persons"] for band, row in zip(bands, later["rows"], strict=True)})
    sums.append((("smuggled_total",), bands))
    # a sum whose total no table shows (a one-way table not asked for) says nothing
    return cells, [(total, members) for total, members in sums if total in cells]


def joint_ranges(cells: dict[Key, object], sums: list[tuple[Key, list[Key]]]) -> dict[Key, tuple[int, int]]:
    """Each hidden cell's smallest and largest value given everything shown (cells from ``report_cells``); for a
    withheld cell, two values seen are enough (its range is as far as found: pinned when they agree)."""
    hidden = sorted(k for k, v in cells.items() if not isinstance(v, int))
    index = {k: i for i, k in enumerate(hidden)}
    n = len(hidden)
    if not n:
        return {}
    rows, rhs = [], []
    for total, members in sums:
        row, shown = np.zeros(n), 0
        for key, sign in ((total, -1), *((m, 1) for m in members)):
            if key in index:
                row[index[key]] += sign
            else:
                shown += sign * cells[key]
        if row.any():
            rows.append(row)
            rhs.append(-shown)
    small = np.array([cells[k] == "<5" for k in hidden])
    bounds = Bounds(np.where(small, 1, 5), np.where(small, 4, 10**7))
    constraints = [LinearConstraint(np.array(rows), rhs, rhs)] if rows else []
    low, high = np.full(n, np.inf), np.full(n, -np.inf)

    def solve(weights: np.ndarray) -> None:
        result = milp(weights, constraints=constraints, bounds=bounds, integrality=np.ones(n))
        assert result.status == 0, result.message
        np.minimum(low, np.round(result.x), out=low)
        np.maximum(high, np.round(result.x), out=high)

    def known(i: int, sign: int) -> bool:  # a "<5" cell's extreme found, or a withheld cell seen at two values
        if not small[i]:
            return low[i] < high[i]
        return high[i] >= 4 if sign > 0 else low[i] <= 1

    for sign in (1, -1):  # many cells reach their bounds together; then each one that has not on its own
        solve(np.where(small, -sign, 0.0))
        solve(np.where(small, 0.0, -sign))
    for i in range(n):
        for sign in (1, -1):
            if not known(i, sign):
                weights = np.zeros(n)
                weights[i] = -sign
                solve(weights)
    return {k: (int(low[i]), int(high[i])) for k, i in index.items()}


def withheld_everywhere(report: dict) -> dict:
    """The report with every shown count above zero withheld but the number of persons (never withheld): what no
    pattern of withholding can improve on."""
    def hide(value: object) -> object:
        return "x" if isinstance(value, int) and value >= 5 else value

    def rows(table: dict) -> list[dict]:
        return [{**row, "persons": hide(row["persons"])} for row in table["rows"]]

    sources, later = report["sources"], report["smuggled_then_trafficked"]
    return {**report,
            "tables": [{**table, "rows": rows(table)} for table in report["tables"]],
            "sources": {**sources, "rows": rows(sources),
                        "set_sizes": {source: hide(n) for source, n in sources["set_sizes"].items()}},
            "smuggled_then_trafficked": {**later, "total": hide(later["total"]), "rows": rows(later)}}
