"""Statistical disclosure control for counts of persons shown to analysts.

Primary suppression: a cell of 1 to 4 persons is shown as "<5". Differencing: a reader who knows the sum of a
group of cells (a table's total, a row of a two-way table whose one-way table is shown too, all persons of one
source) and all but one of them would recover the hidden one. So, as long as some such group hides exactly one
cell, the group's smallest other cell (a zero cell only when nothing else is left, a cell alone in another
group only when nothing else is left) is withheld too, shown as "x". Zero cells are otherwise shown. Admins
see exact counts; nothing here changes them.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping

SMALL = 5
SUPPRESSED = "<5"
WITHHELD = "x"


def hidden_cells(cells: Mapping[Hashable, int], groups: Iterable[Iterable[Hashable]]) -> tuple[set, set]:
    """(cells suppressed for being small, cells withheld so that no group with a known sum hides just one)."""
    primary = {key for key, count in cells.items() if 0 < count < SMALL}
    hidden = set(primary)
    groups = [list(group) for group in groups]
    alone = {group[0] for group in groups if len(group) == 1}  # its group's sum shows it: a poor cell to withhold
    changed = True
    while changed:
        changed = False
        for group in groups:
            if sum(key in hidden for key in group) != 1:
                continue
            others = [key for key in group if key not in hidden]
            if not others:
                continue
            nonzero = [key for key in others if cells[key] > 0] or others
            hidden.add(min(nonzero, key=lambda key: (key in alone, cells[key], str(key))))
            changed = True
    return primary, hidden - primary


def protect(cells: Mapping[Hashable, int], groups: Iterable[Iterable[Hashable]]) -> dict[Hashable, int | str]:
    """The counts as an analyst sees them: "<5" for 1 to 4, "x" for a cell withheld against differencing."""
    primary, withheld = hidden_cells(cells, groups)
    return {key: SUPPRESSED if key in primary else WITHHELD if key in withheld else count
            for key, count in cells.items()}


def shown_total(total: int) -> int | str:
    """A table's total as an analyst sees it."""
    return SUPPRESSED if 0 < total < SMALL else total
