"""Small-cell suppression for tables shown to audiences outside the network.

A table of counts is published with its totals. Two rounds hide cells:

1. *primary*: every count below the threshold (totals included) is shown
   as "fewer than 10";
2. *complementary*: further cells are hidden until no hidden cell can be
   worked out from what is shown, by subtracting from a total or by
   combining several totals, or by using what "fewer than 10" and "no count
   is negative" reveal. These show as "not shown".

A table with totals is a system of linear equations: every row and every
column adds up to its total. A hidden cell is *derivable* if the equations,
with the shown cells filled in, pin it to one value; with the bounds added
it is derivable if its smallest and largest possible values agree. Both are
checked here: the first with linear algebra (fast, used to choose the cells
to hide), the second with a linear programme (to confirm the choice). Among
the cells that would protect a derivable one, the round hides the set with
the smallest total count, so as little as possible is lost.

Percentages are safe only where both the count and the total it is a share
of are shown; `percentages` blanks every other one.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy.optimize import linprog

__all__ = ["HIDDEN", "SMALL", "TOTAL", "Suppression", "percentages", "suppress"]

#: What a hidden cell says, by why it is hidden.
SMALL = "fewer than {threshold}"
HIDDEN = "not shown"
TOTAL = "Total"

Cell = tuple[int, int]


@dataclass(frozen=True)
class Suppression:
    """A table of counts with its totals, and which cells may be shown.

    Attributes
    ----------
    counts
        The counts with a ``Total`` row and (for a table of several columns)
        a ``Total`` column.
    primary
        True where the count is below the threshold.
    hidden
        True where the count must not be shown: `primary` and the cells
        hidden so that those cannot be worked out.
    threshold
        The smallest count that may be shown.
    """

    counts: pd.DataFrame
    primary: pd.DataFrame
    hidden: pd.DataFrame
    threshold: int

    def text(self) -> pd.DataFrame:
        """The table as shown: counts, "fewer than 10" or "not shown"."""
        small = SMALL.format(threshold=self.threshold)
        shown = self.counts.astype(int).astype(str)
        shown = shown.mask(self.hidden, HIDDEN)
        return shown.mask(self.primary, small)

    def value(self, row: object, column: object = TOTAL) -> int | str:
        """One cell as shown: its count, or the text that stands for it."""
        if self.primary.at[row, column]:
            return SMALL.format(threshold=self.threshold)
        if self.hidden.at[row, column]:
            return HIDDEN
        return int(self.counts.at[row, column])

    @property
    def any_hidden(self) -> bool:
        return bool(self.hidden.to_numpy().any())


def suppress(counts: pd.DataFrame | pd.Series, threshold: int) -> Suppression:
    """Add totals to `counts` and hide what an outside reader may not see.

    Parameters
    ----------
    counts
        Counts without totals: a Series (one count per category) or a
        DataFrame (a crosstab).
    threshold
        Counts below it are hidden; 1 hides nothing.

    Returns
    -------
    Suppression

    Examples
    --------
    >>> s = suppress(pd.Series({"a": 3, "b": 40, "c": 25}), threshold=10)
    >>> s.text()["count"].tolist()
    ['fewer than 10', 'not shown', '25', '68']
    """
    table = _with_totals(counts)
    values = table.to_numpy(dtype=np.int64)
    primary, hidden = _hide(tuple(map(tuple, values.tolist())), int(threshold))
    mask = np.zeros(values.shape, dtype=bool)
    for cell in hidden:
        mask[cell] = True
    small = np.zeros(values.shape, dtype=bool)
    for cell in primary:
        small[cell] = True
    frame = lambda a: pd.DataFrame(a, index=table.index, columns=table.columns)  # noqa: E731
    return Suppression(table, frame(small), frame(mask), int(threshold))


def percentages(suppression: Suppression, base: str = "column") -> pd.DataFrame:
    """Shares (0-100) of the column's (or row's) total; NaN where not safe.

    A share is left out when its count or its total is hidden, since either
    could then be recovered from the share and the other.
    """
    counts = suppression.counts.astype(float)
    hidden = suppression.hidden
    if base == "column":
        totals = counts.loc[TOTAL]
        shares = counts.div(totals.where(totals > 0), axis=1) * 100
        base_hidden = np.broadcast_to(hidden.loc[TOTAL].to_numpy(), hidden.shape)
    elif base == "row":
        totals = counts[TOTAL]
        shares = counts.div(totals.where(totals > 0), axis=0) * 100
        column = hidden[TOTAL].to_numpy()[:, None]
        base_hidden = np.broadcast_to(column, hidden.shape)
    else:
        raise ValueError(f"base: {base!r} (allowed: column, row)")
    return shares.mask(hidden | base_hidden)


# -- the table and its equations ---------------------------------------------


def _with_totals(counts: pd.DataFrame | pd.Series) -> pd.DataFrame:
    if isinstance(counts, pd.Series):
        counts = counts.to_frame("count")
    counts = counts.astype(np.int64)
    if counts.to_numpy().min(initial=0) < 0:
        raise ValueError("counts must not be negative")
    table = counts.copy()
    if table.shape[1] > 1:
        table[TOTAL] = table.sum(axis=1)
    table.loc[TOTAL] = table.sum(axis=0)
    return table


def _lines(shape: tuple[int, int]) -> np.ndarray:
    """The equations ``A @ x = 0`` over the cells of the table with totals.

    Each row of the result is one equation: the cells of a line, with the
    total of the line subtracted.
    """
    rows, columns = shape
    index = lambda r, c: r * columns + c  # noqa: E731
    equations = []
    for r in range(rows):
        if columns == 1:
            break
        equation = np.zeros(rows * columns)
        for c in range(columns - 1):
            equation[index(r, c)] = 1
        equation[index(r, columns - 1)] = -1
        equations.append(equation)
    for c in range(columns):
        equation = np.zeros(rows * columns)
        for r in range(rows - 1):
            equation[index(r, c)] = 1
        equation[index(rows - 1, c)] = -1
        equations.append(equation)
    return np.array(equations)


# -- choosing the cells to hide ------------------------------------------------


@lru_cache(maxsize=4096)
def _hide(
    values: tuple[tuple[int, ...], ...], threshold: int
) -> tuple[frozenset[Cell], frozenset[Cell]]:
    """Primary and all hidden cells of a table with totals (cached: the
    same table is often shown to several audiences)."""
    grid = np.array(values, dtype=np.int64)
    equations = _lines(grid.shape)
    if threshold <= 1:
        # "Fewer than 1" would say 0 outright: a threshold of 1 hides nothing.
        return frozenset(), frozenset()
    primary = frozenset(zip(*np.nonzero(grid < threshold), strict=True))
    primary = frozenset((int(r), int(c)) for r, c in primary)
    hidden = set(primary)
    while True:
        exposed = _first_derivable(grid, equations, hidden, primary, threshold)
        if exposed is None:
            return primary, frozenset(hidden)
        cell, by_bounds = exposed

        def protects(trial: set[Cell], cell: Cell = cell, by_bounds=by_bounds):
            if _pinned_by_equations(grid.shape, equations, trial, cell):
                return False
            if not by_bounds:
                return True
            low, high = cell_range(grid, trial, primary, threshold, cell)
            return high - low >= 0.5

        cover = _cheapest_cover(grid, hidden, cell, protects)
        if cover <= hidden:
            raise AssertionError(f"suppression cannot protect cell {cell} of {values}")
        hidden |= cover


def _first_derivable(
    grid, equations, hidden, primary, threshold
) -> tuple[Cell, bool] | None:
    """The first hidden cell that can be worked out, and whether it takes
    the bounds (not the equations alone) to work it out."""
    for cell in sorted(hidden):
        if _pinned_by_equations(grid.shape, equations, hidden, cell):
            return cell, False
    for cell in sorted(hidden):
        low, high = cell_range(grid, hidden, primary, threshold, cell)
        if high - low < 0.5:
            return cell, True
    return None


def _pinned_by_equations(shape, equations, hidden, cell: Cell) -> bool:
    """True when the equations alone fix `cell` once the shown cells are known."""
    order = sorted(hidden)
    unknown = [r * shape[1] + c for r, c in order]
    system = equations[:, unknown]
    target = np.zeros(len(unknown))
    target[order.index(cell)] = 1
    rank = np.linalg.matrix_rank(system)
    return np.linalg.matrix_rank(np.vstack([system, target])) == rank


def cell_range(
    grid: np.ndarray,
    hidden: set[Cell] | frozenset[Cell],
    primary: set[Cell] | frozenset[Cell],
    threshold: int,
    cell: Cell,
) -> tuple[float, float]:
    """Smallest and largest value `cell` can take given what is shown.

    What is shown: every count not in `hidden`, that every line adds up to
    its total, that no count is negative, and that a cell marked "fewer
    than `threshold`" is below it.
    """
    if grid.shape[1] == 1:
        return _column_range(grid[:, 0], hidden, primary, threshold, cell[0])
    return _programme_range(grid, hidden, primary, threshold, cell)


def _programme_range(grid, hidden, primary, threshold, cell) -> tuple[float, float]:
    """`cell_range` by a linear programme, for a table of any shape."""
    order = sorted(hidden)
    equations = _lines(grid.shape)
    flat = grid.reshape(-1).astype(float)
    known = np.ones(flat.size, dtype=bool)
    for r, c in order:
        known[r * grid.shape[1] + c] = False
    unknown = [r * grid.shape[1] + c for r, c in order]
    a_eq = equations[:, unknown]
    b_eq = -equations[:, known] @ flat[known]
    bounds = [(0, threshold - 1 if h in primary else None) for h in order]
    goal = np.zeros(len(order))
    goal[order.index(cell)] = 1
    ends = []
    for sign in (1, -1):
        result = linprog(sign * goal, A_eq=a_eq, b_eq=b_eq, bounds=bounds)
        if result.status == 0:
            ends.append(sign * result.fun)
        elif result.status == 3:
            # Unbounded: the cell can grow (or shrink) without limit.
            ends.append(-sign * np.inf)
        else:
            # The solver gave no answer; count the cell as known, which
            # hides more rather than less.
            ends.append(float(grid[cell]))
    return ends[0], ends[1]


def _column_range(column, hidden, primary, threshold, row) -> tuple[float, float]:
    """`cell_range` of a one-column table, without a linear programme.

    Its one equation (the cells add up to the total) and the bounds leave
    each hidden cell an interval with closed-form ends; an unbounded
    maximum is ``inf``, as from the linear programme.
    """
    last = len(column) - 1
    cap = {r: threshold - 1 if (r, 0) in primary else math.inf for r, _ in hidden}
    inner = [r for r in cap if r != last]
    shown = sum(int(v) for r, v in enumerate(column[:last]) if r not in cap)
    if last not in cap:
        # The hidden cells share what the shown total leaves.
        rest = int(column[last]) - shown
        others = sum(cap[r] for r in inner if r != row)
        low, high = max(0, rest - others), min(cap[row], rest)
    elif row == last:
        low, high = shown, min(cap[last], shown + sum(cap[r] for r in inner))
    else:
        low, high = 0, min(cap[row], cap[last] - shown)
    return float(low), float(high)


def _cheapest_cover(grid, hidden: set[Cell], exposed: Cell, protects) -> set[Cell]:
    """The cheapest set of shown cells whose hiding protects `exposed`.

    Candidates are the shown cells on the lines of `exposed` and the other
    corners of each rectangle through it; hiding a whole rectangle always
    protects its corners from the equations. When nothing smaller works,
    every shown cell is hidden.
    """
    rows, columns = grid.shape
    r0, c0 = exposed
    candidates = [
        {(r, c)}
        for r in range(rows)
        for c in range(columns)
        if (r == r0 or c == c0) and (r, c) not in hidden
    ]
    for r, c in itertools.product(range(rows), range(columns)):
        if r != r0 and c != c0:
            corners = {(r0, c), (r, c0), (r, c)} - hidden
            if corners:
                candidates.append(corners)
    for candidate in sorted(candidates, key=lambda cells: _cost(grid, cells)):
        if protects(hidden | candidate):
            return candidate
    return {(r, c) for r in range(rows) for c in range(columns)}


def _cost(grid: np.ndarray, cells: set[Cell]) -> tuple:
    """Hide as few people as possible, prefer inner cells to totals, then
    fewer cells, then the first in reading order (so the choice repeats)."""
    last_row, last_column = grid.shape[0] - 1, grid.shape[1] - 1
    totals = sum(1 for r, c in cells if r == last_row or c == last_column)
    return (int(sum(grid[cell] for cell in cells)), totals, len(cells), sorted(cells))
