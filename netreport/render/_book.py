"""The embedded engine: a Quarto book to HTML pages and a Typst PDF.

Stages, each logged on one line:

1. read ``_quarto.yml``;
2. per chapter: run the code, parse the Markdown with pandoc, number
   headings and floats;
3. resolve ``@fig-``/``@tbl-``/``@sec-`` references across the book;
4. run citeproc once over the whole book, so citations and the reference
   list agree between the HTML pages and the PDF;
5. write one HTML page per chapter and compile the book PDF with Typst.

Everything is written to a staging directory that replaces the output dir
only when all stages succeed.
"""

from __future__ import annotations

import hashlib
import html
import logging
import os
import posixpath
import shutil
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import typst
from defusedxml import ElementTree

from netreport.errors import NetreportError
from netreport.render._config import BookConfig, ChapterEntry, load_book_config
from netreport.render._crossref import (
    ChapterNumbering,
    CrossRef,
    nodes,
    number_chapter,
    plain_text,
    resolve_crossrefs,
    walk,
)
from netreport.render._display import FigureOutput
from netreport.render._execute import ExecutedChapter, UntrueSentences, execute_chapter
from netreport.render._pandoc import (
    HTML_OPTIONS,
    citeproc,
    markdown_to_ast,
    write_ast,
)
from netreport.render._qmd import parse_qmd
from netreport.render._result import RenderResult
from netreport.render._typst import compile_pdf
from netreport.render._typst_warmup import SOURCE, TypstWarmUp
from netreport.result_store import stored_value
from netreport.staging import staged_output

__all__ = ["render_book"]

logger = logging.getLogger(__name__)

_RESOURCES = resources.files("netreport.render") / "resources"
_CSS = "netreport.css"
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#: Runs one chapter's code: `execute_chapter` or a caching stand-in for it.
ChapterExecutor = Callable[..., ExecutedChapter]
#: What a chapter's ``![](path)`` may copy into the site.
IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp"})


@dataclass
class _Chapter:
    entry: ChapterEntry
    display: str  # source path, posix, relative to the project
    page: str  # HTML page, posix, relative to the output dir
    blocks: list[Any]
    title: list[Any] = field(default_factory=list)  # title inlines with number
    figures: list[FigureOutput] = field(default_factory=list)

    @property
    def folder(self) -> str:
        return posixpath.dirname(self.display)


def render_book(
    project_dir: Path,
    output_dir: Path | None,
    stamp: Mapping[str, str] | None,
    cell_timeout: float,
    check: Callable[[Path], None] | None = None,
    *,
    provenance: Mapping[str, str] | None = None,
    files: Mapping[str, bytes] | None = None,
    executor: ChapterExecutor = execute_chapter,
    links: Mapping[str, str] | None = None,
    check_early: Callable[[Path], object] | None = None,
    typst_warm_up: TypstWarmUp | None = None,
) -> RenderResult:
    """Render the book in `project_dir`; see `netreport.render.render_project`."""
    started = time.perf_counter()
    config = load_book_config(project_dir)
    output_dir = (output_dir or config.output_dir).resolve()
    with staged_output(output_dir) as site:
        chapters, api = _build_chapters(config, site, cell_timeout, executor)
        labels = _number_book(chapters)
        _resolve_book(chapters, labels)
        _cite_book(chapters, config, api)
        images = _copy_images(chapters, config, site)
        meta = _book_meta(config, stamp, provenance)
        pdf_job = _PdfJob(chapters, config, site, meta, api, images, typst_warm_up)
        # Typst compiles without holding the GIL, and each thread converts in
        # a pandoc session of its own: the PDF is made while the pages are.
        with ThreadPoolExecutor(1) as background:
            making = background.submit(_write_pdf, pdf_job)
            pages = _write_pages(chapters, config, site, meta, api, links or {})
            for name, content in (files or {}).items():
                (site / name).write_bytes(content)
            # With Typst warm, the PDF is often done first: then the check
            # reads it alongside the pages, and an early pass would only delay.
            if check_early is not None and not making.done():
                check_early(site)
            pdf = making.result()
        if check is not None:
            logger.info("check the site before publishing it")
            check(site)
    elapsed = time.perf_counter() - started
    logger.info("rendered %d pages and %s in %.1f s", len(pages), pdf.name, elapsed)
    return RenderResult(
        output_dir=output_dir,
        pages=tuple(output_dir / p for p in pages),
        pdf=output_dir / pdf.name,
        figures=tuple(output_dir / f.path for c in chapters for f in c.figures),
        labels=labels,
        elapsed=elapsed,
        engine="embedded",
    )


# -- chapters -----------------------------------------------------------------


def _build_chapters(
    config: BookConfig, site: Path, timeout: float, executor: ChapterExecutor
) -> tuple[list[_Chapter], list[int]]:
    chapters = []
    api: list[int] = []
    untrue: list[tuple[str, int, str]] = []
    for entry in config.chapters:
        display = entry.source.as_posix()
        logger.info("execute chapter %s", display)
        qmd = parse_qmd(config.project_dir / entry.source, display)
        try:
            executed = executor(
                qmd,
                display=display,
                project_dir=config.project_dir,
                site_dir=site,
                defaults=config.execute,
                timeout=timeout,
            )
        except UntrueSentences as error:
            # The other chapters run on, so that one build names every
            # sentence the data made untrue, not one per build.
            untrue += error.found
            continue
        doc = executed.document or markdown_to_ast(executed.markdown, what=display)
        api = doc["pandoc-api-version"]
        blocks = doc["blocks"]
        if "title" in qmd.front_matter:
            title = str(qmd.front_matter["title"])
            blocks.insert(0, _title_header(title, qmd.front_matter))
        page = str(Path(display).with_suffix(".html").as_posix())
        chapters.append(
            _Chapter(entry, display, page, blocks, figures=executed.figures)
        )
    if untrue:
        raise UntrueSentences(untrue)
    return chapters, api


def _title_header(title: str, front: Mapping[str, Any]) -> dict[str, Any]:
    classes = [] if front.get("number-sections", True) else ["unnumbered"]
    inlines = markdown_to_ast(title, what="title")["blocks"]
    content = inlines[0]["c"] if inlines else []
    return {"t": "Header", "c": [1, ["", classes, []], content]}


def _first_header(blocks: list[Any]) -> dict[str, Any] | None:
    return next((b for b in blocks if b["t"] == "Header" and b["c"][0] == 1), None)


def _number_book(chapters: list[_Chapter]) -> dict[str, CrossRef]:
    labels: dict[str, CrossRef] = {}
    main = appendix = 0
    for chapter in chapters:
        header = _first_header(chapter.blocks)
        unnumbered = chapter.display == "index.qmd" or (
            header is not None and "unnumbered" in header["c"][1][1]
        )
        number = None
        if not unnumbered and chapter.entry.appendix:
            number, appendix = _ALPHABET[appendix % 26], appendix + 1
        elif not unnumbered:
            main += 1
            number = str(main)
        where = ChapterNumbering(chapter.display, chapter.page, number)
        chapter.blocks, refs = number_chapter(chapter.blocks, where)
        header = _first_header(chapter.blocks)
        chapter.title = (
            header["c"][2] if header else [{"t": "Str", "c": chapter.display}]
        )
        for ref in refs:
            if ref.label in labels:
                first = labels[ref.label].chapter
                raise NetreportError(
                    f"{chapter.display}: label {ref.label} is already used in {first}; "
                    "labels must be unique across the book"
                )
            labels[ref.label] = ref
    return labels


def _resolve_book(chapters: list[_Chapter], labels: dict[str, CrossRef]) -> None:
    logger.info("resolve cross-references (%d labels)", len(labels))
    for chapter in chapters:
        chapter.blocks = resolve_crossrefs(chapter.blocks, labels, chapter.display)


# -- citations ----------------------------------------------------------------


@dataclass
class _Citing:
    """A chapter's citations, each with whether it sits in a note, and its
    reference lists (Divs with the id ``refs``), in document order."""

    cites: list[tuple[dict[str, Any], bool]] = field(default_factory=list)
    lists: list[dict[str, Any]] = field(default_factory=list)

    def keys(self) -> list[str]:
        return [c["citationId"] for node, _ in self.cites for c in node["c"][0]]


def _find_citing(value: Any, found: _Citing, in_note: bool = False) -> _Citing:
    if isinstance(value, list):
        for item in value:
            if isinstance(item, list | dict):
                _find_citing(item, found, in_note)
    elif isinstance(value, dict):
        kind = value.get("t")
        if kind == "Cite":
            found.cites.append((value, in_note))
            return found
        if kind == "Div" and value["c"][0][0] == "refs":
            found.lists.append(value)
        in_note = in_note or kind == "Note"
        for item in value.values():
            if isinstance(item, list | dict):
                _find_citing(item, found, in_note)
    return found


def _cite_book(chapters: list[_Chapter], config: BookConfig, api: list[int]) -> None:
    found = [_find_citing(c.blocks, _Citing()) for c in chapters]
    cited = {c.display: f.keys() for c, f in zip(chapters, found, strict=True)}
    if not any(cited.values()):
        return
    if not config.bibliography:
        where = next(d for d, keys in cited.items() if keys)
        raise NetreportError(
            f"{where}: cites @{cited[where][0]}, but _quarto.yml has no bibliography"
        )
    logger.info("process citations with citeproc")
    if not any(f.lists for f in found):
        refs = {"t": "Div", "c": [["refs", [], []], []]}
        chapters[-1].blocks += [
            {"t": "Header", "c": [2, ["references", ["unnumbered"], []],
                                  [{"t": "Str", "c": "References"}]]},
            refs,
        ]  # fmt: skip
        found[-1].lists.append(refs)
    # A note style moves punctuation around the notes it makes, outside the
    # citations, so it needs the whole book; other styles need only the
    # citations.
    whole = _is_note_style(config.csl)
    if whole:
        blocks = [
            {"t": "Div", "c": [["", ["nr-chapter"], []], c.blocks]} for c in chapters
        ]
    else:
        blocks = _citations_only(found)
    doc = {"pandoc-api-version": api, "meta": _citeproc_meta(config), "blocks": blocks}
    # The same citations and files give the same result: a rebuild whose
    # data changed, not its citations, skips citeproc (about 0.17 s).
    files = [*config.bibliography, *([config.csl] if config.csl else [])]
    inputs = {"doc": doc, "files": [_sha256(path) for path in files]}
    processed, warnings = stored_value(
        "citeproc", inputs, lambda: citeproc(doc, what="citations")
    )
    missing = [w for w in warnings if "not found" in w]
    if missing:
        key = missing[0].split("citation ", 1)[-1].split(" ", 1)[0]
        where = next((d for d, keys in cited.items() if key in keys), "the book")
        raise NetreportError(
            f"{where}: citation @{key} is not in the bibliography "
            f"({', '.join(p.name for p in config.bibliography)})"
        )
    if whole:
        for chapter, div in zip(chapters, processed["blocks"], strict=True):
            chapter.blocks = div["c"][1]
        return
    # Give each citation, and each reference list, what citeproc made of it.
    made = _find_citing(processed["blocks"], _Citing())
    originals = [node for f in found for node, _ in f.cites]
    originals += [div for f in found for div in f.lists]
    results = [node for node, _ in made.cites] + made.lists
    for original, result in zip(originals, results, strict=True):
        original["c"] = result["c"]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _citeproc_meta(config: BookConfig) -> dict[str, Any]:
    meta = {
        "bibliography": {"t": "MetaList", "c": [
            {"t": "MetaString", "c": str(path)} for path in config.bibliography
        ]},
        "link-citations": {"t": "MetaBool", "c": True},
        "lang": {"t": "MetaString", "c": config.lang},
    }  # fmt: skip
    if config.csl:
        meta["csl"] = {"t": "MetaString", "c": str(config.csl)}
    return meta


def _is_note_style(csl: Path | None) -> bool:
    """Whether the CSL style at `csl` puts citations in notes (the default does not)."""
    if csl is None:
        return False
    try:
        return ElementTree.parse(csl).getroot().get("class") == "note"
    except (OSError, ElementTree.ParseError):
        # citeproc itself says what is wrong with the file.
        return True


def _citations_only(found: list[_Citing]) -> list[Any]:
    """The book as citeproc needs to see it: each citation, then the lists.

    How a citation is rendered depends only on the book's citations, in
    order, and on whether each sits in a note; so citeproc is given those,
    one per paragraph, and the reference lists, not the whole book.
    """
    blocks = []
    for citing in found:
        for node, in_note in citing.cites:
            inline = node
            if in_note:
                inline = {"t": "Note", "c": [{"t": "Para", "c": [node]}]}
            blocks.append({"t": "Para", "c": [inline]})
        blocks += citing.lists
    return blocks


# -- files -------------------------------------------------------------------


def _copy_images(chapters: list[_Chapter], config: BookConfig, site: Path) -> list[str]:
    """Copy images the chapters point to, keeping their paths; list them all."""
    images = []
    for chapter in chapters:
        for url in _image_urls(chapter.blocks):
            if "://" in url or url.startswith(("/", "data:")):
                continue
            relative = posixpath.normpath(posixpath.join(chapter.folder, url))
            images.append(relative)
            target = site / relative
            if target.exists():
                continue
            source = config.project_dir / relative
            if posixpath.splitext(url)[1].lower() not in IMAGE_EXTENSIONS:
                raise NetreportError(
                    f"{chapter.display}: {url} is not an image "
                    f"({', '.join(sorted(IMAGE_EXTENSIONS))}); only images are "
                    "copied into the site, never data files"
                )
            if not source.is_file():
                raise NetreportError(f"{chapter.display}: image {url} does not exist")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
    return images


def _image_urls(blocks: list[Any]) -> list[str]:
    return [n["c"][2][0] for n in nodes(blocks) if n["t"] == "Image"]


# -- metadata for templates -----------------------------------------------------


def _meta_text(text: str) -> dict[str, Any]:
    return {"t": "MetaInlines", "c": [{"t": "Str", "c": text}]}


def _book_meta(
    config: BookConfig,
    stamp: Mapping[str, str] | None,
    provenance: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "lang": {"t": "MetaString", "c": config.lang},
        "nr-title": _meta_text(config.title),
        "nr-author": {"t": "MetaList", "c": [_meta_text(a) for a in config.authors]},
    }
    if config.subtitle:
        meta["nr-subtitle"] = _meta_text(config.subtitle)
    if config.date:
        meta["nr-date"] = _meta_text(config.date)
    if stamp:
        meta["nr-colophon"] = {
            "t": "MetaList",
            "c": [
                {
                    "t": "MetaMap",
                    "c": {"key": _meta_text(k), "value": _meta_text(str(v))},
                }
                for k, v in stamp.items()
            ],
        }
    if provenance:
        meta.update(_provenance_meta(provenance))
    return meta


def _provenance_meta(provenance: Mapping[str, str]) -> dict[str, Any]:
    """``<meta name="netreport:...">`` tags and the PDF's document metadata."""

    def raw(format_: str, text: str) -> dict[str, Any]:
        return {"t": "MetaInlines", "c": [{"t": "RawInline", "c": [format_, text]}]}

    # pandoc does not escape quotes in template variables: escape here.
    tags = [
        {"t": "MetaMap", "c": {
            "name": raw("html", html.escape(f"netreport:{k}", quote=True)),
            "content": raw("html", html.escape(str(v), quote=True)),
        }}
        for k, v in provenance.items()
    ]  # fmt: skip
    pairs = [f"{k}: {v}" for k, v in provenance.items()]
    keywords = ", ".join(_typst_string(p) for p in pairs)
    typst_args = (
        f"description: {_typst_string('; '.join(pairs))}, keywords: ({keywords},)"
    )
    return {
        "nr-meta": {"t": "MetaList", "c": tags},
        "nr-pdf-meta": raw("typst", typst_args),
    }


# -- HTML ----------------------------------------------------------------------


def _write_pages(
    chapters: list[_Chapter],
    config: BookConfig,
    site: Path,
    meta: dict[str, Any],
    api: list[int],
    links: Mapping[str, str],
) -> list[str]:
    template = _resource("page.html")
    (site / _CSS).write_text(_resource(_CSS), encoding="utf-8")
    pages_of_ids = {i: c.page for c in chapters for i in _ids(c.blocks)}
    pdf_name = f"{config.output_file}.pdf"

    def write(index: int) -> str:
        chapter = chapters[index]
        logger.info("write HTML %s", chapter.page)
        page_meta = _page_meta(chapters, index, meta, pdf_name, links)
        blocks = _link_across_pages(chapter.blocks, chapter.page, pages_of_ids)
        doc = {"pandoc-api-version": api, "meta": page_meta, "blocks": blocks}
        html = write_ast(
            doc, "html5", template=template, options=HTML_OPTIONS, what=chapter.display
        )
        target = site / chapter.page
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(html, encoding="utf-8")
        return chapter.page

    # Two at a time, each in a pandoc session of its own: pandoc writes one
    # page while Python prepares the next.
    with ThreadPoolExecutor(2) as writers:
        return list(writers.map(write, range(len(chapters))))


def _page_meta(
    chapters: list[_Chapter],
    index: int,
    meta: dict[str, Any],
    pdf_name: str,
    links: Mapping[str, str],
) -> dict[str, Any]:
    page = chapters[index].page
    return {
        **meta,
        **_navigation(chapters, index),
        "nr-page-title": {"t": "MetaInlines",
                          "c": _without_number(chapters[index].title)},
        "nr-root": {"t": "MetaString", "c": _relative("", page)},
        "nr-pdf": {"t": "MetaString", "c": _relative(pdf_name, page)},
        "nr-skip": {"t": "MetaString", "c": "Skip to the chapter"},
        "nr-front": {"t": "MetaBool", "c": index == 0},
        "nr-pager": {"t": "MetaBool", "c": True},
        "nr-links": {"t": "MetaList", "c": [
            {"t": "MetaMap", "c": {
                "label": _meta_text(label),
                "href": {"t": "MetaString", "c": _relative(target, page)},
            }}
            for label, target in links.items()
        ]},
    }  # fmt: skip


def _resource(name: str) -> str:
    return (_RESOURCES / name).read_text(encoding="utf-8")


def _relative(target: str, page: str) -> str:
    """Link from `page` to `target`, both relative to the output dir."""
    start = posixpath.dirname(page) or "."
    if not target:
        relative = posixpath.relpath(".", start)
        return "" if relative == "." else relative + "/"
    return posixpath.relpath(target, start)


def _without_number(inlines: list[Any]) -> list[Any]:
    rest = [
        n
        for n in inlines
        if not (n["t"] == "Span" and "header-section-number" in n["c"][0][1])
    ]
    return rest[1:] if rest and rest[0]["t"] == "Space" else rest


def _navigation(chapters: list[_Chapter], index: int) -> dict[str, Any]:
    here = chapters[index].page

    def entry(chapter: _Chapter, current: bool, part: str | None) -> dict[str, Any]:
        fields = {
            "href": {"t": "MetaString", "c": _relative(chapter.page, here)},
            "title": {"t": "MetaInlines", "c": chapter.title},
            "current": {"t": "MetaBool", "c": current},
        }
        if part:
            fields["part"] = _meta_text(part)
        return {"t": "MetaMap", "c": fields}

    toc, last_part = [], None
    for i, chapter in enumerate(chapters):
        part = chapter.entry.part if chapter.entry.part != last_part else None
        last_part = chapter.entry.part
        toc.append(entry(chapter, i == index, part))
    meta: dict[str, Any] = {"nr-toc": {"t": "MetaList", "c": toc}}
    if index > 0:
        meta["nr-prev"] = entry(chapters[index - 1], False, None)
    if index + 1 < len(chapters):
        meta["nr-next"] = entry(chapters[index + 1], False, None)
    return meta


def _ids(blocks: list[Any]) -> list[str]:
    ids = []
    for node in nodes(blocks):
        if node["t"] == "Header":
            ids.append(node["c"][1][0])
        elif node["t"] in ("Div", "Span", "Figure", "Table", "CodeBlock"):
            ids.append(node["c"][0][0])
    return [i for i in ids if i]


def _link_across_pages(
    blocks: list[Any], page: str, pages_of_ids: Mapping[str, str]
) -> list[Any]:
    def visit(node: dict[str, Any]) -> None:
        if node["t"] != "Link":
            return None
        url = node["c"][2][0]
        target = pages_of_ids.get(url[1:]) if url.startswith("#") else None
        if target and target != page:
            node["c"][2][0] = _relative(target, page) + url
        return None

    return walk(blocks, visit)


# -- PDF -------------------------------------------------------------------------


@dataclass(frozen=True)
class _PdfJob:
    """What the book's PDF is made from, and where its Typst source is kept."""

    chapters: list[_Chapter]
    config: BookConfig
    site: Path
    meta: dict[str, Any]
    api: list[int]
    images: list[str]  # local images, relative to the site
    warm_up: TypstWarmUp | None  # to keep the source through, for next time


def _write_pdf(job: _PdfJob) -> Path:
    logger.info("write Typst source for the book")
    parts: list[str] = []
    last_part = None
    for chapter in job.chapters:
        if chapter.entry.part and chapter.entry.part != last_part:
            parts.append(f"#nr-part({_typst_string(chapter.entry.part)})")
        last_part = chapter.entry.part
        parts.append(f"// chapter: {chapter.display}")
        blocks = _typst_images(chapter.blocks, chapter.folder)
        if blocks:
            parts.append(_typst_of(blocks, job.api, chapter.display))
    # pandoc joins blocks with a blank line; the template goes round them.
    body = _raw_typst("\n\n".join(parts))
    doc = {"pandoc-api-version": job.api, "meta": job.meta, "blocks": [body]}
    source = write_ast(
        doc,
        "typst-citations",
        template=_resource("book.typ"),
        what="the book PDF (Typst source)",
    )

    typ = job.site / SOURCE
    typ.write_text(source, encoding="utf-8")
    pdf = job.site / f"{job.config.output_file}.pdf"
    logger.info("compile PDF %s with Typst", pdf.name)
    try:
        compile_pdf(typ, pdf, root=job.site, timestamp=_source_date_epoch())
    except typst.TypstError as exc:
        raise NetreportError(_typst_message(exc, source)) from None
    finally:
        typ.unlink()
    if job.warm_up is not None:
        job.warm_up.keep(source, job.site, job.images)
    return pdf


def _typst_of(blocks: list[Any], api: list[int], display: str) -> str:
    """A chapter's blocks as Typst, stored: most chapters of a rebuild are
    unchanged, and pandoc takes about 0.18 s to write the whole book."""
    doc = {"pandoc-api-version": api, "meta": {}, "blocks": blocks}
    return stored_value(
        "typst chapter",
        doc,
        lambda: write_ast(doc, "typst-citations", what=f"{display} (Typst source)"),
    )


def _source_date_epoch() -> int | None:
    value = os.environ.get("SOURCE_DATE_EPOCH")
    return int(value) if value else None


def _raw_typst(text: str) -> dict[str, Any]:
    return {"t": "RawBlock", "c": ["typst", text]}


def _typst_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _typst_images(blocks: list[Any], folder: str) -> list[Any]:
    """Point images at their place in the output dir; give images and math alt text."""

    def visit(node: dict[str, Any]) -> Any:
        if node["t"] == "Math":
            return _typst_math(node)
        if node["t"] != "Image":
            return None
        attr, description, (url, _) = node["c"]
        if "://" not in url and not url.startswith("/"):
            url = posixpath.normpath(posixpath.join(folder, url))
        attrs = dict(attr[2])
        alt = attrs.get("alt") or plain_text(description)
        args = [_typst_string(url)]
        if "width" in attrs:
            args.append(f"width: {attrs['width'].replace('%', '') + '%'}")
        if alt:
            args.append(f"alt: {_typst_string(alt)}")
        return {"t": "RawInline", "c": ["typst", f"#image({', '.join(args)})"]}

    return walk(blocks, visit)


def _typst_math(node: dict[str, Any]) -> list[Any]:
    # PDF/UA needs alt text on every equation; the TeX source, spoken plainly,
    # is the best description the engine has.
    kind, tex = node["c"]
    block = "true" if kind["t"] == "DisplayMath" else "false"
    alt = _spoken_tex(tex)
    return [
        {"t": "RawInline", "c": ["typst", f"#math.equation(block: {block}, "
                                          f"alt: {_typst_string(alt)}, "]},
        node,
        {"t": "RawInline", "c": ["typst", ")"]},
    ]  # fmt: skip


def _spoken_tex(tex: str) -> str:
    import re

    text = re.sub(r"\^\{?2\}?", " squared", tex)
    text = re.sub(r"\\([A-Za-z]+)", r"\1", text)
    return " ".join(re.sub(r"[{}]", "", text).split()) or "equation"


def _typst_message(exc: typst.TypstError, source: str) -> str:
    """Name the chapter whose Typst source failed, found from the error's line."""
    detail = getattr(exc, "diagnostic", "") or str(exc)
    chapter = "the book"
    line = _line_of(detail)
    if line:
        for text in source.splitlines()[:line]:
            if text.startswith("// chapter: "):
                chapter = text.removeprefix("// chapter: ")
    message = getattr(exc, "message", None) or str(exc)
    return f"{chapter}: Typst could not compile the book PDF: {message}\n{detail}"


def _line_of(detail: str) -> int | None:
    import re

    match = re.search(r"\.book\.typ:(\d+)", detail)
    return int(match.group(1)) if match else None
