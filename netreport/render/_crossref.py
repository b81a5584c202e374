"""Number a book's figures, tables and sections, and resolve ``@fig-x`` refs.

pandoc reads ``@fig-x`` as a citation. This module walks pandoc's JSON AST
in Python: it first numbers every float and heading of every chapter, as a
Quarto book does (per chapter, ``Figure 3.1``; ``index.qmd`` and chapters
with an ``.unnumbered`` title are unnumbered), then replaces each
cross-reference citation with a link carrying that number.

Floats are recognised in the forms Quarto understands:

- a Div ``::: {#fig-x}`` or ``::: {#tbl-x}`` whose last paragraph is the
  caption (the engine writes cell output this way too);
- an image with a caption and an id, ``![Caption](file.png){#fig-x}``;
- a pipe table with a caption and an id, ``: Caption {#tbl-x}``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from netreport.errors import NetreportError, shorten

__all__ = [
    "CrossRef",
    "ChapterNumbering",
    "nodes",
    "number_chapter",
    "resolve_crossrefs",
    "walk",
    "plain_text",
]

Node = dict[str, Any]
_KINDS = {"fig": "Figure", "tbl": "Table", "sec": "Section"}


@dataclass(frozen=True)
class CrossRef:
    """A label that ``@label`` can point to.

    Attributes
    ----------
    label
        The id, e.g. ``fig-growth``.
    kind
        ``fig``, ``tbl`` or ``sec``.
    number
        The number as printed, e.g. ``3.1``; None when unnumbered.
    chapter
        The ``.qmd`` file the label is in, relative to the project.
    page
        The HTML page the label is on, relative to the output dir.
    title
        The caption or heading, as plain text.
    """

    label: str
    kind: str
    number: str | None
    chapter: str
    page: str
    title: str

    @property
    def text(self) -> str:
        """How a reference reads, e.g. ``Figure 3.1``."""
        if self.number is None:
            return self.title if self.kind == "sec" else _KINDS[self.kind]
        name = "Chapter" if self.kind == "sec" and "." not in self.number else None
        return f"{name or _KINDS[self.kind]} {self.number}"


@dataclass(frozen=True)
class ChapterNumbering:
    """Where a chapter sits in the book and how it is numbered."""

    chapter: str
    page: str
    number: str | None  # "3", "A", or None


# -- walking the AST ----------------------------------------------------------


def walk(value: Any, visit: Callable[[Node], Any]) -> Any:
    """Rebuild `value` bottom-up; `visit` may return a node, a list, or None.

    Lists and dicts are rebuilt, except leaf nodes (``Str``, ``Space`` and
    the like: no list or dict inside), most of a document, which the result
    shares with `value`; no visitor changes a leaf in place.
    """
    # Exact type checks, not isinstance: a book has tens of thousands of
    # nodes, each walked several times per build.
    kind = type(value)
    if kind is dict:
        return {
            key: walk(item, visit) if type(item) in _CONTAINERS else item
            for key, item in value.items()
        }
    if kind is not list:
        return value
    result: list[Any] = []
    for item in value:
        kind = type(item)
        if kind is dict:
            if len(item) > 2 or type(item.get("c")) in _CONTAINERS:
                item = walk(item, visit)
            if "t" in item:
                replaced = visit(item)
                if type(replaced) is list:
                    result.extend(replaced)
                    continue
                if replaced is not None:
                    item = replaced
        elif kind is list:
            item = walk(item, visit)
        result.append(item)
    return result


_CONTAINERS = (list, dict)


def nodes(value: Any) -> Iterator[Node]:
    """Every node in `value`, parents before their children; nothing is copied."""
    # A stack, not recursion: a document nests deeply and has many nodes.
    # Anything is pushed and only containers are opened when popped, which
    # is several times faster than filtering what is pushed.
    stack = [value]
    pop, push, extend = stack.pop, stack.append, stack.extend
    while stack:
        item = pop()
        kind = type(item)
        if kind is list:
            extend(item[::-1])
        elif kind is dict:
            if "t" not in item:
                extend(list(item.values())[::-1])
                continue
            yield item
            # A pandoc node holds its type and, unless it is a Space or the
            # like, its content; nothing else.
            if "c" in item:
                push(item["c"])


def plain_text(inlines: Any) -> str:
    """The text of some inlines, like pandoc's ``stringify``."""
    parts = []
    for node in nodes(inlines):
        if node["t"] in ("Str", "Code", "Math", "RawInline"):
            content = node["c"]
            parts.append(content if isinstance(content, str) else content[-1])
        elif node["t"] in ("Space", "SoftBreak", "LineBreak"):
            parts.append(" ")
    return "".join(parts).strip()


def _inlines(text: str) -> list[Node]:
    words = text.split(" ")
    result: list[Node] = []
    for i, word in enumerate(words):
        if i:
            result.append({"t": "Space"})
        if word:
            result.append({"t": "Str", "c": word})
    return result


def _span(classes: list[str], inlines: list[Node]) -> Node:
    return {"t": "Span", "c": [["", classes, []], inlines]}


# -- numbering ---------------------------------------------------------------


class _Numberer:
    def __init__(self, where: ChapterNumbering) -> None:
        self.where = where
        self.counts = {"fig": 0, "tbl": 0}
        self.sections = [0, 0, 0, 0, 0, 0]
        self.refs: list[CrossRef] = []

    def add(self, label: str, kind: str, number: str | None, title: str) -> None:
        self.refs.append(
            CrossRef(label, kind, number, self.where.chapter, self.where.page, title)
        )

    def next_float(self, kind: str) -> str:
        self.counts[kind] += 1
        count = str(self.counts[kind])
        return f"{self.where.number}.{count}" if self.where.number else count

    def header(self, node: Node) -> None:
        level, (ident, classes, _), inlines = node["c"]
        number = None
        if self.where.number and "unnumbered" not in classes:
            self.sections[level - 1] += 1
            self.sections[level:] = [0] * (6 - level)
            deeper = [str(n) for n in self.sections[1:level]]
            number = ".".join([self.where.number, *deeper])
            node["c"][2] = [_span(["header-section-number"], _inlines(number)),
                            {"t": "Space"}, *inlines]  # fmt: skip
        if ident.startswith("sec-"):
            self.add(ident, "sec", number, plain_text(inlines))

    def float_(self, kind: str, label: str | None, caption: list[Node]) -> list[Node]:
        """Number a float; return its caption with the number in front."""
        if label is None:
            return caption
        number = self.next_float(kind)
        self.add(label, kind, number, plain_text(caption))
        prefix = _span(["nr-float-number"], _inlines(f"{_KINDS[kind]} {number}:"))
        return [prefix, {"t": "Space"}, *caption]


def number_chapter(blocks: list[Node], where: ChapterNumbering) -> tuple[list, list]:
    """Number headings and floats of one chapter's blocks, in place of ids.

    Returns the rewritten blocks and the chapter's `CrossRef` entries.
    """
    numberer = _Numberer(where)

    def visit(node: Node) -> Any:
        kind = node["t"]
        if kind == "Header":
            numberer.header(node)
        elif kind == "Div":
            return _float_div(node, numberer)
        elif kind == "Figure":
            return _captioned(node, "fig", numberer)
        elif kind == "Table":
            return _captioned(node, "tbl", numberer)
        return None

    # Headings come first in document order, so number them in one pass
    # before floats (walk visits children before their parents).
    for node in blocks:
        if isinstance(node, dict) and node.get("t") == "Header":
            numberer.header(node)
    blocks = walk(blocks, lambda n: None if n["t"] == "Header" else visit(n))
    return blocks, numberer.refs


def _float_kind(ident: str, classes: list[str], attrs: list) -> str | None:
    prefix = ident.split("-", 1)[0] if "-" in ident else ""
    if prefix in ("fig", "tbl"):
        return prefix
    if "nr-float" in classes:
        return dict(attrs).get("nr-kind")
    return None


def _float_div(node: Node, numberer: _Numberer) -> Node | None:
    (ident, classes, attrs), content = node["c"]
    kind = _float_kind(ident, classes, attrs)
    if kind is None:
        return None
    caption: list[Node] = []
    if len(content) > 1 and content[-1]["t"] == "Para":
        caption = content.pop()["c"]
    label = ident or None
    caption = numberer.float_(kind, label, caption) if label else caption
    attr = [ident, [c for c in classes if c != "nr-float"], []]
    if kind == "tbl" and len(content) == 1 and content[0]["t"] == "Table":
        table = content[0]
        table["c"][0] = attr
        table["c"][1] = (
            [None, [{"t": "Plain", "c": caption}]] if caption else table["c"][1]
        )
        return table
    body = [_figure_image(b) for b in content]
    return {"t": "Figure", "c": [attr, [None, [{"t": "Plain", "c": caption}]], body]}


def _figure_image(block: Node) -> Node:
    # Quarto's fig-alt becomes the image's alt attribute.
    def visit(node: Node) -> None:
        if node["t"] == "Image":
            attrs = node["c"][0][2]
            for pair in attrs:
                if pair[0] == "fig-alt":
                    pair[0] = "alt"
        return None

    return walk([block], visit)[0]


def _captioned(node: Node, kind: str, numberer: _Numberer) -> None:
    ident = node["c"][0][0]
    if not ident.startswith(f"{kind}-"):
        return None
    caption = node["c"][1][1]
    inlines = (
        caption[0]["c"] if caption and caption[0]["t"] in ("Plain", "Para") else []
    )
    numbered = numberer.float_(kind, ident, inlines)
    node["c"][1] = [None, [{"t": "Plain", "c": numbered}, *caption[1:]]]
    if kind == "fig":
        node["c"][2] = [_figure_image(b) for b in node["c"][2]]
    return None


# -- resolving references ------------------------------------------------------


def resolve_crossrefs(
    blocks: list[Node], refs: dict[str, CrossRef], chapter: str
) -> list[Node]:
    """Replace ``@fig-x``-style citations in `blocks` with numbered links.

    Raises
    ------
    NetreportError
        If a reference names a label that no chapter defines.
    """

    def visit(node: Node) -> Any:
        if node["t"] != "Cite":
            return None
        citations = node["c"][0]
        crossrefs = [c for c in citations if _is_crossref(c["citationId"])]
        if not crossrefs:
            return None
        if len(crossrefs) != len(citations):
            keys = ", ".join("@" + c["citationId"] for c in citations)
            raise NetreportError(
                f"{chapter}: [{keys}] mixes cross-references and citations; "
                "write them in separate brackets"
            )
        links: list[Node] = []
        for i, citation in enumerate(citations):
            if i:
                links += [{"t": "Str", "c": ";"}, {"t": "Space"}]
            links += _crossref_link(citation, refs, chapter)
        return links

    return walk(blocks, visit)


def _is_crossref(key: str) -> bool:
    return key.split("-", 1)[0].lower() in _KINDS and "-" in key


def _crossref_link(citation: Node, refs: dict[str, CrossRef], chapter: str) -> list:
    key = citation["citationId"]
    label = key[0].lower() + key[1:]
    ref = refs.get(label)
    if ref is None:
        kind = label.split("-", 1)[0]
        known = shorten(sorted(r for r in refs if r.startswith(f"{kind}-")))
        raise NetreportError(
            f"{chapter}: cross-reference @{key} points to no label in the book "
            f"(known {kind}- labels: {known or 'none'})"
        )
    text = ref.text
    if citation["citationMode"]["t"] == "SuppressAuthor" and ref.number:
        text = ref.number
    link = {
        "t": "Link",
        "c": [["", ["nr-xref"], []], _inlines(text), [f"#{label}", ""]],
    }
    prefix = citation["citationPrefix"]
    suffix = citation["citationSuffix"]
    return [*prefix, *([{"t": "Space"}] if prefix else []), link, *suffix]
