"""Coded segments from a QDA tool, and the mentions they make.

Every importer (REFI-QDA projects, QualCoder, Taguette and Dedoose exports)
hands over the same thing: segments of interview text, each with the codes
applied to it, a code written as its path in the tool's code tree
(``("Actual use", "Improvement")``). This module maps those codes onto the
codebook's dimensions and makes one mention of each segment that carries a
context, a pressure, an actual use and an intended use.

How a code is mapped, first rule that applies:

1. ``import.codes`` in ``netreport.yml`` names it (by path or by name):
   ``dimension.code``, or ``skip``.
2. One of its parents is the artifact group (``import.artifact_group``,
   ``Artifact`` by default): the code's name is an artifact id.
3. One of its parents names a dimension (its name or label, or a group in
   ``import.groups``): the code is a code of that dimension, or a sub-theme
   under an actual use; a name the dimension does not know is an error,
   with the nearest code suggested.
4. Otherwise its name is looked up in every dimension of the mentions; one
   match is used, several are an error (which one?), none leaves the code
   unmapped (listed in the import summary, never an error).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from netreport.codebook import Codebook, Dimension
from netreport.coded_data import MENTION_COLUMNS
from netreport.config import ImportConfig
from netreport.errors import Problem, closest, shorten

__all__ = ["CodedSegment", "SegmentMentions", "mentions_from_segments"]

_NEEDED = ("context", "pressure", "actual_use", "intended_use")


@dataclass
class CodedSegment:
    """A stretch of one source with the codes applied to it.

    Attributes
    ----------
    source
        The document's name; it becomes the mention's interviewee.
    start, end
        Character offsets into the source, when the tool gives them.
    codes
        The path of each code applied, root first.
    where
        Where the segment is, for messages
        (``"project.qdpx, source 'H1', characters 10-52"``).
    """

    source: str
    start: int | None
    end: int | None
    codes: list[tuple[str, ...]]
    where: str


@dataclass
class SegmentMentions:
    """The mentions made of a set of segments, and what was left out."""

    rows: list[dict[str, str | None]] = field(default_factory=list)
    origins: list[str] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    unmapped: Counter[str] = field(default_factory=Counter)
    problems: list[Problem] = field(default_factory=list)


def mentions_from_segments(
    segments: list[CodedSegment], codebook: Codebook, config: ImportConfig
) -> SegmentMentions:
    """Map every segment's codes and make the mentions, in source order."""
    result = SegmentMentions()
    mapper = _Mapper(codebook, config)
    for segment in _merged(segments):
        row = _mention(segment, mapper, result)
        if row is not None:
            result.rows.append(row)
            result.origins.append(segment.where)
    width = max(3, len(str(len(result.rows))))
    for number, row in enumerate(result.rows, start=1):
        row["mention_id"] = f"M{number:0{width}d}"
    return result


def _merged(segments: list[CodedSegment]) -> list[CodedSegment]:
    """One segment per stretch of text, in source order, then by offset.

    Tools that write one selection per coding give the same stretch several
    times; its codes are pooled.
    """
    order: dict[str, int] = {}
    merged: dict[tuple, CodedSegment] = {}
    for i, seg in enumerate(segments):
        order.setdefault(seg.source, len(order))
        key = (seg.source, seg.start, seg.end) if seg.start is not None else (i,)
        if key in merged:
            merged[key].codes.extend(seg.codes)
        else:
            merged[key] = CodedSegment(
                seg.source, seg.start, seg.end, list(seg.codes), seg.where
            )
    return sorted(
        merged.values(),
        key=lambda s: (order[s.source], s.start if s.start is not None else -1),
    )


def _mention(
    segment: CodedSegment, mapper: _Mapper, result: SegmentMentions
) -> dict[str, str | None] | None:
    values: dict[str, set[str]] = {}
    before = len(result.problems)
    for path in segment.codes:
        for column, value in mapper.map(path, segment, result):
            values.setdefault(column, set()).add(value)
    if len(result.problems) > before:
        return None
    if not values.keys() & {*_NEEDED, "sub_theme"}:
        result.skipped["coded with none of our codes"] += 1
        return None
    return _row(segment, values, mapper.codebook, result.problems)


def _row(
    segment: CodedSegment,
    values: dict[str, set[str]],
    codebook: Codebook,
    problems: list[Problem],
) -> dict[str, str | None] | None:
    row: dict[str, str | None] = {"interviewee": _interviewee(segment.source)}
    for column in MENTION_COLUMNS[2:]:
        found = sorted(values.get(column, ()))
        allowed = (
            "one artifact id"
            if column == "artifact_id"
            else shorten(codebook[column].code_names)
        )
        if len(found) > 1:
            problems.append(
                Problem(
                    segment.where,
                    None,
                    column,
                    ", ".join(found),
                    allowed,
                    "the selection is coded twice on one dimension; one "
                    "mention has one code of each",
                )
            )
        elif not found and column in _NEEDED:
            present = [codebook[c].label.lower() for c in _NEEDED if c in values]
            problems.append(
                Problem(
                    segment.where,
                    None,
                    column,
                    None,
                    allowed,
                    f"the selection is coded with {', '.join(present) or 'a sub-theme'}"
                    f" but with no {codebook[column].label.lower()}",
                )
            )
        row[column] = found[0] if found else None
    return row


def _interviewee(source: str) -> str:
    stem, dot, ext = source.rpartition(".")
    return (
        stem if dot and ext.lower() in {"txt", "docx", "doc", "rtf", "pdf"} else source
    )


def _fold(text: str) -> str:
    """Case, spaces, hyphens and underscores do not tell names apart."""
    return " ".join(str(text).replace("_", " ").replace("-", " ").lower().split())


class _Mapper:
    """Maps code paths onto (column, code) pairs, remembering each answer."""

    def __init__(self, codebook: Codebook, config: ImportConfig) -> None:
        self.codebook = codebook
        self.config = config
        self.dims = {d.name: d for d in codebook.for_dataset("mentions")}
        self.groups = {_fold(k): v for k, v in config.groups.items()}
        self.explicit = {_fold(k): v for k, v in config.codes.items()}

    def map(
        self, path: tuple[str, ...], segment: CodedSegment, result: SegmentMentions
    ) -> list[tuple[str, str]]:
        problems = result.problems
        named = self.explicit.get(_fold("/".join(path))) or self.explicit.get(
            _fold(path[-1])
        )
        if named is not None:
            return self._explicit(named, path, segment, problems)
        if any(_fold(p) == _fold(self.config.artifact_group) for p in path[:-1]):
            return [("artifact_id", path[-1].strip())]
        for i in range(len(path) - 2, -1, -1):
            dim = self._dimension_named(path[i])
            if dim is not None:
                return self._in_group(dim, path[i + 1 :], segment, problems)
        found = self._anywhere(path[-1])
        if len(found) > 1:
            problems.append(self._ambiguous(path, found, segment))
            return []
        if not found:
            result.unmapped["/".join(path)] += 1
        return found

    def _dimension_named(self, name: str) -> Dimension | None:
        key = _fold(name)
        if key in self.groups:
            return self.dims.get(self.groups[key])
        for dim in self.dims.values():
            if key in (_fold(dim.name), _fold(dim.label)):
                return dim
        return None

    def _in_group(
        self,
        dim: Dimension,
        rest: tuple[str, ...],
        segment: CodedSegment,
        problems: list[Problem],
    ) -> list[tuple[str, str]]:
        # A sub-theme sits under its actual use: both are read from the path.
        found = []
        for name in rest:
            code, _ = dim.resolve(name)
            if code is None:
                sub = self._sub_dimension(dim)
                code = sub.resolve(name)[0] if sub else None
                if code is not None:
                    found.append((sub.name, code))
                    continue
                problems.append(_unknown(segment, dim, name, "/".join(rest)))
                return []
            found.append((dim.name, code))
        return found

    def _sub_dimension(self, dim: Dimension) -> Dimension | None:
        names = set(dim.code_names)
        for other in self.dims.values():
            if other.codes and all(c.parent in names for c in other.codes):
                return other
        return None

    def _anywhere(self, name: str) -> list[tuple[str, str]]:
        found = []
        for dim in self.dims.values():
            code, _ = dim.resolve(name)
            if code is not None:
                found.append((dim.name, code))
        return found

    def _ambiguous(
        self, path: tuple[str, ...], found: list, segment: CodedSegment
    ) -> Problem:
        return Problem(
            segment.where,
            None,
            None,
            "/".join(path),
            shorten(f"{self.dims[d].label}/{path[-1]}" for d, _ in found),
            "the code name fits several dimensions; put it under a parent "
            "code named after its dimension, or map it in netreport.yml "
            "(import.codes)",
        )

    def _explicit(
        self,
        named: str,
        path: tuple[str, ...],
        segment: CodedSegment,
        problems: list[Problem],
    ) -> list[tuple[str, str]]:
        if named == "skip":
            return []
        column, _, code = named.partition(".")
        dim = self.dims.get(column)
        resolved = dim.resolve(code)[0] if dim else None
        if resolved is None:
            problems.append(
                Problem(
                    "netreport.yml",
                    None,
                    f"import.codes.{'/'.join(path)}",
                    named,
                    "dimension.code of the codebook, or skip",
                    "the mapping names no code of the codebook",
                )
            )
            return []
        return [(column, resolved)]


def _unknown(segment: CodedSegment, dim: Dimension, name: str, path: str) -> Problem:
    spellings = {c.label: c.name for c in dim.codes} | {
        c.name: c.name for c in dim.codes
    }
    nearest = closest(name, spellings)
    reason = f"not a code of {dim.label.lower()}"
    if nearest:
        reason += f"; did you mean {spellings[nearest]!r}?"
    reason += " (or add the name as an alias in codebook.yml)"
    return Problem(segment.where, None, dim.name, path, shorten(dim.code_names), reason)
