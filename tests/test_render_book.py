"""The embedded engine renders the mini book to HTML pages and a PDF."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
from pathlib import Path

import pypdf
import pytest

import netreport.render
from netreport.render import RenderResult, render_project
from netreport.render._config import load_book_config

MINI_BOOK = Path(__file__).parent / "fixtures" / "mini_book"
STAMP = {"report version": "0.1.0", "data fingerprint": "sha256:abc123"}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> RenderResult:
    project = tmp_path_factory.mktemp("render") / "mini_book"
    shutil.copytree(MINI_BOOK, project)
    return render_project(project, stamp=STAMP)


def page(result: RenderResult, name: str) -> str:
    return (result.output_dir / name).read_text(encoding="utf-8")


def pdf_text(path: Path) -> str:
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(path).pages)
    return re.sub(r"\s+", " ", text)


def test_public_api_is_small() -> None:
    assert netreport.render.__all__ == [
        "CellError",
        "CrossRef",
        "ExecutedChapter",
        "RenderResult",
        "escape_markdown",
        "execute_chapter",
        "render_document",
        "render_project",
    ]


def test_site_layout_mirrors_the_chapter_sources(rendered: RenderResult) -> None:
    site = rendered.output_dir
    assert site.name == "_site"
    assert [p.relative_to(site).as_posix() for p in rendered.pages] == [
        "index.html",
        "chapters/growth.html",
        "chapters/tables.html",
        "references.html",
    ]
    assert rendered.pdf == site / "mini-report.pdf"
    assert rendered.pdf.read_bytes().startswith(b"%PDF")
    assert (site / "netreport.css").is_file()
    assert [f.relative_to(site).as_posix() for f in rendered.figures] == [
        "chapters/growth_files/fig-growth.svg"
    ]
    leftovers = [p.name for p in site.parent.iterdir() if p.name.startswith(".")]
    assert leftovers == []


def test_labels_are_numbered_per_chapter(rendered: RenderResult) -> None:
    texts = {label: ref.text for label, ref in rendered.labels.items()}
    assert texts == {
        "sec-method": "Section 1.1",
        "fig-growth": "Figure 1.1",
        "tbl-counts": "Table 2.1",
        "tbl-listing": "Table 2.2",
    }


def test_html_has_numbered_captions(rendered: RenderResult) -> None:
    growth = page(rendered, "chapters/growth.html")
    tables = page(rendered, "chapters/tables.html")
    caption = re.search(r"<figcaption>(.*?)</figcaption>", growth, re.S)
    assert caption is not None
    assert re.sub(r"<[^>]+>|\s+", " ", caption.group(1)).split() == [
        "Figure", "1.1:", "Artifacts", "made", "per", "month",
    ]  # fmt: skip
    assert re.search(
        r'<table id="tbl-counts">\s*<caption><span[^>]*>Table 2\.1:', tables
    )
    assert re.search(
        r'<table id="tbl-listing">\s*<caption><span[^>]*>Table 2\.2:', tables
    )


def test_cross_references_link_across_pages(rendered: RenderResult) -> None:
    index = page(rendered, "index.html")
    link = re.search(r'<a href="([^"]+)" class="nr-xref">Figure 1\.1</a>', index)
    assert link is not None
    target, anchor = link.group(1).split("#")
    assert target == "chapters/growth.html"
    assert f'id="{anchor}"' in page(rendered, target)
    growth = page(rendered, "chapters/growth.html")
    assert '<a href="tables.html#tbl-listing" class="nr-xref">2.2</a>' in growth
    tables = page(rendered, "chapters/tables.html")
    assert 'class="nr-xref">Figure 1.1</a>' in tables  # written @Fig-growth


def test_figure_alt_text_comes_from_the_plot(rendered: RenderResult) -> None:
    growth = page(rendered, "chapters/growth.html")
    assert 'alt="Bar chart: 12 artifacts in September, 30 in October, 41 in' in growth


def test_cell_output_and_inline_values(rendered: RenderResult) -> None:
    growth = page(rendered, "chapters/growth.html")
    assert "The hub made 83 artifacts" in growth
    assert "<strong>Bold from an asis cell.</strong>" in growth
    assert '<pre class="cell-output cell-output-stdout"><code>plain output' in growth
    assert "import pandas" not in growth  # echo: false from _quarto.yml
    assert "Share of protocols: 58%." in page(rendered, "chapters/tables.html")


def test_html_page_frame(rendered: RenderResult) -> None:
    tables = page(rendered, "chapters/tables.html")
    assert '<html lang="en">' in tables
    assert '<a href="tables.html" aria-current="page">' in tables
    assert tables.count('aria-current="page"') == 1
    assert '<li class="nr-part">Findings</li>' in tables
    assert 'href="../mini-report.pdf"' in tables
    assert 'rel="prev" href="growth.html"' in tables
    assert 'rel="next" href="../references.html"' in tables
    assert "<dt>data fingerprint</dt><dd>sha256:abc123</dd>" in tables
    assert '<link rel="stylesheet" href="../netreport.css">' in tables


def test_citations_resolve_to_the_reference_list(rendered: RenderResult) -> None:
    growth = page(rendered, "chapters/growth.html")
    assert 'href="../references.html#ref-bryk2015">Bryk and Gomez 2015</a>' in growth
    references = page(rendered, "references.html")
    assert 'id="ref-bryk2015"' in references
    assert "Learning to Improve" in re.sub(r"\s+", " ", references)


def test_pdf_holds_the_whole_book(rendered: RenderResult) -> None:
    text = pdf_text(rendered.pdf)
    for expected in [
        "Mini Book",
        "The hub made 83 artifacts",
        "Figure 1.1 shows growth and Table 2.1 counts artifacts",
        "Section 1.1 explains the method",
        "Figure 1.1: Artifacts made per month",
        "Table 2.2: Listing from a rich object",
        "(Bryk and Gomez 2015)",
        "Learning to Improve",
        "Share of protocols: 58%.",
        "data fingerprint sha256:abc123",
    ]:
        assert expected in text


def test_pdf_links_point_inside_the_document(rendered: RenderResult) -> None:
    reader = pypdf.PdfReader(rendered.pdf)
    internal = external = 0
    for pdf_page in reader.pages:
        for annotation in pdf_page.get("/Annots") or []:
            action = annotation.get_object().get("/A") or {}
            if "/URI" in action:
                external += 1
            elif annotation.get_object().get("/Subtype") == "/Link":
                internal += 1
    assert internal >= 6  # outline entries, cross-references, the citation
    assert external == 0


# -- date: today, now and last-modified, as Quarto reads them -----------------

# 2026-12-03 14:30 UTC.
EPOCH = "1796308200"
ROOT = Path(__file__).parent.parent


def _dated_book(root: Path, date: str) -> Path:
    (root / "index.qmd").write_text("# Preface\n\nHello.\n")
    (root / "_quarto.yml").write_text(
        "project:\n  type: book\nbook:\n  title: Dated\n"
        f"  date: {date}\n  chapters:\n    - index.qmd\n"
    )
    return root


@pytest.mark.parametrize(
    ("date", "shown"),
    [
        ("today", "2026-12-03"),
        ("now", "2026-12-03 14:30 UTC"),
        # SOURCE_DATE_EPOCH stands for the time the sources last changed.
        ("last-modified", "2026-12-03"),
        ('"2024-05-01"', "2024-05-01"),
        ("2024-05-01", "2024-05-01"),
    ],
)
def test_date_keywords_resolve_to_the_build_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, date: str, shown: str
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    assert load_book_config(_dated_book(tmp_path, date)).date == shown


def test_last_modified_is_the_config_file_time_without_an_epoch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    project = _dated_book(tmp_path, "last-modified")
    march = dt.datetime(2025, 3, 9, 12, tzinfo=dt.UTC).timestamp()
    os.utime(project / "_quarto.yml", (march, march))
    assert load_book_config(project).date == "2025-03-09"


def test_a_release_dates_today_by_the_release(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from netreport.release import _release_date

    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    project = _dated_book(tmp_path, "today")
    with _release_date(dt.date(2026, 1, 15)):
        assert load_book_config(project).date == "2026-01-15"


def test_the_shipped_book_is_dated_by_its_build(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    assert load_book_config(ROOT).date == "2026-12-03"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(EPOCH) + 86_400))
    assert load_book_config(ROOT).date == "2026-12-04"


def test_today_is_on_the_front_page_and_the_title_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    project = tmp_path / "mini_book"
    shutil.copytree(MINI_BOOK, project)
    config = project / "_quarto.yml"
    config.write_text(config.read_text().replace('date: "2024-05-01"', "date: today"))
    result = render_project(project, stamp=STAMP)
    assert '<p class="nr-date">2026-12-03</p>' in page(result, "index.html")
    first = pypdf.PdfReader(result.pdf).pages[0].extract_text()
    assert "2026-12-03" in first and "today" not in first
