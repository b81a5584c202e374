"""netreport against R: the goldens in tests/golden/goldens.json.

The goldens are R's ``chisq.test``, ``fisher.test`` and ``p.adjust`` on the
tables in tests/golden/tables.json; regenerate them with
``Rscript tests/golden/make_goldens.R``.  These tests never run R.
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from netreport import chisquare
from netreport.errors import NetreportWarning

GOLDEN = Path(__file__).parent / "golden"
TABLES = {
    t["name"]: t for t in json.loads((GOLDEN / "tables.json").read_text())["tables"]
}
GOLDENS = json.loads((GOLDEN / "goldens.json").read_text())
BY_NAME = {g["name"]: g for g in GOLDENS["tables"]}
TOL = 1e-9


def _table(name: str) -> pd.DataFrame | list[list[int]]:
    spec = TABLES[name]
    if "rows" not in spec:
        return spec["counts"]
    return pd.DataFrame(
        spec["counts"],
        index=pd.Index(spec["rows"], name=spec["row_dimension"]),
        columns=pd.Index(spec["columns"], name=spec["column_dimension"]),
    )


def _quiet(func, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NetreportWarning)
        return func(*args, **kwargs)


def _close(actual, expected, *, abs_tol: float = 0.0) -> None:
    np.testing.assert_allclose(
        np.asarray(actual, dtype=float),
        np.asarray(expected, dtype=float),
        rtol=TOL,
        atol=abs_tol,
    )


def test_there_are_at_least_30_golden_tables():
    assert len(GOLDENS["tables"]) >= 30
    assert set(BY_NAME) == set(TABLES)


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_pearson_chisquare_matches_r(name):
    golden = BY_NAME[name]
    result = _quiet(chisquare.independence, _table(name), correction=False, exact=False)

    assert result.observed.to_numpy().tolist() == golden["tested"]
    assert result.n == golden["n"]
    assert result.df == golden["df"]
    _close(result.statistic, golden["statistic"], abs_tol=1e-12)
    _close(result.p, golden["p"])
    assert result.p == result.p_chisquare
    assert result.test == "chi-square"


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_expected_and_residuals_match_r(name):
    golden = BY_NAME[name]
    result = _quiet(chisquare.independence, _table(name), correction=False, exact=False)

    _close(result.expected, golden["expected"])
    _close(result.residuals, golden["residuals"], abs_tol=1e-12)
    _close(result.stdres, golden["stdres"], abs_tol=1e-12)


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_cramers_v_matches_r(name):
    golden = BY_NAME[name]
    result = _quiet(chisquare.independence, _table(name), exact=False)

    _close(result.cramers_v, golden["cramers_v"], abs_tol=1e-12)
    if golden["cramers_v_corrected"] is None:
        assert math.isnan(result.cramers_v_corrected)
    else:
        _close(result.cramers_v_corrected, golden["cramers_v_corrected"], abs_tol=1e-12)


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_cochran_rule_agrees_with_r(name):
    golden = BY_NAME[name]
    result = _quiet(chisquare.independence, _table(name))

    assert result.rule_met is golden["cochran_met"]
    assert (result.test == "chi-square") is golden["cochran_met"]


TWO_BY_TWO = sorted(n for n, g in BY_NAME.items() if "p_yates" in g)


@pytest.mark.parametrize("name", TWO_BY_TWO)
def test_yates_matches_r(name):
    golden = BY_NAME[name]
    result = _quiet(chisquare.independence, _table(name), correction=True, exact=False)

    assert result.correction is True
    assert "Yates" in result.method
    _close(result.statistic, golden["statistic_yates"], abs_tol=1e-12)
    _close(result.p, golden["p_yates"])
    assert result.p >= golden["p"]


FISHER_2X2 = sorted(n for n in TWO_BY_TWO if "p_fisher" in BY_NAME[n])


@pytest.mark.parametrize("name", FISHER_2X2)
def test_fisher_exact_matches_r(name):
    golden = BY_NAME[name]
    result = _quiet(chisquare.independence, _table(name), exact=True)

    assert result.test == "fisher"
    _close(result.p, golden["p_fisher"])


MONTE_CARLO = sorted(
    n for n, g in BY_NAME.items() if "p_fisher" in g and n not in TWO_BY_TWO
)


@pytest.mark.parametrize("name", MONTE_CARLO)
def test_monte_carlo_p_is_near_r_exact_fisher(name):
    golden = BY_NAME[name]
    result = _quiet(chisquare.independence, _table(name), exact=True)

    # The Monte Carlo p is (k + 1) / (B + 1); allow four standard errors
    # of a binomial proportion plus the +1 of the estimator.
    exact, draws = golden["p_fisher"], result.resamples
    tolerance = 4 * math.sqrt(exact * (1 - exact) / draws) + 2 / (draws + 1)
    assert result.test == "fisher-monte-carlo"
    assert abs(result.p - exact) <= tolerance


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_per_code_family_matches_r(name):
    golden = BY_NAME[name]["per_code"]
    family = _quiet(chisquare.per_code, _table(name))

    assert family.size == len(golden["tests"]) == len(family)
    for result, expected in zip(family.results, golden["tests"], strict=True):
        assert result.observed.to_numpy().tolist() == expected["counts"]
        _close(result.statistic, expected["statistic_yates"], abs_tol=1e-12)
        _close(result.p_chisquare, expected["p_yates"])
        _close(result.p, expected["p_chosen"])
    _close(family.p_holm, golden["p_holm"])


@pytest.mark.parametrize(
    "name", ["homogeneity_intended_vs_actual_use", "homogeneity_pressure"]
)
def test_homogeneity_matches_r_on_the_stacked_table(name):
    golden = BY_NAME[name]
    spec = TABLES[name]
    codes = pd.Index(spec["columns"], name=spec["column_dimension"])
    creation = pd.Series(spec["counts"][0], index=codes)
    use = pd.Series(spec["counts"][1], index=codes)

    result = _quiet(chisquare.homogeneity, creation, use, exact=False)

    assert result.test.purpose == "homogeneity"
    expected_statistic = golden.get("statistic_yates", golden["statistic"])
    _close(result.test.statistic, expected_statistic)
    _close(result.test.p, golden.get("p_yates", golden["p"]))
    _close(result.test.stdres, golden["stdres"], abs_tol=1e-12)
    # One per-code test per code; with two codes, one test serves both.
    holm = golden["per_code"]["p_holm"]
    if len(holm) == 1:
        holm = holm * len(codes)
    _close(result.differences["p (Holm)"], holm)


@pytest.mark.parametrize("golden", GOLDENS["holm"], ids=lambda g: g["name"])
def test_holm_matches_r_p_adjust(golden):
    p = [math.nan if v is None else v for v in golden["p"]]
    expected = [math.nan if v is None else v for v in golden["adjusted"]]

    np.testing.assert_allclose(chisquare.holm(p), expected, rtol=TOL, equal_nan=True)
