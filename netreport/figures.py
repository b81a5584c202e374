"""Figures of the coded data, drawn with plotnine from netreport's tables.

Each ``plot_`` function returns a `Plot` whose data comes from a
`netreport.tables` table, so a figure and the table beside it cannot
disagree. A `Plot` carries ``alt_text``, a description written from the
data (every share shown), which the render engine uses when the cell gives
no ``fig-alt``. It is drawn with plotnine (`Plot.ggplot`, in
``netreport._drawing``) only when its SVG is needed and not stored: the
render engine keys the SVG by `Plot.figure_key`, the figure's data and
how it is drawn, in the build's result store (`netreport.result_store`).

Readers who do not see colour well lose nothing: the palette is
Okabe and Ito's, every bar carries its percentage, panels and axes name
what colour also shows, and the two sides of a comparison differ in
lightness as well as hue. Sizes are fixed, so the same data gives the same
SVG bytes (with matplotlib's ``svg.hashsalt`` fixed, as the render engine
does).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from netreport.coded_data import CodedData
from netreport.tables import (
    TOTAL,
    Table,
    tabulate_creation_vs_use,
    tabulate_crosstab,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from plotnine import ggplot

__all__ = [
    "OKABE_ITO",
    "Plot",
    "plot_intended_vs_actual",
    "plot_pressure",
    "plot_use_by_context",
]

#: The eight colours of Okabe, M. and Ito, K. (2008), "Color Universal
#: Design (CUD): how to make figures and presentations that are friendly to
#: colorblind people", https://jfly.uni-koeln.de/color/
OKABE_ITO = {
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
    "black": "#000000",
}

_TEXT_GAP = 1.2  # percentage points between a bar's end and its label


@dataclass(frozen=True, eq=False)
class Plot:
    """A figure of the report: its data, its alt text and how it is drawn.

    Show it as a cell's value and the render engine writes its SVG. Add
    plotnine components to it (``plot + labs(title=...)``) to get a
    ``ggplot`` that is drawn every build.

    Attributes
    ----------
    data
        What the figure shows, one row per bar.
    alt_text
        The figure in words, every number shown.
    drawing
        The function of ``netreport._drawing`` that draws it.
    height
        Inches; the width is the text width of the book's pages.
    """

    data: pd.DataFrame
    alt_text: str
    drawing: str
    height: float

    def ggplot(self) -> ggplot:
        """The figure as a plotnine ``ggplot`` (imports plotnine)."""
        from netreport import _drawing

        plot = getattr(_drawing, self.drawing)(self.data, self.height)
        plot.alt_text = self.alt_text
        return plot

    def draw(self, show: bool = False) -> Figure:
        """The drawn matplotlib figure, as ``ggplot.draw`` gives it."""
        return self.ggplot().draw(show=show)

    def figure_key(self) -> dict[str, Any]:
        """Everything the drawing depends on besides netreport's code."""
        frame = self.data
        categories = {
            str(column): [frame[column].cat.categories.tolist(),
                          bool(frame[column].cat.ordered)]
            for column in frame.columns
            if isinstance(frame[column].dtype, pd.CategoricalDtype)
        }  # fmt: skip
        return {
            "drawing": self.drawing,
            "height": self.height,
            "columns": [str(c) for c in frame.columns],
            "dtypes": [str(t) for t in frame.dtypes],
            "categories": categories,
            "index": frame.index.tolist(),
            "rows": frame.astype(object).to_numpy().tolist(),
        }

    def __add__(self, other: Any) -> ggplot:
        return self.ggplot() + other


def plot_intended_vs_actual(data: CodedData) -> Plot:
    """Intended use of the artifacts beside their actual use in mentions.

    Grouped horizontal bars, one group per use in codebook order: the share
    of the included artifacts made for that use, and the share of the
    mentions that describe that use. Disuse exists on the use side only.

    Parameters
    ----------
    data
        The loaded case.

    Returns
    -------
    Plot
        With ``alt_text`` set from the data.
    """
    table = tabulate_creation_vs_use(data, "intended_use", "actual_use")
    titles = {
        "creation": data.codebook["intended_use"].label,
        "use": data.codebook["actual_use"].label,
    }
    lead = "Grouped bar chart comparing intended and actual use."
    return _plot_comparison(table, titles, lead, height=3.6)


def plot_pressure(data: CodedData) -> Plot:
    """Pressure for creating artifacts beside pressure for using them.

    Grouped horizontal bars per pressure: the share of the included
    artifacts made under it, and the share of mentions of use under it.

    Parameters
    ----------
    data
        The loaded case.

    Returns
    -------
    Plot
        With ``alt_text`` set from the data.
    """
    table = tabulate_creation_vs_use(data, "pressure", "pressure")
    titles = {"creation": "Pressure for creation", "use": "Pressure for use"}
    lead = "Grouped bar chart comparing pressure for creation and for use."
    return _plot_comparison(table, titles, lead, height=2.4)


def plot_use_by_context(data: CodedData) -> Plot:
    """The share of each actual use among the mentions of each context.

    One panel per context of use (school teams, district leaders, the
    network), each a bar per actual use in codebook order; the shares in a
    panel add up to 100%.

    Parameters
    ----------
    data
        The loaded case.

    Returns
    -------
    Plot
        With ``alt_text`` set from the data.
    """
    table = tabulate_crosstab(data, "mentions", "context", "actual_use", percent="row")
    return Plot(_context_frame(table), _context_alt_text(table), "use_by_context", 2.8)


# Comparison of creation and use ---------------------------------------------


def _plot_comparison(
    table: Table, titles: dict[str, str], lead: str, height: float
) -> Plot:
    frame = _comparison_frame(table, titles)
    alt_text = _comparison_alt_text(table, titles, lead)
    return Plot(frame, alt_text, "comparison", height)


def _comparison_frame(table: Table, titles: dict[str, str]) -> pd.DataFrame:
    """One row per code and side that has a value, for the figure."""
    codes = [k for k in table.frame.index if k != TOTAL]
    rows = []
    for side in ("use", "creation"):
        for code in codes:
            percent = table.frame.at[code, (side, "percent")]
            if pd.notna(percent):
                rows.append(
                    {
                        "code": code,
                        "label": table.row_labels[code],
                        "side": side,
                        "side_label": _side_label(table, side, titles),
                        "percent": float(percent),
                        "text": f"{percent:.1f}%",
                        "text_at": float(percent) + _TEXT_GAP,
                    }
                )
    frame = pd.DataFrame(rows)
    labels = [table.row_labels[c] for c in codes]
    frame["label"] = pd.Categorical(frame["label"], categories=labels[::-1])
    sides = list(dict.fromkeys(frame["side_label"]))
    frame["side_label"] = pd.Categorical(frame["side_label"], categories=sides)
    return frame


def _side_label(table: Table, side: str, titles: dict[str, str]) -> str:
    return f"{titles[side]} ({_base(table, side)})"


def _base(table: Table, side: str) -> str:
    noun = "artifacts" if side == "creation" else "mentions"
    return f"{table.n(TOTAL, side):,} {noun}"


def _comparison_alt_text(table: Table, titles: dict[str, str], lead: str) -> str:
    codes = [k for k in table.frame.index if k != TOTAL]
    parts = [lead]
    for side, linker in (("creation", "of"), ("use", "in")):
        shares = [
            f"{_lower(table.row_labels[c])} {table.percent(c, side):.1f}%"
            for c in codes
            if pd.notna(table.frame.at[c, (side, "percent")])
        ]
        parts.append(
            f"{titles[side]} {linker} {_base(table, side)}: {', '.join(shares)}."
        )
    return " ".join(parts)


# Use by context -------------------------------------------------------------


def _context_frame(table: Table) -> pd.DataFrame:
    contexts = [k for k in table.frame.index if k != TOTAL]
    uses = [c for c in table.frame.columns if c != TOTAL]
    rows = [
        {
            "context": context,
            "context_label": _context_label(table, context),
            "use": use,
            "use_label": table.column_labels[use],
            "n": table.n(context, use),
            "percent": table.percent(context, use),
            "text": f"{table.percent(context, use):.1f}%",
        }
        for context in contexts
        for use in uses
    ]
    frame = pd.DataFrame(rows)
    frame["context_label"] = pd.Categorical(
        frame["context_label"], categories=[_context_label(table, c) for c in contexts]
    )
    labels = [table.column_labels[u] for u in uses]
    frame["use_label"] = pd.Categorical(frame["use_label"], categories=labels[::-1])
    return frame


def _context_label(table: Table, context: str) -> str:
    return f"{table.row_labels[context]}\n(n = {table.n(context, TOTAL)})"


def _context_alt_text(table: Table) -> str:
    contexts = [k for k in table.frame.index if k != TOTAL]
    uses = [c for c in table.frame.columns if c != TOTAL]
    parts = [
        f"Bar charts in {len(contexts)} panels, one per context of use, each "
        "giving the share of every actual use among the mentions of that "
        f"context ({table.n(TOTAL, TOTAL)} mentions in all)."
    ]
    for context in contexts:
        shares = ", ".join(
            f"{_lower(table.column_labels[u])} {table.percent(context, u):.1f}%"
            for u in uses
        )
        parts.append(
            f"{table.row_labels[context]} ({table.n(context, TOTAL)} mentions): "
            f"{shares}."
        )
    return " ".join(parts)


# Shared wording -------------------------------------------------------------


def _lower(label: str) -> str:
    """A label as it reads inside a sentence ("Relationship management" →
    "relationship management"), leaving acronyms alone."""
    if len(label) > 1 and label[1].islower():
        return label[0].lower() + label[1:]
    return label
