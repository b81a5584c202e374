"""Small cells are hidden, and no hidden cell can be worked out from the rest.

The check that nothing can be derived is written independently of the
module: a linear programme over the table's inner cells, with every shown
count and total as a constraint, "fewer than N" as an upper bound and zero
as a lower one, asks for the smallest and largest value each hidden cell
(or total) could have. A cell whose two ends meet has been given away.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from netreport.suppression import HIDDEN, TOTAL, percentages, suppress

THRESHOLD = 10


def possible_range(result, row, column) -> tuple[float, float]:
    """Smallest and largest value of one cell that agree with what is shown."""
    inner = result.counts.drop(index=TOTAL, columns=TOTAL, errors="ignore")
    rows, columns = inner.shape
    size = rows * columns
    at = lambda r, c: r * columns + c  # noqa: E731
    shown = ~result.hidden
    small = result.primary
    equal_rows, equal_values, upper_rows, upper_values = [], [], [], []

    def cells_of(r, c) -> np.ndarray:
        vector = np.zeros(size)
        row_set = range(rows) if r == TOTAL else [inner.index.get_loc(r)]
        if c == TOTAL or columns == 1 and c not in inner.columns:
            column_set = range(columns)
        else:
            column_set = [inner.columns.get_loc(c)]
        for i in row_set:
            for j in column_set:
                vector[at(i, j)] = 1
        return vector

    for r in result.counts.index:
        for c in result.counts.columns:
            vector = cells_of(r, c)
            if shown.at[r, c]:
                equal_rows.append(vector)
                equal_values.append(result.counts.at[r, c])
            elif small.at[r, c]:
                upper_rows.append(vector)
                upper_values.append(THRESHOLD - 1)
    goal = cells_of(row, column)
    ends = []
    for sign in (1, -1):
        solved = linprog(
            sign * goal,
            A_eq=np.array(equal_rows) if equal_rows else None,
            b_eq=equal_values or None,
            A_ub=np.array(upper_rows) if upper_rows else None,
            b_ub=upper_values or None,
            bounds=[(0, None)] * size,
        )
        assert solved.status == 0, "the shown table must be consistent"
        ends.append(sign * solved.fun)
    return ends[0], ends[1]


def assert_protected(result) -> None:
    text = result.text()
    for r in result.counts.index:
        for c in result.counts.columns:
            count = result.counts.at[r, c]
            if count < THRESHOLD:
                assert text.at[r, c] == f"fewer than {THRESHOLD}", (r, c)
            if result.hidden.at[r, c]:
                low, high = possible_range(result, r, c)
                assert high - low >= 1 - 1e-9, f"cell {r}/{c} = {count} is derivable"
            else:
                assert text.at[r, c] == str(count)


def random_tables(seed: int, count: int):
    rng = np.random.default_rng(seed)
    for _ in range(count):
        rows, columns = rng.integers(1, 5), rng.integers(1, 5)
        # Mostly large counts with some small ones, as in real crosstabs.
        values = np.where(
            rng.random((rows, columns)) < 0.3,
            rng.integers(0, THRESHOLD, (rows, columns)),
            rng.integers(THRESHOLD, 60, (rows, columns)),
        )
        frame = pd.DataFrame(
            values,
            index=[f"r{i}" for i in range(rows)],
            columns=[f"c{j}" for j in range(columns)],
        )
        yield frame.iloc[:, 0] if columns == 1 else frame


@pytest.mark.parametrize("seed", range(6))
def test_no_hidden_cell_can_be_derived(seed: int) -> None:
    for table in random_tables(seed, 12):
        assert_protected(suppress(table, THRESHOLD))


@pytest.mark.parametrize(
    ("counts", "hidden"),
    [
        # One small cell: one more in the same column, the smallest large one.
        ({"a": 3, "b": 40, "c": 25}, ["a", "c"]),
        # Two small cells of 9 and 9 under a total of 18 would each be 9.
        ({"a": 9, "b": 9}, ["a", "b", TOTAL]),
        # Nothing small, nothing hidden.
        ({"a": 12, "b": 30}, []),
        # A zero is a count below the threshold too.
        ({"a": 0, "b": 30, "c": 11}, ["a", "c"]),
    ],
)
def test_frequency_tables(counts: dict[str, int], hidden: list[str]) -> None:
    result = suppress(pd.Series(counts), THRESHOLD)
    assert list(result.hidden.index[result.hidden["count"]]) == hidden
    assert_protected(result)


def test_a_crosstab_hides_a_rectangle_around_two_small_cells() -> None:
    table = pd.DataFrame(
        {"x": [12, 3, 30], "y": [20, 15, 2], "z": [40, 22, 18]}, index=["p", "q", "r"]
    )
    result = suppress(table, THRESHOLD)
    text = result.text()
    assert text.at["q", "x"] == "fewer than 10"
    assert text.at["r", "y"] == "fewer than 10"
    assert (text == HIDDEN).to_numpy().sum() == 2
    assert_protected(result)


def test_a_small_total_is_hidden_with_its_parts() -> None:
    table = pd.DataFrame({"x": [4, 30], "y": [3, 25]}, index=["p", "q"])
    result = suppress(table, THRESHOLD)
    assert result.text().at["p", TOTAL] == "fewer than 10"
    assert_protected(result)


def test_threshold_one_hides_nothing() -> None:
    table = pd.DataFrame({"x": [1, 2], "y": [3, 0]}, index=["p", "q"])
    assert not suppress(table, 1).hidden.to_numpy().any()


def test_percentages_of_hidden_cells_or_hidden_totals_are_left_out() -> None:
    table = pd.DataFrame({"x": [12, 3, 30], "y": [20, 15, 2]}, index=["p", "q", "r"])
    result = suppress(table, THRESHOLD)
    shares = percentages(result, base="row")
    for r in result.counts.index:
        for c in result.counts.columns:
            safe = not (result.hidden.at[r, c] or result.hidden.at[r, TOTAL])
            assert pd.notna(shares.at[r, c]) == safe, (r, c)
    assert shares.at["p", "x"] == pytest.approx(100 * 12 / 32)


def test_same_table_same_choice() -> None:
    tables = list(random_tables(99, 5))
    first = [suppress(t, THRESHOLD).hidden for t in tables]
    again = [suppress(t, THRESHOLD).hidden for t in tables]
    for a, b in zip(first, again, strict=True):
        pd.testing.assert_frame_equal(a, b)


def programme_range(grid, hidden, primary, threshold, cell) -> tuple[float, float]:
    """Smallest and largest value of `cell` of a table with totals, by a
    linear programme over all its cells (shown ones fixed to their count)."""
    rows, columns = grid.shape
    at = lambda r, c: r * columns + c  # noqa: E731
    lines = [[(r, c) for c in range(columns)] for r in range(rows) if columns > 1]
    lines += [[(r, c) for r in range(rows)] for c in range(columns)]
    equations = np.zeros((len(lines), grid.size))
    for equation, line in zip(equations, lines, strict=True):
        for r, c in line[:-1]:
            equation[at(r, c)] = 1
        equation[at(*line[-1])] = -1
    bounds = [
        (0, threshold - 1 if (r, c) in primary else None)
        if (r, c) in hidden
        else (grid[r, c], grid[r, c])
        for r in range(rows)
        for c in range(columns)
    ]
    goal = np.zeros(grid.size)
    goal[at(*cell)] = 1
    ends = []
    for sign in (1, -1):
        solved = linprog(
            sign * goal, A_eq=equations, b_eq=np.zeros(len(lines)), bounds=bounds
        )
        assert solved.status in (0, 3), solved.message
        ends.append(sign * solved.fun if solved.status == 0 else -sign * np.inf)
    return ends[0], ends[1]


def pinned_by_rank(grid, hidden, cell) -> bool:
    """Whether the line equations alone fix `cell`, by matrix rank."""
    rows, columns = grid.shape
    order = sorted(hidden)
    system = []
    lines = [[(r, c) for c in range(columns)] for r in range(rows) if columns > 1]
    lines += [[(r, c) for r in range(rows)] for c in range(columns)]
    for line in lines:
        system.append([(h in line) * (-1 if h == line[-1] else 1) for h in order])
    target = [float(h == cell) for h in order]
    rank = np.linalg.matrix_rank(np.array(system, dtype=float))
    return np.linalg.matrix_rank(np.array([*system, target], dtype=float)) == rank


@pytest.mark.parametrize("seed", range(5))
def test_cycles_in_the_table_agree_with_algebra_and_the_linear_programme(
    seed: int,
) -> None:
    # The module decides what is derivable on a graph of hidden cells; a
    # matrix rank and a linear programme over the same table must agree.
    from netreport.suppression import _pinned_by_bounds, _pinned_by_equations

    rng = np.random.default_rng(seed)
    for _ in range(40):
        rows, columns = rng.integers(1, 5), rng.integers(1, 5)
        inner = rng.choice([0, 1, 3, 8, 9, 10, 12, 40], size=(rows, columns))
        if columns > 1:
            inner = np.column_stack([inner, inner.sum(axis=1)])
        grid = np.vstack([inner, inner.sum(axis=0)])
        threshold = int(rng.choice([2, 5, 10]))
        cells = list(np.ndindex(grid.shape))
        primary = {cell for cell in cells if grid[cell] < threshold}
        hidden = primary | {cell for cell in cells if rng.random() < 0.4}
        for cell in sorted(hidden):
            by_rank = pinned_by_rank(grid, hidden, cell)
            assert _pinned_by_equations(grid.shape, hidden, cell) == by_rank
            low, high = programme_range(grid, hidden, primary, threshold, cell)
            fixed = _pinned_by_bounds(grid, hidden, primary, threshold, cell)
            assert fixed == (high - low < 0.5), (grid, hidden, cell, low, high)


def test_a_cell_with_no_upper_bound_is_not_derivable() -> None:
    # A shown cell of 20, a hidden cell of 30 and a hidden total: nothing
    # caps the hidden cell, so it can take many values.
    from netreport.suppression import _pinned_by_bounds

    grid = np.array([[30], [20], [50]])
    hidden = {(0, 0), (2, 0)}
    assert programme_range(grid, hidden, set(), 10, (0, 0)) == (0.0, np.inf)
    assert not _pinned_by_bounds(grid, hidden, set(), 10, (0, 0))
