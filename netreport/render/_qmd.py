"""Split a ``.qmd`` chapter into front matter, Markdown and code cells.

Only ```` ```{python} ```` cells are executable; other fenced code blocks
pass through as Markdown, and cells are never looked for inside them. Line
numbers are kept so errors can point into the ``.qmd`` file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from netreport.errors import NetreportError, shorten

__all__ = ["CodeCell", "MarkdownText", "QmdChapter", "parse_qmd", "CELL_OPTIONS"]

_FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,})\s*(?P<info>.*?)\s*$")
_CELL_INFO = re.compile(r"^\{(?P<lang>[A-Za-z0-9_-]+)(?P<rest>[^}]*)\}$")
_OPTION = re.compile(r"^#\|\s?(?P<text>.*)$")

#: Cell options the embedded engine acts on.
CELL_OPTIONS = {
    "label", "fig-cap", "fig-alt", "tbl-cap", "echo", "output", "include",
    "eval", "warning", "error",
}  # fmt: skip
# Quarto-standard options that only change Quarto's layout; ignored here.
_QUARTO_CELL_OPTIONS = {
    "code-fold", "code-summary", "code-overflow", "code-line-numbers",
    "code-copy", "lst-label", "lst-cap", "fig-align", "fig-env", "fig-pos",
    "fig-width", "fig-height", "fig-format", "fig-dpi", "fig-column",
    "fig-subcap", "fig-link", "fig-responsive", "fig-cap-location",
    "tbl-column", "tbl-colwidths", "tbl-subcap", "tbl-cap-location", "column",
    "layout", "layout-ncol", "layout-nrow", "layout-align", "layout-valign",
    "classes", "panel", "message", "cache", "freeze", "out-width",
    "out-height", "html-table-processing", "filename", "comment", "tags",
    "messages", "results",
}  # fmt: skip


@dataclass(frozen=True)
class MarkdownText:
    """Markdown as written, starting at `line` (1-based) of the ``.qmd``."""

    text: str
    line: int


@dataclass(frozen=True)
class CodeCell:
    """One ```` ```{python} ```` cell.

    Attributes
    ----------
    code
        The source without its ``#|`` option lines.
    options
        Parsed ``#|`` options.
    line
        Line of the opening fence in the ``.qmd`` (1-based).
    code_line
        Line of the first line of `code` in the ``.qmd``.
    """

    code: str
    options: dict[str, Any]
    line: int
    code_line: int

    @property
    def label(self) -> str | None:
        label = self.options.get("label")
        return None if label is None else str(label)


@dataclass
class QmdChapter:
    """A parsed chapter: front matter and its parts in order."""

    path: Path
    front_matter: dict[str, Any]
    parts: list[MarkdownText | CodeCell] = field(default_factory=list)


def parse_qmd(path: Path, display: str) -> QmdChapter:
    """Parse the ``.qmd`` file at `path`; `display` names it in errors."""
    lines = path.read_text(encoding="utf-8").splitlines()
    front, start = _front_matter(lines, display)
    chapter = QmdChapter(path, front)
    text: list[str] = []
    text_line = start + 1
    i = start
    while i < len(lines):
        match = _FENCE.match(lines[i])
        if not match:
            text.append(lines[i])
            i += 1
            continue
        end = _closing_fence(lines, i, match["fence"])
        cell_info = _CELL_INFO.match(match["info"])
        if cell_info is None or not match["fence"].startswith("`"):
            text.extend(lines[i : end + 1])
            i = end + 1
            continue
        if cell_info["lang"] != "python":
            raise NetreportError(
                f"{display}, line {i + 1}: a {{{cell_info['lang']}}} cell; the "
                "embedded engine runs {python} cells only"
            )
        if end == len(lines):
            raise NetreportError(f"{display}, line {i + 1}: code cell is never closed")
        if text:
            chapter.parts.append(MarkdownText("\n".join(text), text_line))
        chapter.parts.append(_cell(lines[i + 1 : end], i + 1, display))
        text, text_line = [], end + 2
        i = end + 1
    if text:
        chapter.parts.append(MarkdownText("\n".join(text), text_line))
    return chapter


def _front_matter(lines: list[str], display: str) -> tuple[dict[str, Any], int]:
    if not lines or lines[0].strip() != "---":
        return {}, 0
    for end in range(1, len(lines)):
        if lines[end].strip() in ("---", "..."):
            break
    else:
        raise NetreportError(f"{display}, line 1: front matter is never closed by ---")
    try:
        front = yaml.safe_load("\n".join(lines[1:end])) or {}
    except yaml.YAMLError as exc:
        raise NetreportError(
            f"{display}: front matter is not valid YAML: {exc}"
        ) from exc
    if not isinstance(front, dict):
        raise NetreportError(f"{display}, line 2: front matter must be a mapping")
    return front, end + 1


def _closing_fence(lines: list[str], start: int, fence: str) -> int:
    for j in range(start + 1, len(lines)):
        stripped = lines[j].strip()
        if stripped.startswith(fence[0] * len(fence)) and set(stripped) == {fence[0]}:
            return j
    return len(lines)


def _cell(body: list[str], fence_line: int, display: str) -> CodeCell:
    option_lines: list[str] = []
    for line in body:
        match = _OPTION.match(line)
        if not match:
            break
        option_lines.append(match["text"])
    where = f"{display}, line {fence_line + 1}"
    try:
        options = yaml.safe_load("\n".join(option_lines)) or {}
    except yaml.YAMLError as exc:
        raise NetreportError(
            f"{where}: cell options are not valid YAML: {exc}"
        ) from exc
    if not isinstance(options, dict):
        raise NetreportError(f"{where}: cell options must be `#| key: value` lines")
    unknown = sorted(set(options) - CELL_OPTIONS - _QUARTO_CELL_OPTIONS)
    if unknown:
        raise NetreportError(
            f"{where}: unknown cell option {unknown[0]!r} "
            f"(allowed: {shorten(sorted(CELL_OPTIONS), limit=12)})"
        )
    code = "\n".join(body[len(option_lines) :])
    return CodeCell(code, options, fence_line, fence_line + 1 + len(option_lines))
