"""Rebuilds: only what a change touches runs again; a bad change keeps the site."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from rebuild_projects import ROOT, make_project, move_one_mention, site_bytes

from netreport.errors import InputError
from netreport.rebuild import build, record_read, recording_reads
from netreport.render import CellError


@pytest.fixture
def runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    log = tmp_path / "runs.log"
    monkeypatch.setenv("NR_TEST_RUNS", str(log))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    return log


@pytest.fixture
def project(tmp_path: Path, runs: Path) -> Path:
    project = make_project(tmp_path / "book")
    build(project)
    runs.write_text("")
    return project


def ran(runs: Path) -> list[str]:
    return runs.read_text().split()


@contextlib.contextmanager
def log_lines(name: str) -> Iterator[list[str]]:
    """The messages logged at INFO by logger `name` inside the block."""
    lines: list[str] = []
    handler = logging.Handler(logging.INFO)
    handler.emit = lambda record: lines.append(record.getMessage())
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        yield lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def test_record_read_reaches_every_open_recorder(tmp_path: Path) -> None:
    with recording_reads() as outer:
        record_read(tmp_path / "a.csv")
        with recording_reads() as inner:
            record_read(tmp_path / "b.csv")
    record_read(tmp_path / "c.csv")  # no recorder open: ignored
    assert inner == {tmp_path / "b.csv"}
    assert outer == {tmp_path / "a.csv", tmp_path / "b.csv"}


def test_a_nested_recorder_with_the_same_reads_closes_only_itself(tmp_path: Path):
    with recording_reads() as outer:
        with recording_reads() as inner:
            record_read(tmp_path / "a.csv")
        assert inner == outer
        record_read(tmp_path / "b.csv")
    assert inner == {tmp_path / "a.csv"}
    assert outer == {tmp_path / "a.csv", tmp_path / "b.csv"}


def test_first_build_runs_every_chapter(tmp_path: Path, runs: Path) -> None:
    project = make_project(tmp_path / "first")
    outcome = build(project)
    assert ran(runs) == ["index.qmd", "chapters/inventory.qmd", "chapters/mentions.qmd"]
    assert outcome.lines[0] == "index.qmd: ran again, no earlier results"


def test_nothing_changed_skips_the_build_and_keeps_every_file(
    project: Path, runs: Path
) -> None:
    site = project / "_site"
    before = {p: p.stat().st_mtime_ns for p in site.rglob("*") if p.is_file()}
    started = time.perf_counter()
    outcome = build(project)
    elapsed = time.perf_counter() - started

    assert outcome.skipped
    assert ran(runs) == []
    assert elapsed < 0.5
    assert (
        "chapters/mentions.qmd: skipped, unchanged since the build of"
        in (outcome.lines[2])
    )
    assert any(line.startswith("rebuild-report.pdf: skipped") for line in outcome.lines)
    assert before == {p: p.stat().st_mtime_ns for p in site.rglob("*") if p.is_file()}
    # The figures of the kept build are still known (a release needs them).
    assert {f["id"] for f in outcome.figures} >= {
        "chapters/mentions.qmd: `n_school` #1",
        "chapters/inventory.qmd: tbl-pressure [Total | n]",
    }


def test_one_data_file_reruns_only_the_chapters_that_read_it(
    project: Path, runs: Path
) -> None:
    move_one_mention(project)
    outcome = build(project)

    assert ran(runs) == ["chapters/mentions.qmd"]
    assert outcome.lines[:3] == [
        "index.qmd: unchanged since last build, reused; page rewritten (new colophon)",
        "chapters/inventory.qmd: unchanged since last build, reused; page rewritten "
        "(new colophon)",
        "chapters/mentions.qmd: ran again, data/mentions.csv changed",
    ]
    assert outcome.lines[3] == (
        "rebuild-report.pdf: rebuilt, chapters/mentions.qmd changed"
    )
    assert "with school teams" in (project / "_site/chapters/mentions.html").read_text()


def test_artifacts_change_leaves_the_mentions_chapter_alone(
    project: Path, runs: Path
) -> None:
    artifacts = project / "data" / "artifacts.csv"
    artifacts.write_text(artifacts.read_text().replace("\n", "\r\n"))
    build(project)
    assert ran(runs) == ["chapters/inventory.qmd"]


def test_editing_a_chapter_reruns_that_chapter_only(project: Path, runs: Path) -> None:
    chapter = project / "index.qmd"
    chapter.write_text(chapter.read_text() + "\nOne more sentence.\n")
    outcome = build(project)
    assert ran(runs) == ["index.qmd"]
    assert outcome.lines[0] == "index.qmd: ran again, its source changed"
    assert "One more sentence." in (project / "_site/index.html").read_text()


def test_an_unchanged_page_keeps_its_file(project: Path, runs: Path) -> None:
    # The stamp does not change (fixed time, same data), so neither do pages
    # other than the edited chapter's: their old files are kept as they were.
    site = project / "_site"
    inode = (site / "chapters/inventory.html").stat().st_ino
    chapter = project / "index.qmd"
    chapter.write_text(chapter.read_text() + "\nOne more sentence.\n")
    outcome = build(project)
    assert (site / "chapters/inventory.html").stat().st_ino == inode
    assert outcome.lines[1] == (
        "chapters/inventory.qmd: unchanged since last build, reused; page unchanged"
    )


def test_bad_data_keeps_the_last_good_site(project: Path, runs: Path) -> None:
    site = project / "_site"
    before = site_bytes(site)
    mentions = project / "data" / "mentions.csv"
    good = mentions.read_text()
    mentions.write_text(good.replace("district_leaders", "district_leeders", 1))

    with pytest.raises(InputError, match=r"mentions\.csv.*district_leeders"):
        build(project)
    assert site_bytes(site) == before
    assert ran(runs) == []

    mentions.write_text(good)
    assert build(project).skipped  # the failed build recorded nothing


def test_a_failing_chapter_keeps_the_last_good_site(project: Path, runs: Path) -> None:
    site = project / "_site"
    before = site_bytes(site)
    chapter = project / "chapters" / "mentions.qmd"
    chapter.write_text(
        chapter.read_text() + "\n```{python}\n1 / 0\n```\n", encoding="utf-8"
    )
    with pytest.raises(CellError, match=r"chapters/mentions\.qmd, line \d+: "
                       r"ZeroDivisionError"):  # fmt: skip
        build(project)
    assert site_bytes(site) == before


def test_force_runs_everything(project: Path, runs: Path) -> None:
    outcome = build(project, force=True)
    assert not outcome.skipped
    assert ran(runs) == ["index.qmd", "chapters/inventory.qmd", "chapters/mentions.qmd"]
    assert outcome.lines[0] == "index.qmd: ran again, asked to rebuild everything " \
        "(--force)"  # fmt: skip


_EXACT_TEST_AND_FIGURE = """
```{python}
from netreport.chisquare import independence
from netreport.figures import plot_use_by_context

test = independence(
    pd.crosstab(mentions["context"], mentions["pressure"]), exact=True,
    resamples=2000,
)
```

Context by pressure: `{python} test.p`.

```{python}
#| label: fig-use
#| fig-cap: "Use by context"
plot_use_by_context(load_case().data)
```
"""


def test_a_chapter_run_again_reuses_the_results_its_change_did_not_touch(
    project: Path, runs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import netreport.chisquare as chisquare
    import netreport.figures as figures
    import netreport.render._book as book
    import netreport.render._pandoc as pandoc

    chapter = project / "chapters" / "mentions.qmd"
    chapter.write_text(chapter.read_text() + _EXACT_TEST_AND_FIGURE)
    build(project)
    runs.write_text("")
    computed, drawn, parsed = [], [], []
    compute, draw = chisquare._compute_exact_p, figures.Plot.draw
    parse = pandoc.markdown_to_ast

    def parse_counted(markdown: str, *, what: str) -> dict:
        parsed.append(what)
        return parse(markdown, what=what)

    monkeypatch.setattr(chisquare, "_compute_exact_p",
                        lambda *a: computed.append(a) or compute(*a))  # fmt: skip
    monkeypatch.setattr(figures.Plot, "draw",
                        lambda *a, **k: drawn.append(a) or draw(*a, **k))  # fmt: skip
    monkeypatch.setattr(pandoc, "markdown_to_ast", parse_counted)
    monkeypatch.setattr(book, "markdown_to_ast", parse_counted)
    results = project / ".netreport" / "results"
    stored = {p.name for p in results.iterdir()}
    svg = project / "_site/chapters/mentions_files/fig-use.svg"
    figure = svg.read_bytes()

    # The same mentions in new bytes: the chapter runs, its results are
    # stored, and its Markdown, the same as before, is not parsed again.
    mentions = project / "data" / "mentions.csv"
    mentions.write_text(mentions.read_text().replace("\n", "\r\n"))
    outcome = build(project)
    assert ran(runs) == ["chapters/mentions.qmd"]
    assert computed == [] and drawn == []
    assert [what for what in parsed if what.endswith(".qmd")] == []
    assert {p.name for p in results.iterdir()} == stored
    assert svg.read_bytes() == figure
    assert "chapters/mentions.qmd: tbl-context [school_teams | mentions]" in {
        value["id"] for value in outcome.figures
    }

    # A mention moved to another context: a new table, a new p, a new
    # figure, new Markdown parsed once.
    parsed.clear()
    move_one_mention(project)
    build(project)
    assert len(computed) == len(drawn) == 1
    assert [what for what in parsed if what.endswith(".qmd")] == [
        "chapters/mentions.qmd"
    ]
    assert svg.read_bytes() != figure
    table = computed[0][0]
    expected = chisquare.independence(table, exact=True, resamples=2000).p
    page = (project / "_site/chapters/mentions.html").read_text()
    assert f"Context by pressure: {expected}." in page
    # Only what the chapters' current results were made with is kept.
    now = {p.name for p in results.iterdir()}

    def kinds(names: set[str]) -> list[str]:
        return sorted(name.rsplit("-", 1)[0] for name in names)

    assert kinds(stored - now) == kinds(now - stored) == [
        "chi-square-p", "exact-p", "figure-svg", "typst-chapter"
    ]  # fmt: skip


def test_a_kept_typst_source_that_no_longer_compiles_only_costs_time(
    project: Path, runs: Path
) -> None:
    kept = project / ".netreport" / "typst" / ".book.typ"
    assert kept.read_text().startswith("// netreport book template")
    kept.write_text("#not-a-function()\n", encoding="utf-8")
    move_one_mention(project)

    outcome = build(project)

    assert "rebuild-report.pdf: rebuilt, chapters/mentions.qmd changed" in outcome.lines
    assert "#not-a-function" not in kept.read_text()


def test_deleted_output_is_rebuilt(project: Path, runs: Path) -> None:
    os.remove(project / "_site" / "rebuild-report.pdf")
    outcome = build(project)
    assert not outcome.skipped
    assert ran(runs) == []
    assert (project / "_site" / "rebuild-report.pdf").is_file()


def test_status_reports_render_again_only_when_an_input_changed(
    tmp_path: Path,
) -> None:
    from netreport.coded_data import load_coded_data
    from netreport.status import plan_status, render_status

    project = make_project(tmp_path / "book")
    shutil.copy(ROOT / "status.yml", project / "status.yml")
    shutil.copytree(ROOT / "templates", project / "templates")
    data = load_coded_data(project / "data")

    def run(stamp: str) -> tuple[list[str], Path]:
        jobs = plan_status(
            project, data, project / "data", audiences=["funder"],
            periods=["2020-21"], stamp={"Built": stamp},
        )  # fmt: skip
        with log_lines("netreport.status") as lines:
            render_status(jobs, executor="serial")
        return lines, Path(jobs[0].output)

    first, page = run("one")
    assert first == ["funder/2020-21.html: rendered, no earlier report"]
    written = page.stat().st_mtime_ns

    again, _ = run("two")  # a new build time alone changes nothing
    assert again == ["funder/2020-21.html: skipped, unchanged since the last run"]
    assert page.stat().st_mtime_ns == written
    assert "one" in page.read_text()

    template = project / "templates" / "status" / "funder.qmd.j2"
    template.write_text(template.read_text() + "\nOne more line.\n")
    edited, _ = run("three")
    assert edited == [
        "funder/2020-21.html: rendered again, templates/status/funder.qmd.j2 changed"
    ]
    assert "One more line." in page.read_text()
