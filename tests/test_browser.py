"""The built site in a real browser: pages, links, navigation, the PDF."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_session import open_page, pages_of, served
from conftest import INJECTED_LABEL


@pytest.fixture(scope="module")
def report(report_site):
    with served(report_site) as base:
        yield report_site, base


@pytest.fixture(scope="module")
def case_book(case_book_site):
    with served(case_book_site) as base:
        yield case_book_site, base


def _visit(browser, url: str):
    page, survey = open_page(browser, url)
    return page, survey.problems


@pytest.mark.parametrize(
    "survey", ["report_survey", "case_book_survey", "status_survey"]
)
def test_every_page_loads_cleanly_with_working_links(survey, request):
    surveys = request.getfixturevalue(survey)
    assert surveys
    failures = {n: s.problems + s.broken for n, s in surveys.items()}
    assert {n: f for n, f in failures.items() if f} == {}


def test_chapters_link_to_each_other(browser, report):
    root, base = report
    page, _ = _visit(browser, base + "index.html")
    titles = page.eval_on_selector_all(".nr-toc a", "as => as.map(a => a.href)")
    assert len(titles) == len(pages_of(root))
    page.click("a.nr-next")
    page.wait_for_url(titles[1], timeout=5000)
    assert page.locator("a[aria-current=page]").get_attribute("href")
    page.click("a.nr-prev")
    page.wait_for_url(titles[0], timeout=5000)
    page.close()


def test_keyboard_reaches_the_skip_link_then_the_chapter(browser, report):
    _, base = report
    page, _ = _visit(browser, base + "index.html")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "nr-skip"
    assert page.locator(".nr-skip").is_visible()
    page.keyboard.press("Enter")
    # Following the link and moving focus happen after the key press
    # returns; wait for them rather than race them.
    page.wait_for_url("**#nr-content", timeout=5000)
    page.wait_for_function("document.activeElement.id === 'nr-content'", timeout=5000)
    page.close()


def test_cross_references_land_on_their_figure_and_table(browser, case_book):
    _, base = case_book
    page, _ = _visit(browser, base + "chapters/findings.html")
    page.click("a.nr-xref >> text=Figure 1")
    page.wait_for_url(base + "index.html#fig-intended", timeout=5000)
    assert page.evaluate("document.getElementById('fig-intended').tagName") == "FIGURE"
    assert page.locator("#fig-intended").is_visible()
    page.goto(base + "index.html")
    page.click("a.nr-xref >> text=Table 1")
    page.wait_for_url("**#tbl-uses", timeout=5000)
    assert page.locator("#tbl-uses").evaluate("e => e.tagName") == "TABLE"
    page.close()


def test_the_pdf_link_downloads_a_pdf(browser, report, tmp_path):
    _, base = report
    page, _ = _visit(browser, base + "index.html")
    with page.expect_download() as download:
        page.click("text=Download the PDF")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.suffix == ".pdf"
    assert saved.read_bytes().startswith(b"%PDF-")
    page.close()


def test_a_label_holding_markup_is_shown_as_text(browser, case_book):
    root, base = case_book
    page, problems = _visit(browser, base + "chapters/findings.html")
    assert page.evaluate("window.nrInjected") is None
    # pandoc's typography curls the quotes; every character else is as given.
    shown = page.inner_text("main").replace("“", '"').replace("”", '"')
    assert INJECTED_LABEL in shown
    assert page.locator("main script, main img[src=x]").count() == 0
    assert problems == []
    page.close()
    html = Path(root, "chapters", "findings.html").read_text(encoding="utf-8")
    assert "<script>window.nrInjected" not in html
