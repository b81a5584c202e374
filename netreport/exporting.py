"""Write a case's data in the formats researchers' tools read.

The exports exist so the data can go to a spreadsheet or a QDA tool and
come back unchanged (``netreport import`` of any of them gives the same
data files): an XLSX workbook with a sheet per dataset, a REFI-QDA project
(``.qdpx``), and the flat coding exports of QualCoder, Taguette and Dedoose.

In the QDA formats each interviewee is a text source and each mention a
selection in it, coded under one parent code per dimension (``Context``,
``Pressure``, ``Actual use`` with its sub-themes nested under it,
``Intended use``) and, when it names one, under ``Artifact``. The
reconstruction has no interview text, so each selection's text only says
which mention it is.

Every cell that starts with ``=``, ``+``, ``-`` or ``@`` is written with a
leading ``'``, so no spreadsheet runs it as a formula.
"""

from __future__ import annotations

import csv
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree as ET

import pandas as pd

from netreport.coded_data import CodedData
from netreport.spreadsheets import escape_cell

__all__ = [
    "export_dedoose",
    "export_qdpx",
    "export_qualcoder",
    "export_taguette",
    "export_xlsx",
]

_DIMENSIONS = ("context", "pressure", "actual_use", "intended_use")
_NAMESPACE = "urn:QDA-XML:project:1.0"
_GUIDS = uuid.UUID("6f1d3c52-8a47-4f0e-9a43-2f4ad1c0b7e5")


def export_xlsx(data: CodedData, path: Path) -> Path:
    """A workbook with an ``artifacts`` and a ``mentions`` sheet."""
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for name in ("artifacts", "mentions"):
        sheet = book.create_sheet(name)
        frame = getattr(data, name)
        sheet.append(list(frame.columns))
        for row in _records(frame):
            sheet.append(["" if v is None else escape_cell(v) for v in row.values()])
    book.save(path)
    return path


def _records(frame: pd.DataFrame) -> list[dict[str, str | None]]:
    """Every row, each cell as the text the data files hold (``None``: empty)."""
    return [
        {column: _cell(value) for column, value in row.items()}
        for row in frame.astype(object).to_dict("records")
    ]


def _cell(value: object) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    return str(value)


# The coded segments every QDA export writes -----------------------------------


def _segments(data: CodedData) -> Iterator[tuple[str, str, list[tuple[str, ...]]]]:
    """Each mention as (interviewee, text, code paths)."""
    for row in _records(data.mentions):
        yield row["interviewee"], _excerpt(row), _code_paths(data, row)


def _excerpt(row: dict) -> str:
    text = row.get("excerpt")
    return text or f"Mention {row['mention_id']}: no interview text in this export."


def _code_paths(data: CodedData, row: dict) -> list[tuple[str, ...]]:
    codebook = data.codebook
    paths = []
    for column in _DIMENSIONS:
        dim = codebook[column]
        paths.append((dim.label, dim.label_of(row[column])))
    if row.get("sub_theme"):
        actual = codebook["actual_use"]
        paths.append(
            (
                actual.label,
                actual.label_of(row["actual_use"]),
                codebook["sub_theme"].label_of(row["sub_theme"]),
            )
        )
    if row.get("artifact_id"):
        paths.append(("Artifact", row["artifact_id"]))
    return paths


def _tree(data: CodedData) -> dict[tuple[str, ...], None]:
    """Every code path the export needs, parents before children."""
    paths: dict[tuple[str, ...], None] = {}
    for _, _, codes in _segments(data):
        for path in codes:
            for depth in range(1, len(path) + 1):
                paths.setdefault(path[:depth])
    return dict(sorted(paths.items(), key=lambda item: item[0]))


def _guid(*parts: str) -> str:
    return str(uuid.uuid5(_GUIDS, "/".join(parts)))


# REFI-QDA --------------------------------------------------------------------


def export_qdpx(data: CodedData, path: Path) -> Path:
    """A REFI-QDA project: codes, one text source per interviewee, codings."""
    ET.register_namespace("", _NAMESPACE)
    project = ET.Element(_q("Project"), name="netreport export", origin="netreport")
    codes = ET.SubElement(ET.SubElement(project, _q("CodeBook")), _q("Codes"))
    _code_elements(codes, _tree(data))
    sources = ET.SubElement(project, _q("Sources"))
    texts = _source_elements(sources, data)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "project.qde", ET.tostring(project, xml_declaration=True, encoding="utf-8")
        )
        for name, text in texts.items():
            archive.writestr(f"Sources/{name}", text.encode("utf-8"))
    return path


def _q(tag: str) -> str:
    return f"{{{_NAMESPACE}}}{tag}"


def _code_elements(codes: ET.Element, tree: dict[tuple[str, ...], None]) -> None:
    elements: dict[tuple[str, ...], ET.Element] = {}
    for path in tree:
        parent = elements.get(path[:-1], codes)
        # Dimensions and the artifact group are groups, not codes.
        codable = "false" if len(path) == 1 else "true"
        elements[path] = ET.SubElement(
            parent, _q("Code"), guid=_guid(*path), name=path[-1], isCodable=codable
        )


def _source_elements(sources: ET.Element, data: CodedData) -> dict[str, str]:
    texts: dict[str, str] = {}
    elements: dict[str, ET.Element] = {}
    for interviewee, excerpt, codes in _segments(data):
        if interviewee not in elements:
            guid = _guid("source", interviewee)
            elements[interviewee] = ET.SubElement(
                sources,
                _q("TextSource"),
                guid=guid,
                name=interviewee,
                plainTextPath=f"internal://{guid}.txt",
            )
            texts[f"{guid}.txt"] = ""
        name = f"{elements[interviewee].get('guid')}.txt"
        start = len(texts[name])
        texts[name] += excerpt + "\n"
        selection = ET.SubElement(
            elements[interviewee],
            _q("PlainTextSelection"),
            guid=_guid("selection", interviewee, str(start)),
            startPosition=str(start),
            endPosition=str(start + len(excerpt)),
        )
        for path in codes:
            coding = ET.SubElement(
                selection, _q("Coding"), guid=_guid("coding", str(start), *path)
            )
            ET.SubElement(coding, _q("CodeRef"), targetGUID=_guid(*path))
    return texts


# Flat exports ----------------------------------------------------------------


def export_qualcoder(data: CodedData, path: Path) -> Path:
    """QualCoder's coded-text report: one row per coding."""
    rows, offsets = [], {}
    for source, excerpt, codes in _segments(data):
        start = offsets.get(source, 0)
        offsets[source] = start + len(excerpt) + 1
        for code in codes:
            rows.append(
                [
                    source,
                    code[-1],
                    "/".join(code[:-1]),
                    start,
                    start + len(excerpt),
                    excerpt,
                ]
            )
    header = ["File", "Codename", "Category", "Start", "End", "Coded text"]
    return _write_csv(path, header, rows)


def export_taguette(data: CodedData, path: Path) -> Path:
    """Taguette's highlights export: one row per tag of a highlight."""
    rows = []
    for number, (source, excerpt, codes) in enumerate(_segments(data), start=1):
        rows.extend([number, source, "/".join(c), excerpt] for c in codes)
    return _write_csv(path, ["id", "document", "tag", "content"], rows)


def export_dedoose(data: CodedData, path: Path) -> Path:
    """Dedoose's excerpt export: one row per excerpt, a column per code."""
    tree = [p for p in _tree(data) if len(p) > 1]
    rows, offsets = [], {}
    for source, excerpt, codes in _segments(data):
        start = offsets.get(source, 0)
        offsets[source] = start + len(excerpt) + 1
        applied = set(codes)
        rows.append(
            [source, f"{start}-{start + len(excerpt)}", excerpt]
            + ["True" if p in applied else "False" for p in tree]
        )
    backslash = "\\"
    header = ["Media Title", "Excerpt Range", "Excerpt Copy"] + [
        f"Code: {backslash.join(p)} Applied" for p in tree
    ]
    return _write_csv(path, header, rows)


def _write_csv(path: Path, header: list[str], rows: list[list]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows([escape_cell(c) for c in row] for row in rows)
    return path
