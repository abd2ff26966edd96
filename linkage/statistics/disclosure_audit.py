"""What a reader can work out about hidden cells: an integer programme over one group of hidden cells joined by
known sums, each "<5" cell between 1 and 4, each withheld cell at least 5 (``disclosure``). A cell is narrowed
when no whole number solution puts a "<5" cell at 1 or at 4, or when every solution gives a withheld cell the
same value. Solutions found for one cell's bound are kept for every other, so most cells need no programme of
their own; the answer (which cells are narrowed) is the same whichever solutions HiGHS returns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import optimize, sparse

from linkage.statistics.disclosure import SMALL, Cell, Sum, withheld_cap


@dataclass
class HiddenCells:
    """Hidden cells (variables), the sums among them (matrix @ x = rhs) and their bounds; ``truth`` solves it."""

    cells: list[Cell]
    position: dict[Cell, int]
    matrix: sparse.csr_array
    rhs: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    truth: np.ndarray
    small: np.ndarray

    @classmethod
    def of(cls, counts: Mapping[Cell, int], sums: Sequence[Sum], cells: Sequence[Cell],
           primary: set[Cell]) -> HiddenCells:
        position = {cell: i for i, cell in enumerate(cells)}
        rows, columns, values, rhs = [], [], [], []
        for total, members in sums:
            shown = 0
            for cell, sign in ((total, -1), *((member, 1) for member in members)):
                if cell in position:
                    rows.append(len(rhs))
                    columns.append(position[cell])
                    values.append(sign)
                else:
                    shown += sign * counts[cell]
            rhs.append(-shown)
        small = np.array([cell in primary for cell in cells])
        truth = np.array([counts[cell] for cell in cells], dtype=float)
        cap = float(withheld_cap(counts))
        matrix = sparse.csr_array((values, (rows, columns)), shape=(len(rhs), len(cells)), dtype=float)
        return cls(list(cells), position, matrix, np.array(rhs, dtype=float),
                   np.where(small, 1.0, SMALL), np.where(small, SMALL - 1.0, cap), truth, small)

    def _solve(self, chosen: list[int], sign: int) -> np.ndarray | None:
        """A whole-number solution with the sum of ``chosen`` as large (sign 1) or small (-1) as it goes."""
        objective = np.zeros(len(self.cells))
        objective[chosen] = -sign
        constraints = [optimize.LinearConstraint(self.matrix, self.rhs, self.rhs)] if len(self.rhs) else []
        result = optimize.milp(objective, integrality=np.ones(len(self.cells)),
                               bounds=optimize.Bounds(self.lower, self.upper), constraints=constraints)
        return np.round(result.x) if result.status == 0 else None

    def narrowed(self, todo: list[int], widths: list[int]) -> set[Cell]:
        """The cells of ``todo`` a reader can narrow: whose smallest and largest possible values are less than
        their ``widths`` apart."""
        low, high = self.truth.copy(), self.truth.copy()
        needed = dict(zip(todo, widths, strict=True))

        def wide(i: int) -> bool:
            return high[i] - low[i] >= needed[i]

        def keep(solution: np.ndarray | None) -> None:
            if solution is not None:
                np.minimum(low, solution, out=low)
                np.maximum(high, solution, out=high)

        for sign in (1, -1):
            for kind in (True, False):  # small cells and withheld ones apart: the latter can grow far
                while True:
                    pending = [i for i in todo if self.small[i] == kind and not wide(i)]
                    if not pending:
                        break
                    keep(self._solve(pending, sign))
                    if not any(wide(i) for i in pending):
                        break
        for i in todo:
            for sign in (1, -1):
                if not wide(i):
                    keep(self._solve([i], sign))
        return {self.cells[i] for i in todo if not wide(i)}
