"""APA formatting: the edge cases a reviewer checks first."""

from __future__ import annotations

import math
import warnings

import pytest

from netreport import apa, chisquare
from netreport.errors import NetreportWarning


def test_public_names():
    assert sorted(apa.__all__) == [
        "format_chisquare",
        "format_count",
        "format_df",
        "format_effect",
        "format_p",
        "format_p_cell",
        "format_statistic",
    ]


@pytest.mark.parametrize(
    ("p", "text"),
    [
        (0.0004999, "p < .001"),  # below .001 before rounding
        (0.000999999, "p < .001"),
        (0.001, "p = .001"),
        (0.0012140, "p = .001"),
        (0.00612, "p = .006"),
        (0.0495, "p = .050"),
        (0.05, "p = .050"),
        (0.5, "p = .500"),
        (0.99, "p = .990"),
        (0.9901, "p > .99"),
        (0.9996, "p > .99"),  # never "p = 1.000"
        (1.0, "p > .99"),
        (0.0, "p < .001"),
        (1e-300, "p < .001"),
    ],
)
def test_format_p(p, text):
    assert apa.format_p(p) == text


def test_format_p_with_a_label():
    assert apa.format_p(0.035, label="Fisher's exact p") == "Fisher's exact p = .035"
    assert apa.format_p(1.0, label="Fisher's exact p") == "Fisher's exact p > .99"


@pytest.mark.parametrize(
    ("p", "cell"), [(0.0004999, "< .001"), (1.0, "> .99"), (0.0123, ".012")]
)
def test_format_p_cell(p, cell):
    assert apa.format_p_cell(p) == cell


@pytest.mark.parametrize(
    ("p", "message"),
    [
        (math.nan, "p is nan; only a tested comparison has a p to print"),
        (math.inf, "p is inf"),
        (1.5, "p must lie between 0 and 1; got 1.5"),
        (-0.1, "p must lie between 0 and 1; got -0.1"),
    ],
)
def test_format_p_refuses_what_is_not_a_p(p, message):
    with pytest.raises(ValueError) as err:
        apa.format_p(p)

    assert message in str(err.value)


@pytest.mark.parametrize(
    ("value", "text"),
    [(0.1234, ".12"), (0.125, ".12"), (0.0, ".00"), (0.999, "1.00"), (1.0, "1.00")],
)
def test_format_effect_has_no_leading_zero(value, text):
    assert apa.format_effect(value) == text


@pytest.mark.parametrize(
    ("df", "text"), [(1, "1"), (12, "12"), (1200, "1200"), (123456, "123456")]
)
def test_format_df_has_no_thousands_separator(df, text):
    assert apa.format_df(df) == text


@pytest.mark.parametrize(("n", "text"), [(839, "839"), (1580, "1,580")])
def test_format_count(n, text):
    assert apa.format_count(n) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (12.3449, "12.34"),
        (1234.5678, "1,234.57"),
        (1.45e-24, "0.00"),
        (-1e-15, "0.00"),
        (0.0, "0.00"),
    ],
)
def test_format_statistic(value, text):
    assert apa.format_statistic(value) == text


def _result(table, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NetreportWarning)
        return chisquare.independence(table, **kwargs)


def test_format_chisquare_matches_the_issue_example_shape():
    result = _result([[30, 20, 25, 10], [15, 25, 20, 30]])

    text = apa.format_chisquare(result)

    assert text == (
        f"χ²(3, N = 175) = {result.statistic:.2f}, "
        f"{apa.format_p(result.p)}, V = {apa.format_effect(result.cramers_v)}"
    )
    assert text.startswith("χ²(3, N = 175) = ")


def test_format_chisquare_with_yates_and_a_large_n():
    result = _result([[1573, 3], [4, 0]], exact=False)

    assert apa.format_chisquare(result) == "χ²(1, N = 1,580) = 0.00, p > .99, V = .00"


def test_format_chisquare_with_a_holm_adjusted_p():
    result = _result([[30, 20], [15, 35]])

    text = apa.format_chisquare(result, adjusted_p=0.0312, family_size=6)

    assert text.endswith(", p = .031 (Holm-adjusted, 6 tests), V = .30")


def test_a_family_of_one_test_is_named_in_the_singular():
    result = _result([[30, 20], [15, 35]])

    text = apa.format_chisquare(result, adjusted_p=0.0312, family_size=1)

    assert "(Holm-adjusted, 1 test)" in text
