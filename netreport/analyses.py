"""The statistical analyses the case report runs, defined once, found by name.

The findings chapters quote these results and the appendix lists every test
behind them. Both call `run_analyses`, so the list of comparisons lives in
one place and the appendix cannot describe a test the chapters did not run,
or miss one they did.

Which p is reported is decided here, explicitly. A test whose expected
counts break Cochran's rule (`netreport.chisquare.COCHRAN_RULE`) is run with
``exact=True``; one that meets it keeps the chi-square p. A family of
per-code 2×2 tests is exact throughout when any of its tables breaks the
rule, so the tests of one family are read on the same footing. Nothing is
left to the chi-square module's automatic fallback, which warns (and so
fails a strict build).

`run_analyses` runs the tests once per process for a given case: every
chapter that calls it with the same `CodedData` object (the one
`netreport.load_case` caches) gets the same results, and the files read,
stored results used and warnings given the first time are noted again for
each caller, so a rebuild still knows which chapters read which file and
a strict build still fails where a warning is given. Chapters read the
case; none may change its frames in place.

Examples
--------
In a chapter cell::

    analyses = run_analyses(case.data)
    test = analyses["creation_pressure"].result
    test.apa()      # "χ²(3, N = 839) = 250.72, Monte Carlo exact p < .001, ..."
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from netreport import apa
from netreport.chisquare import (
    FamilyResult,
    HomogeneityResult,
    IndependenceResult,
    homogeneity,
    independence,
    per_code,
    tabulate_methods,
)
from netreport.codebook import Codebook
from netreport.coded_data import CodedData
from netreport.errors import NetreportError, shorten
from netreport.rebuild import record_read, recording_reads
from netreport.result_store import note_results, recording_results
from netreport.tables import TOTAL, Table, tabulate_crosstab, tabulate_frequencies

__all__ = [
    "Analysis",
    "run_analyses",
    "tabulate_disuse_reasons",
    "tabulate_family",
    "tabulate_tests",
]

Result = IndependenceResult | FamilyResult | HomogeneityResult

# Labels of the groups in a creation-against-use comparison, which are not
# codebook codes.
_GROUPS = {"creation vs use": "Creation vs use", "creation": "Creation", "use": "Use"}


@dataclass(frozen=True)
class Analysis:
    """One analysis of the report: what it asks and what it found.

    Attributes
    ----------
    name
        Key in the mapping `run_analyses` returns.
    chapter
        The chapter that reports it: the stem of its file in ``chapters/``.
    title
        The comparison in words, for captions and the appendix.
    result
        The result from `netreport.chisquare`.
    """

    name: str
    chapter: str
    title: str
    result: Result


def run_analyses(data: CodedData) -> dict[str, Analysis]:
    """Run every test the case report reports, in the order it reports them.

    Parameters
    ----------
    data
        The loaded case.

    Returns
    -------
    dict
        `Analysis` by name, in report order:

        ``creation_pressure``, ``creation_pressure_codes``
            Intended use × pressure for the included artifacts, and each
            intended use against the rest.
        ``use_context``, ``use_context_codes``
            Context × actual use for the mentions, and each cell against
            the rest.
        ``use_pressure``, ``use_pressure_codes``
            Pressure × actual use for the mentions.
        ``creation_vs_use``
            Intended use of the artifacts against actual use in the
            mentions that describe a use (disuse has no creation side).
        ``creation_vs_use_pressure``
            Pressure for creation against pressure for use.
    """
    global _last
    if _last is None or _last.data is not data:
        with (
            recording_reads() as reads,
            recording_results() as results,
            warnings.catch_warnings(record=True) as caught,
        ):
            warnings.simplefilter("always")
            analyses = _run(data)
        _last = _Run(data, analyses, reads, results, caught)
    for path in _last.reads:
        record_read(path)
    note_results(_last.results)
    for warning in _last.caught:
        warnings.warn_explicit(
            warning.message, warning.category, warning.filename, warning.lineno
        )
    return dict(_last.analyses)


@dataclass(frozen=True)
class _Run:
    """The analyses of one case, with the reads, results and warnings they
    caused."""

    data: CodedData
    analyses: dict[str, Analysis]
    reads: set[Path]
    results: set[str]
    caught: list[warnings.WarningMessage]


# The last case analysed; chapters of one build share it.
_last: _Run | None = None


def _run(data: CodedData) -> dict[str, Analysis]:
    codebook = data.codebook
    specs: list[tuple[str, str, str, Callable[[], Result]]] = []
    for name, chapter, dataset, rows, columns in _CROSSTABS:
        counts = tabulate_crosstab(data, dataset, rows, columns).counts
        title = f"{codebook[rows].label} × {codebook[columns].label}"
        specs.append((name, chapter, title, _test(independence, counts)))
        specs.append(
            (f"{name}_codes", chapter, f"{title}, code by code", _family(counts))
        )
    specs.append(
        (
            "creation_vs_use",
            "creation-vs-use",
            "Intended use of artifacts against actual use in mentions",
            _homogeneity(*_use_distributions(data)),
        )
    )
    specs.append(
        (
            "creation_vs_use_pressure",
            "creation-vs-use",
            "Pressure for creation against pressure for use",
            _homogeneity(
                _distribution(data, "artifacts", "pressure"),
                _distribution(data, "mentions", "pressure"),
            ),
        )
    )
    return {
        name: Analysis(name, chapter, title, result)
        for name, chapter, title, result in specs
    }


# The independence tests: name, chapter, dataset, rows, columns.
_CROSSTABS = (
    ("creation_pressure", "creation", "artifacts", "intended_use", "pressure"),
    ("use_context", "use", "mentions", "context", "actual_use"),
    ("use_pressure", "use", "mentions", "pressure", "actual_use"),
)


def _test(function: Callable[..., Result], *args) -> Result:
    """Run `function`, with an exact p when Cochran's rule is broken."""
    result = function(*args, exact=False)
    if _rule_met(result):
        return result
    return function(*args, exact=True)


def _family(counts: pd.DataFrame) -> FamilyResult:
    return _test(per_code, counts)


def _homogeneity(creation: pd.Series, use: pd.Series) -> HomogeneityResult:
    return _test(homogeneity, creation, use)


def _rule_met(result: Result) -> bool:
    if isinstance(result, FamilyResult):
        return all(r.rule_met for r in result.results)
    if isinstance(result, HomogeneityResult):
        return result.test.rule_met and _rule_met(result.per_code)
    return result.rule_met


def _distribution(data: CodedData, dataset: str, dimension: str) -> pd.Series:
    counts = tabulate_frequencies(data, dataset, dimension).frame["n"]
    counts = counts.drop(index=TOTAL)
    counts.index.name = dimension
    return counts


def _use_distributions(data: CodedData) -> tuple[pd.Series, pd.Series]:
    """Intended and actual use over the codes both sides have.

    A code found on the use side only (disuse) cannot be made, so its
    creation count is zero by definition, not by chance; a test including
    it would count that as evidence. Such codes are left out.
    """
    creation = _distribution(data, "artifacts", "intended_use")
    use = _distribution(data, "mentions", "actual_use")
    shared = [code for code in use.index if code in creation.index]
    use = use.loc[shared]
    use.index.name = creation.index.name
    return creation, use


# Presenting results with codebook labels -----------------------------------


def tabulate_family(family: FamilyResult, codebook: Codebook) -> pd.DataFrame:
    """A family of per-code tests as a table for a chapter, with labels.

    Parameters
    ----------
    family
        A result of `netreport.chisquare.per_code` (or a homogeneity
        result's ``per_code``).
    codebook
        Supplies the labels of the codes.

    Returns
    -------
    pandas.DataFrame
        One row per 2×2 test: the comparison, the observed and expected
        count of its first cell, the adjusted standardized residual, and
        the p before and after Holm's adjustment, all as text. When one
        side is the same two-code split in every row (pressure, say), the
        first column names only the other side's code and is headed by its
        dimension, to keep the table narrow.
    """
    frame = family.as_frame()
    rows_split = len({row for row, _ in family.comparisons}) == 1
    columns_split = len({column for _, column in family.comparisons}) == 1
    if columns_split and not rows_split:
        heading = _dimension_label(codebook, family.row_dimension).capitalize()
        names = [
            _code_label(codebook, family.row_dimension, row)
            for row, _ in family.comparisons
        ]
    elif rows_split and not columns_split:
        heading = _dimension_label(codebook, family.column_dimension).capitalize()
        names = [
            _code_label(codebook, family.column_dimension, column)
            for _, column in family.comparisons
        ]
    else:
        heading = "Comparison"
        names = [
            _comparison_label(
                codebook, family.row_dimension, row, family.column_dimension, column
            )
            for row, column in family.comparisons
        ]
    return pd.DataFrame(
        {
            heading: names,
            "Observed": [apa.format_count(n) for n in frame["observed"]],
            "Expected": [f"{e:.1f}" for e in frame["expected"]],
            "Residual": [f"{r:.2f}" for r in frame["stdres"]],
            "p": [apa.format_p_cell(p) for p in frame["p"]],
            "p (Holm)": [apa.format_p_cell(p) for p in frame["p_holm"]],
        }
    )


def tabulate_tests(
    analyses: Mapping[str, Analysis], codebook: Codebook
) -> pd.DataFrame:
    """Every test behind the analyses, with its method and why: the appendix.

    The rows are those of `netreport.chisquare.tabulate_methods`, with
    codebook labels in place of code names and three columns added.

    Returns
    -------
    pandas.DataFrame
        Columns "analysis" (the analysis name), "comparison", "result",
        "method", "why", "rule" ("met" or "broken": Cochran's rule for that
        table) and "family" (the family and its adjustment, or "").
    """
    parts = []
    for analysis in analyses.values():
        frame = tabulate_methods([analysis.result])
        tests, labels, families = _rows_of(analysis, codebook)
        frame["comparison"] = labels
        frame["method"] = [
            method.removesuffix(_family_note(family)) if family else method
            for method, family in zip(frame["method"], families, strict=True)
        ]
        frame["rule"] = ["met" if t.rule_met else "broken" for t in tests]
        frame["family"] = [_family_text(f, codebook) if f else "" for f in families]
        frame.insert(0, "analysis", analysis.name)
        parts.append(frame)
    return pd.concat(parts, ignore_index=True)


def _rows_of(
    analysis: Analysis, codebook: Codebook
) -> tuple[list[IndependenceResult], list[str], list[FamilyResult | None]]:
    """The tests of one analysis in `tabulate_methods` order, labelled."""
    result = analysis.result
    tests: list[IndependenceResult] = []
    labels: list[str] = []
    families: list[FamilyResult | None] = []
    if isinstance(result, IndependenceResult):
        return [result], [analysis.title], [None]
    if isinstance(result, HomogeneityResult):
        tests.append(result.test)
        labels.append(analysis.title)
        families.append(None)
        result = result.per_code
    for (row_code, column_code), test in zip(
        result.comparisons, result.results, strict=True
    ):
        tests.append(test)
        labels.append(
            _comparison_label(
                codebook,
                result.row_dimension,
                row_code,
                result.column_dimension,
                column_code,
            )
        )
        families.append(result)
    return tests, labels, families


def _family_note(family: FamilyResult) -> str:
    # The note tabulate_methods appends to the method of each family row.
    return f"; {family.method} ({family.family})"


def _family_text(family: FamilyResult, codebook: Codebook) -> str:
    """The family and its adjustment in words, with codebook labels."""
    first, second = family.comparisons[0]

    def side(dimension: str, code: str) -> str:
        name = _dimension_label(codebook, dimension)
        if " vs " in code:
            return f"{name} ({_code_label(codebook, dimension, code)})"
        return f"each code of {name} against the rest"

    tests = "test" if family.size == 1 else "tests"
    return (
        f"Family of {family.size} 2×2 {tests}: "
        f"{side(family.row_dimension, first)}, by "
        f"{side(family.column_dimension, second)}. {family.method}."
    )


def _dimension_label(codebook: Codebook, dimension: str) -> str:
    if dimension in codebook.dimensions:
        return codebook[dimension].label.lower()
    return "creation against use" if dimension == "source" else dimension


def _comparison_label(
    codebook: Codebook, row_dim: str, row_code: str, col_dim: str, col_code: str
) -> str:
    return (
        f"{_code_label(codebook, row_dim, row_code)} × "
        f"{_code_label(codebook, col_dim, col_code)}"
    )


def _code_label(codebook: Codebook, dimension: str, code: str) -> str:
    """The label of a code, or of both codes of an "a vs b" split."""
    if code in _GROUPS:
        return _GROUPS[code]
    if " vs " in code:
        first, second = code.split(" vs ", 1)
        return (
            f"{_code_label(codebook, dimension, first)} vs "
            f"{_code_label(codebook, dimension, second)}"
        )
    if dimension in codebook.dimensions:
        labels = codebook[dimension].labels()
        if code in labels:
            return labels[code]
    return code


# Reasons for disuse --------------------------------------------------------


def tabulate_disuse_reasons(data: CodedData, *, code: str = "disuse") -> Table:
    """Mentions of disuse by the reason given (the sub-themes of disuse).

    Parameters
    ----------
    data
        The loaded case.
    code
        The actual-use code that records an artifact was not used.

    Returns
    -------
    Table
        Columns ``n`` and ``percent`` (of the disuse mentions); rows the
        sub-themes whose parent is `code`, in codebook order, then
        ``"total"``. Disuse mentions without a sub-theme make a
        "No reason coded" row, shown only when there are any.
    """
    sub_themes = data.codebook["sub_theme"]
    reasons = [c.name for c in sub_themes.codes if c.parent == code]
    if not reasons:
        parents = sorted({c.parent for c in sub_themes.codes if c.parent})
        raise NetreportError(
            f"code: no sub-theme has the parent {code!r} "
            f"(parents in the codebook: {shorten(parents)})"
        )
    mentions = data.mentions[data.mentions["actual_use"] == code]
    themes = mentions["sub_theme"].astype("object")
    counts = themes.value_counts().reindex(reasons, fill_value=0)
    uncoded = int(themes.isna().sum())
    if uncoded:
        counts["uncoded"] = uncoded
    frame = pd.DataFrame({"n": counts.astype("int64")})
    frame.loc[TOTAL] = int(counts.sum())
    total = frame.at[TOTAL, "n"]
    frame["percent"] = frame["n"] / total * 100 if total else float("nan")
    frame.index.name = "sub_theme"
    return Table(
        frame=frame,
        stub="Reason given",
        row_labels={
            **sub_themes.labels(),
            "uncoded": "No reason coded",
            TOTAL: "Total",
        },
        column_labels={"n": "n", "percent": "%"},
    )
