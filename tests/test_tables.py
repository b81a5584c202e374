"""Tables against counts made straight from the CSV files."""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

import pytest

import netreport.tables as tables
from netreport.coded_data import load_coded_data
from netreport.errors import NetreportError, NetreportWarning
from netreport.tables import (
    tabulate_creation_vs_use,
    tabulate_crosstab,
    tabulate_dimensions,
    tabulate_disuse,
    tabulate_frequencies,
)

DATA = Path(__file__).parent.parent / "data"


@pytest.fixture(scope="module")
def data():
    return load_coded_data(DATA)


def _csv_rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    if name == "artifacts.csv":
        rows = [r for r in rows if not r["excluded_by"]]
    return rows


ARTIFACTS = _csv_rows("artifacts.csv")
MENTIONS = _csv_rows("mentions.csv")
ROWS = {"artifacts": ARTIFACTS, "mentions": MENTIONS}


def test_public_names():
    assert sorted(tables.__all__) == [
        "TOTAL",
        "Table",
        "tabulate_creation_vs_use",
        "tabulate_crosstab",
        "tabulate_dimensions",
        "tabulate_disuse",
        "tabulate_frequencies",
    ]
    for name in tables.__all__:
        assert hasattr(tables, name)


@pytest.mark.parametrize(
    ("dataset", "dimension"),
    [
        ("artifacts", "intended_use"),
        ("artifacts", "pressure"),
        ("mentions", "actual_use"),
        ("mentions", "context"),
        ("mentions", "pressure"),
        ("mentions", "intended_use"),
    ],
)
def test_frequencies_equal_csv_counts(data, dataset, dimension):
    expected = Counter(r[dimension] for r in ROWS[dataset])
    total = len(ROWS[dataset])
    t = tabulate_frequencies(data, dataset, dimension)
    codes = data.codebook[dimension].code_names
    assert list(t.frame.index) == [*codes, "total"]
    for code in codes:
        assert t.n(code) == expected[code]
        assert t.percent(code) == pytest.approx(100 * expected[code] / total)
        assert t.value(code, "percent") == pytest.approx(t.percent(code))
    assert t.n("total") == total
    assert t.percent("total") == pytest.approx(100)


def test_artifacts_are_the_included_ones(data):
    t = tabulate_frequencies(data, "artifacts", "intended_use")
    assert t.n("total") == len(ARTIFACTS) == 839


def test_frequency_order(data):
    t = tabulate_frequencies(data, "mentions", "actual_use", order="frequency")
    counts = [t.n(k) for k in t.frame.index[:-1]]
    assert counts == sorted(counts, reverse=True)
    with pytest.raises(NetreportError, match="order: got 'size'"):
        tabulate_frequencies(data, "mentions", "actual_use", order="size")


def test_missing_codes_warn_or_show(data):
    absent = sum(1 for r in MENTIONS if not r["sub_theme"])
    with pytest.warns(NetreportWarning, match=f"{absent} of 176 mentions"):
        t = tabulate_frequencies(data, "mentions", "sub_theme")
    assert t.n("total") == 176 - absent
    shown = tabulate_frequencies(data, "mentions", "sub_theme", missing="include")
    assert shown.n("(not coded)") == absent
    assert shown.n("total") == 176


def test_dimensions_stack_like_table_8(data):
    t = tabulate_dimensions(data, "artifacts", ["intended_use", "pressure"])
    assert t.n("improvement") == 718
    assert t.n(("pressure", "sociopolitical")) == 14
    assert round(t.percent("technical_rational"), 1) == 98.3
    lines = t.to_markdown().splitlines()
    assert lines[2].startswith("| **Intended use** |")
    assert lines[7].startswith("| **Pressure** |")
    assert "Total" not in t.to_markdown()
    with_totals = tabulate_dimensions(data, "artifacts", ["pressure"], total=True)
    assert with_totals.n(("pressure", "total")) == 839


def test_ambiguous_row_in_stacked_table(data):
    t = tabulate_dimensions(data, "mentions", ["intended_use", "actual_use"])
    assert t.n("disuse") == 36
    with pytest.raises(NetreportError, match="several dimensions"):
        t.n("improvement")


def test_crosstab_counts_equal_csv_and_keep_zero_cells(data):
    expected = Counter((r["context"], r["actual_use"]) for r in MENTIONS)
    t = tabulate_crosstab(data, "mentions", "context", "actual_use")
    contexts = data.codebook["context"].code_names
    uses = data.codebook["actual_use"].code_names
    assert list(t.counts.index) == contexts
    assert list(t.counts.columns) == uses
    assert t.counts.index.name == "context"
    assert t.counts.columns.name == "actual_use"
    for c in contexts:
        for u in uses:
            assert t.counts.at[c, u] == t.n(c, u) == expected[(c, u)]
    assert t.n("total", "total") == 176
    assert t.n("network", "total") == sum(
        v for (c, _), v in expected.items() if c == "network"
    )


def test_crosstab_zero_cells_are_rows_not_gaps(data):
    # Every code pair has a cell, whether or not any row has it.
    t = tabulate_crosstab(data, "artifacts", "intended_use", "pressure")
    expected = Counter((r["intended_use"], r["pressure"]) for r in ARTIFACTS)
    assert t.counts.shape == (4, 2)
    for (use, pressure), n in expected.items():
        assert t.counts.at[use, pressure] == n
    with pytest.warns(NetreportWarning, match="4 of 176 mentions have no"):
        t2 = tabulate_crosstab(data, "mentions", "actual_use", "sub_theme")
    assert t2.counts.shape == (5, 9)
    assert t2.counts.at["research", "decision_making"] == 0
    assert "| Research | 0 | 0 |" in t2.to_markdown()


@pytest.mark.parametrize("mode", ["row", "column", "total"])
def test_crosstab_percent_modes(data, mode):
    t = tabulate_crosstab(data, "mentions", "context", "pressure", percent=mode)
    n = Counter((r["context"], r["pressure"]) for r in MENTIONS)
    rows = Counter(r["context"] for r in MENTIONS)
    cols = Counter(r["pressure"] for r in MENTIONS)
    cell = ("district_leaders", "sociopolitical")
    base = {"row": rows[cell[0]], "column": cols[cell[1]], "total": 176}[mode]
    assert t.percent(*cell) == pytest.approx(100 * n[cell] / base)
    if mode == "row":
        assert t.percent("network", "total") == pytest.approx(100)
    if mode == "column":
        assert t.percent("total", "sociopolitical") == pytest.approx(100)
    assert t.percent("total", "total") == pytest.approx(100)
    assert re.search(r"\| \d+ \(\d+\.\d%\) \|", t.to_markdown())


def test_published_shares_within_contexts(data):
    t = tabulate_crosstab(data, "mentions", "context", "actual_use", percent="row")
    assert round(t.percent("school_teams", "improvement")) == 52
    assert round(t.percent("district_leaders", "relationship_management")) == 46
    assert round(t.percent("network", "relationship_management")) == 41


def test_crosstab_without_percent_refuses_percent(data):
    t = tabulate_crosstab(data, "mentions", "context", "actual_use")
    with pytest.raises(NetreportError, match="percent='row'"):
        t.percent("network", "disuse")
    with pytest.raises(NetreportError, match="allowed: None, row, column, total"):
        tabulate_crosstab(data, "mentions", "context", "actual_use", percent="cell")


def test_creation_vs_use(data):
    t = tabulate_creation_vs_use(data)
    made = Counter(r["intended_use"] for r in ARTIFACTS)
    used = Counter(r["actual_use"] for r in MENTIONS)
    for code in ("improvement", "administration", "research"):
        assert t.n(code, "creation") == made[code]
        assert t.percent(code, "creation") == pytest.approx(100 * made[code] / 839)
    for code in used:
        assert t.n(code, "use") == used[code]
        assert t.percent(code, "use") == pytest.approx(100 * used[code] / 176)
    assert f"{t.percent('relationship_management', 'use'):.0f}" == "35"
    assert list(t.frame.index)[-2:] == ["disuse", "total"]
    with pytest.raises(NetreportError, match="shown as a dash"):
        t.n("disuse", "creation")
    assert "| Disuse | \u2013 | \u2013 | 36 | 20.5 |" in t.to_markdown()


def test_pressure_for_creation_vs_use(data):
    t = tabulate_creation_vs_use(data, "pressure", "pressure")
    made = Counter(r["pressure"] for r in ARTIFACTS)
    used = Counter(r["pressure"] for r in MENTIONS)
    assert t.n("sociopolitical", "creation") == made["sociopolitical"] == 14
    assert t.percent("sociopolitical", "use") == pytest.approx(
        100 * used["sociopolitical"] / 176
    )
    assert t.stub == "Pressure"


def test_disuse_is_table_9(data):
    t = tabulate_disuse(data)
    expected = Counter(
        r["intended_use"] for r in MENTIONS if r["actual_use"] == "disuse"
    )
    assert [t.n(k) for k in t.frame.index] == [18, 9, 8, 1, 36]
    assert list(t.frame.index[:-1]) == [k for k, _ in expected.most_common()]
    assert [f"{t.percent(k):.1f}" for k in t.frame.index] == [
        "50.0",
        "25.0",
        "22.2",
        "2.8",
        "100.0",
    ]
    by_codebook = tabulate_disuse(data, order="codebook")
    assert (
        list(by_codebook.frame.index[:-1]) == data.codebook["intended_use"].code_names
    )


def test_markdown_shows_labels_never_code_names(data):
    made = [
        tabulate_frequencies(data, "mentions", "context"),
        tabulate_dimensions(data, "artifacts", ["intended_use", "pressure"]),
        tabulate_crosstab(data, "mentions", "context", "actual_use", percent="row"),
        tabulate_creation_vs_use(data),
        tabulate_disuse(data),
    ]
    names = {
        code
        for dim in data.codebook.dimensions.values()
        for code in dim.code_names
        if data.codebook[dim.name].label_of(code) != code
    } | set(data.codebook.dimensions)
    for t in made:
        text = t._repr_markdown_()
        assert "Relationship management" in text or "District leaders" in text
        for name in names:
            assert name not in text, (name, t.stub)
        header, rule, *_ = text.splitlines()
        assert rule.startswith("| :--- | ---: |")
        assert text.count("\n") == len(text.splitlines())


def test_markdown_of_frequencies_exactly(data):
    t = tabulate_frequencies(data, "artifacts", "pressure")
    assert t.to_markdown() == (
        "| Pressure | n | % |\n"
        "| :--- | ---: | ---: |\n"
        "| Technical-rational | 825 | 98.3 |\n"
        "| Sociopolitical | 14 | 1.7 |\n"
        "| Total | 839 | 100.0 |\n"
    )


def test_to_frame_with_labels(data):
    t = tabulate_frequencies(data, "mentions", "context")
    frame = t.to_frame(labels=True)
    assert list(frame.index) == [
        "School teams and teachers",
        "District leaders",
        "Network",
        "Total",
    ]
    assert list(frame.columns) == ["n", "%"]
    frame.iloc[0, 0] = -1
    assert t.n("school_teams") != -1


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda d: tabulate_frequencies(d, "mentions", "interviewee"),
            "'interviewee' identifies records or people",
        ),
        (
            lambda d: tabulate_frequencies(d, "mentions", "mention_id"),
            "'mention_id' identifies records or people",
        ),
        (
            lambda d: tabulate_frequencies(d, "artifacts", "artifact_id"),
            "'artifact_id' identifies records or people",
        ),
        (
            lambda d: tabulate_frequencies(d, "mentions", "excerpt"),
            "'excerpt' identifies records or people",
        ),
        (
            lambda d: tabulate_crosstab(d, "mentions", "context", "interviewee"),
            "'interviewee' identifies records or people",
        ),
        (
            lambda d: tabulate_dimensions(d, "mentions", ["context", "excerpt"]),
            "'excerpt' identifies records or people",
        ),
        (
            lambda d: tabulate_frequencies(d, "mentions", "kind"),
            "'kind' is not a coded dimension of the mentions",
        ),
        (
            lambda d: tabulate_frequencies(d, "interviews", "context"),
            "dataset: got 'interviews'; allowed: artifacts, mentions",
        ),
        (
            lambda d: tabulate_creation_vs_use(d, "context"),
            "'context' is not a coded dimension of the artifacts",
        ),
        (lambda d: tabulate_disuse(d, code="unused"), "'unused' is not an actual use"),
        (
            lambda d: tabulate_frequencies(d, "mentions", "context").n("nowhere"),
            "the table has no row 'nowhere'",
        ),
        (
            lambda d: tabulate_creation_vs_use(d).percent("research"),
            "pass a column, one of creation, use; got None",
        ),
    ],
)
def test_refusals(data, call, message):
    with pytest.raises(NetreportError, match=re.escape(message)):
        call(data)
