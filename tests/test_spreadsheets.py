"""Reading tables as researchers keep them, and writing cells safely.

Whole-file cases (encodings, delimiters, merged cells, hostile workbooks)
live in ``tests/bad_input/``; these are the unit-level guarantees, and the
check that a label holding HTML comes out escaped in a rendered table.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import warnings
from pathlib import Path

import openpyxl
import pypandoc
import pytest

import netreport.spreadsheets as spreadsheets
from netreport.coded_data import load_coded_data
from netreport.errors import NetreportWarning, Problem
from netreport.spreadsheets import escape_cell, is_formula_like, read_table
from netreport.tables import tabulate_frequencies

DATA = Path(__file__).parent.parent / "data"


def read(path: Path, **kwargs):
    problems: list[Problem] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = read_table(path, problems, **kwargs)
    return table, problems, [str(w.message) for w in caught]


def test_public_names() -> None:
    assert spreadsheets.__all__ == [
        "Table",
        "escape_cell",
        "is_formula_like",
        "read_table",
    ]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("=1+1", True),
        ("+A1", True),
        ("@SUM(A1)", True),
        ("-cmd", True),
        ("\tx", True),
        ("-3", False),
        ("+4.5", False),
        ("H1", False),
        ("", False),
    ],
)
def test_formula_like_cells(raw: str, expected: bool) -> None:
    assert is_formula_like(raw) is expected


def test_escaped_cells_read_back_as_written(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(f"a,b\n{escape_cell('=1+1')},{escape_cell('-3')}\n")
    table, problems, messages = read(path)
    assert (table.rows, problems) == ([["=1+1", "-3"]], [])
    assert "1 cells start with =, +, - or @" in messages[0]


def test_na_none_and_null_stay_text(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("a,b,c,d\nNA,N/A,None,\n")
    table, _, _ = read(path)
    assert table.rows == [["NA", "N/A", "None", None]]


def test_utf16_with_tabs_as_excel_unicode_text(tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    path.write_bytes("a\tb\r\nä\t“x”\r\n".encode("utf-16"))
    table, problems, _ = read(path)
    assert (table.header, table.rows, problems) == (["a", "b"], [["ä", "“x”"]], [])


def test_blank_rows_are_skipped_but_row_numbers_kept(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("a,b\nx,y\n,\n\nz,w\n")
    table, _, _ = read(path)
    assert table.row_numbers == [2, 5]


def test_short_rows_are_padded_and_noted(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("a,b,c\n1,2\n1,2,3\n1,,\n")
    table, problems, _ = read(path)
    assert table.rows == [["1", "2", None], ["1", "2", "3"], ["1", None, None]]
    assert (table.short, problems) == ({2: 2}, [])


def test_columns_are_renamed_and_shown_as_theirs(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(" Mention ID ,context\nM1,network\n")
    table, _, _ = read(path, columns={"mention_id": "mention id"})
    assert table.header == ["mention_id", "context"]
    assert table.column_shown("mention_id") == "Mention ID"


def test_a_mapping_that_finds_no_header_changes_no_name(tmp_path: Path) -> None:
    # Files netreport import writes head the columns as we do.
    path = tmp_path / "t.csv"
    path.write_text("pressure,Context\ntechnical_rational,network\n")
    table, _, _ = read(path, columns={"pressure": "Pressure", "context": "context"})
    assert table.header == ["pressure", "context"]
    assert table.column_shown("pressure") == "pressure"
    assert table.column_shown("context") == "Context"


def test_workbook_cells_become_the_text_a_csv_holds(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["id", "created", "n", "flag", "formula", None])
    sheet.append(["A1", dt.datetime(2020, 9, 14), 3.0, True, "=1+1", None])
    book.save(tmp_path / "t.xlsx")
    table, problems, messages = read(tmp_path / "t.xlsx")
    assert table.header == ["id", "created", "n", "flag", "formula"]
    assert table.rows == [["A1", "2020-09-14", "3", "TRUE", "=1+1"]]
    assert problems == [] and "would run as a formula" in messages[0]


def test_sheet_is_chosen_by_dataset_name(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.append(["other"])
    book.create_sheet("Mentions").append(["mention_id"])
    book.save(tmp_path / "t.xlsx")
    table, _, _ = read(tmp_path / "t.xlsx", sheet="mentions")
    assert table.header == ["mention_id"]


# HTML in labels --------------------------------------------------------------


def test_a_script_in_a_code_label_is_escaped_in_a_rendered_table(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    shutil.copytree(DATA, data_dir)
    codebook = data_dir / "codebook.yml"
    text = codebook.read_text(encoding="utf-8")
    codebook.write_text(
        text.replace("label: Network\n", "label: <script>alert(1)</script>\n"),
        encoding="utf-8",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NetreportWarning)
        data = load_coded_data(data_dir)
        markdown = tabulate_frequencies(data, "mentions", "context").to_markdown()
    html = subprocess.run(
        [pypandoc.get_pandoc_path(), "-f", "markdown", "-t", "html"],
        input=markdown,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# Broken quoting ----------------------------------------------------------------


def test_a_quoted_cell_may_hold_line_breaks(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text('id,excerpt\nM1,"one\ntwo"\nM2,"say ""no"""\n')
    table, problems, _ = read(path)
    assert problems == []
    assert table.rows == [["M1", "one\ntwo"], ["M2", 'say "no"']]
    assert table.row_numbers == [2, 3]


@pytest.mark.parametrize(
    ("text", "row", "value", "reason"),
    [
        (
            'id,excerpt\nM1,"one\nM2,two\nM3,three\n',
            2,
            'M1,"one',
            "a quote opens a cell on line 2 and is never closed, so the cell "
            "swallowed the 2 lines after it, to the end of the file; close the "
            "quote where the cell ends",
        ),
        (
            'id,excerpt\nM1,one\nM2,"two\n',
            3,
            'M2,"two',
            "a quote opens a cell on the last line and is never closed; close",
        ),
        (
            'id,excerpt\nM1,"a\nb"\nM2,"x" y\n',
            3,
            'M2,"x" y',
            "on line 4 a quoted cell has text after its closing quote",
        ),
        (
            'id,excerpt\nM1,one\nM2,"two\n' + "a line of the rest\n" * 8000,
            3,
            'M2,"two',
            "a cell that starts on line 3 runs on past line 6902, longer than "
            "any cell can be: a quote that opens it is most likely never closed",
        ),
    ],
    ids=["to-the-end", "last-line", "text-after-quote", "too-long"],
)
def test_broken_quoting_names_the_row_and_line(
    tmp_path: Path, text: str, row: int, value: str, reason: str
) -> None:
    path = tmp_path / "t.csv"
    path.write_text(text)
    table, problems, _ = read(path)
    assert table is None
    (problem,) = problems
    assert (problem.file, problem.row, problem.value) == (str(path), row, value)
    assert problem.reason.startswith(reason), problem.reason
