"""REFI-QDA projects (``.qdpx``) and codebooks (``.qdc``).

A ``.qdpx`` is a zip holding one ``.qde`` XML file (the project: codes,
sources, coded selections) and the sources' text under ``Sources/``. NVivo,
ATLAS.ti, MAXQDA and QualCoder all write it, each bending the standard a
little; this reader accepts:

- ``Sources/`` or ``sources/`` (any case), ``project.qde`` or any single
  ``.qde``, text inline (``PlainTextContent``) or in a file;
- GUIDs in upper or lower case, with or without braces;
- offsets in Unicode code points or in UTF-16 code units (what .NET tools
  count; ``import.offsets`` chooses, ``auto`` goes by the exporting tool),
  with CRLF counted as two characters, as the text file holds it;
- one selection per coding, or several codings on one selection;
- parent codes that are not codable (groups).

All XML goes through defusedxml: a DTD entity or an external entity is
refused, never expanded.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import defusedxml
import defusedxml.ElementTree as SafeET

from netreport.archives import Archive, open_archive
from netreport.coded_segments import CodedSegment
from netreport.errors import Problem

__all__ = ["QdaCode", "QdaProject", "read_qdc", "read_qdpx"]

_UTF16_TOOLS = ("nvivo", "atlas", "maxqda")


@dataclass(frozen=True)
class QdaCode:
    """One code of the tool's code tree."""

    guid: str
    path: tuple[str, ...]
    codable: bool


@dataclass
class QdaProject:
    """What a project holds that netreport reads."""

    origin: str
    codes: dict[str, QdaCode] = field(default_factory=dict)
    sources: int = 0
    codings: int = 0
    segments: list[CodedSegment] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)


def read_qdc(path: Path, problems: list[Problem]) -> QdaProject | None:
    """Read the code tree of a REFI-QDA codebook file."""
    root = _parse(path.name, path.read_bytes(), str(path), problems)
    if root is None:
        return None
    project = QdaProject(root.get("origin", ""))
    project.codes = _codes(root)
    return project


def read_qdpx(
    path: Path, problems: list[Problem], offsets: str = "auto"
) -> QdaProject | None:
    """Read codes, text sources and coded selections of a project file."""
    archive = open_archive(path, problems)
    if archive is None:
        return None
    with archive.zip:
        qde = _project_entry(archive, problems)
        if qde is None:
            return None
        root = _parse(qde, archive.read(qde), f"{path}: {qde}", problems)
        if root is None:
            return None
        project = QdaProject(root.get("origin", ""))
        project.codes = _codes(root)
        utf16 = offsets == "utf16" or (
            offsets == "auto" and project.origin.lower().startswith(_UTF16_TOOLS)
        )
        for source in _children(_child(root, "Sources"), None):
            _read_source(archive, source, project, utf16, problems)
    return project


def _project_entry(archive: Archive, problems: list[Problem]) -> str | None:
    found = [n for n in archive.names() if n.lower().endswith(".qde")]
    if len(found) == 1:
        return found[0]
    preferred = [n for n in found if n.lower().rsplit("/", 1)[-1] == "project.qde"]
    if len(preferred) == 1:
        return preferred[0]
    problems.append(
        Problem(
            str(archive.path),
            None,
            None,
            ", ".join(found) or "no .qde file",
            "exactly one .qde file (project.qde)",
            "a REFI-QDA project holds one project file",
        )
    )
    return None


def _parse(
    name: str, data: bytes, where: str, problems: list[Problem]
) -> ET.Element | None:
    try:
        return SafeET.fromstring(data)
    except defusedxml.DefusedXmlException as err:
        reason = f"refused: {type(err).__name__} ({err}); the file may be hostile"
    except ET.ParseError as err:
        reason = f"not well-formed XML: {err}"
    problems.append(Problem(where, None, None, name, "REFI-QDA XML", reason))
    return None


# Elements --------------------------------------------------------------------


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(element: ET.Element | None, name: str) -> ET.Element | None:
    if element is None:
        return None
    return next((c for c in element if _local(c.tag) == name), None)


def _children(element: ET.Element | None, name: str | None) -> list[ET.Element]:
    if element is None:
        return []
    return [c for c in element if name is None or _local(c.tag) == name]


def _guid(value: str | None) -> str:
    return (value or "").strip().strip("{}").lower()


def _codes(root: ET.Element) -> dict[str, QdaCode]:
    codebook = root if _local(root.tag) == "CodeBook" else _child(root, "CodeBook")
    codes: dict[str, QdaCode] = {}

    def walk(element: ET.Element, parents: tuple[str, ...]) -> None:
        for code in _children(element, "Code"):
            path = (*parents, code.get("name", "").strip())
            codable = code.get("isCodable", "true").strip().lower() != "false"
            codes[_guid(code.get("guid"))] = QdaCode(
                _guid(code.get("guid")), path, codable
            )
            walk(code, path)

    walk(_child(codebook, "Codes") or ET.Element("Codes"), ())
    return codes


# Sources ---------------------------------------------------------------------


def _read_source(
    archive: Archive,
    source: ET.Element,
    project: QdaProject,
    utf16: bool,
    problems: list[Problem],
) -> None:
    kind = _local(source.tag)
    name = source.get("name", "").strip() or _guid(source.get("guid"))
    selections = _children(source, "PlainTextSelection")
    if kind != "TextSource":
        others = [c for c in source if _local(c.tag).endswith("Selection")]
        if others:
            project.skipped[f"selections in {kind} (only text is read)"] = len(others)
        return
    project.sources += 1
    text = _source_text(archive, source, name, problems)
    for selection in selections:
        segment = _segment(
            archive.path, name, text, selection, project, utf16, problems
        )
        if segment is not None:
            project.segments.append(segment)


def _source_text(
    archive: Archive, source: ET.Element, name: str, problems: list[Problem]
) -> str | None:
    inline = _child(source, "PlainTextContent")
    if inline is not None:
        return inline.text or ""
    target = source.get("plainTextPath", "")
    if not target.startswith("internal://"):
        return None  # kept outside the archive; offsets are taken on trust
    file = target.removeprefix("internal://")
    entry = archive.find(f"Sources/{file}") or archive.find(file)
    if entry is None:
        problems.append(
            Problem(
                str(archive.path),
                None,
                None,
                target,
                "a file under Sources/",
                f"the text of source {name!r} is not in the archive",
            )
        )
        return None
    # Decoded without newline translation: CRLF stays two characters, as
    # the tools count it.
    return archive.read(entry).decode("utf-8-sig", errors="replace")


def _segment(
    path: Path,
    source: str,
    text: str | None,
    selection: ET.Element,
    project: QdaProject,
    utf16: bool,
    problems: list[Problem],
) -> CodedSegment | None:
    raw = (selection.get("startPosition"), selection.get("endPosition"))
    where = f"{path.name}, source {source!r}, characters {raw[0]}-{raw[1]}"
    try:
        start, end = int(raw[0]), int(raw[1])
    except (TypeError, ValueError):
        problems.append(
            Problem(
                where,
                None,
                None,
                f"{raw[0]}-{raw[1]}",
                "whole numbers",
                "the selection's start or end is not a position",
            )
        )
        return None
    if text is not None:
        start, end = _checked_range(where, text, start, end, utf16, problems)
        if start is None:
            return None
    codes = []
    for coding in _children(selection, "Coding"):
        project.codings += 1
        for ref in _children(coding, "CodeRef"):
            code = project.codes.get(_guid(ref.get("targetGUID")))
            if code is None:
                problems.append(
                    Problem(
                        where,
                        None,
                        None,
                        ref.get("targetGUID"),
                        "the GUID of a code in the project's codebook",
                        "the coding points at a code the project does not have",
                    )
                )
                continue
            codes.append(code.path)
    return CodedSegment(source, start, end, codes, where)


def _checked_range(
    where: str, text: str, start: int, end: int, utf16: bool, problems: list[Problem]
) -> tuple[int | None, int | None]:
    units = len(text.encode("utf-16-le")) // 2 if utf16 else len(text)
    if 0 <= start <= end <= units:
        if utf16:
            return _codepoint(text, start), _codepoint(text, end)
        return start, end
    problems.append(
        Problem(
            where,
            None,
            None,
            f"{start}-{end}",
            f"0-{units} ({'UTF-16 units' if utf16 else 'characters'})",
            "the selection lies outside its source's text; if the tool counts "
            "offsets differently, set import.offsets in netreport.yml",
        )
    )
    return None, None


def _codepoint(text: str, unit: int) -> int:
    """The code-point index of a UTF-16 offset."""
    count = 0
    for index, char in enumerate(text):
        if count >= unit:
            return index
        count += 2 if ord(char) > 0xFFFF else 1
    return len(text)
