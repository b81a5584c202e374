"""Render a Quarto book project to HTML pages and a PDF, with or without Quarto.

The embedded engine (the default) needs only the ``pypandoc-binary`` and
``typst`` wheels: it runs the chapters' ``{python}`` cells, resolves
cross-references and citations, writes one HTML page per chapter and
compiles the whole book to one PDF through Typst. ``engine="quarto"`` hands
the project to the Quarto CLI instead, when it is installed.

Figures take their alt text from the cell option ``fig-alt`` or, when that
is absent, from the displayed object's ``alt_text`` attribute (netreport's
``plot_`` functions set it). Tables are any object with
``_repr_markdown_()`` returning a pipe table, or a pandas DataFrame; a cell
``label: tbl-...`` with ``tbl-cap`` numbers and captions them.

`render_document` renders one ``.qmd`` (a status report) to one HTML page
and one PDF with the same engine, page template and stylesheet.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from netreport.errors import NetreportError
from netreport.render._book import ChapterExecutor, render_book
from netreport.render._crossref import CrossRef
from netreport.render._display import escape_markdown
from netreport.render._document import render_document
from netreport.render._execute import CellError, ExecutedChapter, execute_chapter
from netreport.render._quarto import render_with_quarto
from netreport.render._result import RenderResult

if TYPE_CHECKING:
    from netreport.render._typst_warmup import TypstWarmUp

__all__ = [
    "CellError",
    "CrossRef",
    "ExecutedChapter",
    "RenderResult",
    "escape_markdown",
    "execute_chapter",
    "render_document",
    "render_project",
]

logger = logging.getLogger(__name__)

_ENGINES = ("embedded", "quarto")


def render_project(
    project_dir: Path,
    *,
    engine: str = "embedded",
    output_dir: Path | None = None,
    stamp: Mapping[str, str] | None = None,
    cell_timeout: float = 300,
    check: Callable[[Path], None] | None = None,
    provenance: Mapping[str, str] | None = None,
    files: Mapping[str, bytes] | None = None,
    executor: ChapterExecutor = execute_chapter,
    links: Mapping[str, str] | None = None,
    check_early: Callable[[Path], object] | None = None,
    typst_warm_up: TypstWarmUp | None = None,
) -> RenderResult:
    """Render the Quarto book in `project_dir` to HTML pages and a PDF.

    Parameters
    ----------
    project_dir
        The folder holding ``_quarto.yml``.
    engine
        ``"embedded"`` (pandoc and Typst, no Quarto needed) or ``"quarto"``
        (runs ``quarto render``; it must be on the PATH).
    output_dir
        Where to write; defaults to ``project.output-dir`` (``_site``). It is
        replaced as a whole, and only when the render succeeds.
    stamp
        ``key: value`` pairs (version, data fingerprint, build time) shown as
        a colophon at the foot of every page and at the end of the PDF.
        Embedded engine only.
    cell_timeout
        Seconds one code cell may run before the render fails.
    check
        Called with the finished site before it replaces the output dir (the
        publish check); raising stops the build and keeps the old site. With
        the Quarto engine, which writes in place, it runs after the render.
    provenance
        ``name: value`` pairs written as ``<meta name="netreport:NAME">`` tags
        in every page and as the PDF's description and keywords. Embedded
        engine only.
    files
        Extra files (name: bytes) written into the output dir with the render,
        e.g. ``provenance.json``. Embedded engine only.
    executor
        Runs each chapter's code; a stand-in for `execute_chapter` with its
        signature may reuse earlier results (``netreport.rebuild`` does).
    links
        Extra links under the PDF download on every page, as label and
        target relative to the output dir (e.g. the versions page).
    check_early
        Called with the unfinished site once its pages are written, if the
        PDF is still compiling, to give `check` a head start; `check` must
        still read the finished site. Embedded engine only.
    typst_warm_up
        Typst compiling the last build's book (`TypstWarmUp`), started by
        the caller as early as it can; the book's source is kept through it
        for the next build. Embedded engine only.

    Returns
    -------
    RenderResult
        The pages, the PDF, the figures and the cross-reference labels.

    Raises
    ------
    NetreportError
        For a bad ``_quarto.yml``, a failing cell (`CellError`, naming the
        ``.qmd`` file and line), an unknown cross-reference, or a pandoc,
        Typst or Quarto failure. The previous output dir is left untouched.
    """
    project_dir = Path(project_dir).resolve()
    if engine not in _ENGINES:
        raise NetreportError(
            f"engine: unknown engine {engine!r} (allowed: {', '.join(_ENGINES)})"
        )
    if engine == "embedded":
        return render_book(
            project_dir,
            output_dir,
            stamp,
            cell_timeout,
            check,
            provenance=provenance,
            files=files,
            executor=executor,
            links=links,
            check_early=check_early,
            typst_warm_up=typst_warm_up,
        )
    result = _render_quarto(project_dir, output_dir)
    if check is not None:
        check(result.output_dir)
    return result


def _render_quarto(project_dir: Path, output_dir: Path | None) -> RenderResult:
    started = time.perf_counter()
    render_with_quarto(project_dir, output_dir)
    site = Path(output_dir) if output_dir else project_dir / "_site"
    pdfs = sorted(site.glob("*.pdf")) if site.is_dir() else []
    return RenderResult(
        output_dir=site,
        pages=tuple(sorted(site.rglob("*.html"))) if site.is_dir() else (),
        pdf=pdfs[0] if pdfs else None,
        elapsed=time.perf_counter() - started,
        engine="quarto",
    )
