"""The built site in a real browser: pages, links, navigation, the PDF."""

from __future__ import annotations

import urllib.request
from pathlib import Path
from urllib.parse import urldefrag, urljoin

import pytest
from browser_session import launch, pages_of, require_browser, served
from conftest import INJECTED_LABEL


@pytest.fixture(scope="module")
def browser():
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def report(report_site):
    with served(report_site) as base:
        yield report_site, base


@pytest.fixture(scope="module")
def case_book(case_book_site):
    with served(case_book_site) as base:
        yield case_book_site, base


def _visit(browser, url: str) -> tuple[object, list[str]]:
    page = browser.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}"))
    page.on(
        "response",
        lambda r: problems.append(f"{r.status}: {r.url}") if r.status >= 400 else None,
    )
    page.goto(url)
    page.wait_for_load_state("load")
    return page, problems


def _broken_links(page, base: str, fetched: dict[str, str]) -> list[str]:
    """Links and images of the page that lead nowhere on the site."""
    broken = []
    for href in set(page.eval_on_selector_all("a[href]", "as => as.map(a => a.href)")):
        if not href.startswith(base):
            continue
        target, fragment = urldefrag(href)
        if target not in fetched:
            try:
                with urllib.request.urlopen(target) as response:
                    fetched[target] = response.read().decode("utf-8", "replace")
            except OSError as error:
                broken.append(f"{href}: {error}")
                continue
        body = fetched[target]
        if fragment and f'id="{fragment}"' not in body:
            broken.append(f"{href}: no element with id {fragment}")
    images = page.eval_on_selector_all(
        "img",
        "is => is.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)",
    )
    return broken + [f"{src}: image does not load" for src in images]


@pytest.mark.parametrize("site", ["report", "case_book"])
def test_every_page_loads_cleanly_with_working_links(browser, site, request):
    root, base = request.getfixturevalue(site)
    failures, fetched = {}, {}
    for name in pages_of(root):
        page, problems = _visit(browser, urljoin(base, name))
        problems += _broken_links(page, base, fetched)
        page.close()
        if problems:
            failures[name] = problems
    assert failures == {}


def test_chapters_link_to_each_other(browser, report):
    root, base = report
    page, _ = _visit(browser, base + "index.html")
    titles = page.eval_on_selector_all(".nr-toc a", "as => as.map(a => a.href)")
    assert len(titles) == len(pages_of(root))
    page.click("a.nr-next")
    page.wait_for_load_state("load")
    assert page.url == titles[1]
    assert page.locator("a[aria-current=page]").get_attribute("href")
    page.click("a.nr-prev")
    assert page.url == titles[0]
    page.close()


def test_keyboard_reaches_the_skip_link_then_the_chapter(browser, report):
    _, base = report
    page, _ = _visit(browser, base + "index.html")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "nr-skip"
    assert page.locator(".nr-skip").is_visible()
    page.keyboard.press("Enter")
    assert page.url.endswith("#nr-content")
    assert page.evaluate("document.activeElement.id") == "nr-content"
    page.close()


def test_cross_references_land_on_their_figure_and_table(browser, case_book):
    _, base = case_book
    page, _ = _visit(browser, base + "chapters/findings.html")
    page.click("a.nr-xref >> text=Figure 1")
    page.wait_for_load_state("load")
    assert page.url == base + "index.html#fig-intended"
    assert page.evaluate("document.getElementById('fig-intended').tagName") == "FIGURE"
    assert page.locator("#fig-intended").is_visible()
    page.goto(base + "index.html")
    page.click("a.nr-xref >> text=Table 1")
    assert page.url.endswith("#tbl-uses")
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
