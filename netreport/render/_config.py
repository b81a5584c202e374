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

from netreport.yaml_config import YamlProblems, load_yaml

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
# Quarto's words for a date worked out at render time.
_DATE_KEYWORDS = ("today", "now", "last-modified")
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
        If the file is missing or is not YAML, or listing every bad or
        unknown key.
    """
    path = project_dir / "_quarto.yml"
    raw = load_yaml(path, "no _quarto.yml found; is this a Quarto book?") or {}
    problems = YamlProblems(path, "_quarto.yml")
    advice = "Fix these entries in _quarto.yml and render again."
    if not isinstance(raw, dict):
        problems.add("", "expected a mapping at the top level")
        problems.raise_if_any(advice)
    config = _Reader(project_dir, problems).book(raw)
    problems.raise_if_any(advice)
    return config


class _Reader:
    """Check the parsed YAML, recording each problem as a key path."""

    def __init__(self, project_dir: Path, problems: YamlProblems) -> None:
        self.project_dir = project_dir
        self.problems = problems

    def text(self, where: str, value: Any) -> str:
        # Quarto reads unquoted dates and numbers (a year as title) as text.
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        return self.problems.text(where, value)

    def book(self, raw: dict) -> BookConfig:
        own = {"project", "book", "bibliography", "csl", "execute", "lang"}
        self.problems.mapping("", raw, own | _QUARTO_TOP_KEYS)
        project = self.problems.mapping(
            "project",
            raw.get("project", {}),
            {"type", "output-dir"} | _QUARTO_PROJECT_KEYS,
        )
        if project.get("type") != "book":
            self.problems.add(
                "project.type",
                f"the embedded engine renders books only; found {project.get('type')!r}"
                " (allowed: book)",
            )
        book = self.problems.mapping(
            "book",
            raw.get("book"),
            {"title", "subtitle", "author", "date", "chapters", "appendices",
             "output-file"} | _QUARTO_BOOK_KEYS,
        )  # fmt: skip
        if "title" not in book:
            self.problems.add("book.title", "missing; a book needs a title")
        chapters = self.chapter_list("book.chapters", book.get("chapters"), False)
        chapters += self.chapter_list(
            "book.appendices", book.get("appendices", []), True
        )
        return BookConfig(
            project_dir=self.project_dir,
            title=self.text("book.title", book.get("title", "")),
            subtitle=self.optional_text("book.subtitle", book.get("subtitle")),
            authors=self.authors(book.get("author", raw.get("author"))),
            date=self.date(book.get("date", raw.get("date"))),
            chapters=tuple(chapters),
            output_dir=self.project_dir
            / self.text("project.output-dir", project.get("output-dir", "_site")),
            output_file=self.text(
                "book.output-file", book.get("output-file", _slug(book.get("title")))
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
        if value in _DATE_KEYWORDS:
            return _resolve_date(value, self.problems.path)
        return self.optional_text("book.date", value)

    def chapter_list(
        self, where: str, value: Any, appendix: bool
    ) -> list[ChapterEntry]:
        value = self.problems.sequence(
            where, value, "a list of .qmd files", empty=appendix
        )
        entries: list[ChapterEntry] = []
        for i, item in enumerate(value):
            here = f"{where}[{i}]"
            if isinstance(item, dict):
                self.problems.mapping(here, item, {"part", "chapters"})
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
            self.problems.add(where, f"{text}: expected a .qmd file")
        else:
            self.existing(where, text)
        return Path(text)

    def existing(self, where: str, value: Any) -> Path:
        text = self.text(where, value)
        path = self.project_dir / text
        if not path.is_file():
            self.problems.add(where, f"file {text} does not exist")
        return path

    def bibliography(self, value: Any) -> list[Path]:
        if value is None:
            return []
        if isinstance(value, list):
            return [self.existing(f"bibliography[{i}]", v) for i, v in enumerate(value)]
        return [self.existing("bibliography", value)]

    def execute(self, value: Any) -> dict[str, Any]:
        options = self.problems.mapping(
            "execute", value, _EXECUTE_KEYS | _QUARTO_EXECUTE_KEYS
        )
        return {k: v for k, v in options.items() if k in _EXECUTE_KEYS}


def _resolve_date(keyword: str, source: Path) -> str:
    """The date Quarto's `keyword` stands for in a ``date:`` of `source`.

    ``today`` is the build's date and ``now`` its date and time, both from
    `netreport.provenance.build_time`: ``SOURCE_DATE_EPOCH`` when set (a
    release sets it to its own date), so two builds give the same bytes.
    ``last-modified`` is when `source` last changed; ``SOURCE_DATE_EPOCH``,
    which by its definition is the time the sources last changed, wins
    over the file's own time, which a checkout resets.

    The build's time is in UTC, as in the colophon, where Quarto would take
    the local time zone.
    """
    from netreport.provenance import build_time

    if keyword == "last-modified" and "SOURCE_DATE_EPOCH" not in os.environ:
        when = dt.datetime.fromtimestamp(source.stat().st_mtime, dt.UTC)
    else:
        when = build_time()
    if keyword == "now":
        return when.strftime("%Y-%m-%d %H:%M UTC")
    return when.date().isoformat()


def _slug(title: Any) -> str:
    words = "".join(c if c.isalnum() else " " for c in str(title).lower()).split()
    return "-".join(words) or "book"
