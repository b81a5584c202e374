"""The embedded engine for one document: a ``.qmd`` to one HTML page and a PDF.

Status reports are single documents, not books, but they should look and
behave like the case report. So this reuses the book's parts: the same cell
execution, cross-reference numbering (unnumbered sections, floats numbered
1, 2, ...), HTML page template and stylesheet, Typst compiler and
``SOURCE_DATE_EPOCH`` handling. Only the PDF template differs: a document
has no title page or outline.

Three conversions per document, Markdown to AST, AST to HTML and AST to
Typst, all in this process's pandoc session (`netreport.render._pandoc`),
so a thousand reports start pandoc once per worker, not three thousand
times. The files are written beside the target under temporary names and
moved into place only when both formats succeeded, so a failed render
leaves the previous report as it was.
"""

from __future__ import annotations

import logging
import os
import posixpath
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import typst

from netreport.errors import NetreportError
from netreport.render._book import (
    _book_meta,
    _image_urls,
    _resource,
    _source_date_epoch,
    _typst_images,
)
from netreport.render._config import BookConfig
from netreport.render._crossref import (
    ChapterNumbering,
    nodes,
    number_chapter,
    resolve_crossrefs,
)
from netreport.render._execute import _INLINE, execute_chapter
from netreport.render._pandoc import HTML_OPTIONS, markdown_to_ast, write_ast
from netreport.render._qmd import MarkdownText, QmdChapter, parse_qmd
from netreport.render._result import RenderResult
from netreport.render._typst import compile_pdf
from netreport.staging import clean_leftovers

__all__ = ["render_document"]

logger = logging.getLogger(__name__)

_CSS = "netreport.css"


def render_document(
    source: Path,
    html: Path,
    *,
    pdf: bool = True,
    site_root: Path | None = None,
    stamp: Mapping[str, str] | None = None,
    execute: bool = True,
    timestamp: int | None = None,
    cell_timeout: float = 300,
    check: Callable[[Path], None] | None = None,
) -> RenderResult:
    """Render the single ``.qmd`` file `source` to `html` and a PDF beside it.

    Parameters
    ----------
    source
        The document. Its front matter may give ``title``, ``subtitle``,
        ``author``, ``date`` and ``lang``; code runs with its folder as the
        working directory. Images it points to must lie under
        ``<stem>_files/`` beside it.
    html
        The page to write; the PDF is the same path ending in ``.pdf`` and
        figures go to ``<stem>_files/`` beside it.
    pdf
        False to write the HTML page only.
    site_root
        The folder whose ``netreport.css`` the page links to (written there
        when missing or different); defaults to the page's own folder.
    stamp
        ``key: value`` pairs shown as a colophon at the foot of both formats.
    execute
        False for a document that must not run code (one filled from a
        user's template): a ``{python}`` cell is then an error. Such a
        render changes no process-wide state and is safe in threads.
    timestamp
        The PDF's creation time, in seconds since 1970; defaults to
        ``SOURCE_DATE_EPOCH``, else now. Fix it for equal bytes across
        machines and processes.
    cell_timeout
        Seconds one code cell may run.
    check
        Called with the staged folder (page, PDF, figures) before it replaces
        anything; raising stops the render and keeps the earlier files.

    Returns
    -------
    RenderResult
        One page, the PDF, the figures and the cross-reference labels.

    Raises
    ------
    NetreportError
        For a failing cell (naming the file and line), an unknown
        cross-reference, a citation (documents have no bibliography), or a
        pandoc or Typst failure. Files of an earlier render stay untouched.
    """
    started = time.perf_counter()
    source, html = Path(source).resolve(), Path(html).resolve()
    root = (site_root or html.parent).resolve()
    html.parent.mkdir(parents=True, exist_ok=True)
    # Staged beside the page, to be moved into place; named with this
    # process, so that the next render removes what a killed one left.
    clean_leftovers(html)
    staging = Path(
        tempfile.mkdtemp(prefix=f".{html.name}.render-{os.getpid()}-", dir=html.parent)
    )
    try:
        built = _build(source, html, staging, execute, cell_timeout)
        doc, front, figures, labels = built
        meta = _document_meta(front, stamp)
        page = staging / html.name
        _write_html(doc, meta, page, _link_root(html, root), pdf)
        if pdf:
            _write_typst_source(doc, meta, staging / f".{html.stem}.typ")
            when = _source_date_epoch() if timestamp is None else timestamp
            _write_pdf(staging, html.stem, source.name, when)
        if check is not None:
            check(staging)
        _move_into_place(staging, html.parent)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    _ensure_stylesheet(root)
    elapsed = time.perf_counter() - started
    logger.info("rendered %s in %.2f s", html.name, elapsed)
    return RenderResult(
        output_dir=html.parent,
        pages=(html,),
        pdf=html.with_suffix(".pdf") if pdf else None,
        figures=tuple(html.parent / f for f in figures),
        labels=labels,
        elapsed=elapsed,
        engine="embedded",
    )


# -- the document --------------------------------------------------------------


def _build(source: Path, html: Path, staging: Path, execute: bool, timeout: float):
    """Run the code, parse, number and resolve; return the AST and friends."""
    display = source.name
    qmd = parse_qmd(source, display)
    if execute:
        # Figures are named after the page, so two documents in one folder
        # keep theirs apart.
        executed = execute_chapter(
            qmd,
            display=f"{html.stem}.qmd",
            project_dir=source.parent,
            site_dir=staging,
            defaults={},
            timeout=timeout,
        )
        markdown, figures = executed.markdown, executed.figures
    else:
        markdown, figures = _without_code(qmd, display), []
    title = qmd.front_matter.get("title")
    if title is not None:
        markdown = f"# {title} {{.unnumbered}}\n\n{markdown}"
    doc = markdown_to_ast(markdown, what=display)
    where = ChapterNumbering(display, html.name, None)
    blocks, refs = number_chapter(doc["blocks"], where)
    labels = {ref.label: ref for ref in refs}
    blocks = resolve_crossrefs(blocks, labels, display)
    _refuse_citations(blocks, display)
    _copy_images(blocks, source.parent, staging, display, html.stem)
    doc["blocks"] = blocks
    return doc, qmd.front_matter, [f.path.as_posix() for f in figures], labels


def _without_code(qmd: QmdChapter, display: str) -> str:
    for part in qmd.parts:
        line = part.line
        if isinstance(part, MarkdownText):
            match = _INLINE.search(part.text)
            if match is None:
                continue
            line += part.text.count("\n", 0, match.start())
        raise NetreportError(
            f"{display}, line {line}: code, in a document rendered without running code"
        )
    return "\n\n".join(part.text for part in qmd.parts) + "\n"


def _refuse_citations(blocks: list[Any], display: str) -> None:
    keys = [
        citation["citationId"]
        for node in nodes(blocks)
        if node["t"] == "Cite"
        for citation in node["c"][0]
    ]
    if keys:
        raise NetreportError(
            f"{display}: cites @{keys[0]}, but a single document has no "
            "bibliography; write the reference out, or put the text in the book"
        )


def _copy_images(
    blocks: list[Any], folder: Path, staging: Path, display: str, stem: str
) -> None:
    for url in _image_urls(blocks):
        if "://" in url or url.startswith(("/", "data:")):
            continue
        relative = posixpath.normpath(url)
        if not relative.startswith(f"{stem}_files/"):
            raise NetreportError(
                f"{display}: image {url} must lie under {stem}_files/ so that it "
                "travels with the page"
            )
        target = staging / relative
        if target.exists():
            continue
        if not (folder / relative).is_file():
            raise NetreportError(f"{display}: image {url} does not exist")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(folder / relative, target)


def _document_meta(
    front: Mapping[str, Any], stamp: Mapping[str, str] | None
) -> dict[str, Any]:
    authors = front.get("author") or ()
    config = BookConfig(
        project_dir=Path("."),
        title=str(front.get("title", "")),
        chapters=(),
        output_dir=Path("."),
        output_file="",
        subtitle=None if front.get("subtitle") is None else str(front["subtitle"]),
        authors=tuple(
            str(a) for a in ([authors] if isinstance(authors, str) else authors)
        ),
        date=None if front.get("date") is None else str(front["date"]),
        lang=str(front.get("lang", "en")),
    )
    return _book_meta(config, stamp)


# -- writing -------------------------------------------------------------------


def _link_root(html: Path, root: Path) -> str:
    relative = posixpath.relpath(root.as_posix(), html.parent.as_posix())
    return "" if relative == "." else relative + "/"


def _write_html(
    doc: dict[str, Any], meta: dict[str, Any], target: Path, root: str, pdf: bool
) -> None:
    # No page title: the document's own title is the whole <title>, not
    # "X – X" as a book's chapter page and book title would make it.
    page_meta = {
        **meta,
        "nr-root": {"t": "MetaString", "c": root},
        # A document is not a chapter, and may be a list of other pages.
        "nr-skip": {"t": "MetaString", "c": "Skip to main content"},
        "nr-front": {"t": "MetaBool", "c": False},
    }
    if pdf:
        page_meta["nr-pdf"] = {"t": "MetaString", "c": target.with_suffix(".pdf").name}
    html = write_ast(
        {**doc, "meta": page_meta},
        "html5",
        template=_resource("page.html"),
        options=HTML_OPTIONS,
        what=target.name,
    )
    target.write_text(html, encoding="utf-8")


def _write_typst_source(
    doc: dict[str, Any], meta: dict[str, Any], target: Path
) -> None:
    # The template sets the title above the subtitle, so the body's own
    # title heading (there for the HTML page) is left out.
    blocks = doc["blocks"]
    if blocks and blocks[0]["t"] == "Header" and blocks[0]["c"][0] == 1:
        blocks = blocks[1:]
    body = {**doc, "meta": meta, "blocks": _typst_images(blocks, "")}
    source = write_ast(
        body, "typst-citations", template=_resource("document.typ"), what=target.name
    )
    target.write_text(source, encoding="utf-8")


def _write_pdf(staging: Path, stem: str, display: str, timestamp: int | None) -> None:
    typ = staging / f".{stem}.typ"
    try:
        compile_pdf(typ, staging / f"{stem}.pdf", root=staging, timestamp=timestamp)
    except typst.TypstError as exc:
        detail = getattr(exc, "diagnostic", "") or str(exc)
        raise NetreportError(
            f"{display}: Typst could not compile the PDF: {exc}\n{detail}"
        ) from None
    finally:
        typ.unlink()


def _move_into_place(staging: Path, folder: Path) -> None:
    """Move every file the render made from `staging` into `folder`."""
    for entry in sorted(staging.iterdir()):
        if entry.name.startswith("."):
            continue
        target = folder / entry.name
        if entry.is_dir() and target.is_dir():
            shutil.rmtree(target)
        os.replace(entry, target)


def _ensure_stylesheet(root: Path) -> None:
    css = _resource(_CSS)
    target = root / _CSS
    if target.is_file() and target.read_text(encoding="utf-8") == css:
        return
    root.mkdir(parents=True, exist_ok=True)
    partial = root / f".{_CSS}.{os.getpid()}"
    partial.write_text(css, encoding="utf-8")
    os.replace(partial, target)
