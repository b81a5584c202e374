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
it is derivable if its smallest and largest possible values agree. Among
the cells that would protect a derivable one, the round hides the set with
the smallest total count, so as little as possible is lost.

Both questions are answered exactly on a graph, without solving anything.
Its nodes are the table's rows and columns (totals included) and each
hidden cell is an edge between its row and its column; a table of one
column has no row equations, so its rows are one node. Changing the hidden
cells while every line keeps its total means moving counts around a cycle
of such edges, up and down in turn (a total moves with its parts). So a
hidden cell is fixed by the equations exactly when no cycle of hidden cells
runs through it, and fixed by the bounds as well exactly when no such cycle
can be walked one step without a count going below zero or a "fewer than
10" cell reaching 10. (The equations form a network matrix, so the ranges a
linear programme would find have whole-number ends: a cell that can move
at all can move by one.)

Percentages are safe only where both the count and the total it is a share
of are shown; `percentages` blanks every other one.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

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
        a ``Total`` column, each last.
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
        # By position: label lookups with `.at` cost more than the rest of
        # a report's table, and a report looks up hundreds of cells.
        at = self.counts.index.get_loc(row), self.counts.columns.get_loc(column)
        if self.primary.to_numpy()[at]:
            return SMALL.format(threshold=self.threshold)
        if self.hidden.to_numpy()[at]:
            return HIDDEN
        return int(self.counts.to_numpy()[at])

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
    ['fewer than 10', '40', 'not shown', '68']
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
    table = suppression.counts
    counts = table.to_numpy(dtype=float)
    hidden = suppression.hidden.to_numpy()
    if base == "column":
        at = table.index.get_loc(TOTAL)
        totals, base_hidden = counts[at], hidden[at]
    elif base == "row":
        at = table.columns.get_loc(TOTAL)
        totals, base_hidden = counts[:, at, None], hidden[:, at, None]
    else:
        raise ValueError(f"base: {base!r} (allowed: column, row)")
    shares = counts / np.where(totals > 0, totals, np.nan) * 100
    shares[hidden | base_hidden] = np.nan
    return pd.DataFrame(shares, index=table.index, columns=table.columns)


# Made once: building an Index costs more than adding up a small table.
_COUNT, _TOTAL = pd.Index(["count"]), pd.Index([TOTAL])


def _with_totals(counts: pd.DataFrame | pd.Series) -> pd.DataFrame:
    values = counts.to_numpy()
    if values.dtype != np.int64:
        values = counts.astype(np.int64).to_numpy()
    if values.min(initial=0) < 0:
        raise ValueError("counts must not be negative")
    if isinstance(counts, pd.Series):
        values, columns = values[:, None], _COUNT
    elif values.shape[1] > 1:
        values = np.column_stack([values, values.sum(axis=1)])
        columns = _and_total(counts.columns)
    else:
        columns = counts.columns
    values = np.vstack([values, values.sum(axis=0)])
    return pd.DataFrame(values, index=_and_total(counts.index), columns=columns)


def _and_total(labels: pd.Index) -> pd.Index:
    return labels.append(_TOTAL).rename(labels.name)


# -- choosing the cells to hide ------------------------------------------------


@lru_cache(maxsize=4096)
def _hide(
    values: tuple[tuple[int, ...], ...], threshold: int
) -> tuple[frozenset[Cell], frozenset[Cell]]:
    """Primary and all hidden cells of a table with totals (cached: the
    same table is often shown to several audiences)."""
    if threshold <= 1:
        # "Fewer than 1" would say 0 outright: a threshold of 1 hides nothing.
        return frozenset(), frozenset()
    grid = np.array(values, dtype=np.int64)
    primary = frozenset(
        (int(r), int(c)) for r, c in zip(*np.nonzero(grid < threshold), strict=True)
    )
    hidden = set(primary)
    while True:
        exposed = _first_derivable(grid, hidden, primary, threshold)
        if exposed is None:
            return primary, frozenset(hidden)
        cell, by_bounds = exposed

        def protects(trial: set[Cell], cell: Cell = cell, by_bounds=by_bounds):
            if _pinned_by_equations(grid.shape, trial, cell):
                return False
            return not (
                by_bounds and _pinned_by_bounds(grid, trial, primary, threshold, cell)
            )

        cover = _cheapest_cover(grid, hidden, cell, protects)
        if cover <= hidden:
            raise AssertionError(f"suppression cannot protect cell {cell} of {values}")
        hidden |= cover


def _first_derivable(grid, hidden, primary, threshold) -> tuple[Cell, bool] | None:
    """The first hidden cell that can be worked out, and whether it takes
    the bounds (not the equations alone) to work it out."""
    for cell in sorted(hidden):
        if _pinned_by_equations(grid.shape, hidden, cell):
            return cell, False
    for cell in sorted(hidden):
        if _pinned_by_bounds(grid, hidden, primary, threshold, cell):
            return cell, True
    return None


def _pinned_by_equations(shape, hidden, cell: Cell) -> bool:
    """True when the equations alone fix `cell` once the shown cells are known:
    no cycle of hidden cells runs through it."""
    row, column = _ends(shape, cell)
    others = (_ends(shape, h) for h in hidden if h != cell)
    edges = [arc for a, b in others for arc in ((a, b), (b, a))]
    return not _joined(edges, column, row)


def _pinned_by_bounds(grid, hidden, primary, threshold, cell: Cell) -> bool:
    """True when `cell` has one possible value given what is shown.

    What is shown: every count not in `hidden`, that every line adds up to
    its total, that no count is negative, and that a cell marked "fewer
    than `threshold`" is below it. The cell can take another value exactly
    when a cycle through it can be walked one step within those bounds.
    """
    steps = list(_steps(grid, hidden, primary, threshold))
    others = [(a, b) for h, a, b in steps if h != cell]
    return not any(_joined(others, b, a) for h, a, b in steps if h == cell)


def _ends(shape: tuple[int, int], cell: Cell) -> tuple[int, int]:
    """The nodes of `cell`'s row and column (a one-column table's rows are
    one node: nothing makes them add up)."""
    rows, columns = shape
    r, c = cell
    return (r if columns > 1 else 0), rows + c


def _steps(grid, hidden, primary, threshold) -> Iterator[tuple[Cell, int, int]]:
    """The arcs a one-step move may take through each hidden cell.

    Walking a cell's edge from its row to its column adds one to it (takes
    one from it when it is a total of either line, but not of both), the
    other way round the opposite; a step is allowed when the count stays
    at zero or more and, for a "fewer than" cell, below the threshold.
    """
    last_row, last_column = grid.shape[0] - 1, grid.shape[1] - 1
    for cell in hidden:
        value = int(grid[cell])
        can = {1: cell not in primary or value < threshold - 1, -1: value > 0}
        totals = (cell[0] == last_row) + (last_column > 0 and cell[1] == last_column)
        sign = -1 if totals == 1 else 1
        row, column = _ends(grid.shape, cell)
        if can[sign]:
            yield cell, row, column
        if can[-sign]:
            yield cell, column, row


def _joined(arcs: Iterable[tuple[int, int]], start: int, goal: int) -> bool:
    """True when a path of `arcs` (pairs of nodes) leads from start to goal."""
    following = defaultdict(list)
    for a, b in arcs:
        following[a].append(b)
    seen, todo = {start}, [start]
    while todo:
        node = todo.pop()
        if node == goal:
            return True
        todo += [n for n in following[node] if n not in seen]
        seen.update(following[node])
    return False


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
