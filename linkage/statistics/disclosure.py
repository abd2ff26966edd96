"""Statistical disclosure control for counts of persons shown to analysts.

What a reader knows is everything published together: every table an analyst may ask for (one protected base
per snapshot, ``unduplicated.protected_counts``), so that every sum between them holds (each table's total,
each row and column of a two-way table: the one-way table of its fact; the persons of each source), and what
the labels and the listing say: "<5" is 1 to 4, "x" at least 5 (zero cells are shown and small ones are "<5",
so a withheld cell is neither), and a combination a table lists has someone in it.

Primary suppression: a cell of 1 to 4 persons is shown as "<5". Secondary suppression: more cells are withheld
("x") until a reader who combines all of that (an integer programme per group of hidden cells joined by sums;
scipy's HiGHS) finds every "<5" cell able to be anything from 1 to 4 (smallest and largest possible values
:data:`PROTECTION_WIDTH` apart: the tables say nothing of it beyond its label), and no withheld cell pinned to
one value. Two things bound that level. The number of persons (a headline) is never withheld. And where the
listing alone narrows a cell (a "<5" total over four listed cells: each is 1), no withholding can widen it; there
the level is what withholding every other cell would leave (bounds carried through the sums), and such cells
are not chased.

A cell is withheld first where a sum would hide it alone, then near every cell the audit finds narrowed: the
smallest shown cell of one of its sums (a sum's total last, then the smaller count, then the cell's name; when
all of them are hidden, of the sums next to those), so the pattern depends on the counts only, not on the order
of a set. Zero cells are shown. Admins see exact counts; nothing here changes them.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Mapping, Sequence

SMALL = 5
PROTECTION_WIDTH = 3
SUPPRESSED = "<5"
WITHHELD = "x"

Cell = tuple[str, ...]  # a table's name, then the cell's values: sortable, so the order is fixed
Sum = tuple[Cell, tuple[Cell, ...]]  # (total, members): the members add up to the total, and the reader knows it


def protect(counts: Mapping[Cell, int], sums: Sequence[Sum], keep: Collection[Cell] = ()) -> dict[Cell, int | str]:
    """The counts as an analyst sees them: "<5" for 1 to 4, "x" for a cell withheld against differencing; the
    cells of ``keep`` (a headline total) are never withheld, only suppressed when small."""
    primary, withheld = hidden_cells(counts, sums, keep)
    return {cell: SUPPRESSED if cell in primary else WITHHELD if cell in withheld else count
            for cell, count in counts.items()}


def withheld_cap(counts: Mapping[Cell, int]) -> int:
    """The most a withheld cell may hold, as the reader is taken to know: twice the largest count, and a small
    cell more. A bound the reader may not have narrows only what we think they can reach: safe (withholds more)."""
    return 2 * max(counts.values(), default=0) + SMALL


def hidden_cells(counts: Mapping[Cell, int], sums: Sequence[Sum],
                 keep: Collection[Cell] = ()) -> tuple[set[Cell], set[Cell]]:
    """(cells suppressed for being small, cells withheld so that the reader learns no more of them)."""
    tables = _Tables(counts, sums, frozenset(keep))
    tables.protect()
    return tables.primary, tables.hidden - tables.primary


class _Tables:
    """The counts, the sums a reader knows, and what is hidden so far."""

    def __init__(self, counts: Mapping[Cell, int], sums: Sequence[Sum], keep: frozenset[Cell]) -> None:
        self.counts = counts
        self.keep = keep
        self.sums = [(total, tuple(members)) for total, members in sums]
        self.of_cell: dict[Cell, list[int]] = {}
        for i, (total, members) in enumerate(self.sums):
            for cell in (total, *members):
                self.of_cell.setdefault(cell, []).append(i)
        self.primary = {cell for cell, count in counts.items() if 0 < count < SMALL}
        self.hidden = set(self.primary)
        self.protected: set[Cell] = set()  # stays so: withholding more only widens what a reader can say
        # What withholding every cell it may would leave: no pattern does better.
        low, high = self.bounds({cell for cell, count in counts.items()
                                 if cell in self.primary or (count > 0 and cell not in keep)})
        self.need = {cell: min(PROTECTION_WIDTH if cell in self.primary else 1, high[cell] - low[cell])
                     for cell in low}

    def protect(self) -> None:
        while True:
            self.no_sum_hides_one()
            # Bounds carried through the sums are a cheap first look: what they narrow is narrowed for sure.
            low, high = self.bounds(self.hidden)
            narrowed = sorted(cell for cell in self.hidden - self.protected if high[cell] - low[cell] < self.need[cell])
            if not narrowed:
                narrowed = self.audit()
            if not narrowed or not self.withhold_beside(narrowed):
                return

    def candidate(self, i: int) -> tuple | None:
        """The key and cell to withhold next in sum ``i`` (None if no cell of it can be)."""
        total, members = self.sums[i]
        keys = [((cell == total, self.counts[cell], cell), cell) for cell in (total, *members)
                if cell not in self.hidden and cell not in self.keep and self.counts[cell] >= SMALL]
        return min(keys, default=None)

    def no_sum_hides_one(self) -> None:
        """A sum hiding one cell gives it away: withhold a second one, until no sum hides exactly one."""
        changed = True
        while changed:
            changed = False
            for i, (total, members) in enumerate(self.sums):
                if sum(cell in self.hidden for cell in (total, *members)) == 1:
                    best = self.candidate(i)
                    if best is not None:
                        self.hidden.add(best[1])
                        changed = True

    def withhold_beside(self, narrowed: list[Cell]) -> bool:
        """Withhold one more cell near each narrowed cell (one per sum and round); False if none can be."""
        touched: set[int] = set()
        added = False
        for cell in narrowed:
            if touched.intersection(self.of_cell.get(cell, ())):
                continue
            best = self.nearest_candidate(cell)
            if best is not None:
                self.hidden.add(best)
                touched.update(self.of_cell[best])
                added = True
        return added

    def nearest_candidate(self, cell: Cell) -> Cell | None:
        """The cell to withhold in the sums of ``cell``; when all of theirs are hidden, in the sums of those hidden
        cells, and so on outwards (a narrowed cell may be held by a sum further away)."""
        seen_sums: set[int] = set()
        seen_cells = {cell}
        layer = [cell]
        while layer:
            sums = sorted({i for c in layer for i in self.of_cell.get(c, ())} - seen_sums)
            seen_sums.update(sums)
            best = min((option for i in sums if (option := self.candidate(i))), default=None)
            if best is not None:
                return best[1]
            layer = sorted({c for i in sums for c in (self.sums[i][0], *self.sums[i][1])
                            if c in self.hidden} - seen_cells)
            seen_cells.update(layer)
        return None

    def bounds(self, hidden: set[Cell], passes: int = 30) -> tuple[dict[Cell, int], dict[Cell, int]]:
        """Each cell's bounds when ``hidden`` are hidden, carried from cell to cell through the sums (interval
        arithmetic: every bound found holds, though it may miss some)."""
        cap = withheld_cap(self.counts)
        low = {cell: count if cell not in hidden else 1 if count < SMALL else SMALL
               for cell, count in self.counts.items()}
        high = {cell: count if cell not in hidden else SMALL - 1 if count < SMALL else cap
                for cell, count in self.counts.items()}
        queue = deque(sorted({i for cell in hidden for i in self.of_cell.get(cell, ())}))
        waiting = set(queue)
        budget = passes * max(len(queue), 1)
        while queue and budget:
            budget -= 1
            i = queue.popleft()
            waiting.discard(i)
            total, members = self.sums[i]
            floor, ceiling = sum(low[m] for m in members), sum(high[m] for m in members)
            found = [(total, floor, ceiling)]
            found += [(m, low[total] - (ceiling - high[m]), high[total] - (floor - low[m])) for m in members]
            for cell, new_low, new_high in found:
                if new_low > low[cell] or new_high < high[cell]:
                    low[cell], high[cell] = max(low[cell], new_low), min(high[cell], new_high)
                    for j in self.of_cell.get(cell, ()):
                        if j not in waiting:
                            waiting.add(j)
                            queue.append(j)
        return low, high

    def components(self) -> list[list[Cell]]:
        """Hidden cells joined by the sums they share (each group is audited on its own)."""
        parent = {cell: cell for cell in self.hidden}

        def root(cell: Cell) -> Cell:
            while parent[cell] != cell:
                parent[cell] = parent[parent[cell]]
                cell = parent[cell]
            return cell

        for total, members in self.sums:
            inside = [cell for cell in (total, *members) if cell in self.hidden]
            for cell in inside[1:]:
                parent[root(cell)] = root(inside[0])
        groups: dict[Cell, list[Cell]] = {}
        for cell in sorted(self.hidden):
            groups.setdefault(root(cell), []).append(cell)
        return list(groups.values())

    def audit(self) -> list[Cell]:
        """Hidden cells the integer programme finds narrowed; the others join ``protected``."""
        from linkage.statistics.disclosure_audit import HiddenCells

        narrowed: list[Cell] = []
        for component in self.components():
            todo = [cell for cell in component if cell not in self.protected]
            if not todo:
                continue
            rows = sorted({i for cell in component for i in self.of_cell.get(cell, ())})
            problem = HiddenCells.of(self.counts, [self.sums[i] for i in rows], component, self.primary)
            found = problem.narrowed([problem.position[cell] for cell in todo], [self.need[cell] for cell in todo])
            narrowed += [cell for cell in todo if cell in found]
            self.protected.update(cell for cell in todo if cell not in found)
        return sorted(narrowed)
