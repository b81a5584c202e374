"""The report's analyses: one list of tests, explicit exact p, labelled rows."""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path

import pytest

import netreport.analyses
from netreport import NetreportError, NetreportWarning, load_case
from netreport.analyses import (
    run_analyses,
    tabulate_disuse_reasons,
    tabulate_family,
    tabulate_tests,
)
from netreport.chisquare import FamilyResult, HomogeneityResult, independence
from netreport.coded_data import load_coded_data
from netreport.rebuild import record_read, recording_reads
from netreport.tables import tabulate_crosstab

DATA = Path(__file__).parent.parent / "data"


@pytest.fixture(scope="module")
def data():
    return load_coded_data(DATA)


@pytest.fixture(scope="module")
def analyses(data):
    with warnings.catch_warnings():
        warnings.simplefilter("error", NetreportWarning)
        return run_analyses(data)


def test_names_in_report_order(analyses):
    assert list(analyses) == [
        "creation_pressure",
        "creation_pressure_codes",
        "use_context",
        "use_context_codes",
        "use_pressure",
        "use_pressure_codes",
        "creation_vs_use",
        "creation_vs_use_pressure",
    ]
    chapters = Path(__file__).parent.parent / "chapters"
    for analysis in analyses.values():
        assert (chapters / f"{analysis.chapter}.qmd").is_file()


def test_exact_p_exactly_where_cochrans_rule_breaks(analyses):
    # Intended use x pressure has expected counts below 1: exact p.
    assert analyses["creation_pressure"].result.test == "fisher-monte-carlo"
    # Pressure x actual use meets the rule (2 of 10 below 5, none below 1).
    assert analyses["use_pressure"].result.test == "chi-square"
    assert analyses["use_pressure"].result.rule_met


def test_a_family_is_exact_throughout_when_one_table_breaks_the_rule(analyses):
    family = analyses["use_context_codes"].result
    assert not all(r.rule_met for r in family.results)
    assert {r.test for r in family.results} == {"fisher"}


def test_same_result_as_calling_chisquare_directly(data, analyses):
    counts = tabulate_crosstab(data, "artifacts", "intended_use", "pressure").counts
    direct = independence(counts, exact=True)
    ours = analyses["creation_pressure"].result
    assert ours.apa() == direct.apa()
    assert ours.p == direct.p


def test_creation_vs_use_leaves_out_codes_of_one_side_only(analyses):
    result = analyses["creation_vs_use"].result
    assert isinstance(result, HomogeneityResult)
    assert list(result.test.observed.columns) == [
        "improvement",
        "administration",
        "research",
        "relationship_management",
    ]
    # 839 artifacts and the 140 mentions that describe a use.
    assert result.test.n == 839 + 140


def test_one_case_is_analysed_once_per_process(data, analyses):
    again = run_analyses(data)
    assert again is not analyses  # a caller may change its own mapping
    assert again["creation_pressure"].result is analyses["creation_pressure"].result
    other = dataclasses.replace(data)
    assert run_analyses(other)["creation_pressure"].result is not (
        analyses["creation_pressure"].result
    )


def test_every_caller_of_the_same_case_reads_its_files():
    case = load_case(DATA)
    run_analyses(case.data)
    with recording_reads() as reads:
        run_analyses(case.data)
    names = {path.name for path in reads}
    assert {"artifacts.csv", "mentions.csv", "codebook.yml"} <= names


def test_every_caller_gets_the_warnings(data, monkeypatch, tmp_path):
    def run(data):
        record_read(tmp_path / "read.csv")
        warnings.warn("dropped an all-zero row", NetreportWarning, stacklevel=2)
        return {}

    monkeypatch.setattr(netreport.analyses, "_run", run)
    other = dataclasses.replace(data)
    for _ in range(2):
        with (
            recording_reads() as reads,
            warnings.catch_warnings(record=True) as caught,
        ):
            warnings.simplefilter("always")
            assert run_analyses(other) == {}
        assert [str(w.message) for w in caught] == ["dropped an all-zero row"]
        assert reads == {(tmp_path / "read.csv").resolve()}
    with warnings.catch_warnings():
        warnings.simplefilter("error", NetreportWarning)
        with pytest.raises(NetreportWarning, match="all-zero row"):
            run_analyses(other)


def test_tests_table_has_a_row_per_test_with_labels(data, analyses):
    table = tabulate_tests(analyses, data.codebook)
    expected = 0
    for analysis in analyses.values():
        result = analysis.result
        if isinstance(result, HomogeneityResult):
            expected += 1 + len(result.per_code)
        elif isinstance(result, FamilyResult):
            expected += len(result)
        else:
            expected += 1
    assert len(table) == expected
    assert set(table["rule"]) == {"met", "broken"}
    assert "Relationship management × Technical-rational vs Sociopolitical" in set(
        table["comparison"]
    )
    # No code names leak into what readers see.
    shown = " ".join(table["comparison"]) + " ".join(table["family"])
    assert "relationship_management" not in shown
    assert "technical_rational" not in shown
    # The family note is moved out of the method, not lost.
    family_rows = table[table["analysis"] == "creation_pressure_codes"]
    assert not family_rows["method"].str.contains("Holm").any()
    assert family_rows["family"].str.contains("Holm").all()


def test_family_table_labels_and_values(data, analyses):
    frame = tabulate_family(analyses["creation_pressure_codes"].result, data.codebook)
    # Pressure is the same two-code split in every row, so only intended use
    # is named.
    assert list(frame.columns) == [
        "Intended use",
        "Observed",
        "Expected",
        "Residual",
        "p",
        "p (Holm)",
    ]
    first = frame.iloc[0]
    assert first["Intended use"] == "Improvement"
    assert first["Observed"] == "713"


def test_family_table_names_both_codes_when_both_vary(data, analyses):
    frame = tabulate_family(analyses["use_context_codes"].result, data.codebook)
    assert frame.columns[0] == "Comparison"
    assert frame.iloc[0]["Comparison"] == "School teams and teachers × Improvement"
    assert len(frame) == 15


def test_disuse_reasons_add_up_to_disuse_mentions(data):
    table = tabulate_disuse_reasons(data)
    disuse = int((data.mentions["actual_use"] == "disuse").sum())
    assert table.n("total") == disuse
    assert table.n("lack_of_capacity") + table.n("lack_of_buy_in") == disuse
    assert "No reason coded" not in table.to_markdown()


def test_disuse_reasons_show_uncoded_mentions(data):
    mentions = data.mentions.copy()
    mentions["sub_theme"] = mentions["sub_theme"].astype("object")
    first = mentions.index[mentions["actual_use"] == "disuse"][0]
    mentions.loc[first, "sub_theme"] = None
    table = tabulate_disuse_reasons(dataclasses.replace(data, mentions=mentions))
    assert table.n("uncoded") == 1
    assert "| No reason coded | 1 |" in table.to_markdown()


def test_disuse_reasons_refuse_a_code_without_sub_themes(data):
    with pytest.raises(NetreportError, match="no sub-theme has the parent 'research'"):
        tabulate_disuse_reasons(data, code="research")
