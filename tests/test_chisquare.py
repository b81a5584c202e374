"""The chi-square suite: traps from the issue, refusals, warnings, results."""

from __future__ import annotations

import dataclasses
import json
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from netreport import chisquare
from netreport.errors import NetreportError, NetreportWarning

GOLDENS = json.loads((Path(__file__).parent / "golden" / "goldens.json").read_text())
R = {g["name"]: g for g in GOLDENS["tables"]}

USES = ["improvement", "administration", "research", "relationship management"]
PRESSURES = ["technical-rational", "sociopolitical"]


def _quiet(func, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NetreportWarning)
        return func(*args, **kwargs)


@pytest.fixture
def artifacts() -> pd.DataFrame:
    return pd.DataFrame(
        [[713, 5], [71, 3], [40, 1], [1, 5]],
        index=pd.Index(USES, name="intended use"),
        columns=pd.Index(PRESSURES, name="pressure"),
    )


def test_public_names():
    assert sorted(chisquare.__all__) == [
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
    for name in chisquare.__all__:
        assert hasattr(chisquare, name)
        assert not name.startswith("test")


# --------------------------------------------------------------------------
# The traps of the issue


def test_yates_on_a_near_independent_table_gives_zero_and_p_one():
    result = _quiet(
        chisquare.independence, [[1573, 3], [4, 0]], correction=True, exact=False
    )

    assert result.statistic == pytest.approx(0, abs=1e-12)
    assert result.p == pytest.approx(1, abs=1e-12)
    assert "Yates" in result.method


@pytest.mark.parametrize(
    "table",
    [
        [[1573, 3], [4, 0]],
        [[3, 1], [1, 3]],
        [[12, 5], [4, 14]],
        [[4000, 100], [150, 3900]],
    ],
)
def test_corrected_p_is_never_below_uncorrected(table):
    plain = _quiet(chisquare.independence, table, correction=False, exact=False)
    yates = _quiet(chisquare.independence, table, correction=True, exact=False)

    assert yates.p >= plain.p
    assert yates.statistic <= plain.statistic


def test_yates_never_touches_a_larger_table():
    result = _quiet(
        chisquare.independence, [[10, 20, 30], [25, 15, 12]], correction=True
    )

    assert result.correction is False
    assert "Yates" not in result.method


def test_empty_column_is_dropped_and_reported():
    with pytest.warns(NetreportWarning) as record:
        result = chisquare.independence([[3, 0, 5], [4, 0, 6]])

    dropped, fallback = (str(w.message) for w in record)
    assert dropped == (
        "rows × columns: dropped 1 all-zero row or column (column 'column 2'); "
        "the test runs on the remaining 2×2 table. Remove these codes from the "
        "crosstab to make the choice explicit."
    )
    assert "reported Fisher's exact test" in fallback

    assert result.dropped == (("column", "column 2"),)
    assert result.observed.to_numpy().tolist() == [[3, 5], [4, 6]]
    assert result.df == 1
    assert result.given.shape == (2, 3)


def test_one_row_is_refused():
    with pytest.raises(NetreportError) as err:
        chisquare.independence([[3, 4, 12]])

    assert str(err.value) == (
        "cannot test rows × columns: the table has one row ('row 1'); "
        "independence is undefined unless there are at least two rows and "
        "two columns with counts"
    )


def test_sparse_3x3_reports_its_cells_and_an_exact_p():
    with pytest.warns(NetreportWarning, match="6 of 9 expected counts are below 5"):
        result = chisquare.independence([[1, 8, 2], [2, 4, 1], [12, 0, 2]])

    assert result.df == 4
    assert round(result.statistic, 2) == 18.04
    assert round(result.p_chisquare, 4) == 0.0012
    assert len(result.sparse_cells) == 6
    assert not result.rule_met
    assert result.test == "fisher-monte-carlo"
    assert "Cochran" in result.why
    exact = R["trap_sparse_3x3"]["p_fisher"]
    assert abs(result.p - exact) < 5e-5
    assert result.p < result.p_chisquare


def test_rule_reads_expected_not_observed_counts():
    # Small observed counts but large expected ones: the rule is met.
    table = [[0, 40], [40, 0], [20, 20]]
    result = chisquare.independence(table)

    assert result.rule_met
    assert result.sparse_cells == ()
    assert result.test == "chi-square"


def test_one_expected_count_below_one_breaks_the_rule():
    # 1 of 10 cells below 5 (10%), but that one is below 1.
    table = [[200, 150, 120, 180, 1], [210, 140, 130, 170, 0]]
    result = _quiet(chisquare.independence, table)

    assert len(result.sparse_cells) == 2
    assert not result.rule_met


def test_adjusted_standardized_residuals():
    table = [[21, 6, 12, 19], [20, 4, 15, 3], [9, 5, 18, 22], [2, 6, 19, 19]]
    result = chisquare.independence(table)

    assert result.stdres.iloc[0].round(4).tolist() == [2.1032, -0.0458, -2.1914, 0.2449]
    assert result.stdres.iloc[-1].round(4).tolist() == [-3.8153, 0.6413, 1.5417, 1.6314]


def test_holm_of_the_issue():
    p = [2.6e-165, 0.011245, 9.0e-109, 1.125e-07, 3.57e-70, 2.62e-14, 6.08e-130]
    expected = [
        1.82e-164,
        0.011245,
        4.50e-108,
        2.25e-07,
        1.428e-69,
        7.86e-14,
        3.648e-129,
    ]

    np.testing.assert_allclose(chisquare.holm(p), expected, rtol=1e-12)


def test_holm_leaves_missing_p_out_of_the_family():
    adjusted = chisquare.holm([0.01, math.nan, 0.04])

    assert math.isnan(adjusted[1])
    np.testing.assert_allclose(adjusted[[0, 2]], [0.02, 0.04])


def test_holm_of_nothing_is_nothing():
    assert chisquare.holm([]).tolist() == []


@pytest.mark.parametrize(
    ("pvalues", "message"),
    [([0.5, 1.2], "between 0 and 1"), ([[0.1, 0.2]], "flat list")],
)
def test_holm_refuses_bad_input(pvalues, message):
    with pytest.raises(ValueError, match=message):
        chisquare.holm(pvalues)


# --------------------------------------------------------------------------
# Refusals: the bad input beside the message it must give


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ([], "the table is empty (no rows or no columns), so there are no counts"),
        ([[]], "the table is empty (no rows or no columns), so there are no counts"),
        ([[0, 0], [0, 0]], "every count is zero, so there is nothing to test"),
        ([3, 4, 5], "got an array with 1 dimension(s) and shape (3,)"),
        (
            [[1, 2], [3, -1]],
            "counts must be whole numbers of 0 or more; found -1 at (row 2, column 2)",
        ),
        ([[1, 2.5], [3, 4]], "found 2.5 at (row 1, column 2)"),
        ([[1, float("nan")], [3, 4]], "found nan at (row 1, column 2)"),
        ([[3], [4], [5]], "the table has one column ('column 1')"),
        (
            [[3, 4], [0, 0]],
            "the table has one row ('row 1') after dropping all-zero row 'row 2'",
        ),
        ([["a", "b"], ["c", "d"]], "expected a two-way table of counts"),
    ],
)
def test_untestable_tables_are_refused(table, message):
    with pytest.raises(NetreportError) as err:
        _quiet(chisquare.independence, table)

    assert message in str(err.value)


def test_refusal_names_the_dimensions(artifacts):
    one_column = artifacts[["sociopolitical"]]

    with pytest.raises(NetreportError, match=r"cannot test intended use × pressure"):
        chisquare.independence(one_column)


def test_per_code_and_homogeneity_refuse_too():
    with pytest.raises(NetreportError, match="one row"):
        chisquare.per_code([[3, 4, 12]])
    with pytest.raises(NetreportError, match="same length"):
        chisquare.homogeneity([1, 2, 3], [4, 5])


# --------------------------------------------------------------------------
# Exact tests and their choice


def test_monte_carlo_p_is_reproducible_with_the_same_seed():
    table = [[1, 8, 2], [2, 4, 1], [12, 0, 2]]
    first = chisquare.independence(table, exact=True, seed=7, resamples=5000)
    second = chisquare.independence(table, exact=True, seed=7, resamples=5000)

    assert first.p == second.p
    assert first.seed == 7 and first.resamples == 5000
    assert "5,000 random tables" in first.method and "seed 7" in first.method
    # p = (k + 1) / (B + 1) for a whole number k of extreme tables.
    k = first.p * 5001 - 1
    assert k == pytest.approx(round(k))


def test_seed_is_not_reported_for_tests_that_do_not_use_it():
    result = chisquare.independence([[30, 20], [20, 30]])

    assert result.seed is None and result.resamples is None


def test_two_by_two_falls_back_to_fisher():
    with pytest.warns(NetreportWarning, match="Fisher's exact test"):
        result = chisquare.independence([[8, 2], [1, 5]])

    assert result.test == "fisher"
    assert result.p == pytest.approx(R["small_2x2_2"]["p_fisher"], rel=1e-9)
    assert result.p_label == "Fisher's exact p"


@pytest.mark.parametrize(
    ("exact", "test"),
    [(None, "fisher"), (True, "fisher"), (False, "chi-square")],
)
def test_exact_option_decides_the_test(exact, test):
    with warnings.catch_warnings():
        warnings.simplefilter("error", NetreportWarning)
        if exact is None:
            with pytest.warns(NetreportWarning, match="exact=False"):
                result = chisquare.independence([[8, 2], [1, 5]], exact=exact)
        else:
            result = chisquare.independence([[8, 2], [1, 5]], exact=exact)

    assert result.test == test
    if exact is False:
        assert "exact=False" in result.why and "caution" in result.why


def test_exact_true_on_a_large_table_is_honoured():
    result = chisquare.independence(
        [[100, 120, 90], [80, 140, 110]], exact=True, resamples=2000
    )

    assert result.test == "fisher-monte-carlo"
    assert "exact=True" in result.why


# --------------------------------------------------------------------------
# Per-code families and homogeneity


def test_per_code_family_is_stated(artifacts):
    with pytest.warns(NetreportWarning, match="4 per-code tests"):
        family = chisquare.per_code(artifacts)

    assert family.size == 4
    assert family.family == (
        "Family of 4 2×2 tests: each code of intended use against the rest, "
        "by pressure (technical-rational vs sociopolitical)."
    )
    assert family.comparisons[0] == (
        "improvement",
        "technical-rational vs sociopolitical",
    )
    assert "Holm" in family.method and "4 tests" in family.method
    assert family.p_holm[0] >= family.results[0].p


def test_per_code_of_a_larger_table_tests_every_cell():
    table = pd.DataFrame(
        [[34, 8, 1, 13, 9], [13, 8, 2, 32, 15], [6, 5, 1, 17, 12]],
        index=pd.Index(["school teams", "district leaders", "network"], name="context"),
        columns=pd.Index([*USES, "disuse"], name="actual use"),
    )
    family = _quiet(chisquare.per_code, table)

    assert family.size == 15
    network_research = family.result("network", "research")
    assert network_research.observed.to_numpy().tolist() == [[1, 40], [3, 132]]
    frame = family.as_frame()
    assert list(frame.columns[:2]) == ["context", "actual use"]
    assert len(frame) == 15
    assert "Holm-adjusted, 15 tests" in family.apa("school teams", "improvement")
    with pytest.raises(KeyError, match="no comparison 'nobody'"):
        family.result("nobody", "improvement")


def test_homogeneity_of_intended_and_actual_use():
    codes = pd.Index(USES, name="use")
    creation = pd.Series([718, 74, 41, 6], index=codes)
    use = pd.Series([53, 21, 4, 62], index=codes)

    result = chisquare.homogeneity(creation, use)

    assert result.test.purpose == "homogeneity"
    assert "homogeneity" in result.method
    assert result.test.n == 839 + 140
    diff = result.differences.set_index("code")
    assert diff.loc["relationship management", "difference (points)"] == pytest.approx(
        62 / 140 * 100 - 6 / 839 * 100
    )
    assert diff.loc["improvement", "stdres"] < 0
    assert result.per_code.size == 4


def test_homogeneity_aligns_codes_missing_from_one_side():
    creation = pd.Series({"a": 10, "b": 20, "c": 5}, name="intended use")
    use = pd.Series({"b": 8, "a": 12}, name="actual use")

    result = _quiet(chisquare.homogeneity, creation, use)

    assert list(result.test.observed.columns) == ["a", "b", "c"]
    assert result.test.observed.loc["use", "c"] == 0
    assert result.test.column_dimension == "intended use"


# --------------------------------------------------------------------------
# What every result knows


def test_result_knows_its_inputs_and_dimensions(artifacts):
    result = _quiet(chisquare.independence, artifacts)

    assert result.comparison == "intended use × pressure"
    assert result.given.equals(artifacts)
    assert list(result.expected.index) == USES
    cells = {(r, c): e for r, c, e in result.sparse_cells}
    assert set(cells) == {
        ("administration", "sociopolitical"),
        ("research", "sociopolitical"),
        ("relationship management", "sociopolitical"),
    }
    assert cells["relationship management", "sociopolitical"] == pytest.approx(
        6 * 14 / 839
    )
    assert result.rule == chisquare.COCHRAN_RULE


def test_results_are_frozen(artifacts):
    result = _quiet(chisquare.independence, artifacts)

    with pytest.raises(dataclasses.FrozenInstanceError):
        result.p = 0.5  # type: ignore[misc]


def test_as_dict_is_plain_and_complete(artifacts):
    result = _quiet(chisquare.independence, artifacts)
    plain = result.as_dict()

    json.dumps(plain)  # nothing but plain values
    for key in (
        "statistic",
        "df",
        "n",
        "p",
        "method",
        "why",
        "dropped",
        "sparse_cells",
    ):
        assert key in plain
    assert plain["rows"] == USES
    assert plain["observed"][3] == [1, 5]


def test_as_row_and_markdown(artifacts):
    result = _quiet(chisquare.independence, artifacts, exact=False)
    row = result.as_row()

    assert row == {
        "comparison": "intended use × pressure",
        "test": "Pearson χ²",
        "N": "839",
        "df": "3",
        "χ²": "250.72",
        "p": "< .001",
        "V": ".55",
        "V (bias-corrected)": ".54",
        "expected < 5": "3 of 8",
    }
    markdown = result._repr_markdown_()
    assert markdown.startswith("| comparison | test | N |")
    assert "| intended use × pressure | Pearson χ² | 839 | 3 |" in markdown
    assert "*Note.* Pearson's chi-square test of independence." in markdown


def test_family_and_homogeneity_render_as_markdown(artifacts):
    family = _quiet(chisquare.per_code, artifacts)
    codes = pd.Index(PRESSURES, name="pressure")
    homog = chisquare.homogeneity(
        pd.Series([825, 14], index=codes), pd.Series([114, 62], index=codes)
    )

    lines = family._repr_markdown_().splitlines()
    assert lines[1] == "|" + "|".join([" --- "] * 10) + "|"
    for line, use in zip(lines[2:6], USES, strict=True):
        assert line.startswith(f"| {use} × technical-rational vs sociopolitical |")
    assert lines[6] == ""
    assert "| p (Holm) |" in family._repr_markdown_()
    assert "| technical-rational | 825 | 98.3 | 114 | 64.8 |" in homog._repr_markdown_()
    json.dumps(family.as_dict())
    json.dumps(homog.as_dict())


def test_apa_text_of_the_results(artifacts):
    plain = _quiet(chisquare.independence, artifacts, exact=False)
    exact = _quiet(chisquare.independence, artifacts)
    fisher = _quiet(chisquare.independence, [[8, 2], [1, 5]])

    assert plain.apa() == "χ²(3, N = 839) = 250.72, p < .001, V = .55"
    assert exact.apa() == "χ²(3, N = 839) = 250.72, Monte Carlo exact p < .001, V = .55"
    assert fisher.apa().startswith("χ²(1, N = 16) = ")
    assert ", Fisher's exact p = .035, V = " in fisher.apa()


def test_tabulate_methods_lists_every_test(artifacts):
    overall = _quiet(chisquare.independence, artifacts)
    family = _quiet(chisquare.per_code, artifacts)
    codes = pd.Index(PRESSURES, name="pressure")
    homog = chisquare.homogeneity(
        pd.Series([825, 14], index=codes), pd.Series([114, 62], index=codes)
    )

    table = chisquare.tabulate_methods([overall, family, homog])

    assert list(table.columns) == ["comparison", "result", "method", "why"]
    assert len(table) == 1 + 4 + 1 + 1
    assert table.loc[0, "comparison"] == "intended use × pressure"
    assert table.loc[0, "method"].startswith("Fisher–Freeman–Halton exact test")
    assert "Holm's step-down adjustment across the 4 tests" in table.loc[1, "method"]
    assert "Holm-adjusted, 4 tests" in table.loc[1, "result"]
    assert table.loc[5, "method"].startswith("Pearson's chi-square test of homogeneity")


def test_tabulate_methods_refuses_other_objects():
    with pytest.raises(TypeError, match="got float"):
        chisquare.tabulate_methods([0.05])
