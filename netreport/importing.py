"""``netreport import``: turn a researcher's file into our data files.

It reads any of: our own layout as CSV or XLSX (the inventory, the mentions,
or a workbook with a sheet of each), a REFI-QDA project (``.qdpx``) or
codebook (``.qdc``), and the flat coding exports of QualCoder, Taguette and
Dedoose. What it makes is checked exactly as a build would check it, beside
the data already in ``data/``; only when all of it passes are the files
written, all of them or none.

A file already in ``data/`` that holds rows is only replaced when the caller
says so (``--replace``): real coded data is often kept out of version control,
so the file ``import`` would overwrite may be the only copy. The replaced file
is kept beside the new one as ``<name>.previous``.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import logging
import os
import shutil
import tempfile
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from netreport.codebook import Codebook, load_codebook
from netreport.coded_data import MENTION_COLUMNS, load_coded_data
from netreport.coded_segments import mentions_from_segments
from netreport.coding_exports import detect_export, read_coding_export
from netreport.config import CONFIG_NAME, ProjectConfig, load_config
from netreport.errors import InputError, NetreportError, Problem, counted, shorten
from netreport.refiqda import read_qdc, read_qdpx
from netreport.spreadsheets import Table, escape_cell, read_table

__all__ = ["ImportReport", "import_file"]

log = logging.getLogger(__name__)

_ADVICE = (
    "Nothing was written to data/. Correct these in the tool or the file and "
    "import again."
)
_SUFFIXES = (".qdpx", ".qdc", ".csv", ".tsv", ".txt", ".xlsx")
_TOOLS = {"qualcoder": "QualCoder", "taguette": "Taguette", "dedoose": "Dedoose"}
_LAYOUT_KEYS = {"artifacts": {"artifact_id", "created"}, "mentions": {"mention_id"}}


@dataclass
class _Dataset:
    """Rows to write as one data file, each with where it came from."""

    header: list[str]
    rows: list[list[str | None]]
    origins: list[tuple[str, int | None]]
    shown: dict[str, str] = field(default_factory=dict)


@dataclass
class ImportReport:
    """What an import read, made, skipped and wrote."""

    path: Path
    kind: str
    sources: int = 0
    codes: int = 0
    codings: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    skipped: Counter[str] = field(default_factory=Counter)
    unmapped: Counter[str] = field(default_factory=Counter)
    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    replaced: dict[Path, tuple[int | None, int]] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """The summary ``netreport import`` prints."""
        lines = [f"{self.path.name}: {self.kind}"]
        if self.kind not in ("netreport table",):
            lines.append(
                f"  read {self.sources} sources, {self.codes} codes, "
                f"{self.codings} codings"
            )
        for name, count in self.counts.items():
            lines.append(f"  made {count} {name}")
        for reason, count in sorted(self.skipped.items()):
            lines.append(f"  skipped {count}: {reason}")
        if self.unmapped:
            listing = shorten(f"{c} ({n}x)" for c, n in self.unmapped.most_common())
            lines.append(f"  codes not mapped to the codebook, left out: {listing}")
        lines.extend(
            f"  kept {p}: it holds what the import gives" for p in self.unchanged
        )
        lines.extend(self._replacement_lines())
        lines.extend(f"  wrote {p}" for p in self.written if p not in self.replaced)
        return lines

    def _replacement_lines(self) -> list[str]:
        lines = []
        for target, rows in self.replaced.items():
            if target in self.written:
                now = "unreadable" if rows[0] is None else counted(rows[0], "row")
                lines.append(
                    f"  replaced {target} ({now}) with {counted(rows[1], 'row')}; "
                    f"the old file is kept as {target}.previous"
                )
            else:
                lines.append(
                    f"  would replace {_row_change(target, *rows)}; the import "
                    "needs --replace for that, and keeps the old file as "
                    "<name>.previous"
                )
        return lines


def import_file(
    path: Path | str,
    project_dir: Path | str = ".",
    *,
    write: bool = True,
    replace: bool = False,
) -> ImportReport:
    """Read ``path``, check what it makes, and write it into ``data/``.

    Parameters
    ----------
    write
        False for a dry run: check and report, write nothing.
    replace
        Whether a data file that holds rows may be replaced by different
        content; the old file is then kept as ``<name>.previous``. A file of
        the same content is left alone, and one with only a header (nothing
        to lose) is replaced either way.

    Raises
    ------
    NetreportError
        When ``path`` does not exist, or when writing would replace data and
        ``replace`` is False; nothing is written then.
    InputError
        With every problem found; nothing is written then.
    """
    path, project_dir = Path(path), Path(project_dir)
    if not path.exists():
        raise NetreportError(f"{path.resolve()}: the file does not exist")
    data_dir = project_dir / "data"
    config = load_config(project_dir)
    codebook = load_codebook(data_dir / "codebook.yml")
    problems: list[Problem] = []
    if not path.is_file() or path.suffix.lower() not in _SUFFIXES:
        raise InputError(
            [
                Problem(
                    str(path),
                    None,
                    None,
                    path.name,
                    ", ".join(_SUFFIXES),
                    "not a kind of file netreport imports",
                )
            ],
            "Nothing was written to data/.",
        )
    report, datasets = _read(path, codebook, config, problems)
    if problems:
        raise InputError(problems, _ADVICE)
    if datasets:
        _check(data_dir, datasets)
        _write_changed(data_dir, datasets, config, report, write, replace)
    return report


def _read(
    path: Path, codebook: Codebook, config: ProjectConfig, problems: list[Problem]
) -> tuple[ImportReport, dict[str, _Dataset]]:
    suffix = path.suffix.lower()
    if suffix == ".qdc":
        project = read_qdc(path, problems)
        report = ImportReport(path, "REFI-QDA codebook (codes only, nothing written)")
        if project is not None:
            report.codes = len(project.codes)
        return report, {}
    if suffix == ".qdpx":
        return _read_qdpx(path, codebook, config, problems)
    return _read_table_file(path, codebook, config, problems)


def _read_qdpx(
    path: Path, codebook: Codebook, config: ProjectConfig, problems: list[Problem]
) -> tuple[ImportReport, dict[str, _Dataset]]:
    report = ImportReport(path, "REFI-QDA project")
    project = read_qdpx(path, problems, config.imports.offsets)
    if project is None or problems:
        return report, {}
    report.kind += f" from {project.origin or 'an unnamed tool'}"
    report.sources, report.codes = project.sources, len(project.codes)
    report.codings = project.codings
    report.skipped.update(project.skipped)
    return report, _mentions(project.segments, codebook, config, report, problems)


def _mentions(segments, codebook, config, report, problems) -> dict[str, _Dataset]:
    made = mentions_from_segments(segments, codebook, config.imports)
    problems.extend(made.problems)
    report.skipped.update(made.skipped)
    report.unmapped.update(made.unmapped)
    report.counts["mentions"] = len(made.rows)
    rows = [[row.get(c) for c in MENTION_COLUMNS] for row in made.rows]
    origins = [(where, None) for where in made.origins]
    return {"mentions": _Dataset(list(MENTION_COLUMNS), rows, origins)}


def _read_table_file(
    path: Path, codebook: Codebook, config: ProjectConfig, problems: list[Problem]
) -> tuple[ImportReport, dict[str, _Dataset]]:
    tables = _tables(path, problems)
    if problems or not tables:
        return ImportReport(path, "table"), {}
    first = tables[0]
    tool = detect_export(first.header)
    if tool is not None:
        report = ImportReport(path, f"{_TOOLS[tool]} coding export")
        segments = read_coding_export(first, tool, problems)
        report.sources = len({s.source for s in segments})
        report.codings = sum(len(s.codes) for s in segments)
        report.codes = len({c for s in segments for c in s.codes})
        return report, _mentions(segments, codebook, config, report, problems)
    report = ImportReport(path, "netreport table")
    datasets = {}
    for table in tables:
        dataset = _layout(table, config, problems)
        if dataset is not None:
            datasets[dataset] = _Dataset(
                table.header,
                table.rows,
                [(str(path), n) for n in table.row_numbers],
                table.shown,
            )
            report.counts[dataset] = len(table.rows)
    return report, datasets


def _tables(path: Path, problems: list[Problem]) -> list[Table]:
    """Each sheet named after a dataset, or else the first (or only) table."""
    if path.suffix.lower() != ".xlsx":
        table = read_table(path, problems)
        return [table] if table is not None else []
    import openpyxl

    tables = []
    table = read_table(path, problems, sheet="artifacts")
    if table is None:
        return []
    names = _sheet_names(openpyxl, path)
    for dataset in ("artifacts", "mentions"):
        if dataset in names:
            tables.append(read_table(path, problems, sheet=dataset))
    return [t for t in tables if t is not None] or [table]


def _sheet_names(openpyxl, path: Path) -> set[str]:
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return {ws.title.strip().lower() for ws in book.worksheets}
    finally:
        book.close()


def _layout(table: Table, config: ProjectConfig, problems: list[Problem]) -> str | None:
    """The dataset the table holds, its headers renamed as netreport.yml maps
    them for that dataset."""
    for dataset, keys in _LAYOUT_KEYS.items():
        columns = config.columns.get(dataset, {})
        mapped = dataclasses.replace(
            table, header=list(table.header), shown=dict(table.shown)
        )
        mapped.rename(columns)
        if keys <= set(mapped.header):
            table.header, table.shown = mapped.header, mapped.shown
            return dataset
    problems.append(
        Problem(
            str(table.path),
            1,
            None,
            shorten(table.header, 5) or "an empty file",
            "the artifacts or mentions layout (data/README.md), a QualCoder, "
            "Taguette or Dedoose export, or a .qdpx project",
            "netreport cannot tell what this table holds; map its headers in "
            "netreport.yml (columns:) if they differ from ours",
        )
    )
    return None


# Checking and writing --------------------------------------------------------


def _check(data_dir: Path, datasets: dict[str, _Dataset]) -> None:
    """Load the new files beside the current ones, as a build would."""
    staging = Path(tempfile.mkdtemp(prefix=".import-", dir=data_dir.parent))
    try:
        trial = staging / "data"
        shutil.copytree(data_dir, trial)
        config = data_dir.parent / CONFIG_NAME
        if config.exists():
            shutil.copyfile(config, staging / CONFIG_NAME)
        for dataset, rows in datasets.items():
            _write_csv(trial / f"{dataset}.csv", rows)
        try:
            # Caught to be raised again naming the project's files, not the
            # trial copies, which are gone once the import ends.
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                load_coded_data(trial)
        except InputError as err:
            fixed = [_origin(p, trial, data_dir, datasets) for p in err.problems]
            raise InputError(
                fixed, f"Nothing was written to data/. {err.advice}"
            ) from None
        for warning in caught:
            text = _untrial(str(warning.message), staging, data_dir)
            warnings.warn(text, warning.category, stacklevel=3)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _untrial(text: str, staging: Path, data_dir: Path) -> str:
    """`text` with the paths of the trial copy made the project's own."""
    text = text.replace(str(staging / "data"), str(data_dir))
    return text.replace(str(staging), str(data_dir.parent))


def _origin(
    problem: Problem, trial: Path, data_dir: Path, datasets: dict[str, _Dataset]
) -> Problem:
    """Point a problem found in a trial file at the file it came from."""
    name = Path(problem.file).name
    dataset = name.removesuffix(".csv")
    if Path(problem.file).parent == trial and dataset in datasets and problem.row:
        made = datasets[dataset]
        column = made.shown.get(problem.column, problem.column)
        if problem.row > 1:
            where, row = made.origins[problem.row - 2]
            return dataclasses.replace(problem, file=where, row=row, column=column)
        if made.origins:  # the header, as the imported file writes it
            where = made.origins[0][0]
            return dataclasses.replace(problem, file=where, column=column)
    return dataclasses.replace(
        problem, file=_untrial(problem.file, trial.parent, data_dir)
    )


def _write_changed(
    data_dir: Path,
    datasets: dict[str, _Dataset],
    config: ProjectConfig,
    report: ImportReport,
    write: bool,
    replace: bool,
) -> None:
    """Write the files whose content changes, refusing to replace data."""
    changed = {}
    for dataset, made in datasets.items():
        target, text = data_dir / f"{dataset}.csv", _csv_text(made)
        if target.exists() and target.read_bytes() == text.encode("utf-8"):
            report.unchanged.append(target)
            continue
        changed[target] = text
        rows = _row_count(target, config.columns.get(dataset)) if target.exists() else 0
        if rows != 0:
            report.replaced[target] = (rows, len(made.rows))
    if report.replaced and not replace and write:
        raise NetreportError(_refusal(report.replaced))
    if write:
        report.written = _write(changed, keep=list(report.replaced))


def _row_count(path: Path, columns: dict[str, str] | None) -> int | None:
    """Rows of a data file; None when it cannot be read (so may hold data)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the file was checked when loaded
        table = read_table(path, [], columns=columns)
    return None if table is None else len(table.rows)


def _row_change(target: Path, rows_now: int | None, rows_new: int) -> str:
    now = "unreadable" if rows_now is None else counted(rows_now, "row")
    return f"{target} ({now} now, {counted(rows_new, 'row')} after the import)"


def _refusal(replaced: dict[Path, tuple[int | None, int]]) -> str:
    listing = "\n".join(
        f"  {_row_change(target, *rows)}" for target, rows in replaced.items()
    )
    return (
        "the import would replace data files that already hold rows:\n"
        f"{listing}\n"
        "Nothing was written. Run the import again with --replace to replace "
        "them (each old file is kept beside it as <name>.previous), or move "
        "them out of data/ first."
    )


def _write(changed: dict[Path, str], keep: list[Path]) -> list[Path]:
    """Stage every file first, then move them all in place.

    Each file in ``keep`` is copied to ``<name>.previous`` before it is
    replaced.
    """
    staged = {}
    try:
        for target, text in changed.items():
            temp = target.with_name(f".{target.name}.importing")
            temp.write_bytes(text.encode("utf-8"))
            staged[temp] = target
        for target in keep:
            shutil.copy2(target, target.with_name(target.name + ".previous"))
    except OSError:
        for temp in staged:
            temp.unlink(missing_ok=True)
        raise
    for temp, target in staged.items():
        os.replace(temp, target)
        log.info("wrote %s", target)
    return list(staged.values())


def _csv_text(dataset: _Dataset) -> str:
    handle = io.StringIO()
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(dataset.header)
    for row in dataset.rows:
        writer.writerow(["" if c is None else escape_cell(c) for c in row])
    return handle.getvalue()


def _write_csv(path: Path, dataset: _Dataset) -> None:
    path.write_bytes(_csv_text(dataset).encode("utf-8"))
