"""Sites built once per test session, for the browser and accessibility tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from site_projects import CASE_BOOK, copy_project, copy_repo_project

#: A code label holding markup; every output must show it as text.
INJECTED_LABEL = (
    "Technical <script>window.nrInjected = 1</script>"
    '<img src="x" onerror="window.nrInjected = 2"> & rational'
)


def _build(project: Path) -> Path:
    from netreport.case import load_case
    from netreport.publish_check import check_site
    from netreport.render import render_project

    case = load_case(project / "data")
    result = render_project(project, check=lambda site: check_site(site, case))
    return result.output_dir


@pytest.fixture(scope="session")
def report_site(tmp_path_factory) -> Path:
    """The case report itself, as `netreport build` makes it."""
    return _build(copy_repo_project(tmp_path_factory.mktemp("report") / "report"))


@pytest.fixture(scope="session")
def case_book_site(tmp_path_factory) -> Path:
    """The case book fixture, with a code label that holds HTML and script."""
    project = copy_project(CASE_BOOK, tmp_path_factory.mktemp("case") / "book")
    codebook = project / "data" / "codebook.yml"
    text = codebook.read_text(encoding="utf-8")
    quoted = INJECTED_LABEL.replace("'", "''")
    codebook.write_text(
        text.replace("label: Technical-rational", f"label: '{quoted}'", 1),
        encoding="utf-8",
    )
    return _build(project)


@pytest.fixture(scope="session")
def status_site(tmp_path_factory) -> Path:
    """Every audience's status report, and the indexes, as a site of its own."""
    from netreport.coded_data import load_coded_data
    from netreport.status import plan_status, render_status

    project = copy_repo_project(tmp_path_factory.mktemp("status") / "report")
    data = load_coded_data(project / "data")
    site = project / "_site" / "status"
    jobs = plan_status(
        project, data, project / "data", all_periods=True, output_dir=site
    )
    render_status(jobs, executor="serial")
    return site


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, driven by playwright."""
    from browser_session import launch, require_browser

    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def report_survey(browser, report_site):
    from browser_session import survey_site

    return survey_site(browser, report_site)


@pytest.fixture(scope="session")
def status_survey(browser, status_site):
    from browser_session import survey_site

    return survey_site(browser, status_site)


@pytest.fixture(scope="session")
def case_book_survey(browser, case_book_site):
    from browser_session import survey_site

    return survey_site(browser, case_book_site)
