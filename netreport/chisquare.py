"""Chi-square tests of the study's crosstabs, and the exact tests behind them.

Three questions the case report asks, one function each:

- `independence`: are two dimensions associated?  Pearson's χ², df, N, p,
  Cramér's V and its bias-corrected form, expected counts, Pearson and
  adjusted standardized residuals.
- `per_code`: which codes carry the association?  Each code of one
  dimension against the rest, by each code of the other against the rest,
  as a family of 2×2 tests with Holm's adjustment (`holm`).
- `homogeneity`: does use follow creation?  Two distributions over the same
  codes (e.g. intended use of artifacts and actual use in mentions) tested
  as one 2×k table, with the per-code differences.

Small expected counts
---------------------
The chi-square p is an approximation that fails when expected counts are
small.  netreport applies Cochran's rule (1954): the approximation is
trusted when no expected count is below 1 and no more than 20% of them are
below 5.  The rule is about *expected* counts; small observed counts are
fine.  When the rule is broken, the p reported is exact: Fisher's exact
test for a 2×2 table (two-sided, summing the probabilities of all tables
no more probable than the one observed, as R's ``fisher.test`` does), and
for larger tables the Fisher–Freeman–Halton test with a Monte Carlo p from
tables drawn with the observed margins, seeded so every build gives the
same p.  The χ² is still reported, as a description, beside the exact p.

Yates' continuity correction is only defined for 2×2 tables; with
``correction=True`` (the default, as in R) it is applied there and nowhere
else, and the method string says when it was.

The arithmetic follows R's ``chisq.test``, ``fisher.test`` and ``p.adjust``;
``tests/golden/`` holds R's answers for the tables the tests compare to.

While a build runs a chapter, the p-values come from its result store
(`netreport.result_store`) when an earlier build computed them for the
same table, seed and number of resamples; scipy is only imported to
compute one that is not stored.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from netreport import apa
from netreport.errors import NetreportError, NetreportWarning, shorten
from netreport.result_store import stored_value

__all__ = [
    "COCHRAN_RULE",
    "DEFAULT_RESAMPLES",
    "DEFAULT_SEED",
    "FamilyResult",
    "HomogeneityResult",
    "IndependenceResult",
    "holm",
    "homogeneity",
    "independence",
    "per_code",
    "tabulate_methods",
]

logger = logging.getLogger(__name__)

DEFAULT_SEED = 2024
DEFAULT_RESAMPLES = 100_000
COCHRAN_RULE = (
    "Cochran's rule: no expected count below 1 and no more than 20% of "
    "expected counts below 5"
)

# Short names of the three ways a p-value is obtained.
CHISQUARE = "chi-square"
FISHER = "fisher"
MONTE_CARLO = "fisher-monte-carlo"

_P_LABELS = {
    CHISQUARE: "p",
    FISHER: "Fisher's exact p",
    MONTE_CARLO: "Monte Carlo exact p",
}


# --------------------------------------------------------------------------
# Results


@dataclass(frozen=True, eq=False)
class IndependenceResult:
    """One chi-square test of a two-way table, with how and why it was run.

    Attributes
    ----------
    row_dimension, column_dimension
        Names of the two dimensions, e.g. "intended use" and "pressure".
    observed
        The counts tested (after all-zero rows and columns were dropped).
    given
        The table as it was passed in, before anything was dropped.
    expected, residuals, stdres
        Expected counts under independence, Pearson residuals
        (O − E) / √E, and adjusted standardized residuals, which are
        approximately standard normal under independence.
    n, df, statistic
        Total count, degrees of freedom and the χ² statistic (with Yates'
        correction when `correction` is true).
    p
        The p-value of `method`: the chi-square p, or the exact p when
        small expected counts called for it.
    p_chisquare
        The chi-square p, always, for comparison.
    cramers_v, cramers_v_corrected
        Cramér's V from the uncorrected χ², and Bergsma's (2013)
        bias-corrected V (NaN when N is too small for the correction).
    test
        ``"chi-square"``, ``"fisher"`` or ``"fisher-monte-carlo"``.
    method, why
        The test in words, and why it was the one used.
    correction
        Whether Yates' continuity correction was applied.
    rule
        The small-expected-count rule applied (`COCHRAN_RULE`).
    sparse_cells
        ``(row code, column code, expected count)`` for every cell whose
        expected count is below 5.
    dropped
        ``("row" | "column", code)`` for every all-zero row or column
        removed before testing.
    seed, resamples
        The seed and number of Monte Carlo tables; None for other tests.
    purpose
        ``"independence"`` or ``"homogeneity"``: the same arithmetic,
        named for the question asked.
    """

    row_dimension: str
    column_dimension: str
    observed: pd.DataFrame
    given: pd.DataFrame
    expected: pd.DataFrame
    residuals: pd.DataFrame
    stdres: pd.DataFrame
    n: int
    df: int
    statistic: float
    p: float
    p_chisquare: float
    cramers_v: float
    cramers_v_corrected: float
    test: str
    method: str
    why: str
    correction: bool
    rule: str
    sparse_cells: tuple[tuple[str, str, float], ...]
    dropped: tuple[tuple[str, str], ...]
    seed: int | None
    resamples: int | None
    purpose: str = "independence"

    @property
    def comparison(self) -> str:
        """The two dimensions, e.g. "intended use × pressure"."""
        return f"{self.row_dimension} \u00d7 {self.column_dimension}"

    @property
    def p_label(self) -> str:
        """What the p-value is called in prose: "p", "Fisher's exact p", ..."""
        return _P_LABELS[self.test]

    @property
    def rule_met(self) -> bool:
        """Whether the expected counts satisfy `COCHRAN_RULE`."""
        return _rule_met(self.expected.to_numpy())

    def apa(self) -> str:
        """The result as APA text for inline prose."""
        return apa.format_chisquare(self)

    def as_row(self) -> dict[str, str]:
        """The result as one row of a results table, every value a string."""
        cells = self.expected.size
        return {
            "comparison": self.comparison,
            "test": _TEST_NAMES[self.test],
            "N": apa.format_count(self.n),
            "df": apa.format_df(self.df),
            "\u03c7\u00b2": apa.format_statistic(self.statistic),
            "p": apa.format_p_cell(self.p),
            "V": apa.format_effect(self.cramers_v),
            "V (bias-corrected)": _effect_or_dash(self.cramers_v_corrected),
            "expected < 5": f"{len(self.sparse_cells)} of {cells}",
        }

    def as_dict(self) -> dict[str, Any]:
        """Everything about the result as plain Python values."""
        return {
            "purpose": self.purpose,
            "row_dimension": self.row_dimension,
            "column_dimension": self.column_dimension,
            "rows": [str(v) for v in self.observed.index],
            "columns": [str(v) for v in self.observed.columns],
            "observed": self.observed.to_numpy().astype(int).tolist(),
            "expected": self.expected.to_numpy().tolist(),
            "residuals": self.residuals.to_numpy().tolist(),
            "stdres": self.stdres.to_numpy().tolist(),
            "n": self.n,
            "df": self.df,
            "statistic": self.statistic,
            "p": self.p,
            "p_chisquare": self.p_chisquare,
            "cramers_v": self.cramers_v,
            "cramers_v_corrected": self.cramers_v_corrected,
            "test": self.test,
            "method": self.method,
            "why": self.why,
            "correction": self.correction,
            "rule": self.rule,
            "sparse_cells": [list(c) for c in self.sparse_cells],
            "dropped": [list(d) for d in self.dropped],
            "seed": self.seed,
            "resamples": self.resamples,
        }

    def _repr_markdown_(self) -> str:
        note = f"*Note.* {self.method}. {self.why}"
        return _markdown_table([self.as_row()]) + "\n\n" + note + "\n"


@dataclass(frozen=True, eq=False)
class FamilyResult:
    """A family of per-code 2×2 tests with Holm-adjusted p-values.

    Attributes
    ----------
    row_dimension, column_dimension
        The dimensions of the table the family was drawn from.
    family
        The family in words: which comparisons, how many.
    comparisons
        ``(row code, column code)`` for each test, in table order.  When a
        dimension has exactly two codes, "one code against the rest" is the
        same split for either code, so that dimension's entry reads
        "a vs b" and the family holds one test per code of the other.
    results
        The `IndependenceResult` of each 2×2 test, unadjusted.
    p_holm
        Holm-adjusted p-values, in the order of `comparisons`.
    size
        How many tests the adjustment counted (untestable ones are left
        out of the family).
    dropped
        All-zero rows or columns removed from the table first.
    method, why
        The adjustment and why it was used.
    """

    row_dimension: str
    column_dimension: str
    family: str
    comparisons: tuple[tuple[str, str], ...]
    results: tuple[IndependenceResult, ...]
    p_holm: tuple[float, ...]
    size: int
    dropped: tuple[tuple[str, str], ...]
    method: str
    why: str

    def __len__(self) -> int:
        return len(self.results)

    def result(self, row_code: str, column_code: str) -> IndependenceResult:
        """The unadjusted test of one comparison."""
        return self.results[self._position(row_code, column_code)]

    def apa(self, row_code: str, column_code: str) -> str:
        """APA text for one comparison, with its Holm-adjusted p."""
        i = self._position(row_code, column_code)
        return apa.format_chisquare(
            self.results[i], adjusted_p=self.p_holm[i], family_size=self.size
        )

    def as_rows(self) -> list[dict[str, str]]:
        """One table row per comparison, every value a string."""
        rows = []
        for (row_code, column_code), res, p_adj in zip(
            self.comparisons, self.results, self.p_holm, strict=True
        ):
            row = res.as_row()
            row["comparison"] = f"{row_code} \u00d7 {column_code}"
            row["p (Holm)"] = apa.format_p_cell(p_adj)
            rows.append(row)
        return rows

    def as_frame(self) -> pd.DataFrame:
        """The family as a DataFrame of numbers, one row per comparison."""
        records = []
        for (row_code, column_code), res, p_adj in zip(
            self.comparisons, self.results, self.p_holm, strict=True
        ):
            records.append(
                {
                    self.row_dimension: row_code,
                    self.column_dimension: column_code,
                    "n": res.n,
                    "observed": int(res.observed.iat[0, 0]),
                    "expected": float(res.expected.iat[0, 0]),
                    "stdres": float(res.stdres.iat[0, 0]),
                    "statistic": res.statistic,
                    "df": res.df,
                    "p": res.p,
                    "p_holm": p_adj,
                    "cramers_v": res.cramers_v,
                    "test": res.test,
                }
            )
        return pd.DataFrame.from_records(records)

    def as_dict(self) -> dict[str, Any]:
        """Everything about the family as plain Python values."""
        return {
            "row_dimension": self.row_dimension,
            "column_dimension": self.column_dimension,
            "family": self.family,
            "size": self.size,
            "method": self.method,
            "why": self.why,
            "dropped": [list(d) for d in self.dropped],
            "comparisons": [list(c) for c in self.comparisons],
            "p_holm": list(self.p_holm),
            "results": [r.as_dict() for r in self.results],
        }

    def _repr_markdown_(self) -> str:
        note = f"*Note.* {self.family} {self.method}."
        return _markdown_table(self.as_rows()) + "\n\n" + note + "\n"

    def _position(self, row_code: str, column_code: str) -> int:
        key = (str(row_code), str(column_code))
        for i, comparison in enumerate(self.comparisons):
            if comparison == key:
                return i
        raise KeyError(
            f"no comparison {key[0]!r} \u00d7 {key[1]!r} in this family; "
            f"it has {shorten(' × '.join(c) for c in self.comparisons)}"
        )


@dataclass(frozen=True, eq=False)
class HomogeneityResult:
    """Creation against use: one distribution over codes against another.

    Attributes
    ----------
    test
        The chi-square (or exact) test of homogeneity of the 2×k table.
    per_code
        Each code against the rest, creation against use, Holm-adjusted.
    differences
        One row per code: counts and percentages in each group, the
        difference in percentage points (second group minus first), the
        adjusted standardized residual of the second group's cell, and the
        per-code raw and Holm-adjusted p.
    """

    test: IndependenceResult
    per_code: FamilyResult
    differences: pd.DataFrame

    @property
    def method(self) -> str:
        return self.test.method

    @property
    def why(self) -> str:
        return self.test.why

    @property
    def dropped(self) -> tuple[tuple[str, str], ...]:
        return self.test.dropped

    @property
    def sparse_cells(self) -> tuple[tuple[str, str, float], ...]:
        return self.test.sparse_cells

    def apa(self) -> str:
        return self.test.apa()

    def as_row(self) -> dict[str, str]:
        return self.test.as_row()

    def as_dict(self) -> dict[str, Any]:
        return {
            "test": self.test.as_dict(),
            "per_code": self.per_code.as_dict(),
            "differences": self.differences.to_dict(orient="records"),
        }

    def _repr_markdown_(self) -> str:
        shown = self.differences.copy()
        rows = []
        for record in shown.to_dict(orient="records"):
            rows.append({k: _cell_text(k, v) for k, v in record.items()})
        note = (
            f"*Note.* {self.test.apa()}. {self.test.method}. "
            f"{self.per_code.family} {self.per_code.method}."
        )
        return _markdown_table(rows) + "\n\n" + note + "\n"


_TEST_NAMES = {
    CHISQUARE: "Pearson \u03c7\u00b2",
    FISHER: "Fisher's exact",
    MONTE_CARLO: "Fisher\u2013Freeman\u2013Halton (Monte Carlo)",
}


# --------------------------------------------------------------------------
# Public functions


def independence(
    table: pd.DataFrame | Sequence[Sequence[float]] | np.ndarray,
    *,
    correction: bool = True,
    exact: bool | None = None,
    seed: int = DEFAULT_SEED,
    resamples: int = DEFAULT_RESAMPLES,
) -> IndependenceResult:
    """Test two dimensions for independence.

    Parameters
    ----------
    table
        A crosstab of counts: a DataFrame whose index holds the codes of
        one dimension and whose columns hold the codes of the other (their
        ``name`` attributes name the dimensions), or a nested list.
    correction
        Apply Yates' continuity correction to χ² when the table is 2×2
        (R's default).  It never applies to larger tables.
    exact
        None (default) uses an exact p only when the expected counts break
        `COCHRAN_RULE`, and warns when it does; True always uses it; False
        never does (the sparse cells are still reported).
    seed, resamples
        The seed of ``numpy.random.default_rng`` and the number of tables
        drawn for a Monte Carlo p (tables larger than 2×2 only).

    Returns
    -------
    IndependenceResult

    Raises
    ------
    NetreportError
        When the table cannot be tested: empty, negative or fractional
        counts, or fewer than two rows or columns with any counts.
    """
    prepared = _prepare(table)
    _warn_dropped(prepared)
    result = _compute(prepared, correction, exact, seed, resamples)
    if exact is None and result.test != CHISQUARE:
        _warn_fallback([result])
    logger.debug("%s: %s; %s", result.comparison, result.apa(), result.method)
    return result


def per_code(
    table: pd.DataFrame | Sequence[Sequence[float]] | np.ndarray,
    *,
    correction: bool = True,
    exact: bool | None = None,
    seed: int = DEFAULT_SEED,
    resamples: int = DEFAULT_RESAMPLES,
) -> FamilyResult:
    """Test each code of one dimension against each code of the other.

    For row code *a* and column code *b* the 2×2 table is (*a*, not *a*) ×
    (*b*, not *b*); each is tested as `independence` tests any table, and
    the p-values are adjusted with `holm` across the whole family.

    Parameters are those of `independence`.
    """
    prepared = _prepare(table)
    _warn_dropped(prepared)
    splits = _splits(prepared)
    results = tuple(
        _compute(sub, correction, exact, seed, resamples) for _, sub in splits
    )
    if exact is None:
        _warn_fallback([r for r in results if r.test != CHISQUARE])

    logger.debug("%s: %d per-code tests", prepared.comparison, len(results))
    adjusted = holm([r.p for r in results])
    size = int(np.sum(~np.isnan([r.p for r in results])))
    return FamilyResult(
        row_dimension=prepared.row_dimension,
        column_dimension=prepared.column_dimension,
        family=_describe_family(prepared, size),
        comparisons=tuple(key for key, _ in splits),
        results=results,
        p_holm=tuple(float(p) for p in adjusted),
        size=size,
        dropped=prepared.dropped,
        method=_holm_text(size),
        why=(
            "the per-code tests are read together, so their p-values are "
            "adjusted to keep the family-wise error rate at the nominal level; "
            "Holm's procedure does so under any dependence between the tests "
            "and rejects at least as often as Bonferroni's"
        ),
    )


def homogeneity(
    creation_counts: pd.Series | Sequence[float],
    use_counts: pd.Series | Sequence[float],
    *,
    labels: tuple[str, str] = ("creation", "use"),
    correction: bool = True,
    exact: bool | None = None,
    seed: int = DEFAULT_SEED,
    resamples: int = DEFAULT_RESAMPLES,
) -> HomogeneityResult:
    """Compare two distributions over the same codes.

    Parameters
    ----------
    creation_counts, use_counts
        Counts per code, e.g. intended use of the 839 artifacts and actual
        use in the 176 mentions.  Series are aligned on their index (a code
        missing from one counts as 0); plain sequences must have the same
        length and get codes "1", "2", ...  The index name, or else the
        Series name, names the dimension.
    labels
        Names of the two groups, used as the rows of the 2×k table.
    correction, exact, seed, resamples
        As for `independence`.

    Returns
    -------
    HomogeneityResult
    """
    table = _two_group_table(creation_counts, use_counts, labels)
    prepared = _prepare(table)
    _warn_dropped(prepared)
    test = _compute(prepared, correction, exact, seed, resamples, "homogeneity")
    if exact is None and test.test != CHISQUARE:
        _warn_fallback([test])

    with warnings.catch_warnings():
        # The dropped codes were reported above; the family repeats nothing.
        warnings.simplefilter("ignore", NetreportWarning)
        family = per_code(
            prepared.observed,
            correction=correction,
            exact=exact,
            seed=seed,
            resamples=resamples,
        )
    if exact is None:
        _warn_fallback([r for r in family.results if r.test != CHISQUARE])
    return HomogeneityResult(
        test=test,
        per_code=family,
        differences=_differences(test, family),
    )


def holm(pvalues: Sequence[float] | np.ndarray) -> np.ndarray:
    """Holm's step-down adjustment, as R's ``p.adjust(p, "holm")``.

    A missing p (NaN, an untestable comparison) is left out of the family
    and stays NaN; the others are adjusted over the tests that were run.

    >>> holm([0.01, 0.04, float("nan")]).round(3).tolist()
    [0.02, 0.04, nan]
    """
    p = np.asarray(pvalues, dtype=float)
    if p.ndim != 1:
        raise ValueError(f"holm() takes a flat list of p-values, got shape {p.shape}")
    present = ~np.isnan(p)
    if np.any((p[present] < 0) | (p[present] > 1)):
        raise ValueError(f"p-values must lie between 0 and 1; got {p[present]}")
    out = np.full_like(p, np.nan)
    kept = p[present]
    m = kept.size
    order = np.argsort(kept, kind="stable")
    scaled = (m - np.arange(m)) * kept[order]
    adjusted = np.minimum(1.0, np.maximum.accumulate(scaled))
    back = np.empty(m)
    back[order] = adjusted
    out[present] = back
    return out


def tabulate_methods(
    results: Sequence[IndependenceResult | FamilyResult | HomogeneityResult],
) -> pd.DataFrame:
    """Every test behind a set of results, with its method: the appendix.

    A family contributes one row per test, each noting the adjustment; a
    homogeneity result contributes its overall test and its family.

    Returns
    -------
    pandas.DataFrame
        Columns "comparison", "result" (APA text), "method" and "why".
    """
    rows: list[dict[str, str]] = []

    def add(result: IndependenceResult, comparison: str, text: str, note: str):
        rows.append(
            {
                "comparison": comparison,
                "result": text,
                "method": result.method + note,
                "why": result.why,
            }
        )

    def add_family(family: FamilyResult) -> None:
        note = f"; {family.method} ({family.family})"
        for (row_code, col_code), result in zip(
            family.comparisons, family.results, strict=True
        ):
            text = family.apa(row_code, col_code)
            add(result, f"{row_code} \u00d7 {col_code}", text, note)

    for item in results:
        if isinstance(item, HomogeneityResult):
            add(item.test, item.test.comparison, item.apa(), "")
            add_family(item.per_code)
        elif isinstance(item, FamilyResult):
            add_family(item)
        elif isinstance(item, IndependenceResult):
            add(item, item.comparison, item.apa(), "")
        else:
            raise TypeError(
                "tabulate_methods() takes results of independence, per_code or "
                f"homogeneity; got {type(item).__name__}"
            )
    return pd.DataFrame(rows, columns=["comparison", "result", "method", "why"])


# --------------------------------------------------------------------------
# Preparing the table


@dataclass(frozen=True, eq=False)
class _Table:
    observed: pd.DataFrame
    given: pd.DataFrame
    row_dimension: str
    column_dimension: str
    dropped: tuple[tuple[str, str], ...]

    @property
    def comparison(self) -> str:
        return f"{self.row_dimension} \u00d7 {self.column_dimension}"


def _prepare(table: Any) -> _Table:
    given = _as_frame(table)
    row_dim = str(given.index.name) if given.index.name is not None else "rows"
    col_dim = str(given.columns.name) if given.columns.name is not None else "columns"
    where = f"{row_dim} \u00d7 {col_dim}"
    counts = _check_counts(given, where)

    # All-zero rows and columns carry no information and make expected
    # counts zero; drop them and say so.
    keep_rows = counts.sum(axis=1) > 0
    keep_cols = counts.sum(axis=0) > 0
    dropped = tuple(("row", str(v)) for v in given.index[~keep_rows]) + tuple(
        ("column", str(v)) for v in given.columns[~keep_cols]
    )
    if not keep_rows.any():
        raise NetreportError(
            f"cannot test {where}: every count is zero, so there is nothing to test"
        )
    observed = pd.DataFrame(
        counts[np.ix_(keep_rows, keep_cols)].astype(np.int64),
        index=given.index[keep_rows],
        columns=given.columns[keep_cols],
    )
    _check_shape(observed, dropped, where)
    return _Table(observed, given, row_dim, col_dim, dropped)


def _as_frame(table: Any) -> pd.DataFrame:
    if isinstance(table, pd.DataFrame):
        frame = table
    else:
        try:
            values = np.asarray(table, dtype=float)
        except (TypeError, ValueError) as err:
            raise NetreportError(
                "cannot test: expected a two-way table of counts (a crosstab or a "
                f"nested list of numbers), got {type(table).__name__}"
            ) from err
        if values.size == 0:
            raise NetreportError(_EMPTY)
        if values.ndim != 2:
            raise NetreportError(
                "cannot test: expected a two-way table of counts (rows × columns), "
                f"got an array with {values.ndim} dimension(s) and shape "
                f"{values.shape}"
            )
        frame = pd.DataFrame(
            values,
            index=pd.Index([f"row {i + 1}" for i in range(values.shape[0])]),
            columns=pd.Index([f"column {j + 1}" for j in range(values.shape[1])]),
        )
    if frame.size == 0:
        raise NetreportError(_EMPTY)
    return frame


_EMPTY = (
    "cannot test: the table is empty (no rows or no columns), "
    "so there are no counts to test"
)


def _check_counts(frame: pd.DataFrame, where: str) -> np.ndarray:
    try:
        counts = frame.to_numpy(dtype=float)
    except (TypeError, ValueError) as err:
        raise NetreportError(
            f"cannot test {where}: the table holds values that are not numbers; "
            "it must hold counts"
        ) from err
    bad = ~np.isfinite(counts) | (counts < 0) | (counts != np.round(counts))
    if bad.any():
        found = [
            f"{float(counts[i, j]):g} at ({frame.index[i]}, {frame.columns[j]})"
            for i, j in zip(*np.nonzero(bad), strict=True)
        ]
        raise NetreportError(
            f"cannot test {where}: counts must be whole numbers of 0 or more; "
            f"found {shorten(found, limit=5)}"
        )
    return counts


def _check_shape(
    observed: pd.DataFrame, dropped: tuple[tuple[str, str], ...], where: str
) -> None:
    after = ""
    if dropped:
        after = f" after dropping all-zero {shorten(f'{a} {v!r}' for a, v in dropped)}"
    for axis, labels in (("row", observed.index), ("column", observed.columns)):
        if len(labels) < 2:
            raise NetreportError(
                f"cannot test {where}: the table has one {axis} "
                f"({shorten(repr(str(v)) for v in labels)}){after}; independence "
                "is undefined unless there are at least two rows and two "
                "columns with counts"
            )


def _two_group_table(
    first: pd.Series | Sequence[float],
    second: pd.Series | Sequence[float],
    labels: tuple[str, str],
) -> pd.DataFrame:
    if isinstance(first, pd.Series) and isinstance(second, pd.Series):
        codes = first.index.union(second.index, sort=False)
        a = first.reindex(codes, fill_value=0)
        b = second.reindex(codes, fill_value=0)
        dimension = first.index.name or first.name or second.index.name or "codes"
    else:
        a_values = np.asarray(first, dtype=float)
        b_values = np.asarray(second, dtype=float)
        if a_values.ndim != 1 or a_values.shape != b_values.shape:
            raise NetreportError(
                "cannot compare distributions: the two lists of counts must be "
                f"flat and of the same length; got shapes {a_values.shape} and "
                f"{b_values.shape}"
            )
        codes = pd.Index([str(i + 1) for i in range(a_values.size)])
        a = pd.Series(a_values, index=codes)
        b = pd.Series(b_values, index=codes)
        dimension = "codes"
    frame = pd.DataFrame([a.to_numpy(), b.to_numpy()], columns=codes)
    frame.index = pd.Index(list(labels), name="source")
    frame.columns.name = str(dimension)
    return frame


# --------------------------------------------------------------------------
# Computing one test


def _rule_met(expected: np.ndarray) -> bool:
    return not (np.any(expected < 1) or np.mean(expected < 5) > 0.2)


def _compute(
    t: _Table,
    correction: bool,
    exact: bool | None,
    seed: int,
    resamples: int,
    purpose: str = "independence",
) -> IndependenceResult:
    obs = t.observed.to_numpy(dtype=float)
    n = obs.sum()
    row_sums, col_sums = obs.sum(axis=1), obs.sum(axis=0)
    r, c = obs.shape
    df = (r - 1) * (c - 1)

    # Pearson's statistic, expected counts and residuals (R's chisq.test).
    expected = np.outer(row_sums, col_sums) / n
    diff = obs - expected
    pearson = float(np.sum(diff**2 / expected))
    yates = bool(correction) and df == 1
    if yates:
        # The correction shrinks |O - E| by 0.5 but never past zero, so a
        # corrected p can never fall below the uncorrected one.
        shift = min(0.5, float(np.min(np.abs(diff))))
        statistic = float(np.sum((np.abs(diff) - shift) ** 2 / expected))
    else:
        statistic = pearson
    p_chisquare = _chisquare_p(statistic, df)
    stdres = diff / np.sqrt(expected * np.outer(1 - row_sums / n, 1 - col_sums / n))

    # Which p to report: Cochran's rule on the expected counts decides.
    sparse = expected < 5
    rule_met = _rule_met(expected)
    use_exact = (not rule_met) if exact is None else bool(exact)
    test, p = CHISQUARE, p_chisquare
    if use_exact:
        test, p = _exact_p(obs.astype(np.int64), seed, resamples)

    def frame(values: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(values, index=t.observed.index, columns=t.observed.columns)

    monte_carlo = test == MONTE_CARLO
    return IndependenceResult(
        row_dimension=t.row_dimension,
        column_dimension=t.column_dimension,
        observed=t.observed,
        given=t.given,
        expected=frame(expected),
        residuals=frame(diff / np.sqrt(expected)),
        stdres=frame(stdres),
        n=int(n),
        df=int(df),
        statistic=statistic,
        p=float(p),
        p_chisquare=p_chisquare,
        cramers_v=_cramers_v(pearson, n, r, c),
        cramers_v_corrected=_cramers_v_corrected(pearson, n, r, c),
        test=test,
        method=_method_text(test, yates, purpose, seed, resamples),
        why=_why_text(expected, exact, rule_met, yates),
        correction=yates,
        rule=COCHRAN_RULE,
        sparse_cells=tuple(
            (
                str(t.observed.index[i]),
                str(t.observed.columns[j]),
                float(expected[i, j]),
            )
            for i, j in zip(*np.nonzero(sparse), strict=True)
        ),
        dropped=t.dropped,
        seed=seed if monte_carlo else None,
        resamples=resamples if monte_carlo else None,
        purpose=purpose,
    )


def _chisquare_p(statistic: float, df: int) -> float:
    return stored_value(
        "chi-square p", [statistic, df], lambda: _compute_chisquare_p(statistic, df)
    )


def _compute_chisquare_p(statistic: float, df: int) -> float:
    from scipy import stats  # about a second; only when a p is not stored

    return float(stats.chi2.sf(statistic, df))


def _exact_p(counts: np.ndarray, seed: int, resamples: int) -> tuple[str, float]:
    inputs = {"counts": counts.tolist(), "seed": seed, "resamples": resamples}
    test, p = stored_value(
        "exact p", inputs, lambda: _compute_exact_p(counts, seed, resamples)
    )
    return test, p


def _compute_exact_p(
    counts: np.ndarray, seed: int, resamples: int
) -> tuple[str, float]:
    from scipy import stats  # about a second; only when a p is not stored

    if counts.shape == (2, 2):
        # scipy's two-sided p sums every table no more probable than the
        # observed one, as R's fisher.test does.
        return FISHER, float(stats.fisher_exact(counts).pvalue)
    method = stats.MonteCarloMethod(
        n_resamples=resamples, rng=np.random.default_rng(seed)
    )
    return MONTE_CARLO, float(stats.fisher_exact(counts, method=method).pvalue)


def _cramers_v(chi2: float, n: float, r: int, c: int) -> float:
    return float(np.sqrt(chi2 / (n * (min(r, c) - 1))))


def _cramers_v_corrected(chi2: float, n: float, r: int, c: int) -> float:
    """Bergsma's (2013) bias-corrected Cramér's V."""
    if n <= 1:
        return float("nan")
    phi2 = max(0.0, chi2 / n - (r - 1) * (c - 1) / (n - 1))
    r_tilde = r - (r - 1) ** 2 / (n - 1)
    c_tilde = c - (c - 1) ** 2 / (n - 1)
    denominator = min(r_tilde - 1, c_tilde - 1)
    if denominator <= 0:
        return float("nan")
    return float(np.sqrt(phi2 / denominator))


def _method_text(
    test: str, yates: bool, purpose: str, seed: int, resamples: int
) -> str:
    if test == FISHER:
        text = "Fisher's exact test (two-sided)"
    elif test == MONTE_CARLO:
        text = (
            "Fisher\u2013Freeman\u2013Halton exact test, Monte Carlo p from "
            f"{resamples:,} random tables with the observed margins (seed {seed})"
        )
    else:
        text = f"Pearson's chi-square test of {purpose}"
    if yates:
        text += ", \u03c7\u00b2 with Yates' continuity correction"
    return text


def _why_text(
    expected: np.ndarray, exact: bool | None, rule_met: bool, yates: bool
) -> str:
    count = _sparse_summary(expected)
    if exact is True:
        text = f"an exact p was requested (exact=True); {count}"
    elif exact is False and not rule_met:
        text = (
            f"the chi-square p was kept on request (exact=False) although "
            f"{count}, breaking {COCHRAN_RULE}; read it with caution"
        )
    elif rule_met:
        text = f"{count}, meeting {COCHRAN_RULE}, so the chi-square p is trusted"
    else:
        text = (
            f"{count}, breaking {COCHRAN_RULE}, so the chi-square p is "
            "unreliable and an exact p, conditional on the margins, is reported"
        )
    if yates:
        text += "; the table is 2\u00d72, where Yates' correction applies"
    return text


def _sparse_summary(expected: np.ndarray) -> str:
    below5 = int(np.sum(expected < 5))
    below1 = int(np.sum(expected < 1))
    text = f"{below5} of {expected.size} expected counts are below 5"
    if below1:
        text += f" ({below1} below 1)"
    return text


# --------------------------------------------------------------------------
# Families and differences


def _splits(t: _Table) -> list[tuple[tuple[str, str], _Table]]:
    obs = t.observed
    rows = _code_splits(obs.index)
    cols = _code_splits(obs.columns)
    out = []
    for row_label, row_mask in rows:
        for col_label, col_mask in cols:
            counts = _collapse(obs.to_numpy(), row_mask, col_mask)
            row_names = _split_names(obs.index, row_mask)
            col_names = _split_names(obs.columns, col_mask)
            sub = pd.DataFrame(
                counts,
                index=pd.Index(row_names, name=t.row_dimension),
                columns=pd.Index(col_names, name=t.column_dimension),
            )
            out.append(
                (
                    (row_label, col_label),
                    _Table(sub, sub, t.row_dimension, t.column_dimension, ()),
                )
            )
    return out


def _code_splits(labels: pd.Index) -> list[tuple[str, np.ndarray]]:
    # With two codes, "a against the rest" and "b against the rest" are
    # the same split; testing both would double-count it in the family.
    if len(labels) == 2:
        return [(f"{labels[0]} vs {labels[1]}", np.array([True, False]))]
    return [(str(v), np.asarray(labels == v)) for v in labels]


def _split_names(labels: pd.Index, mask: np.ndarray) -> list[str]:
    if len(labels) == 2:
        return [str(labels[0]), str(labels[1])]
    return [str(labels[mask][0]), "rest"]


def _collapse(counts: np.ndarray, row_mask: np.ndarray, col_mask: np.ndarray):
    in_row = counts[row_mask].sum(axis=0)
    out_row = counts[~row_mask].sum(axis=0)
    return np.array(
        [
            [in_row[col_mask].sum(), in_row[~col_mask].sum()],
            [out_row[col_mask].sum(), out_row[~col_mask].sum()],
        ],
        dtype=np.int64,
    )


def _describe_family(t: _Table, size: int) -> str:
    def side(dim: str, labels: pd.Index) -> str:
        if len(labels) == 2:
            return f"{dim} ({labels[0]} vs {labels[1]})"
        return f"each code of {dim} against the rest"

    tests = "test" if size == 1 else "tests"
    return (
        f"Family of {size} 2\u00d72 {tests}: "
        f"{side(t.row_dimension, t.observed.index)}, by "
        f"{side(t.column_dimension, t.observed.columns)}."
    )


def _holm_text(size: int) -> str:
    if size == 1:
        return "Holm's adjustment over a family of one test leaves p unchanged"
    return f"Holm's step-down adjustment across the {size} tests"


def _differences(test: IndependenceResult, family: FamilyResult) -> pd.DataFrame:
    obs = test.observed
    first, second = obs.index[0], obs.index[1]
    share = obs.div(obs.sum(axis=1), axis=0) * 100
    frame = pd.DataFrame(
        {
            "code": [str(v) for v in obs.columns],
            f"{first} n": obs.loc[first].to_numpy(),
            f"{first} %": share.loc[first].to_numpy(),
            f"{second} n": obs.loc[second].to_numpy(),
            f"{second} %": share.loc[second].to_numpy(),
            "difference (points)": (share.loc[second] - share.loc[first]).to_numpy(),
            "stdres": test.stdres.loc[second].to_numpy(),
        }
    )
    # One test per code, in column order; with two codes one test covers both.
    k = len(frame)
    if len(family) == 1:
        frame["p"] = [family.results[0].p] * k
        frame["p (Holm)"] = [family.p_holm[0]] * k
    else:
        frame["p"] = [r.p for r in family.results]
        frame["p (Holm)"] = list(family.p_holm)
    return frame


# --------------------------------------------------------------------------
# Warnings and rendering


def _warn_dropped(t: _Table) -> None:
    if not t.dropped:
        return
    r, c = t.observed.shape
    listed = shorten(f"{axis} {label!r}" for axis, label in t.dropped)
    warnings.warn(
        f"{t.comparison}: dropped {len(t.dropped)} all-zero "
        f"{'row or column' if len(t.dropped) == 1 else 'rows or columns'} "
        f"({listed}); the test runs on the remaining {r}\u00d7{c} table. "
        "Remove these codes from the crosstab to make the choice explicit.",
        NetreportWarning,
        stacklevel=3,
    )


def _warn_fallback(results: list[IndependenceResult]) -> None:
    if not results:
        return
    first = results[0]
    if len(results) == 1:
        cells = shorten(f"({r}, {c}): {e:.2f}" for r, c, e in first.sparse_cells)
        text = (
            f"{first.comparison}: {_sparse_summary(first.expected.to_numpy())} "
            f"[{cells}], breaking {COCHRAN_RULE}; reported {first.method} "
            "instead of the chi-square p."
        )
    else:
        text = (
            f"{len(results)} per-code tests of {first.comparison} break "
            f"{COCHRAN_RULE}; each reports an exact p instead of the chi-square p."
        )
    warnings.warn(
        text + " Pass exact=True to choose the exact test explicitly, or "
        "exact=False to keep the chi-square p.",
        NetreportWarning,
        stacklevel=3,
    )


def _effect_or_dash(value: float) -> str:
    return "\u2013" if np.isnan(value) else apa.format_effect(value)


def _cell_text(key: str, value: Any) -> str:
    if isinstance(value, str):
        return value
    if key.startswith("p"):
        return apa.format_p_cell(value)
    if key.endswith(" n"):
        return apa.format_count(value)
    return f"{value:.1f}" if key.endswith("%") or "points" in key else f"{value:.2f}"


def _markdown_table(rows: list[dict[str, str]]) -> str:
    if not rows:
        return ""
    headers = list(rows[0])

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    out = [line(headers), "|" + "|".join(" --- " for _ in headers) + "|"]
    out.extend(line([row[h] for h in headers]) for row in rows)
    return "\n".join(out)
