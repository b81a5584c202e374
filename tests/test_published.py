"""The study's published figures against the shipped reconstruction."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from netreport.case import load_case
from netreport.errors import NetreportError
from netreport.published import audit_published, compute_measure, load_published

DATA = Path(__file__).parent.parent / "data"


@pytest.fixture(scope="module")
def case():
    return load_case(DATA)


def test_every_published_figure_is_reproduced_or_explained(case):
    assert len(case.audit.rows) == 36
    for row in case.audit.mismatches:
        assert row.figure.note, f"{row.figure.id} differs without a note"


def test_only_the_inconsistent_share_of_table_8_differs(case):
    assert [r.figure.id for r in case.audit.mismatches] == ["table8-relationship-pct"]
    row = case.audit.mismatches[0]
    assert row.shown == "0.7"
    assert row.figure.printed == "0.5"


@pytest.mark.parametrize(
    ("measure", "expected"),
    [
        ({"count": "artifacts"}, 839),
        ({"count": "excluded"}, 250),
        ({"percent": "mentions", "where": {"actual_use": "disuse"}}, 100 * 36 / 176),
        (
            {
                "percent": "mentions",
                "where": {"actual_use": "improvement"},
                "within": {"context": "school_teams"},
            },
            100 * 34 / 65,
        ),
        ({"distinct": "interviewee", "of": "mentions"}, 8),
        ({"count": "artifacts", "where": {"secondary_intended_use": "any"}}, 63),
    ],
)
def test_measures_compute_from_the_data(case, measure, expected):
    assert compute_measure(case.data, measure) == pytest.approx(expected)


def test_a_wrong_printed_value_is_caught(case):
    figures = load_published(DATA / "published.yml", case.data)
    changed = [f for f in figures if f.id == "table8-improvement-n"]
    wrong = [type(changed[0])(**{**changed[0].__dict__, "value": 717})]
    audit = audit_published(case.data, wrong)
    assert audit.mismatches and audit.rows[0].shown == "718"


@pytest.mark.parametrize(
    ("figure_id", "value", "discrepancy"),
    [
        # The value in published.yml is mistyped, the printed text is right.
        (
            "artifacts-included",
            840,
            'value 840 in published.yml (printed "839"), data gives 839',
        ),
        # Value and printed text agree: the printed text is enough.
        ("table8-relationship-pct", 0.5, "printed 0.5, data gives 0.7"),
        (
            "secondary-pct",
            9,
            'value 9% in published.yml (printed "8%"), data gives 8%',
        ),
        (
            "relationship-creation-below-1",
            0.5,
            'value below 0.5% in published.yml (printed "<1%"), data gives 0.72%',
        ),
    ],
)
def test_a_mismatch_names_the_value_compared(case, figure_id, value, discrepancy):
    figure = next(f for f in case.published if f.id == figure_id)
    wrong = type(figure)(**{**figure.__dict__, "value": value})
    (row,) = audit_published(case.data, [wrong]).rows
    assert not row.reproduced
    assert row.discrepancy == discrepancy


def test_the_audit_table_names_a_mistyped_value(case):
    figure = next(f for f in case.published if f.id == "artifacts-included")
    wrong = type(figure)(**{**figure.__dict__, "value": 840})
    markdown = audit_published(case.data, [wrong])._repr_markdown_()
    assert "| 839 | 839 | **no**: published.yml gives the value 840, not the " in (
        markdown
    )


def test_the_audit_table_shows_the_note_for_a_mismatch(case):
    markdown = case.audit._repr_markdown_()
    assert "| Table 8 | Share of artifacts intended for relationship management |" in (
        markdown
    )
    assert "**no**: The table prints 0.5" in markdown
    assert "District leaders, School teams and teachers, Network" in markdown


def _published_copy(tmp_path: Path, edit) -> Path:
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    raw = yaml.safe_load((data / "published.yml").read_text())
    edit(raw)
    (data / "published.yml").write_text(yaml.safe_dump(raw))
    return data


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda raw: raw["figures"][2]["measure"]["where"].update(
                intended_use="improvment"
            ),
            "figures[2].measure.where.intended_use: found 'improvment'",
        ),
        (
            lambda raw: raw["figures"][0].update(colour="red"),
            "figures[0].colour: unknown key",
        ),
        (
            lambda raw: raw.update(figuers=raw.pop("figures")),
            "figuers: unknown key; did you mean 'figures'? (allowed: figures, source)",
        ),
        (
            lambda raw: raw.update(figuers=raw.pop("figures")),
            "figures: missing; list the figures to audit, or write figures: []",
        ),
        (
            lambda raw: raw["figures"][0].update(statment=raw["figures"][0]["id"]),
            "figures[0].statment: unknown key; did you mean 'statement'?",
        ),
        (
            lambda raw: raw["figures"][2]["measure"].update(wehre={}),
            "figures[2].measure.wehre: unknown key; did you mean 'where'? "
            "(allowed: by, count, distinct, of, order, percent, where, within)",
        ),
        (
            lambda raw: raw["figures"][1]["measure"].update(count="teachers"),
            "figures[1].measure.count: found 'teachers' "
            "(allowed: artifacts, excluded, mentions)",
        ),
        (
            lambda raw: raw["figures"][3].update(id=raw["figures"][2]["id"]),
            "figures[3].id: 'table8-improvement-n' is used twice",
        ),
        (
            lambda raw: raw["figures"][0].update(value="fourteen"),
            "figures[0].value: expected a number (or, with compare: order, a "
            "list of codes), found 'fourteen'",
        ),
        (
            lambda raw: raw["figures"][0].update(value=float("inf")),
            "figures[0].value: expected a number (or, with compare: order, a "
            "list of codes), found inf",
        ),
        (
            lambda raw: raw["figures"][16].update(value="two"),
            "figures[16].value: expected a number (or, with compare: order, a "
            "list of codes), found 'two'",
        ),
        (
            lambda raw: raw["figures"][23].update(value="fourteen"),
            "figures[23].value: expected a list of codes of context, most "
            "frequent first, found 'fourteen'",
        ),
        (
            lambda raw: raw["figures"][0].update(compare="order"),
            "figures[0].compare: found 'order': compare: order goes with "
            "measure: {order: DATASET, by: COLUMN}, and only with it",
        ),
        (
            lambda raw: raw["figures"][23].update(compare="equal"),
            "figures[23].compare: found 'equal': compare: order goes with",
        ),
        (
            lambda raw: raw["figures"][23]["value"].__setitem__(1, "schools"),
            "figures[23].value[1]: found 'schools' (allowed: school_teams, "
            "district_leaders, network)",
        ),
    ],
)
def test_bad_published_entries_are_reported_as_yaml_paths(tmp_path, edit, message):
    data = _published_copy(tmp_path, edit)
    with pytest.raises(NetreportError) as caught:
        load_case(data)
    assert message in str(caught.value)
    assert "published.yml" in str(caught.value)
