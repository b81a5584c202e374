"""Status templates follow status.yml's sections, and say what they can use.

Every shipped template renders for any subset of the sections, showing the
heading of a section exactly when the section is listed. A section that is
listed and never shown, and a name the context lacks, are errors that say
what the template has instead.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
from pathlib import Path

import pandas as pd
import pypdf
import pytest

from netreport.coded_data import load_coded_data
from netreport.errors import NetreportError
from netreport.status import (
    SECTIONS,
    TemplateError,
    build_context,
    fill_template,
    load_status_config,
    plan_status,
    render_status,
)
from netreport.status._context import SECTION_VALUES

ROOT = Path(__file__).parent.parent
GUIDE = ROOT / "templates" / "status" / "README.md"
STAMP = {"Code": "test", "Built": "2026-01-01 00:00 UTC"}

#: Each shipped template's heading for each section, and the headings it
#: always has.
HEADINGS = {
    "funder": {
        "headline": "The year in brief",
        "trend": "Across the years",
        "intended_use": "What the investment produced",
        "pressure": "What moved the work",
        "actual_use": "How the work was used",
        "use_by_context": "Who used the work",
        "creation_vs_use": "What was made and what was used",
        "disuse": "Artifacts left unused",
        "next_steps": "Next steps",
    },
    "district": {
        "headline": "The year's work",
        "trend": "Year by year",
        "intended_use": "What the hub made",
        "pressure": "Steering or persuading",
        "actual_use": "The case for support",
        "use_by_context": "Use in district decisions",
        "creation_vs_use": "Made for one purpose, used for another",
        "disuse": "What went unused, and why",
        "next_steps": "Where district support could help",
    },
    "members": {
        "headline": "Where the improvement work stands",
        "trend": "Year by year",
        "intended_use": "Artifacts by intended use",
        "pressure": "Pressure behind the artifacts",
        "actual_use": "What artifacts were used for",
        "use_by_context": "Use, by context",
        "creation_vs_use": "Made for one thing, used for another",
        "disuse": "Artifacts nobody used",
        "next_steps": "What to do next",
    },
}
ALWAYS = {
    "funder": {"About this report"},
    "district": {"Why this report", "About this report"},
    "members": {"About this report"},
}
#: Each section alone, and all of them.
CHOICES = [(section,) for section in SECTIONS] + [SECTIONS]
CASES = [(template, sections) for template in sorted(HEADINGS) for sections in CHOICES]


def case_name(template: str, sections: tuple[str, ...]) -> str:
    return f"{template}-{'all' if sections == SECTIONS else sections[0]}"


def two_school_years(data: Path) -> None:
    """Move some artifacts and mentions to 2021-22: a trend with two years,
    and a small year in which external reports hide most counts."""
    artifacts = pd.read_csv(data / "artifacts.csv", dtype=str, keep_default_na=False)
    artifacts.loc[artifacts.index[-50:], "created"] = "2021-09-15"
    artifacts.to_csv(data / "artifacts.csv", index=False)
    mentions = pd.read_csv(data / "mentions.csv", dtype=str, keep_default_na=False)
    mentions["school_year"] = ["2020-21"] * 100 + ["2021-22"] * 76
    mentions.to_csv(data / "mentions.csv", index=False)


def status_yml(cases) -> str:
    shipped = {a.name: a for a in load_status_config(ROOT).audiences}
    lines = ["status:", "  audiences:"]
    for template, sections in cases:
        lines += [
            f"    - name: {case_name(template, sections)}",
            f"      title: {shipped[template].title}",
            f"      template: templates/status/{template}.qmd.j2",
            f"      external: {str(shipped[template].external).lower()}",
            f"      sections: [{', '.join(sections)}]",
        ]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("templates") / "project"
    folder.mkdir()
    shutil.copytree(ROOT / "data", folder / "data")
    shutil.copytree(ROOT / "templates", folder / "templates")
    two_school_years(folder / "data")
    (folder / "status.yml").write_text(status_yml(CASES), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def rendered(project: Path) -> dict[tuple[str, str], Path | NetreportError]:
    """Each report's page, or the error that stopped it, by audience and year."""
    data = load_coded_data(project / "data")
    jobs = plan_status(project, data, project / "data", all_periods=True, stamp=STAMP)
    results: dict[tuple[str, str], Path | NetreportError] = {}
    for job in jobs:
        try:
            (page,) = render_status([job], executor="serial")
        except NetreportError as exc:
            page = exc
        results[(job.audience, job.period)] = page
    return results


def page_of(rendered, audience: str, period: str) -> Path:
    page = rendered[(audience, period)]
    if isinstance(page, NetreportError):
        pytest.fail(f"{audience}, {period}: {page}")
    return page


def html_headings(page: Path) -> set[str]:
    found = re.findall(r"<h2[^>]*>(.*?)</h2>", page.read_text(encoding="utf-8"))
    return {re.sub(r"<[^>]+>", "", text).replace("’", "'") for text in found}


def pdf_text(page: Path) -> str:
    reader = pypdf.PdfReader(page.with_suffix(".pdf"))
    text = " ".join(p.extract_text() for p in reader.pages)
    return re.sub(r"\s+", " ", text).replace("’", "'")


# -- every template, any sections ------------------------------------------------


@pytest.mark.parametrize("period", ["2020-21", "2021-22"])
@pytest.mark.parametrize(
    ("template", "sections"),
    CASES,
    ids=[case_name(template, sections) for template, sections in CASES],
)
def test_a_shipped_template_shows_exactly_the_listed_sections(
    rendered, template: str, sections: tuple[str, ...], period: str
) -> None:
    page = page_of(rendered, case_name(template, sections), period)
    expected = ALWAYS[template] | {HEADINGS[template][s] for s in sections}
    assert html_headings(page) == expected
    text = pdf_text(page)
    for section, heading in HEADINGS[template].items():
        assert (heading in text) == (section in sections), heading


def test_every_template_has_a_heading_for_every_section() -> None:
    shipped = {p.name.split(".")[0] for p in GUIDE.parent.glob("[!_]*.qmd.j2")}
    assert shipped == set(HEADINGS)
    for headings in HEADINGS.values():
        assert tuple(headings) == SECTIONS
        assert len(set(headings.values())) == len(SECTIONS)


def test_the_trend_of_several_years_has_its_figure(rendered) -> None:
    # 2021-22 is the second year: the funder's trend shows the figure, the
    # first year shows only the table.
    later = page_of(rendered, "funder-trend", "2021-22").read_text(encoding="utf-8")
    first = page_of(rendered, "funder-trend", "2020-21").read_text(encoding="utf-8")
    assert 'id="fig-trend"' in later and 'id="fig-trend"' not in first
    assert "since 2020-21" in later


# -- the values of each section ----------------------------------------------------


@pytest.fixture(scope="module")
def data(project: Path):
    return load_coded_data(project / "data")


def context_of(data, sections, *, period="2021-22", audience="funder"):
    config = load_status_config(ROOT)
    chosen = dataclasses.replace(config.audience(audience), sections=tuple(sections))
    return build_context(data, period, chosen, config)


def names_in(context) -> set[str]:
    return {
        f"{root}.{key}"
        for root, values in (
            ("facts", context.facts),
            ("tables", context.tables),
            ("figures", context.figures),
        )
        for key in values
    }


@pytest.mark.parametrize("period", ["2020-21", "2021-22"])
@pytest.mark.parametrize("section", SECTIONS)
def test_a_section_gives_exactly_its_documented_values(
    data, section: str, period: str
) -> None:
    assert tuple(SECTION_VALUES) == SECTIONS
    context = context_of(data, [section], period=period)
    assert names_in(context) == set(SECTION_VALUES[section])


def test_all_sections_give_all_values(data) -> None:
    every = {name for names in SECTION_VALUES.values() for name in names}
    assert names_in(context_of(data, SECTIONS)) == every


@pytest.mark.parametrize(
    ("audience", "overmade", "overused"),
    [
        # Members see every share: one use leans each way.
        ("members", "Improvement", "Relationship management"),
        # The funder sees both shares of improvement only, which was made
        # more than used: it is not also the use that outran production.
        ("funder", "Improvement", None),
    ],
)
def test_creation_against_use_names_a_use_only_for_the_way_it_leans(
    audience: str, overmade: str, overused: str | None
) -> None:
    shipped = load_coded_data(ROOT / "data")
    context = context_of(
        shipped, ["creation_vs_use"], period="2020-21", audience=audience
    )
    assert context.facts["most_overmade"] == overmade
    assert context.facts["most_overused"] == overused


def test_the_guide_documents_every_name_and_section() -> None:
    guide = GUIDE.read_text(encoding="utf-8")
    context = context_of(load_coded_data(ROOT / "data"), SECTIONS, period="2020-21")
    table, figure = context.tables["trend"], context.figures["trend"]
    names = [name for names in SECTION_VALUES.values() for name in names]
    names += [f"report.{key}" for key in context.report]
    names += [f".{f.name}" for f in dataclasses.fields(table)]
    names += [f".{f.name}" for f in dataclasses.fields(figure)]
    names += ["sections", *SECTIONS]
    assert [name for name in names if f"`{name}`" not in guide] == []


def guide_example() -> str:
    guide = GUIDE.read_text(encoding="utf-8")
    part = guide.split("## A minimal template", 1)[1]
    return re.search(r"```jinja\n(.*?)```", part, re.DOTALL).group(1)


@pytest.mark.parametrize(
    "sections", [(), ("headline",), ("trend",), ("headline", "trend")]
)
def test_the_guides_example_renders_for_the_sections_it_shows(
    data, tmp_path: Path, sections
) -> None:
    folder = tmp_path / "templates" / "status"
    folder.mkdir(parents=True)
    shutil.copy(GUIDE.parent / "_about.qmd.j2", folder)
    (folder / "mine.qmd.j2").write_text(guide_example(), encoding="utf-8")
    values = context_of(data, sections).as_template_vars()
    text = fill_template(Path("templates/status/mine.qmd.j2"), tmp_path, values)
    assert ("{#tbl-trend}" in text) == ("trend" in sections)
    assert ("## About this report" in text) and text.startswith("---\n")


# -- a section listed and never shown ----------------------------------------------


def fill(tmp_path: Path, data, body: str, sections, neighbours=None) -> str:
    folder = tmp_path / "templates" / "status"
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in (neighbours or {}).items():
        (folder / name).write_text(text, encoding="utf-8")
    (folder / "mine.qmd.j2").write_text(body, encoding="utf-8")
    values = context_of(data, sections).as_template_vars()
    return fill_template(Path("templates/status/mine.qmd.j2"), tmp_path, values)


UNSHOWN_DISUSE = (
    "templates/status/mine.qmd.j2 never shows 1 section that status.yml lists "
    "for the audience 'funder':\n"
    "  disuse: the template names none of facts.disuse_mentions, "
    "facts.top_disuse_reason, tables.disuse, tables.disuse_intended_use\n"
    'Add a block to the template that shows them, such as {% if "disuse" in '
    "sections %} ... {{ tables.disuse }} ... {% endif %}, or take the section "
    "out of the audience's sections in status.yml (see "
    "templates/status/README.md)."
)


@pytest.mark.parametrize(
    ("body", "sections", "message"),
    [
        # The funder's template as it was, with disuse added to its sections.
        ("{{ facts.artifacts }}\n", ("headline", "disuse"), UNSHOWN_DISUSE),
        # A name in a comment or in plain text shows nothing.
        (
            "{{ facts.artifacts }} tables.disuse {# {{ tables.disuse }} #}\n",
            ("headline", "disuse"),
            UNSHOWN_DISUSE,
        ),
        (
            "x\n",
            ("headline", "pressure"),
            "templates/status/mine.qmd.j2 never shows 2 sections that status.yml "
            "lists for the audience 'funder':\n"
            "  headline: the template names none of facts.artifacts, "
            "facts.mentions\n"
            "  pressure: the template names none of tables.pressure\n"
            'Add a block to the template that shows them, such as {% if "headline" '
            "in sections %} ... {{ facts.artifacts }} ... {% endif %}, ",
        ),
        # Tables read by a key worked out as the template runs show the
        # sections with a table, not one that has facts only.
        (
            "{% for s in sections %}{{ tables[s] | default('') }}{% endfor %}\n",
            ("headline", "trend", "disuse"),
            "never shows 1 section that status.yml lists for the audience "
            "'funder':\n  headline: the template names none of facts.artifacts",
        ),
    ],
)
def test_a_listed_section_the_template_never_shows_is_an_error(
    data, tmp_path: Path, body: str, sections, message: str
) -> None:
    with pytest.raises(TemplateError) as caught:
        fill(tmp_path, data, body, sections)
    assert str(caught.value).startswith(message) or message in str(caught.value)
    assert str(caught.value).startswith("templates/status/mine.qmd.j2 never shows")


@pytest.mark.parametrize(
    ("body", "neighbours"),
    [
        # Shown by a neighbour it includes, or by a macro imported from one.
        ('{{ facts.artifacts }}\n{% include "_disuse.qmd.j2" %}\n', None),
        (
            '{% from "_macros.qmd.j2" import unused with context %}'
            "{{ facts.artifacts }}{{ unused() }}\n",
            {"_macros.qmd.j2": "{% macro unused() %}{{ tables.disuse }}{% endmacro %}"},
        ),
        # Facts read whole count for every section with facts.
        ("{% for k, v in facts.items() %}{{ k }}{% endfor %}\n", None),
        # An include worked out as the template runs could show anything.
        (
            "{{ facts.artifacts }}{% include sections[0] ~ '.j2' ignore missing %}\n",
            None,
        ),
    ],
)
def test_a_section_shown_anywhere_the_template_reaches_is_shown(
    data, tmp_path: Path, body: str, neighbours
) -> None:
    neighbours = neighbours or {"_disuse.qmd.j2": "{{ tables.disuse }}\n"}
    text = fill(tmp_path, data, body, ("headline", "disuse"), neighbours)
    assert text.strip()


def test_the_cli_names_a_section_the_template_never_shows(
    project: Path, tmp_path: Path, capsys
) -> None:
    from netreport.cli import main

    copy = tmp_path / "project"
    shutil.copytree(project, copy, ignore=shutil.ignore_patterns("_site", ".netreport"))
    (copy / "status.yml").write_text(
        "status:\n  audiences:\n    - name: funder\n      title: For funders\n"
        "      template: templates/status/mine.qmd.j2\n"
        "      sections: [headline, disuse]\n",
        encoding="utf-8",
    )
    (copy / "templates" / "status" / "mine.qmd.j2").write_text(
        "---\ntitle: x\n---\n\n{{ facts.artifacts }}\n", encoding="utf-8"
    )
    code = main(
        ["status", "--project", str(copy), "--period", "2021-22",
         "--executor", "serial"]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert "mine.qmd.j2 never shows 1 section" in err
    assert "  disuse: the template names none of facts.disuse_mentions" in err
    assert not list((copy / "_site" / "status").rglob("2021-22.*"))


# -- a name the context lacks -----------------------------------------------------


ABOUT = "; see templates/status/README.md)"


@pytest.mark.parametrize(
    ("body", "sections", "message"),
    [
        # The first report of the new user: actual_use left out of the
        # funder's sections, its fact still used.
        (
            "a\n{% if facts.top_actual_use %}x{% endif %}\n",
            ("headline",),
            "line 2: UndefinedError: facts.top_actual_use exists only when the "
            "audience's sections in status.yml list actual_use: use it inside "
            '{% if "actual_use" in sections %} ... {% endif %}, or add actual_use '
            "to those sections (facts has: artifacts, mentions" + ABOUT,
        ),
        (
            "{{ facts.artifacts }}\n{{ facts.artifcts }}\n",
            ("headline",),
            "line 2: UndefinedError: facts has no 'artifcts' (did you mean "
            "'artifacts'?) (facts has: artifacts, mentions" + ABOUT,
        ),
        (
            "{{ facts.artifacts }}\n{{ figures.trend }}\n",
            ("headline",),
            "line 2: UndefinedError: figures.trend exists only when the audience's "
            "sections in status.yml list trend: use it inside "
            '{% if "trend" in sections %} ... {% endif %}, or add trend to those '
            "sections (figures has: nothing, in this report" + ABOUT,
        ),
        # A long list is cut short.
        (
            "{{ facts.spend }}\n",
            SECTIONS,
            "line 1: UndefinedError: facts has no 'spend' (facts has: artifacts, "
            "mentions, periods, first_period, change, top_intended_use, "
            "top_actual_use, relationship_share, district_mentions, "
            "top_district_use ... and 5 more" + ABOUT,
        ),
        (
            "\n\n{{ tables.trend.rows }}\n",
            ("trend",),
            "line 3: UndefinedError: tables.trend has no 'rows' (tables.trend "
            "has: label, caption, markdown" + ABOUT,
        ),
        (
            "{{ report.year }}\n",
            ("headline",),
            "line 1: UndefinedError: report has no 'year' (report has: title, "
            "audience, period, network, data_version, reconstruction, external, "
            "threshold, sections, stem" + ABOUT,
        ),
        (
            '{% from "_macros.qmd.j2" import count %}\n{{ count() }}\n',
            ("headline",),
            "line 2: UndefinedError: 'facts' is undefined here: a neighbour "
            "imported or included without context does not see the report's "
            'values; write {% from "x.qmd.j2" import m with context %}',
        ),
        (
            "{{ fact.artifacts }}\n",
            ("headline",),
            "line 1: UndefinedError: 'fact' is undefined (did you mean 'facts'?) "
            "(a status template has: facts, figures, report, sections, tables" + ABOUT,
        ),
    ],
)
def test_a_missing_name_says_which_names_there_are(
    data, tmp_path: Path, body: str, sections, message: str
) -> None:
    macros = {
        "_macros.qmd.j2": "{% macro count() %}{{ facts.artifacts }}{% endmacro %}"
    }
    with pytest.raises(TemplateError) as caught:
        fill(tmp_path, data, body, sections, macros)
    assert str(caught.value) == f"templates/status/mine.qmd.j2, {message}"


def test_a_private_attribute_of_the_context_stays_out_of_reach(
    data, tmp_path: Path
) -> None:
    with pytest.raises(TemplateError, match="line 1: not allowed in a status"):
        fill(tmp_path, data, "{{ facts._name }}\n", ("headline",))
