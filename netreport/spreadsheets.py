"""Tables as researchers keep them: CSV from any spreadsheet, or XLSX.

`read_table` returns the header and the rows of one table as text, whatever
the file looks like: UTF-8 with or without a byte-order mark, Windows-1252
(what Excel on Windows writes as "CSV"), UTF-16, a comma, semicolon or tab
between cells, CRLF line ends, or an Excel workbook. Only an empty cell is
missing: ``NA``, ``N/A`` and ``None`` stay the text someone typed.

A cell that starts with ``=``, ``+``, ``-`` or ``@`` would run as a formula
if the file were opened in a spreadsheet. It is read as text, with a
warning; `escape_cell` writes such a cell with a leading apostrophe, and
reading strips that apostrophe again, so netreport's own files round-trip.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from netreport.archives import open_archive
from netreport.errors import NetreportWarning, Problem, counted, shorten

__all__ = [
    "Table",
    "escape_cell",
    "is_formula_like",
    "read_table",
]

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_DELIMITERS = (",", ";", "\t", "|")
_ZIP_MAGIC = b"PK\x03\x04"


@dataclass
class Table:
    """One table read as text.

    Attributes
    ----------
    path
        The file read.
    header
        Column names, renamed to ours where the project config maps them.
    rows
        Cells as text, ``None`` where empty; as wide as the header.
    row_numbers
        The spreadsheet row number of each row (the header is row 1).
    shown
        For each renamed column, the header the file itself uses.
    short
        For each row with fewer cells than the header, its row number and
        how many cells it has; its missing cells are read as empty. Whether
        that is allowed depends on the columns left off, which the caller
        knows.
    """

    path: Path
    header: list[str]
    rows: list[list[str | None]] = field(default_factory=list)
    row_numbers: list[int] = field(default_factory=list)
    shown: dict[str, str] = field(default_factory=dict)
    short: dict[int, int] = field(default_factory=dict)

    def column_shown(self, column: str | None) -> str | None:
        """The column name as the researcher's file writes it."""
        return self.shown.get(column, column) if column else column

    def rename(self, columns: Mapping[str, str]) -> None:
        """Our names for the columns the project config maps.

        Parameters
        ----------
        columns
            Our column name -> the header the file uses.
        """
        # Only headers the file has are recorded, so that no message names a
        # header the file lacks; a mapping that finds none is the caller's
        # to report.
        theirs = {name.strip().lower(): ours for ours, name in columns.items()}
        for i, name in enumerate(self.header):
            ours = theirs.get(name.lower())
            if ours is not None and ours != name:
                self.header[i] = ours
                self.shown[ours] = name


def is_formula_like(value: object) -> bool:
    """Whether a spreadsheet would run this cell as a formula.

    >>> [is_formula_like(v) for v in ("=SUM(A1)", "-3", "a")]
    [True, False, False]
    """
    text = str(value)
    if not text.startswith(_FORMULA_STARTS):
        return False
    try:
        float(text)
    except ValueError:
        return True
    return False


def escape_cell(value: object) -> object:
    """Prefix a formula-like cell with ``'`` so spreadsheets show it as text."""
    if isinstance(value, str) and is_formula_like(value):
        return "'" + value
    return value


def read_table(
    path: Path,
    problems: list[Problem],
    *,
    columns: Mapping[str, str] | None = None,
    sheet: str | None = None,
) -> Table | None:
    """Read a CSV or XLSX file as text.

    Parameters
    ----------
    path
        A ``.csv`` (or ``.txt``, ``.tsv``) or ``.xlsx`` file.
    problems
        Where anything that makes the file unreadable is added.
    columns
        Our column name -> the header the file uses (``columns:`` of the
        project config).
    sheet
        For a workbook, the sheet to prefer; the first sheet otherwise.

    Returns
    -------
    Table or None
        ``None`` when the file cannot be read at all; a table with an empty
        header when the file is empty.
    """
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        table = _read_xlsx(path, sheet, problems)
    else:
        table = _read_csv(path, problems)
    if table is None:
        return None
    table.rename(columns or {})
    _check_cells(table, problems)
    _warn_formulas(table)
    return table


# CSV -------------------------------------------------------------------------


def _read_csv(path: Path, problems: list[Problem]) -> Table | None:
    data = path.read_bytes()
    if data.startswith(_ZIP_MAGIC):
        problems.append(
            Problem(
                str(path),
                None,
                None,
                path.name,
                "a CSV text file, or the workbook saved as .xlsx",
                "this is a zip file (an Excel workbook?) named like a CSV",
            )
        )
        return None
    text = _decode(path, data, problems)
    if text is None:
        return None
    records = _records(path, text, problems)
    if records is None:
        return None
    table = Table(path, [cell.strip() for cell in records[0]] if records else [])
    for number, record in enumerate(records[1:], start=2):
        _add_row(table, number, record, problems)
    return table


def _decode(path: Path, data: bytes, problems: list[Problem]) -> str | None:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = _decode_cp1252(path, data, problems)
    if text is not None and "\x00" in text:
        problems.append(
            Problem(
                str(path),
                None,
                None,
                path.name,
                "text: UTF-8, Windows-1252 or UTF-16",
                "the file holds binary data, not text",
            )
        )
        return None
    return text


def _decode_cp1252(path: Path, data: bytes, problems: list[Problem]) -> str | None:
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as err:
        problems.append(
            Problem(
                str(path),
                None,
                None,
                f"byte {data[err.start]:#04x} at offset {err.start}",
                "UTF-8, Windows-1252 or UTF-16",
                "the file is in an encoding netreport cannot tell; save it as "
                "CSV UTF-8",
            )
        )
        return None
    warnings.warn(
        f"{path}: not UTF-8, read as Windows-1252 (what Excel on Windows "
        "saves as CSV). Save the file as 'CSV UTF-8' to silence this.",
        NetreportWarning,
        stacklevel=5,
    )
    return text


def _dialect(text: str) -> type[csv.Dialect]:
    """The cell separator is the one the header line uses most.

    Quoting is read strictly: read leniently, a quote that is never closed
    takes the rest of the file into one cell, and all the user would see is
    a row of empty cells.
    """
    first = text.split("\n", 1)[0]
    counts = {d: first.count(d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])

    class Sniffed(csv.excel):
        delimiter = best if counts[best] else ","
        strict = True

    return Sniffed


def _records(path: Path, text: str, problems: list[Problem]) -> list[list[str]] | None:
    """Every record of the file, or ``None`` when its quoting is broken."""
    reader = csv.reader(io.StringIO(text, newline=""), _dialect(text))
    records: list[list[str]] = []
    last_line = 0  # the line the last whole record ended on
    try:
        for record in reader:
            records.append(record)
            last_line = reader.line_num
    except csv.Error as err:
        # Lines as the csv module counts them: \r, \n and \r\n end one.
        lines = io.StringIO(text, newline="").readlines()
        start, stop = last_line + 1, reader.line_num
        problems.append(
            Problem(
                str(path),
                len(records) + 1,  # records count from the header, row 1
                None,
                lines[start - 1].rstrip("\r\n") if start <= len(lines) else "",
                'a cell in quotes: a " at each end, and "" for a quote inside',
                _broken_quote(str(err), start, stop, len(lines)),
            )
        )
        return None
    return records


def _broken_quote(error: str, start: int, stop: int, lines: int) -> str:
    """Why reading stopped in the record that starts on line `start`.

    The csv module says what went wrong only in its message, so the message
    is matched; anything unforeseen is passed on as it is.
    """
    fix = (
        "; close the quote where the cell ends, or delete it (only a cell "
        "holding a separator, a quote or a line break needs quotes)"
    )
    if "end of data" in error:
        if lines == start:
            return f"a quote opens a cell on the last line and is never closed{fix}"
        return (
            f"a quote opens a cell on line {start} and is never closed, so "
            f"the cell swallowed the {counted(lines - start, 'line')} after "
            "it, to the end of the file" + fix
        )
    if "field limit" in error:
        return (
            f"a cell that starts on line {start} runs on past line {stop}, "
            "longer than any cell can be: a quote that opens it is most "
            "likely never closed" + fix
        )
    if "expected after" in error:
        return (
            f"on line {stop} a quoted cell has text after its closing quote: "
            'a quote inside a quoted cell must be written twice (""), or a '
            f"quote opened from line {start} on is closed in the wrong place"
        )
    return f"the file is not valid CSV from line {start} on ({error})"


def _add_row(table: Table, number: int, record: list, problems: list[Problem]) -> None:
    cells = [_text(value) for value in record]
    if not any(cells):
        return  # a blank line or a row of empty cells
    width = len(table.header)
    extra = [c for c in cells[width:] if c]
    if extra:
        problems.append(
            Problem(
                str(table.path),
                number,
                None,
                shorten(extra, 3),
                f"{width} cells, as many as the header has",
                "the row has more cells than the header; is a cell "
                "separator (comma, semicolon) inside an unquoted value?",
            )
        )
    if len(cells) < width:
        table.short[number] = len(cells)
    table.rows.append((cells + [None] * width)[:width])
    table.row_numbers.append(number)


def _text(value: object) -> str | None:
    """A cell as text; empty is ``None``; our own escape is undone."""
    if value is None:
        return None
    if isinstance(value, bool):
        text = "TRUE" if value else "FALSE"
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    elif isinstance(value, dt.datetime):
        text = (
            value.date().isoformat()
            if value.time() == dt.time()
            else (value.isoformat())
        )
    elif isinstance(value, dt.date | dt.time):
        text = value.isoformat()
    else:
        text = str(value)
    if text == "":
        return None
    if text.startswith("'") and is_formula_like(text[1:]):
        return text[1:]
    return text


# XLSX ------------------------------------------------------------------------


def _read_xlsx(path: Path, sheet: str | None, problems: list[Problem]) -> Table | None:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    archive = open_archive(path, problems)
    if archive is None:
        return None
    archive.zip.close()
    try:
        with warnings.catch_warnings():
            # openpyxl warns about workbook features it drops (data
            # validation, conditional formats); none of them hold data.
            warnings.simplefilter("ignore", UserWarning)
            book = openpyxl.load_workbook(path, data_only=False)
    except (InvalidFileException, KeyError, ValueError, OSError) as err:
        problems.append(
            Problem(str(path), None, None, path.name, "an Excel workbook", str(err))
        )
        return None
    sheet_ = _pick_sheet(book, sheet)
    return _sheet_table(path, sheet_, problems)


def _pick_sheet(book, wanted: str | None):
    if wanted:
        for ws in book.worksheets:
            if ws.title.strip().lower() == wanted.lower():
                return ws
    return book.worksheets[0]


def _sheet_table(path: Path, ws, problems: list[Problem]) -> Table:
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    header = [_text(v) or "" for v in rows[0]] if rows else []
    while header and header[-1] == "":
        header.pop()
    table = Table(path, [h.strip() for h in header])
    for number, record in enumerate(rows[1:], start=2):
        _add_row(table, number, record, problems)
    _check_merged(path, ws, table, problems)
    return table


def _check_merged(path: Path, ws, table: Table, problems: list[Problem]) -> None:
    from openpyxl.utils import get_column_letter

    for merged in sorted(ws.merged_cells.ranges, key=lambda r: (r.min_row, r.min_col)):
        column = (
            table.header[merged.min_col - 1]
            if merged.min_col <= len(table.header)
            else get_column_letter(merged.min_col)
        )
        problems.append(
            Problem(
                str(path),
                merged.min_row,
                column,
                f"merged cells {merged.coord}",
                "one value in each cell",
                "only the first cell of a merged range holds the value; unmerge "
                "the cells and fill each one",
            )
        )


# Columns and cells -----------------------------------------------------------


def _check_cells(table: Table, problems: list[Problem]) -> None:
    for i, name in enumerate(table.header):
        if name == "" and any(row[i] for row in table.rows):
            problems.append(
                Problem(
                    str(table.path),
                    1,
                    f"column {i + 1}",
                    "",
                    "a column name",
                    "the column holds values but has no name in the header",
                )
            )


def _warn_formulas(table: Table) -> None:
    found = [
        f"row {number} column {table.column_shown(table.header[i])!r} ({cell!r})"
        for number, row in zip(table.row_numbers, table.rows, strict=True)
        for i, cell in enumerate(row)
        if cell is not None and is_formula_like(cell)
    ]
    if found:
        warnings.warn(
            f"{table.path}: {len(found)} cells start with =, +, - or @, which a "
            f"spreadsheet would run as a formula: {shorten(found, 3)}. They were "
            "read as text; netreport writes them with a leading ' so no "
            "spreadsheet runs them.",
            NetreportWarning,
            stacklevel=3,
        )
