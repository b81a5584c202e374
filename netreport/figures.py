"""Figures of the coded data, drawn with plotnine from netreport's tables.

Each ``plot_`` function returns a plotnine ``ggplot`` whose data comes from
a `netreport.tables` table, so a figure and the table beside it cannot
disagree. The returned object carries ``alt_text``, a description written
from the data (every share shown), which the render engine uses when the
cell gives no ``fig-alt``.

Readers who do not see colour well lose nothing: the palette is
Okabe and Ito's, every bar carries its percentage, panels and axes name
what colour also shows, and the two sides of a comparison differ in
lightness as well as hue. Sizes are fixed, so the same data gives the same
SVG bytes (with matplotlib's ``svg.hashsalt`` fixed, as the render engine
does).
"""

from __future__ import annotations

import pandas as pd
from plotnine import (
    aes,
    coord_flip,
    element_blank,
    element_line,
    element_text,
    facet_wrap,
    geom_col,
    geom_text,
    ggplot,
    guide_legend,
    guides,
    labs,
    position_dodge,
    scale_fill_manual,
    scale_y_continuous,
    theme,
    theme_minimal,
)

from netreport.coded_data import CodedData
from netreport.tables import (
    TOTAL,
    Table,
    tabulate_creation_vs_use,
    tabulate_crosstab,
)

__all__ = [
    "OKABE_ITO",
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

# Creation is always the dark blue and use the light orange, in every
# figure, so the pair reads apart in greyscale too.
_SIDE_COLOURS = {"creation": OKABE_ITO["blue"], "use": OKABE_ITO["orange"]}
_WIDTH = 6.5  # inches: the text width of the book's pages
_BASE_SIZE = 10
_LABEL_SIZE = 8
_DODGE = 0.8
_TEXT_GAP = 1.2  # percentage points between a bar's end and its label


def plot_intended_vs_actual(data: CodedData) -> ggplot:
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
    ggplot
        With ``alt_text`` set from the data.
    """
    table = tabulate_creation_vs_use(data, "intended_use", "actual_use")
    titles = {
        "creation": data.codebook["intended_use"].label,
        "use": data.codebook["actual_use"].label,
    }
    lead = "Grouped bar chart comparing intended and actual use."
    return _plot_comparison(table, titles, lead, height=3.6)


def plot_pressure(data: CodedData) -> ggplot:
    """Pressure for creating artifacts beside pressure for using them.

    Grouped horizontal bars per pressure: the share of the included
    artifacts made under it, and the share of mentions of use under it.

    Parameters
    ----------
    data
        The loaded case.

    Returns
    -------
    ggplot
        With ``alt_text`` set from the data.
    """
    table = tabulate_creation_vs_use(data, "pressure", "pressure")
    titles = {"creation": "Pressure for creation", "use": "Pressure for use"}
    lead = "Grouped bar chart comparing pressure for creation and for use."
    return _plot_comparison(table, titles, lead, height=2.4)


def plot_use_by_context(data: CodedData) -> ggplot:
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
    ggplot
        With ``alt_text`` set from the data.
    """
    table = tabulate_crosstab(data, "mentions", "context", "actual_use", percent="row")
    frame = _context_frame(table)
    plot = (
        ggplot(frame, aes("use_label", "percent"))
        + geom_col(fill=_SIDE_COLOURS["use"], width=0.7)
        + geom_text(
            aes(label="text"), ha="left", nudge_y=2, size=_LABEL_SIZE, color="black"
        )
        + facet_wrap("context_label", nrow=1)
        + coord_flip()
        + scale_y_continuous(
            # Narrow panels need more room for the labels past the bars.
            limits=(0, frame["percent"].max() * 1.45),
            expand=(0, 0),
            breaks=[0, 25, 50],
        )
        + labs(x="", y="Share of the mentions in the context (%)")
        + _theme(height=2.8)
    )
    plot.alt_text = _context_alt_text(table)
    return plot


# Comparison of creation and use ---------------------------------------------


def _plot_comparison(
    table: Table, titles: dict[str, str], lead: str, height: float
) -> ggplot:
    frame = _comparison_frame(table, titles)
    # coord_flip draws the first level at the bottom, so levels are reversed
    # to read top-down in codebook order, creation above use.
    plot = (
        ggplot(frame, aes("label", "percent", fill="side_label"))
        + geom_col(position=position_dodge(_DODGE, preserve="single"), width=_DODGE)
        # A nudge would replace the dodge, so labels carry their own offset.
        + geom_text(
            aes(label="text", y="text_at"),
            position=position_dodge(_DODGE, preserve="single"),
            ha="left",
            size=_LABEL_SIZE,
            color="black",
        )
        + coord_flip()
        + scale_fill_manual(
            values=[_SIDE_COLOURS["use"], _SIDE_COLOURS["creation"]],
            breaks=list(frame["side_label"].cat.categories),
        )
        + guides(fill=guide_legend(reverse=True))
        + scale_y_continuous(
            limits=(0, _headroom(frame["percent"].max())),
            expand=(0, 0),
            breaks=[0, 25, 50, 75, 100],
        )
        + labs(x="", y="Share (%)", fill="")
        + _theme(height=height)
        + theme(legend_position="top")
    )
    plot.alt_text = _comparison_alt_text(table, titles, lead)
    return plot


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


# Shared look ----------------------------------------------------------------


def _theme(height: float) -> theme:
    return theme_minimal(base_size=_BASE_SIZE) + theme(
        figure_size=(_WIDTH, height),
        dpi=100,
        panel_grid_major_y=element_blank(),
        panel_grid_minor=element_blank(),
        panel_grid_major_x=element_line(color="#d9d9d9", size=0.4),
        axis_text_y=element_text(color="black"),
        axis_title_x=element_text(size=_BASE_SIZE - 1),
        legend_title=element_blank(),
        strip_text=element_text(weight="bold", linespacing=1.3),
    )


def _headroom(largest: float) -> float:
    """An axis end that leaves room for the label right of the longest bar."""
    return max(10.0, largest * 1.18 + 4)


def _lower(label: str) -> str:
    """A label as it reads inside a sentence ("Relationship management" →
    "relationship management"), leaving acronyms alone."""
    if len(label) > 1 and label[1].islower():
        return label[0].lower() + label[1:]
    return label
