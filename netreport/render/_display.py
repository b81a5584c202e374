"""Turn what a cell shows into Markdown, as a Jupyter front end would.

A displayed value is, in order of preference:

- a figure: a matplotlib ``Figure``, a plotnine ``ggplot`` or an object
  that draws itself on demand (netreport's `netreport.figures.Plot`),
  written as a deterministic SVG file and shown as a figure;
- an object with ``_repr_markdown_()``: its Markdown, inserted as is
  (netreport's tables return pipe tables this way);
- a pandas ``DataFrame``: a pipe table;
- anything else: its ``repr`` in a code-output block.

Figure alt text comes from the cell's ``fig-alt`` option or else from the
displayed object's ``alt_text`` attribute, which netreport's ``plot_``
functions set.

An object that draws on demand has ``draw()`` and ``figure_key()``, which
names everything its drawing depends on besides netreport's code. Its SVG
is taken from the build's result store (`netreport.result_store`) under
that key and matplotlib's and plotnine's settings as a cell left them, so
a chapter whose figures are all stored never imports matplotlib.
"""

from __future__ import annotations

import functools
import importlib.util
import io
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from netreport.result_store import stored_bytes

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
# With these too, for a value that is data through and through (a code
# label): emphasis, code, super- and subscripts.
_ALL_MARKUP = re.compile(r"([\\<>&\[\]@$*_`~^])")


@dataclass(frozen=True)
class FigureOutput:
    """A figure a cell showed, written to `path` (relative to the site)."""

    path: Path
    alt: str | None


def figure_of(value: Any) -> Any | None:
    """`value` when it is a figure the engine can write as SVG, else None."""
    figure_module = sys.modules.get("matplotlib.figure")
    if figure_module is not None and isinstance(value, figure_module.Figure):
        return value
    if type(value).__module__.startswith("plotnine") and hasattr(value, "draw"):
        return value
    if callable(getattr(type(value), "figure_key", None)):
        return value
    return None


def save_svg(figure: Any, path: Path) -> None:
    """Write the SVG of `figure` (any `figure_of` value), with no date and
    fixed ids; a figure that was drawn is closed."""
    if callable(getattr(type(figure), "figure_key", None)):
        inputs = {"figure": figure.figure_key(), "settings": _drawing_settings()}
        svg = stored_bytes("figure svg", inputs, lambda: _svg(figure), suffix=".svg")
    else:
        svg = _svg(figure)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(svg)


def _svg(figure: Any) -> bytes:
    import matplotlib
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    if not isinstance(figure, Figure):
        figure = figure.draw(show=False)
    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": _SVG_HASHSALT}):
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    plt.close(figure)
    return buffer.getvalue()


def _drawing_settings() -> dict[str, str]:
    """matplotlib's and plotnine's settings that differ from their defaults.

    A cell may have changed them. The defaults are covered by the key's code
    fingerprint; leaving them out gives the same key whether or not
    matplotlib and plotnine are loaded yet.
    """
    changed: dict[str, str] = {}
    if (matplotlib := sys.modules.get("matplotlib")) is not None:
        params, defaults = matplotlib.rcParams, matplotlib.rcParamsOrig
        for name in params:
            # The on-screen backend, and whether pyplot may fall back from
            # it, do not change an SVG (matplotlib.use, by which the engine
            # chooses Agg, clears backend_fallback).
            if name.startswith("backend"):
                continue
            if repr(params[name]) != repr(defaults[name]):
                changed[f"matplotlib {name}"] = repr(params[name])
    if (options := sys.modules.get("plotnine.options")) is not None:
        defaults = vars(_plotnine_defaults())
        for name, value in vars(options).items():
            if name.startswith("_") or callable(value):
                continue
            if repr(value) != repr(defaults.get(name)):
                changed[f"plotnine {name}"] = repr(value)
    return changed


@functools.cache
def _plotnine_defaults() -> ModuleType:
    """plotnine's options as its module sets them; plotnine keeps no copy."""
    spec = importlib.util.find_spec("plotnine.options")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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

    if not isinstance(frame.index, pd.RangeIndex) or frame.index.name is not None:
        frame = frame.reset_index()
    headers = [_cell_text(c) for c in frame.columns]
    # As objects, not by itertuples(), which makes a Series of each column
    # first: eight times slower for a small table.
    values = frame.to_numpy(dtype=object).tolist()
    rows = [[_cell_text(v) for v in row] for row in values]
    # Numbers align right, also when a cell already wrote them as text
    # ("+6.2", "< .001", "35.2%").
    numeric = [
        pd.api.types.is_numeric_dtype(frame[column])
        or _all_numbers([row[i] for row in rows])
        for i, column in enumerate(frame.columns)
    ]
    rule = ["---:" if n else ":---" for n in numeric]
    lines = [headers, rule, *rows]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in lines)


# A number as a cell may write it: an optional comparison or sign, digits
# with their separators, an optional percent sign.
_NUMBER_TEXT = re.compile(r"(?:[<>≤≥]\s*)?[+\-−]?(?:\d[\d,]*(?:\.\d+)?|\.\d+)%?")


def _all_numbers(cells: list[str]) -> bool:
    shown = [cell.replace("\\", "").strip() for cell in cells if cell.strip()]
    return bool(shown) and all(_NUMBER_TEXT.fullmatch(cell) for cell in shown)


def _cell_text(value: Any) -> str:
    if isinstance(value, float):
        text = f"{value:.6g}" if value == value else ""
    elif isinstance(value, tuple):
        text = " / ".join(str(v) for v in value)
    else:
        text = "" if value is None else str(value)
    return escape_markdown(text).replace("|", r"\|").replace("\n", " ")


def escape_markdown(text: str, *, keep_emphasis: bool = True) -> str:
    """`text` as Markdown that pandoc shows literally: a data label holding
    HTML, a link, math or ``@key`` stays text in every output.

    With `keep_emphasis` False, ``*``, ``_``, backticks, ``~`` and ``^`` are
    escaped too. A chapter's table cells keep them, since chapters write
    ``**bold**`` into cells on purpose.
    """
    return (_MARKUP if keep_emphasis else _ALL_MARKUP).sub(r"\\\1", text)


def _is_dataframe(value: Any) -> bool:
    return type(value).__name__ == "DataFrame" and hasattr(value, "itertuples")


def _longest_backtick_run(text: str) -> int:
    longest = run = 0
    for char in text:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    return longest
