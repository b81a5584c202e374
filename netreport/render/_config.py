"""Read a Quarto book's ``_quarto.yml`` strictly.

Keys the embedded engine uses are checked and typed. Keys Quarto knows but
this engine does not use (HTML themes, search, freeze) are ignored quietly,
because the same project also renders with the Quarto CLI. Any other key is
an error reported as a path into the YAML file, e.g.
``book.chapters[3]: file chapters/x.qmd does not exist``.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from netreport.errors import NetreportError, shorten

__all__ = ["BookConfig", "ChapterEntry", "load_book_config"]

# Quarto-standard keys the embedded engine does not act on.
_QUARTO_PROJECT_KEYS = {
    "title", "render", "execute-dir", "pre-render", "post-render",
    "resources", "lib-dir", "preview", "freeze", "post-render-quiet",
}  # fmt: skip
_QUARTO_BOOK_KEYS = {
    "description", "repo-url", "repo-actions", "repo-branch", "repo-subdir",
    "site-url", "site-path", "cover-image", "cover-image-alt", "search",
    "sidebar", "page-navigation", "page-footer", "downloads", "sharing",
    "favicon", "reader-mode", "twitter-card", "open-graph", "google-analytics",
    "cookie-consent", "comments", "navbar", "references", "doi", "abstract",
    "license", "copyright", "editor", "bread-crumbs", "back-to-top-navigation",
}  # fmt: skip
_QUARTO_TOP_KEYS = {
    "format", "crossref", "number-sections", "number-depth", "toc",
    "toc-depth", "toc-title", "jupyter", "engine", "editor", "metadata-files",
    "citation", "citation-location", "reference-location", "link-citations",
    "filters", "shortcodes", "profile", "website", "knitr", "fig-cap-location",
    "tbl-cap-location", "title", "author", "date", "subtitle", "keywords",
    "license", "copyright", "abstract", "nocite", "highlight-style",
    "code-fold", "fig-width", "fig-height", "fig-format", "fig-dpi",
}  # fmt: skip
_EXECUTE_KEYS = {"echo", "eval", "warning", "output", "include", "error"}
_QUARTO_EXECUTE_KEYS = {"freeze", "cache", "enabled", "daemon", "keep-ipynb",
                        "ipynb", "debug", "kernel"}  # fmt: skip


@dataclass(frozen=True)
class ChapterEntry:
    """One chapter of the book, in reading order.

    Attributes
    ----------
    source
        Path of the ``.qmd`` file relative to the project directory.
    part
        Title of the part the chapter belongs to, if the book has parts.
    appendix
        True for chapters listed under ``book.appendices``.
    """

    source: Path
    part: str | None = None
    appendix: bool = False


@dataclass(frozen=True)
class BookConfig:
    """What the embedded engine needs from ``_quarto.yml``."""

    project_dir: Path
    title: str
    chapters: tuple[ChapterEntry, ...]
    output_dir: Path
    output_file: str
    subtitle: str | None = None
    authors: tuple[str, ...] = ()
    date: str | None = None
    lang: str = "en"
    bibliography: tuple[Path, ...] = ()
    csl: Path | None = None
    execute: Mapping[str, Any] = field(default_factory=dict)


def load_book_config(project_dir: Path) -> BookConfig:
    """Read and check ``_quarto.yml`` of the book in `project_dir`.

    Raises
    ------
    NetreportError
        If the file is missing, is not YAML, or holds a bad or unknown key.
    """
    path = project_dir / "_quarto.yml"
    if not path.is_file():
        raise NetreportError(f"{path}: no _quarto.yml found; is this a Quarto book?")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise NetreportError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise NetreportError(f"{path}: expected a mapping at the top level")
    return _Reader(project_dir, path).book(raw)


class _Reader:
    """Check the parsed YAML, raising errors that name the key path."""

    def __init__(self, project_dir: Path, path: Path) -> None:
        self.project_dir = project_dir
        self.path = path

    def fail(self, where: str, message: str) -> NetreportError:
        return NetreportError(f"{self.path.name}: {where}: {message}")

    def check_keys(self, where: str, mapping: Any, known: set[str]) -> dict:
        if not isinstance(mapping, dict):
            raise self.fail(where, f"expected a mapping, found {mapping!r}")
        unknown = sorted(set(mapping) - known)
        if unknown:
            allowed = shorten(sorted(known), limit=12)
            raise self.fail(
                f"{where}.{unknown[0]}" if where else str(unknown[0]),
                f"unknown key (allowed: {allowed})",
            )
        return mapping

    def text(self, where: str, value: Any) -> str:
        if isinstance(value, dt.date):
            return value.isoformat()
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise self.fail(where, f"expected text, found {value!r}")
        return str(value)

    def book(self, raw: dict) -> BookConfig:
        own = {"project", "book", "bibliography", "csl", "execute", "lang"}
        self.check_keys("", raw, own | _QUARTO_TOP_KEYS)
        project = self.check_keys(
            "project",
            raw.get("project", {}),
            {"type", "output-dir"} | _QUARTO_PROJECT_KEYS,
        )
        if project.get("type") != "book":
            raise self.fail(
                "project.type",
                f"the embedded engine renders books only; found {project.get('type')!r}"
                " (allowed: book)",
            )
        book = self.check_keys(
            "book",
            raw.get("book"),
            {"title", "subtitle", "author", "date", "chapters", "appendices",
             "output-file"} | _QUARTO_BOOK_KEYS,
        )  # fmt: skip
        if "title" not in book:
            raise self.fail("book.title", "missing; a book needs a title")
        chapters = self.chapter_list("book.chapters", book.get("chapters"), False)
        chapters += self.chapter_list(
            "book.appendices", book.get("appendices", []), True
        )
        return BookConfig(
            project_dir=self.project_dir,
            title=self.text("book.title", book["title"]),
            subtitle=self.optional_text("book.subtitle", book.get("subtitle")),
            authors=self.authors(book.get("author", raw.get("author"))),
            date=self.date(book.get("date", raw.get("date"))),
            chapters=tuple(chapters),
            output_dir=self.project_dir
            / self.text("project.output-dir", project.get("output-dir", "_site")),
            output_file=self.text(
                "book.output-file", book.get("output-file", _slug(book["title"]))
            ),
            lang=self.text("lang", raw.get("lang", "en")),
            bibliography=tuple(self.bibliography(raw.get("bibliography"))),
            csl=self.existing("csl", raw["csl"]) if raw.get("csl") else None,
            execute=self.execute(raw.get("execute", {})),
        )

    def optional_text(self, where: str, value: Any) -> str | None:
        return None if value is None else self.text(where, value)

    def authors(self, value: Any) -> tuple[str, ...]:
        if value is None:
            return ()
        items = value if isinstance(value, list) else [value]
        names = []
        for i, item in enumerate(items):
            if isinstance(item, dict) and "name" in item:
                item = item["name"]
            names.append(self.text(f"book.author[{i}]", item))
        return tuple(names)

    def date(self, value: Any) -> str | None:
        if value in ("today", "last-modified"):
            epoch = os.environ.get("SOURCE_DATE_EPOCH")
            when = (
                dt.datetime.fromtimestamp(int(epoch), dt.UTC)
                if epoch
                else dt.datetime.now(dt.UTC)
            )
            return when.date().isoformat()
        return self.optional_text("book.date", value)

    def chapter_list(
        self, where: str, value: Any, appendix: bool
    ) -> list[ChapterEntry]:
        if not isinstance(value, list) or (not value and not appendix):
            raise self.fail(where, "expected a list of .qmd files")
        entries: list[ChapterEntry] = []
        for i, item in enumerate(value):
            here = f"{where}[{i}]"
            if isinstance(item, dict):
                self.check_keys(here, item, {"part", "chapters"})
                part = self.text(f"{here}.part", item.get("part", ""))
                if part.endswith(".qmd"):
                    raise NotImplementedError(
                        f"{here}.part: a part given as a .qmd file is not supported by "
                        "the embedded engine; give the part title as text"
                    )
                for j, sub in enumerate(item.get("chapters") or []):
                    source = self.chapter_file(f"{here}.chapters[{j}]", sub)
                    entries.append(ChapterEntry(source, part, appendix))
            else:
                entries.append(
                    ChapterEntry(self.chapter_file(here, item), None, appendix)
                )
        return entries

    def chapter_file(self, where: str, value: Any) -> Path:
        text = self.text(where, value)
        if not text.endswith(".qmd"):
            raise self.fail(where, f"{text}: expected a .qmd file")
        self.existing(where, text)
        return Path(text)

    def existing(self, where: str, value: Any) -> Path:
        text = self.text(where, value)
        path = self.project_dir / text
        if not path.is_file():
            raise self.fail(where, f"file {text} does not exist")
        return path

    def bibliography(self, value: Any) -> list[Path]:
        if value is None:
            return []
        if isinstance(value, list):
            return [self.existing(f"bibliography[{i}]", v) for i, v in enumerate(value)]
        return [self.existing("bibliography", value)]

    def execute(self, value: Any) -> dict[str, Any]:
        options = self.check_keys(
            "execute", value, _EXECUTE_KEYS | _QUARTO_EXECUTE_KEYS
        )
        return {k: v for k, v in options.items() if k in _EXECUTE_KEYS}


def _slug(title: Any) -> str:
    words = "".join(c if c.isalnum() else " " for c in str(title).lower()).split()
    return "-".join(words) or "book"
