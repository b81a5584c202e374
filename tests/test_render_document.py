"""One .qmd renders to one HTML page and one PDF with the book's engine; a
book rebuild keeps the status reports already in the site."""

from __future__ import annotations

from pathlib import Path

import pypdf
import pytest
from site_projects import snapshot

from netreport.errors import NetreportError
from netreport.render import CellError, render_document, render_project

DOCUMENT = """\
---
title: "Status for district leaders"
subtitle: "School year 2020-21"
---

## What was made

The hub made `{python} 6 * 7` artifacts (@fig-bars, @tbl-uses).

```{python}
#| label: fig-bars
#| fig-cap: "Artifacts by use"
#| fig-alt: "Bar chart: 30 artifacts for improvement, 12 for research."
import matplotlib.pyplot as plt
figure, axes = plt.subplots(figsize=(3, 2))
axes.bar(["improvement", "research"], [30, 12])
figure
```

| use | artifacts |
|---|--:|
| improvement | 30 |

: Artifacts by use {#tbl-uses}
"""


def write(folder: Path, text: str = DOCUMENT) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / "report.qmd"
    source.write_text(text, encoding="utf-8")
    return source


def test_one_page_one_pdf_numbered_like_the_book(tmp_path: Path) -> None:
    source = write(tmp_path / "src")
    site = tmp_path / "site"
    result = render_document(
        source, site / "district" / "2020-21.html", site_root=site, stamp={"Data": "x1"}
    )
    html = result.pages[0].read_text(encoding="utf-8")
    assert '<h1 class="unnumbered"' in html
    assert html.count("<h1") == 1
    assert 'href="../netreport.css"' in html
    assert '<a href="#fig-bars" class="nr-xref">Figure 1</a>' in html
    assert '<a href="#tbl-uses" class="nr-xref">Table 1</a>' in html
    assert "The hub made 42 artifacts" in html
    assert "2020-21_files/fig-bars.svg" in html
    assert (site / "district" / "2020-21_files" / "fig-bars.svg").is_file()
    assert (site / "netreport.css").is_file()
    assert "nr-pager" not in html  # a document has no previous or next chapter
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(result.pdf).pages)
    for expected in ("Status for district leaders", "School year 2020-21",
                     "Figure 1: Artifacts by use", "Colophon", "x1"):  # fmt: skip
        assert expected in text


def test_same_document_gives_the_same_bytes(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    source = write(tmp_path / "src")
    render_document(source, tmp_path / "a" / "r.html")
    render_document(source, tmp_path / "b" / "r.html")
    assert snapshot(tmp_path / "a") == snapshot(tmp_path / "b")


def test_failed_render_keeps_the_previous_files(tmp_path: Path) -> None:
    source = write(tmp_path / "src")
    target = tmp_path / "site" / "r.html"
    render_document(source, target)
    before = snapshot(tmp_path / "site")
    write(tmp_path / "src", DOCUMENT.replace("6 * 7", "6 / 0"))
    with pytest.raises(CellError, match=r"r\.qmd, line 8: ZeroDivisionError"):
        render_document(source, target)
    assert snapshot(tmp_path / "site") == before


def test_a_killed_renders_leftover_is_removed_by_the_next(tmp_path: Path) -> None:
    import subprocess
    import sys

    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)  # fmt: skip
    source = write(tmp_path / "src")
    target = tmp_path / "site" / "r.html"
    leftover = target.parent / f".r.html.render-{ended.stdout.strip()}-abcd"
    leftover.mkdir(parents=True)
    (leftover / "r.html").write_text("half a page")

    render_document(source, target)

    assert sorted(p.name for p in target.parent.iterdir()) == [
        "netreport.css", "r.html", "r.pdf", "r_files",
    ]  # fmt: skip


def test_a_citation_is_refused_by_name(tmp_path: Path) -> None:
    source = write(tmp_path / "src", "# T\n\nAs @premo2023 found.\n")
    with pytest.raises(NetreportError, match="cites @premo2023, but a single"):
        render_document(source, tmp_path / "r.html", pdf=False)


def test_book_rebuild_keeps_status_and_versions(tmp_path: Path) -> None:
    book = tmp_path / "book"
    (book / "chapters").mkdir(parents=True)
    (book / "_quarto.yml").write_text(
        "project:\n  type: book\nbook:\n  title: Tiny\n  output-file: tiny\n"
        "  chapters:\n    - index.qmd\n"
    )
    (book / "index.qmd").write_text("# Preface {.unnumbered}\n\nHello.\n")
    render_project(book)
    report = book / "_site" / "status" / "funder" / "2020-21.html"
    report.parent.mkdir(parents=True)
    report.write_text("kept")
    (book / "_site" / "versions" / "0.1").mkdir(parents=True)
    (book / "_site" / "stale.html").write_text("from an old build")
    render_project(book)
    assert report.read_text() == "kept"
    assert (book / "_site" / "versions" / "0.1").is_dir()
    assert not (book / "_site" / "stale.html").exists()
    assert (book / "_site" / "index.html").is_file()


def test_without_execution_code_is_refused_by_line(tmp_path: Path) -> None:
    source = write(tmp_path / "src")
    with pytest.raises(NetreportError, match=r"report\.qmd, line 8: code, in a"):
        render_document(source, tmp_path / "r.html", execute=False)
    plain = write(tmp_path / "plain", "# Plain\n\nNo code here.\n")
    result = render_document(plain, tmp_path / "p.html", execute=False, pdf=False)
    assert "No code here." in result.pages[0].read_text()


def test_a_figure_without_alt_text_stops_the_pdf(tmp_path: Path) -> None:
    # The PDF is tagged PDF/UA-1, which refuses an image nobody described.
    source = write(tmp_path / "src", DOCUMENT.replace("#| fig-alt:", "#| fig-note:"))
    source.write_text(
        source.read_text(encoding="utf-8").replace("#| fig-note: ", "# "),
        encoding="utf-8",
    )
    with pytest.raises(NetreportError, match="missing alt text"):
        render_document(source, tmp_path / "site" / "report.html")


def test_a_documents_title_is_its_pages_title_once(tmp_path: Path) -> None:
    source = write(tmp_path / "src")
    target = tmp_path / "site" / "r.html"
    render_document(source, target)
    html = target.read_text(encoding="utf-8")
    assert "<title>Status for district leaders</title>" in html
