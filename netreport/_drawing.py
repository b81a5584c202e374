"""How the report's figures look: their plotnine layers and theme.

`netreport.figures` prepares each figure's data and alt text; this module
turns them into a plotnine ``ggplot``. It is imported only when a figure is
drawn, not when the result store holds its SVG already: plotnine and
matplotlib take about a second to import.
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

from netreport.figures import OKABE_ITO

# Creation is always the dark blue and use the light orange, in every
# figure, so the pair reads apart in greyscale too.
_SIDE_COLOURS = {"creation": OKABE_ITO["blue"], "use": OKABE_ITO["orange"]}
_WIDTH = 6.5  # inches: the text width of the book's pages
_BASE_SIZE = 10
_LABEL_SIZE = 8
_DODGE = 0.8


def comparison(frame: pd.DataFrame, height: float) -> ggplot:
    """Grouped horizontal bars: creation beside use, one group per code."""
    # coord_flip draws the first level at the bottom, so levels are reversed
    # to read top-down in codebook order, creation above use.
    return (
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


def use_by_context(frame: pd.DataFrame, height: float) -> ggplot:
    """One panel per context, a bar per actual use."""
    return (
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
        + _theme(height=height)
    )


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
