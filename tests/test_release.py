"""Releases: archived whole, listed, compared figure by figure, never overwritten."""

from __future__ import annotations

import datetime as dt
import html.parser
import json
import posixpath
import shutil
from pathlib import Path

import pypdf
import pytest
from rebuild_projects import (
    MOVED_BY_ONE_MENTION,
    ROOT,
    make_project,
    move_one_mention,
)

from netreport.errors import NetreportError
from netreport.release import compare_figures, release


class _Links(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.links.append(value)


def broken_links(page: Path) -> list[str]:
    """Relative links of `page` that point to no file."""
    parser = _Links()
    parser.feed(page.read_text(encoding="utf-8"))
    broken = []
    for link in parser.links:
        target = link.split("#", 1)[0]
        if not target or "//" in target or target.startswith(("mailto:", "data:")):
            continue
        path = Path(posixpath.normpath(page.parent / target))
        if not path.is_file():
            broken.append(link)
    return broken


@pytest.fixture(scope="module")
def released(tmp_path_factory: pytest.TempPathFactory):
    """Release 1.0.0, recode one mention, release 1.1.0."""
    project = make_project(tmp_path_factory.mktemp("release") / "book")
    first = release(project, "1.0.0", date=dt.date(2026, 1, 15))
    move_one_mention(project)
    second = release(project, "1.1.0", date=dt.date(2026, 3, 2))
    return project, first, second


def test_both_releases_are_archived_whole(released) -> None:
    project, first, second = released
    versions = project / "_site" / "versions"
    for version, built in (("1.0.0", "2026-01-15"), ("1.1.0", "2026-03-02")):
        folder = versions / version
        provenance = json.loads((folder / "provenance.json").read_text())
        assert provenance["version"] == version
        assert provenance["built"] == f"{built}T00:00:00Z"
        pdf = pypdf.PdfReader(folder / f"rebuild-report-{version}.pdf")
        assert f"version: {version}" in pdf.metadata["/Subject"]
        assert not (folder / "rebuild-report.pdf").exists()
        assert (folder / "figures.json").is_file()
        assert not (folder / "versions").exists()


def test_every_page_of_both_releases_opens_with_working_links(released) -> None:
    project, _, _ = released
    versions = project / "_site" / "versions"
    pages = sorted(versions.rglob("*.html"))
    assert len(pages) == 1 + 2 * 4  # versions page; 3 chapters + changes each
    assert {p: broken_links(p) for p in pages} == {p: [] for p in pages}


def test_archived_pages_link_to_their_own_pdf(released) -> None:
    project, _, _ = released
    page = project / "_site/versions/1.0.0/chapters/mentions.html"
    assert 'href="../rebuild-report-1.0.0.pdf"' in page.read_text()


def test_versions_page_lists_both_newest_first(released) -> None:
    project, _, second = released
    text = (project / "_site/versions/index.html").read_text()
    assert text.index(">1.1.0<") < text.index(">1.0.0<")
    assert "4 figures moved since 1.0.0" in text
    assert "first release" in text
    assert second.lines[-1] == "versions/index.html: lists 2 versions"


def test_release_notes_name_exactly_the_figures_that_moved(released) -> None:
    project, first, second = released
    assert first.previous is None
    assert second.previous == "1.0.0"
    assert {new["id"] for _, new in second.changes.moved} == MOVED_BY_ONE_MENTION
    assert second.changes.added == second.changes.removed == []
    assert second.data_changed == ["mentions.csv"]


def test_release_notes_show_old_and_new_values(released) -> None:
    project, _, second = released
    page = (project / "_site/versions/1.1.0/changes.html").read_text()
    for old, new in second.changes.moved:
        assert f"<td>{old['value']}</td><td>{new['value']}</td>" in page
    school = next(
        (o, n) for o, n in second.changes.moved if n["id"].endswith("`n_school` #1")
    )
    assert int(school[1]["value"]) == int(school[0]["value"]) + 1
    assert "with school teams" in school[1]["where"]
    assert '<th scope="row">mentions.csv</th>' in page
    assert second.lines[-2] == (
        "versions/1.1.0/changes.html: 4 figures moved since 1.0.0; data files "
        "changed: mentions.csv"
    )


def test_a_release_is_never_overwritten(released) -> None:
    project, _, _ = released
    with pytest.raises(NetreportError, match=r"version 1\.1\.0: already released"):
        release(project, "1.1.0")


@pytest.mark.parametrize("version", ["1.0.1", "1.0.10", "0.9.9"])
def test_a_version_older_than_the_newest_release_is_refused(
    released, version: str
) -> None:
    project, _, _ = released
    with pytest.raises(
        NetreportError,
        match=rf"version {version}: not newer than the newest release, 1\.1\.0; "
        r"give a greater MAJOR\.MINOR\.PATCH, such as 1\.1\.1",
    ):
        release(project, version)
    assert not (project / "_site" / "versions" / version).exists()


def test_versions_are_ordered_number_by_number(tmp_path: Path) -> None:
    project = make_project(tmp_path / "book")
    for version in ("1.10.0", "1.9.0"):  # 1.9.0 is the older one
        folder = project / "_site" / "versions" / version
        folder.mkdir(parents=True)
        (folder / "provenance.json").write_text("{}")
    with pytest.raises(NetreportError, match=r"newest release, 1\.10\.0;"):
        release(project, "1.9.1")


@pytest.mark.parametrize("version", ["1.1", "v1.2.0", "1.02.0", "1.2.0-rc1"])
def test_a_malformed_version_is_refused(tmp_path: Path, version: str) -> None:
    with pytest.raises(
        NetreportError,
        match=rf"version: expected MAJOR\.MINOR\.PATCH such as 1\.1\.0, found "
        rf"'{version}'",
    ):
        release(tmp_path, version)


def test_compare_figures_sorts_moved_added_and_removed() -> None:
    old = [
        {"id": "a", "value": "1"},
        {"id": "b", "value": "2"},
        {"id": "gone", "value": "3"},
    ]
    new = [
        {"id": "a", "value": "1"},
        {"id": "b", "value": "5"},
        {"id": "new", "value": "4"},
    ]
    changes = compare_figures(old, new)
    assert changes.moved == [({"id": "b", "value": "2"}, {"id": "b", "value": "5"})]
    assert changes.added == [{"id": "new", "value": "4"}]
    assert changes.removed == [{"id": "gone", "value": "3"}]


def test_every_page_links_to_the_versions_page(released) -> None:
    project, _, _ = released
    site = project / "_site"
    main = site / "chapters" / "mentions.html"
    assert '<a href="../versions/index.html">All versions</a>' in main.read_text()
    archived = site / "versions" / "1.0.0" / "chapters" / "mentions.html"
    assert '<a href="../../index.html">All versions</a>' in archived.read_text()
    assert broken_links(main) == []


def test_a_release_brings_the_status_reports_up_to_date_first(tmp_path: Path) -> None:
    from netreport.coded_data import load_coded_data
    from netreport.status import data_version, plan_status, render_status

    project = make_project(tmp_path / "book")
    shutil.copy(ROOT / "status.yml", project / "status.yml")
    shutil.copytree(ROOT / "templates", project / "templates")
    data = load_coded_data(project / "data")
    jobs = plan_status(
        project, data, project / "data", audiences=["district"], periods=["2020-21"]
    )
    render_status(jobs, executor="serial")
    move_one_mention(project)

    outcome = release(project, "1.0.0", date=dt.date(2026, 1, 15))

    line = (
        "_site/status/district/2020-21.html: rendered again, data/mentions.csv changed"
    )
    assert line in outcome.lines
    archived = outcome.folder / "status" / "district" / "2020-21.html"
    version = data_version(load_coded_data(project / "data"))
    assert version in archived.read_text(encoding="utf-8")


def test_a_release_leaves_out_the_reports_of_internal_audiences(
    tmp_path: Path,
) -> None:
    from netreport.release import _archive
    from netreport.render._config import load_book_config
    from netreport.status import load_status_config
    from netreport.status._run import write_status_index

    project = make_project(tmp_path / "book")
    (project / "t.qmd.j2").write_text("x")
    (project / "status.yml").write_text(
        "status:\n  audiences:\n"
        "    - {name: district, title: For district leaders, template: t.qmd.j2}\n"
        "    - {name: members, title: For members, template: t.qmd.j2,"
        " external: false}\n"
    )
    release(project, "1.0.0", date=dt.date(2026, 1, 15))
    status = project / "_site" / "status"
    for audience in ("district", "members"):
        (status / audience).mkdir(parents=True)
        (status / audience / "2020-21.html").write_text("<html></html>")
        (status / audience / "2020-21.pdf").write_bytes(b"%PDF-1.7")
    write_status_index(status, load_status_config(project))

    _archive(load_book_config(project), "1.1.0", [], tmp_path / "archived")

    archived = tmp_path / "archived" / "status"
    assert sorted(p.name for p in archived.iterdir() if p.is_dir()) == ["district"]
    index = (archived / "index.html").read_text()
    assert "district/2020-21.html" in index and "members/" not in index
    assert "For district leaders" in index
    assert (status / "members" / "2020-21.html").is_file()  # kept in _site
    assert (status / "members" / "index.html").is_file()


def test_a_release_of_uncommitted_changes_is_warned_of(tmp_path: Path) -> None:
    import subprocess
    import warnings

    from netreport.errors import NetreportWarning

    project = make_project(tmp_path / "book")
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org",
           "PATH": "/usr/bin:/bin"}  # fmt: skip
    for command in (["init", "-q"], ["add", "."], ["commit", "-qm", "book"]):
        subprocess.run(["git", *command], cwd=project, env=env, check=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", NetreportWarning)  # committed: no warning
        release(project, "1.0.0", date=dt.date(2026, 1, 15))
    move_one_mention(project)

    with pytest.warns(NetreportWarning, match="released from uncommitted changes"):
        release(project, "1.1.0", date=dt.date(2026, 3, 2))
