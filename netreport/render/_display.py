"""Turn what a cell shows into Markdown, as a Jupyter front end would.

A displayed value is, in order of preference:

- a plotnine ``ggplot`` or a matplotlib ``Figure``: written as a
  deterministic SVG file and shown as a figure;
- an object with ``_repr_markdown_()``: its Markdown, inserted as is
  (netreport's tables return pipe tables this way);
- a pandas ``DataFrame``: a pipe table;
- anything else: its ``repr`` in a code-output block.

Figure alt text comes from the cell's ``fig-alt`` option or else from the
displayed object's ``alt_text`` attribute, which netreport's ``plot_``
functions set.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

__all__ = [
    "FigureOutput",
    "escape_markdown",
    "figure_of",
    "markdown_of",
    "pipe_table",
    "save_svg",
]

# Fixed so that SVG element ids, and so the file bytes, repeat across runs.
_SVG_HASHSALT = "netreport"
# Characters by which a data value would become HTML, a link, math or a
# citation instead of text.
_MARKUP = re.compile(r"([\\<>&\[\]@$])")


@dataclass(frozen=True)
class FigureOutput:
    """A figure a cell showed, written to `path` (relative to the site)."""

    path: Path
    alt: str | None


def figure_of(value: Any) -> Figure | None:
    """Return the matplotlib figure behind `value`, drawing a ggplot if needed."""
    if isinstance(value, Figure):
        return value
    if type(value).__module__.startswith("plotnine") and hasattr(value, "draw"):
        return value.draw(show=False)
    return None


def save_svg(figure: Figure, path: Path) -> None:
    """Write `figure` as SVG with no date and fixed ids, then close it."""
    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": _SVG_HASHSALT}):
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    plt.close(figure)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())


def markdown_of(value: Any) -> tuple[str, bool]:
    """Markdown for a non-figure value; the flag says it is a table or rich."""
    repr_markdown = getattr(value, "_repr_markdown_", None)
    if callable(repr_markdown):
        text = repr_markdown()
        if isinstance(text, tuple):  # IPython allows (data, metadata)
            text = text[0]
        if text is not None:
            return str(text), True
    if _is_dataframe(value):
        return pipe_table(value), True
    return output_block(repr(value)), False


def output_block(text: str, kind: str | None = "stdout") -> str:
    """A fenced block of cell output (or, with `kind` None, of the cell's code).

    The fence is longer than any backtick run inside the text.
    """
    fence = "`" * max(3, _longest_backtick_run(text) + 1)
    classes = (
        "{.python .cell-code}"
        if kind is None
        else (f"{{.cell-output .cell-output-{kind}}}")
    )
    return f"{fence} {classes}\n{text.rstrip()}\n{fence}"


def pipe_table(frame: Any) -> str:
    """A Markdown pipe table of a DataFrame; the index shows unless it is 0..n-1."""
    import pandas as pd

    frame = frame.copy()
    if not isinstance(frame.index, pd.RangeIndex) or frame.index.name is not None:
        frame = frame.reset_index()
    headers = [_cell_text(c) for c in frame.columns]
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns]
    rows = [[_cell_text(v) for v in row] for row in frame.itertuples(index=False)]
    rule = ["---:" if n else ":---" for n in numeric]
    lines = [headers, rule, *rows]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in lines)


def _cell_text(value: Any) -> str:
    if isinstance(value, float):
        text = f"{value:.6g}" if value == value else ""
    elif isinstance(value, tuple):
        text = " / ".join(str(v) for v in value)
    else:
        text = "" if value is None else str(value)
    return escape_markdown(text).replace("|", r"\|").replace("\n", " ")


def escape_markdown(text: str) -> str:
    """`text` as Markdown that pandoc shows literally: a data label holding
    HTML, a link, math or ``@key`` stays text in every output."""
    return _MARKUP.sub(r"\\\1", text)


def _is_dataframe(value: Any) -> bool:
    return type(value).__name__ == "DataFrame" and hasattr(value, "itertuples")


def _longest_backtick_run(text: str) -> int:
    longest = run = 0
    for char in text:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    return longest
