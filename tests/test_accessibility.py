"""WCAG 2.1 AA pages under axe-core, PDF/UA-1 PDFs, figures for every reader."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typst
from browser_session import pages_of, survey_site
from pypdf import PdfReader

from netreport.errors import NetreportError
from netreport.figures import OKABE_ITO


@pytest.mark.parametrize(
    "survey", ["report_survey", "case_book_survey", "status_survey"]
)
def test_axe_finds_no_violation_on_any_page(survey, request):
    surveys = request.getfixturevalue(survey)
    assert surveys
    assert {n: s.violations for n, s in surveys.items() if s.violations} == {}


def test_axe_is_able_to_fail(browser, tmp_path):
    (tmp_path / "index.html").write_text(
        "<html><body><h3>Jump</h3><img src='x.png'>"
        "<p style='color:#bbb;background:#fff'>faint</p></body></html>"
    )
    found = survey_site(browser, tmp_path)["index.html"].violations
    rules = {line.split(":")[0] for line in found}
    assert {
        "html-has-lang",
        "image-alt",
        "color-contrast",
        "page-has-heading-one",
    } <= rules


# -- structure the axe rules do not look for ---------------------------------------


def _pages(site: Path) -> dict[str, str]:
    return {n: (site / n).read_text(encoding="utf-8") for n in pages_of(site)}


@pytest.mark.parametrize("site", ["report_site", "case_book_site", "status_site"])
def test_tables_have_captions_and_header_cells(site, request):
    for name, html in _pages(request.getfixturevalue(site)).items():
        for table in re.findall(r"<table.*?</table>", html, flags=re.S):
            assert "<caption" in table and "<th" in table, f"{name}: {table[:200]}"


def test_figure_alt_text_is_written_from_the_data(case_book_site):
    html = (case_book_site / "index.html").read_text(encoding="utf-8")
    [alt] = re.findall(
        r'<img src="index_files/fig-intended.svg"[^>]*alt="([^"]+)"', html
    )
    caption = re.search(r"<figcaption>(.*?)</figcaption>", html, re.S).group(1)
    assert "Intended and actual use" in caption
    assert alt not in caption
    assert "85.6%" in alt and "35.2%" in alt  # shares the data gives


def test_figures_use_the_colour_blind_safe_palette(case_book_site):
    svg = (case_book_site / "index_files" / "fig-intended.svg").read_text()
    fills = {f.upper() for f in re.findall(r"fill: ?(#[0-9a-fA-F]{6})", svg)}
    palette = {c.upper() for c in OKABE_ITO.values()}
    coloured = {f for f in fills if len(set(f[1:].upper())) > 1 and f not in
                {"#FFFFFF", "#000000", "#EBEBEB"}}  # fmt: skip
    assert coloured and coloured <= palette | _greys(fills)


def _greys(fills: set[str]) -> set[str]:
    return {f for f in fills if f[1:3] == f[3:5] == f[5:7]}


# -- PDF/UA-1 ---------------------------------------------------------------------


@pytest.mark.parametrize("site", ["report_site", "case_book_site"])
def test_pdfs_are_tagged_pdf_ua_1_with_title_language_and_outline(site, request):
    [pdf] = request.getfixturevalue(site).glob("*.pdf")
    reader = PdfReader(pdf)
    root = reader.trailer["/Root"]
    assert "pdfuaid:part>1<" in reader.xmp_metadata.stream.get_data().decode()
    assert bool(root["/MarkInfo"]["/Marked"])
    assert "/StructTreeRoot" in root
    assert root["/Lang"] == "en"
    assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"])
    assert reader.metadata.title
    assert len(reader.outline) >= 2


def test_typst_refuses_a_figure_without_alt_text_in_pdf_ua(tmp_path):
    # What the engine relies on: a missing alt text stops the build.
    source = tmp_path / "doc.typ"
    source.write_text(
        '#set document(title: "T")\n#set text(lang: "en")\n'
        '#image(bytes("<svg xmlns=\'http://www.w3.org/2000/svg\'/>"), format: "svg")\n'
    )
    with pytest.raises(typst.TypstError, match="alt text"):
        typst.compile(str(source), pdf_standards="ua-1")


def test_a_book_figure_without_alt_text_fails_the_build(tmp_path):
    from site_projects import MINI_BOOK, copy_project

    from netreport.render import render_project

    project = copy_project(MINI_BOOK, tmp_path / "book")
    growth = project / "chapters" / "growth.qmd"
    growth.write_text(
        growth.read_text().replace("plot.alt_text = ", "ignored = "), encoding="utf-8"
    )
    with pytest.raises(NetreportError, match="alt text"):
        render_project(project)
