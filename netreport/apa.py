"""Numbers as APA style prints them, ready to drop into prose.

The rules followed (APA Publication Manual, 7th edition, section 6.36 and
the statistics chapter) are the ones a reviewer checks first:

- p is given to three decimals without a leading zero; below .001 it is
  "p < .001" (decided on the unrounded value, so .0004999 is "< .001"
  and .001 is "= .001"); above .99 it is "p > .99", never "p = 1.000".
- Values that cannot exceed 1 (p, Cramér's V) have no leading zero.
- Test statistics get two decimals; counts of 1,000 or more get a
  thousands separator, degrees of freedom never do.

Every function returns a string; none of them rounds a number that is later
used in a computation.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from netreport.chisquare import IndependenceResult

__all__ = [
    "format_chisquare",
    "format_count",
    "format_df",
    "format_effect",
    "format_p",
    "format_p_cell",
    "format_statistic",
]

CHI = "\u03c7"


def _check_finite(value: float, what: str) -> None:
    if value is None or not math.isfinite(value):
        raise ValueError(
            f"{what} is {value!r}; only a tested comparison has a {what} to print"
        )


def format_p_cell(p: float) -> str:
    """A p-value as a table cell: ".006", "< .001" or "> .99".

    >>> format_p_cell(0.0004999)
    '< .001'
    >>> format_p_cell(1.0)
    '> .99'
    """
    _check_finite(p, "p")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p must lie between 0 and 1; got {p!r}")
    if p < 0.001:
        return "< .001"
    if p > 0.99:
        return "> .99"
    return f"{p:.3f}".removeprefix("0")


def format_p(p: float, *, label: str = "p") -> str:
    """A p-value for inline prose: "p = .006", "p < .001", "p > .99".

    Parameters
    ----------
    p
        The p-value, unrounded.
    label
        What to call it, e.g. ``"Fisher's exact p"``.

    >>> format_p(0.00612)
    'p = .006'
    """
    cell = format_p_cell(p)
    if cell[0] in "<>":
        return f"{label} {cell}"
    return f"{label} = {cell}"


def format_effect(value: float, digits: int = 2) -> str:
    """An effect size bounded by 1 (Cramér's V, φ) without a leading zero.

    >>> format_effect(0.1234)
    '.12'
    """
    _check_finite(value, "effect size")
    text = f"{value:.{digits}f}"
    if text.startswith("-0."):
        return "-" + text[2:]
    return text.removeprefix("0")


def format_statistic(value: float, digits: int = 2) -> str:
    """A test statistic: two decimals, thousands separated.

    >>> format_statistic(1234.5678)
    '1,234.57'
    """
    _check_finite(value, "statistic")
    text = f"{value:,.{digits}f}"
    # Rounding error can leave a corrected statistic at -1e-24; print 0.00.
    if text.startswith("-") and float(text[1:].replace(",", "")) == 0:
        return text[1:]
    return text


def format_count(n: int) -> str:
    """A count such as N: "839", "1,580".

    >>> format_count(1580)
    '1,580'
    """
    return f"{int(n):,d}"


def format_df(df: int) -> str:
    """Degrees of freedom, never with a thousands separator.

    >>> format_df(1200)
    '1200'
    """
    return f"{int(df):d}"


def format_chisquare(
    result: IndependenceResult,
    *,
    adjusted_p: float | None = None,
    family_size: int | None = None,
) -> str:
    """A chi-square result inline: "χ²(3, N = 839) = 12.34, p = .006, V = .12".

    When the p-value comes from an exact test (Fisher's, or its Monte Carlo
    estimate for larger tables) the p is labelled so, because the χ²
    printed beside it did not produce it.  With `adjusted_p` the p printed
    is the Holm-adjusted one, and the family size is said.
    """
    head = (
        f"{CHI}\u00b2({format_df(result.df)}, N = {format_count(result.n)}) "
        f"= {format_statistic(result.statistic)}"
    )
    if adjusted_p is None:
        p_text = format_p(result.p, label=result.p_label)
    else:
        p_text = format_p(adjusted_p, label=result.p_label)
        tests = "test" if family_size == 1 else "tests"
        p_text += f" (Holm-adjusted, {family_size} {tests})"
    return f"{head}, {p_text}, V = {format_effect(result.cramers_v)}"
