"""Flat coding exports: QualCoder, Taguette and Dedoose, as CSV or XLSX.

Each gives one row per coding or per excerpt rather than a project file:

QualCoder (coded text report)
    one row per coding: the file, the code name (``Codename``), optionally
    its ``Category``, the ``Start`` and ``End`` offsets and the coded text.
    Rows with the same file and offsets are one selection.
Taguette (highlights export)
    ``id, document, tag, content``: one row per tag of a highlight; rows
    with the same ``id`` are one highlight.
Dedoose (excerpt export)
    one row per excerpt: ``Media Title``, ``Excerpt Range`` (``120-245``),
    ``Excerpt Copy``, and one ``Code: <name> Applied`` column per code,
    holding ``True``/``False`` or a count.

A code name may hold its place in the code tree as a path (``Actual
use/Improvement``, ``Actual use\\Improvement`` or ``Actual use::Improvement``).
"""

from __future__ import annotations

import re

from netreport.coded_segments import CodedSegment
from netreport.errors import Problem, shorten
from netreport.spreadsheets import Table

__all__ = ["detect_export", "read_coding_export"]

_PATH_SEP = re.compile(r"\s*(?:/|\\|::)\s*")
_DEDOOSE_CODE = re.compile(r"^code:\s*(.+?)\s+applied$", re.IGNORECASE)
_TRUE = {"true", "yes", "x", "1"}
_FALSE = {"false", "no", "0", ""}

# For each tool: the role of a column -> the headers it goes by.
_QUALCODER = {
    "file": ("file", "filename", "file name", "file/case"),
    "code": ("codename", "code name", "code"),
    "category": ("category",),
    "start": ("start", "pos0"),
    "end": ("end", "pos1"),
}
_TAGUETTE = {"id": ("id",), "document": ("document",), "tag": ("tag",)}
_DEDOOSE = {"media": ("media title",), "range": ("excerpt range",)}


def detect_export(header: list[str]) -> str | None:
    """``"qualcoder"``, ``"taguette"``, ``"dedoose"``, or ``None``."""
    names = {h.strip().lower() for h in header}
    if "media title" in names and any(_DEDOOSE_CODE.match(h) for h in header):
        return "dedoose"
    if {"id", "document", "tag"} <= names:
        return "taguette"
    if names & set(_QUALCODER["code"]) and names & set(_QUALCODER["file"]):
        return "qualcoder"
    return None


def read_coding_export(
    table: Table, tool: str, problems: list[Problem]
) -> list[CodedSegment]:
    """The coded segments of a flat export by ``tool``."""
    reader = {"qualcoder": _qualcoder, "taguette": _taguette, "dedoose": _dedoose}
    return reader[tool](table, problems)


def _columns(
    table: Table,
    roles: dict[str, tuple[str, ...]],
    optional: set[str],
    problems: list[Problem],
) -> dict[str, int] | None:
    lowered = [h.strip().lower() for h in table.header]
    found, missing = {}, []
    for role, names in roles.items():
        index = next((lowered.index(n) for n in names if n in lowered), None)
        if index is not None:
            found[role] = index
        elif role not in optional:
            missing.append(names[0])
    for name in missing:
        problems.append(
            Problem(
                str(table.path),
                1,
                name,
                None,
                shorten(table.header),
                "a required column of this export is missing",
            )
        )
    return None if missing else found


def _path(name: str) -> tuple[str, ...]:
    return tuple(p for p in _PATH_SEP.split(name.strip()) if p)


def _offset(text: str | None) -> int | None:
    return int(text) if text is not None and text.strip().isdigit() else None


def _qualcoder(table: Table, problems: list[Problem]) -> list[CodedSegment]:
    cols = _columns(table, _QUALCODER, {"category", "start", "end"}, problems)
    if cols is None:
        return []
    segments = []
    for number, row in zip(table.row_numbers, table.rows, strict=True):
        code = row[cols["code"]]
        if not code:
            continue
        category = row[cols["category"]] if "category" in cols else None
        start = _offset(row[cols["start"]]) if "start" in cols else None
        end = _offset(row[cols["end"]]) if "end" in cols else None
        source = row[cols["file"]] or ""
        where = f"{table.path.name}, row {number} (file {source!r}, {start}-{end})"
        path = (*(_path(category) if category else ()), *_path(code))
        segments.append(CodedSegment(source, start, end, [path], where))
    return segments


def _taguette(table: Table, problems: list[Problem]) -> list[CodedSegment]:
    cols = _columns(table, _TAGUETTE, set(), problems)
    if cols is None:
        return []
    by_id: dict[str, CodedSegment] = {}
    for number, row in zip(table.row_numbers, table.rows, strict=True):
        ident, tag = row[cols["id"]] or "", row[cols["tag"]]
        if ident not in by_id:
            where = f"{table.path.name}, row {number} (highlight {ident})"
            by_id[ident] = CodedSegment(
                row[cols["document"]] or "", None, None, [], where
            )
        if tag:
            by_id[ident].codes.append(_path(tag))
    return list(by_id.values())


def _dedoose(table: Table, problems: list[Problem]) -> list[CodedSegment]:
    cols = _columns(table, _DEDOOSE, {"range"}, problems)
    if cols is None:
        return []
    code_columns = {
        i: _path(m.group(1))
        for i, h in enumerate(table.header)
        if (m := _DEDOOSE_CODE.match(h))
    }
    segments = []
    for number, row in zip(table.row_numbers, table.rows, strict=True):
        source = row[cols["media"]] or ""
        span = row[cols["range"]] if "range" in cols else None
        start, end = _range(span)
        where = f"{table.path.name}, row {number} ({source!r}, {span or 'no range'})"
        codes = [
            path
            for i, path in code_columns.items()
            if _applied(row[i], table, number, i, problems)
        ]
        segments.append(CodedSegment(source, start, end, codes, where))
    return segments


def _range(span: str | None) -> tuple[int | None, int | None]:
    match = re.fullmatch(r"\s*(\d+)\s*-\s*(\d+)\s*", span or "")
    return (int(match[1]), int(match[2])) if match else (None, None)


def _applied(
    value: str | None, table: Table, number: int, index: int, problems: list[Problem]
) -> bool:
    text = (value or "").strip().lower()
    if text in _TRUE or (text.isdigit() and int(text) > 0):
        return True
    if text in _FALSE:
        return False
    problems.append(
        Problem(
            str(table.path),
            number,
            table.header[index],
            value,
            "True, False or a count",
            "not a mark of whether the code applies",
        )
    )
    return False
