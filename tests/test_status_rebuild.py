"""`netreport build` keeps the status reports of its site up to date."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from rebuild_projects import ROOT, make_project, move_one_mention

from netreport.coded_data import load_coded_data
from netreport.rebuild import StatusReportError, build
from netreport.status import data_version, plan_status, render_status

FUNDER = "_site/status/funder/2020-21.html"
MEMBERS = "_site/status/members/2020-21.html"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A built book with status reports for the funder and the members."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    project = make_project(tmp_path / "book")
    shutil.copy(ROOT / "status.yml", project / "status.yml")
    shutil.copytree(ROOT / "templates", project / "templates")
    build(project)
    data = load_coded_data(project / "data")
    jobs = plan_status(
        project, data, project / "data",
        audiences=["funder", "members"], periods=["2020-21"],
    )  # fmt: skip
    render_status(jobs, executor="serial")
    return project


def status_lines(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith("_site/status/")]


def test_nothing_changed_keeps_every_status_report(project: Path) -> None:
    written = (project / FUNDER).stat().st_mtime_ns
    outcome = build(project)
    assert outcome.skipped
    assert status_lines(outcome.lines) == [
        f"{FUNDER}: skipped, unchanged since the last run",
        f"{MEMBERS}: skipped, unchanged since the last run",
    ]
    assert (project / FUNDER).stat().st_mtime_ns == written


def test_a_data_change_renders_the_reports_again_and_adds_none(project: Path) -> None:
    old = data_version(load_coded_data(project / "data"))
    move_one_mention(project)
    new = data_version(load_coded_data(project / "data"))

    outcome = build(project)

    assert status_lines(outcome.lines) == [
        f"{FUNDER}: rendered again, data/mentions.csv changed",
        f"{MEMBERS}: rendered again, data/mentions.csv changed",
    ]
    for page in (FUNDER, MEMBERS):
        text = (project / page).read_text(encoding="utf-8")
        assert new in text and old not in text
    assert not (project / "_site" / "status" / "district").exists()


def test_a_template_change_renders_only_the_status_reports(project: Path) -> None:
    about = project / "templates" / "status" / "_about.qmd.j2"
    about.write_text(about.read_text() + "\nA sentence added to every report.\n")

    outcome = build(project)

    assert not outcome.skipped and outcome.result is None
    case = [line for line in outcome.lines if line not in status_lines(outcome.lines)]
    assert case and all(": skipped, unchanged since" in line for line in case)
    assert status_lines(outcome.lines) == [
        f"{FUNDER}: rendered again, templates/status/_about.qmd.j2 changed",
        f"{MEMBERS}: rendered again, templates/status/_about.qmd.j2 changed",
    ]
    assert "A sentence added" in (project / FUNDER).read_text(encoding="utf-8")
    assert build(project).skipped


def test_force_renders_every_status_report(project: Path) -> None:
    outcome = build(project, force=True)
    assert status_lines(outcome.lines) == [
        f"{FUNDER}: rendered again, asked to render everything",
        f"{MEMBERS}: rendered again, asked to render everything",
    ]


def test_reports_of_a_dropped_audience_or_year_are_removed(project: Path) -> None:
    status = project / "_site" / "status"
    old_year = status / "funder" / "2019-20.html"
    shutil.copy(status / "funder" / "2020-21.html", old_year)
    shutil.copy(status / "funder" / "2020-21.pdf", old_year.with_suffix(".pdf"))
    config = yaml.safe_load((project / "status.yml").read_text())
    audiences = config["status"]["audiences"]
    audiences[:] = [a for a in audiences if a["name"] != "members"]
    (project / "status.yml").write_text(yaml.safe_dump(config))

    outcome = build(project)

    assert status_lines(outcome.lines) == [
        "_site/status/funder/2019-20.html: removed, the data covers no school "
        "year 2019-20",
        "_site/status/members/2020-21.html: removed, status.yml has no audience "
        "'members'",
        f"{FUNDER}: rendered again, status.yml changed",
    ]
    assert not old_year.exists() and not old_year.with_suffix(".pdf").exists()
    assert not (status / "members").exists()
    index = (status / "index.html").read_text(encoding="utf-8")
    assert "2019-20" not in index and "funder/2020-21.html" in index
    assert build(project).skipped


def test_a_failing_status_report_keeps_its_file_and_the_new_case_report(
    project: Path,
) -> None:
    before = (project / FUNDER).read_bytes()
    template = project / "templates" / "status" / "funder.qmd.j2"
    template.write_text(template.read_text() + "\n{{ facts.artifacts / 0 }}\n")
    move_one_mention(project)

    with pytest.raises(StatusReportError) as raised:
        build(project)

    message = str(raised.value)
    assert "funder.qmd.j2, line" in message and "ZeroDivisionError" in message
    assert "The case report was built and published" in message
    assert (project / FUNDER).read_bytes() == before
    provenance = (project / "_site" / "provenance.json").read_text()
    mentions = load_coded_data(project / "data").fingerprint()["mentions"]
    assert mentions in provenance  # the case report is of the new data


def test_the_site_index_links_external_audiences_only(project: Path) -> None:
    status = project / "_site" / "status"
    index = (status / "index.html").read_text(encoding="utf-8")
    assert 'href="funder/2020-21.html"' in index
    assert 'href="../index.html">the case report</a>' in index
    assert "members" not in index and "network members" not in index
    own = (status / "members" / "index.html").read_text(encoding="utf-8")
    assert 'href="2020-21.html"' in own and 'href="2020-21.pdf"' in own
    assert "Status report for network members" in own
    assert 'href="../netreport.css"' in own
    assert 'href="../../index.html">the case report</a>' in own
