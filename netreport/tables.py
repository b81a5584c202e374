"""Frequency tables and crosstabs of the coded data, ready for a chapter.

Every ``tabulate_`` function returns a `Table`: numbers in a DataFrame for
computation and tests, a Markdown pipe table with codebook labels for the
page, and small accessors (`Table.n`, `Table.percent`) for values quoted in
prose. Codes appear in codebook order and a code nobody used keeps its row
with a zero, so a table's shape never depends on the data.

Tables are aggregates only. Columns that identify records or people
(interviewee, ids, excerpts) are refused as dimensions.

Examples
--------
In a chapter cell::

    t = tabulate_frequencies(data, "mentions", "actual_use")
    t                          # shown as a pipe table

and inline: `` `{python} f"{t.percent('relationship_management'):.0f}"` ``.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

from netreport.codebook import Dimension
from netreport.coded_data import CodedData
from netreport.errors import NetreportError, NetreportWarning, shorten

__all__ = [
    "TOTAL",
    "Table",
    "tabulate_creation_vs_use",
    "tabulate_crosstab",
    "tabulate_dimensions",
    "tabulate_disuse",
    "tabulate_frequencies",
]

#: Row (and crosstab column) key of the margins.
TOTAL = "total"

Dataset = Literal["artifacts", "mentions"]
PercentMode = Literal["row", "column", "total"]
Order = Literal["codebook", "frequency"]

_DATASETS = ("artifacts", "mentions")
_PERCENT_MODES = ("row", "column", "total")
_ORDERS = ("codebook", "frequency")
# Columns that identify a record or a person; a table of them would publish
# raw rows, so they are never dimensions.
_CONFIDENTIAL = ("interviewee", "mention_id", "artifact_id", "excerpt")
_DASH = "\u2013"
# Row key of the uncoded rows when a table is asked to show them.
_MISSING = "(not coded)"


@dataclass(frozen=True, eq=False, repr=False)
class Table:
    """A table of counts and percentages, shown as a Markdown pipe table.

    Attributes
    ----------
    frame
        The values, as numbers. The index holds code names (pairs of
        dimension and code in a table of several dimensions) and `TOTAL`;
        the columns are ``n`` and ``percent``, or pairs such as
        ``("use", "percent")`` when sides are compared, or code names in a
        crosstab.
    stub
        Heading of the label column.
    row_labels
        Label shown for each row key.
    column_labels
        Label shown for each column key.
    section_labels
        Heading row shown before each block of a table of several
        dimensions, by dimension name.
    counts
        A crosstab's plain counts, without margins: index and columns are
        code names, named after their dimensions. ``None`` for other tables.
    percents
        A crosstab's percentages (shape of `frame`), or ``None``.
    """

    frame: pd.DataFrame
    stub: str
    row_labels: Mapping[Hashable, str]
    column_labels: Mapping[Hashable, str]
    section_labels: Mapping[str, str] = field(default_factory=dict)
    counts: pd.DataFrame | None = None
    percents: pd.DataFrame | None = None

    # Values for prose --------------------------------------------------

    def n(self, row: Hashable, column: Hashable | None = None) -> int:
        """The count in a row, as an ``int``.

        Parameters
        ----------
        row
            A code name or ``"total"``. In a table of several dimensions a
            code name found in one dimension only is enough; otherwise pass
            ``(dimension, code)``.
        column
            Which side (``"creation"`` or ``"use"``) in a comparison, which
            column code in a crosstab; leave out in a frequency table.
        """
        value = self._cell("n", row, column)
        if pd.isna(value):
            raise NetreportError(
                f"the table has no count for {row!r}"
                + (f" in {column!r}" if column is not None else "")
                + " (shown as a dash)"
            )
        return int(value)

    def percent(self, row: Hashable, column: Hashable | None = None) -> float:
        """The percentage in a row (0 to 100, unrounded).

        Round it where it is printed: ``f"{t.percent('research'):.1f}"``.
        Arguments as for `n`. In a crosstab this is the percentage asked for
        with ``percent=``.
        """
        return float(self._cell("percent", row, column))

    def value(self, row: Hashable, column: Hashable) -> float:
        """Any value of `frame`, by row key and column key."""
        return self.frame.at[self._row(row), column]

    # Other views -------------------------------------------------------

    def to_frame(self, labels: bool = False) -> pd.DataFrame:
        """A copy of the values; with ``labels=True``, rows and columns are
        named by their labels instead of their code names."""
        frame = self.frame.copy()
        if labels:
            frame.index = [self.row_labels[k] for k in frame.index]
            frame.columns = [self.column_labels[c] for c in frame.columns]
        return frame

    def to_markdown(self) -> str:
        """The table as a Markdown pipe table, labels in place of codes."""
        columns = list(self.frame.columns)
        lines = [
            [self.stub, *(self.column_labels[c] for c in columns)],
            [":---", *("---:" for _ in columns)],
        ]
        section = None
        for key in self.frame.index:
            if isinstance(key, tuple) and key[0] != section:
                section = key[0]
                heading = f"**{self.section_labels[section]}**"
                lines.append([heading, *("" for _ in columns)])
            cells = [self._text(key, c) for c in columns]
            lines.append([self.row_labels[key], *cells])
        return (
            "\n".join(
                "| " + " | ".join(_escape(c) for c in line) + " |" for line in lines
            )
            + "\n"
        )

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def __repr__(self) -> str:
        return f"<Table: {self.stub}>\n{self.to_markdown()}"

    # Internals ---------------------------------------------------------

    def _text(self, row: Hashable, column: Hashable) -> str:
        value = self.frame.at[row, column]
        if self.percents is not None:
            share = self.percents.at[row, column]
            return f"{_count_text(value)} ({_percent_text(share)}%)"
        measure = column[-1] if isinstance(column, tuple) else column
        if measure == "percent":
            return _percent_text(value)
        return _count_text(value)

    def _cell(self, measure: str, row: Hashable, column: Hashable | None) -> object:
        key = self._row(row)
        columns = self.frame.columns
        if self.counts is not None:
            source = self.frame if measure == "n" else self.percents
            if source is None:
                raise NetreportError(
                    "this crosstab has counts only; make it with "
                    "percent='row', 'column' or 'total' to read percentages"
                )
            return source.at[key, self._column(column, list(columns))]
        if isinstance(columns, pd.MultiIndex):
            sides = list(dict.fromkeys(columns.get_level_values(0)))
            return self.frame.at[key, (self._column(column, sides), measure)]
        if column is not None:
            raise NetreportError(
                f"this table has one column of {measure}; call "
                f"{measure}({row!r}) without a column"
            )
        return self.frame.at[key, measure]

    def _row(self, row: Hashable) -> Hashable:
        index = self.frame.index
        if row in index:
            return row
        matches = []
        if isinstance(index, pd.MultiIndex):
            matches = [k for k in index if k[1] == row]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise NetreportError(
                f"{row!r} is a row of several dimensions here; pass one of "
                f"{shorten(matches)}"
            )
        raise NetreportError(f"the table has no row {row!r} (rows: {shorten(index)})")

    @staticmethod
    def _column(column: Hashable | None, allowed: list) -> Hashable:
        if column in allowed:
            return column
        raise NetreportError(
            f"pass a column, one of {shorten(allowed)}; got {column!r}"
        )


def _count_text(value: object) -> str:
    return _DASH if pd.isna(value) else f"{int(value):,}"


def _percent_text(value: object) -> str:
    if pd.isna(value) or math.isinf(float(value)):
        return _DASH
    return f"{float(value):.1f}"


def _escape(text: str) -> str:
    # A label holding HTML, a link, math or "@key" must stay text.
    text = re.sub(r"([\\<>&\[\]@$])", r"\\\1", str(text))
    return text.replace("|", r"\|").replace("\n", " ")


# Frequencies ---------------------------------------------------------------


def tabulate_frequencies(
    data: CodedData,
    dataset: Dataset,
    dimension: str,
    *,
    order: Order = "codebook",
    missing: Literal["exclude", "include"] = "exclude",
) -> Table:
    """Count the codes of one dimension, with percentages and a total.

    Parameters
    ----------
    data
        The loaded case.
    dataset
        ``"artifacts"`` (the included artifacts only) or ``"mentions"``.
    dimension
        A codebook dimension that applies to the dataset.
    order
        ``"codebook"`` (the default) or ``"frequency"``: largest count
        first, ties in codebook order.
    missing
        Rows without a code are left out (with a `NetreportWarning`
        giving their number) unless ``"include"``, which shows them as a
        "Not coded" row counted in the total.

    Returns
    -------
    Table
        Columns ``n`` and ``percent``; rows the codes, then ``"total"``.

    Examples
    --------
    >>> t = tabulate_frequencies(data, "artifacts", "intended_use")
    >>> t.n("improvement"), round(t.percent("improvement"), 1)
    (718, 85.6)
    """
    dim = _dimension(data, dataset, dimension)
    frame = _frequency_frame(data, dataset, dim, order, missing)
    labels = {**dim.labels(), TOTAL: "Total", _MISSING: "Not coded"}
    return Table(
        frame=frame,
        stub=dim.label,
        row_labels={k: labels[k] for k in frame.index},
        column_labels={"n": "n", "percent": "%"},
    )


def tabulate_dimensions(
    data: CodedData,
    dataset: Dataset,
    dimensions: Sequence[str],
    *,
    total: bool = False,
    missing: Literal["exclude", "include"] = "exclude",
) -> Table:
    """Frequencies of several dimensions stacked in one table.

    Each dimension gets a heading row, then one row per code, as in the
    study's Table 8. Row keys are ``(dimension, code)`` pairs; accessors
    also take a bare code name found in one dimension only.

    Parameters
    ----------
    data, dataset, missing
        As for `tabulate_frequencies`.
    dimensions
        Codebook dimensions that apply to the dataset, in display order.
    total
        Add a total row under each dimension.
    """
    if isinstance(dimensions, str) or not dimensions:
        raise NetreportError(
            f"dimensions: expected a list of dimension names, got {dimensions!r}"
        )
    parts, row_labels, sections = [], {}, {}
    for name in dimensions:
        dim = _dimension(data, dataset, name)
        part = _frequency_frame(data, dataset, dim, "codebook", missing)
        if not total:
            part = part.drop(index=TOTAL)
        labels = {**dim.labels(), TOTAL: "Total", _MISSING: "Not coded"}
        part.index = pd.MultiIndex.from_tuples([(name, k) for k in part.index])
        row_labels.update({(name, k): labels[k] for _, k in part.index})
        sections[name] = dim.label
        parts.append(part)
    return Table(
        frame=pd.concat(parts),
        stub="Dimension",
        row_labels=row_labels,
        column_labels={"n": "n", "percent": "%"},
        section_labels=sections,
    )


def _frequency_frame(
    data: CodedData, dataset: str, dim: Dimension, order: str, missing: str
) -> pd.DataFrame:
    if order not in _ORDERS:
        raise NetreportError(f"order: got {order!r}; allowed: {', '.join(_ORDERS)}")
    if missing not in ("exclude", "include"):
        raise NetreportError(f"missing: got {missing!r}; allowed: exclude, include")
    column = _rows(data, dataset)[dim.name]
    counts = column.value_counts(sort=False).reindex(dim.code_names, fill_value=0)
    if order == "frequency":
        counts = counts.sort_values(ascending=False, kind="stable")
    absent = int(column.isna().sum())
    if absent and missing == "include":
        counts[_MISSING] = absent
    elif absent:
        _warn_missing(
            absent,
            len(column),
            dataset,
            dim.name,
            "pass missing='include' to show them",
        )
    frame = pd.DataFrame({"n": counts.astype("int64")})
    frame.loc[TOTAL] = int(counts.sum())
    frame["percent"] = _share(frame["n"], counts.sum())
    frame.index.name = dim.name
    return frame


def _share(values: pd.Series | pd.DataFrame, base: object) -> pd.Series:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return values.astype("float64") / base * 100 if base else values * math.nan


def _warn_missing(
    absent: int, of: int, dataset: str, dimension: str, option: str
) -> None:
    warnings.warn(
        f"{absent} of {of} {dataset} have no {dimension} code and were left "
        f"out of the table and its percentages; {option}",
        NetreportWarning,
        stacklevel=4,
    )


# Crosstabs -----------------------------------------------------------------


def tabulate_crosstab(
    data: CodedData,
    dataset: Dataset,
    rows: str,
    columns: str,
    *,
    percent: PercentMode | None = None,
) -> Table:
    """Cross two dimensions of one dataset, with margins.

    Parameters
    ----------
    data, dataset
        As for `tabulate_frequencies`.
    rows, columns
        The dimensions down and across. Every code of each appears, in
        codebook order, with a zero where no row has it.
    percent
        ``None`` for counts only, or what each cell's percentage is of:
        its ``"row"``, its ``"column"`` or the ``"total"``. Cells then show
        ``n (percent)``.

    Returns
    -------
    Table
        `Table.frame` holds the counts with margins (key ``"total"``);
        `Table.counts` the plain counts for `netreport.chisquare`;
        `Table.percents` the percentages, when asked for.

    Examples
    --------
    >>> t = tabulate_crosstab(data, "mentions", "context", "actual_use",
    ...                       percent="row")
    >>> round(t.percent("school_teams", "improvement"))
    52
    """
    if percent is not None and percent not in _PERCENT_MODES:
        raise NetreportError(
            f"percent: got {percent!r}; allowed: None, {', '.join(_PERCENT_MODES)}"
        )
    row_dim = _dimension(data, dataset, rows)
    col_dim = _dimension(data, dataset, columns)
    if row_dim.name == col_dim.name:
        raise NetreportError(f"rows and columns are both {rows!r}; pick two")
    counts = _counts(data, dataset, row_dim, col_dim)
    frame = _with_margins(counts)
    labels = {TOTAL: "Total"}
    return Table(
        frame=frame,
        stub=f"{row_dim.label} \u00d7 {col_dim.label}",
        row_labels={**row_dim.labels(), **labels},
        column_labels={**col_dim.labels(), **labels},
        counts=counts,
        percents=None if percent is None else _percentages(frame, percent),
    )


def _counts(
    data: CodedData, dataset: str, row_dim: Dimension, col_dim: Dimension
) -> pd.DataFrame:
    """Plain counts, every code present, index and columns named."""
    frame = _rows(data, dataset)[[row_dim.name, col_dim.name]]
    complete = frame.dropna()
    if len(complete) < len(frame):
        _warn_missing(
            len(frame) - len(complete),
            len(frame),
            dataset,
            f"{row_dim.name} or {col_dim.name}",
            "code them in the data to count them",
        )
    counts = (
        complete.groupby([row_dim.name, col_dim.name], observed=False)
        .size()
        .unstack(col_dim.name)
        .reindex(index=row_dim.code_names, columns=col_dim.code_names, fill_value=0)
        .astype("int64")
    )
    counts.index = pd.Index(list(counts.index), name=row_dim.name, dtype=object)
    counts.columns = pd.Index(list(counts.columns), name=col_dim.name, dtype=object)
    return counts


def _with_margins(counts: pd.DataFrame) -> pd.DataFrame:
    frame = counts.copy()
    frame[TOTAL] = frame.sum(axis=1)
    frame.loc[TOTAL] = frame.sum(axis=0)
    return frame.astype("int64")


def _percentages(frame: pd.DataFrame, mode: str) -> pd.DataFrame:
    values = frame.astype("float64")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if mode == "row":
            return values.div(values[TOTAL], axis=0) * 100
        if mode == "column":
            return values.div(values.loc[TOTAL], axis=1) * 100
        return values / values.at[TOTAL, TOTAL] * 100


# Creation against use ------------------------------------------------------


def tabulate_creation_vs_use(
    data: CodedData,
    creation_dimension: str = "intended_use",
    use_dimension: str = "actual_use",
) -> Table:
    """What artifacts were made for beside what mentions say they did.

    Creation counts the included artifacts (percent of all of them), use
    counts the mentions (percent of all of them). A code found on one side
    only, such as disuse, shows a dash on the other. For the pressures,
    pass ``"pressure", "pressure"``.

    Parameters
    ----------
    data
        The loaded case.
    creation_dimension
        A dimension of the artifacts.
    use_dimension
        A dimension of the mentions.

    Returns
    -------
    Table
        Columns ``("creation", "n")``, ``("creation", "percent")``,
        ``("use", "n")``, ``("use", "percent")``; read them with
        ``t.percent(code, "creation")`` or ``t.percent(code, "use")``.
    """
    sides = {
        "creation": _dimension(data, "artifacts", creation_dimension),
        "use": _dimension(data, "mentions", use_dimension),
    }
    datasets = {"creation": "artifacts", "use": "mentions"}
    codes = list(dict.fromkeys(sides["creation"].code_names + sides["use"].code_names))
    columns = {}
    for side, dim in sides.items():
        part = _frequency_frame(data, datasets[side], dim, "codebook", "exclude")
        part = part.reindex([*codes, TOTAL])
        columns[(side, "n")] = part["n"].astype("Int64")
        columns[(side, "percent")] = part["percent"]
    frame = pd.DataFrame(columns)
    frame.index.name = use_dimension
    nouns = {"creation": "Artifacts", "use": "Mentions"}
    measures = {"n": "n", "percent": "%"}
    labels = {**sides["creation"].labels(), **sides["use"].labels(), TOTAL: "Total"}
    stub = sides["use"].label
    if sides["creation"].label != stub:
        stub = f"{sides['creation'].label} / {stub[0].lower()}{stub[1:]}"
    return Table(
        frame=frame,
        stub=stub,
        row_labels={k: labels[k] for k in frame.index},
        column_labels={c: f"{nouns[c[0]]} ({measures[c[1]]})" for c in columns},
    )


def tabulate_disuse(
    data: CodedData, *, code: str = "disuse", order: Order = "frequency"
) -> Table:
    """Mentions of disuse by the intended use of the artifact mentioned.

    The study's Table 9: a frequency and the share of all disuse mentions
    per intended use, largest first.

    Parameters
    ----------
    data
        The loaded case.
    code
        The actual-use code that records an artifact was not used.
    order
        ``"frequency"`` (the default, as the study prints it) or
        ``"codebook"``.
    """
    uses = _dimension(data, "mentions", "actual_use")
    if code not in uses.code_names:
        raise NetreportError(
            f"code: {code!r} is not an actual use (allowed: {shorten(uses.code_names)})"
        )
    intended = _dimension(data, "mentions", "intended_use")
    mentions = data.mentions[data.mentions["actual_use"] == code]
    counts = mentions["intended_use"].value_counts(sort=False)
    counts = counts.reindex(intended.code_names, fill_value=0).astype("int64")
    if order == "frequency":
        counts = counts.sort_values(ascending=False, kind="stable")
    elif order != "codebook":
        raise NetreportError(f"order: got {order!r}; allowed: {', '.join(_ORDERS)}")
    frame = pd.DataFrame({"n": counts})
    frame.loc[TOTAL] = int(counts.sum())
    frame["percent"] = _share(frame["n"], counts.sum())
    frame.index.name = intended.name
    return Table(
        frame=frame,
        stub=intended.label,
        row_labels={**intended.labels(), TOTAL: "Total"},
        column_labels={"n": "n", "percent": "%"},
    )


# Checks --------------------------------------------------------------------


def _rows(data: CodedData, dataset: str) -> pd.DataFrame:
    return data.included if dataset == "artifacts" else data.mentions


def _dimension(data: CodedData, dataset: str, name: str) -> Dimension:
    """The codebook dimension `name`, checked to be tabulable for `dataset`."""
    if dataset not in _DATASETS:
        raise NetreportError(
            f"dataset: got {dataset!r}; allowed: {', '.join(_DATASETS)}"
        )
    allowed = [d.name for d in data.codebook.for_dataset(dataset)]
    if name in _CONFIDENTIAL:
        raise NetreportError(
            f"{name!r} identifies records or people and is never tabulated; "
            f"tables show coded dimensions only (for {dataset}: {shorten(allowed)})"
        )
    if name not in data.codebook.dimensions or name not in allowed:
        raise NetreportError(
            f"{name!r} is not a coded dimension of the {dataset} "
            f"(allowed: {shorten(allowed)})"
        )
    frame = _rows(data, dataset)
    if name not in frame.columns:
        raise NetreportError(
            f"the {dataset} file has no {name!r} column, so it cannot be tabulated"
        )
    return data.codebook[name]
