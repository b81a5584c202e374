"""Bar charts for status reports, written as SVG text.

Status reports are rendered by the thousand, so their charts skip plotnine
and matplotlib (which took most of a report's time) and are drawn here as
plain SVG: one horizontal bar per category, its value written beside it.
A count an outside reader may not see gets no bar, only its text ("fewer
than 10"), so the bar's length cannot give it away. Same values, same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape

__all__ = ["bar_chart_svg"]

_WIDTH = 640
_LABEL = 250  # room for category labels on the left
_ROW = 26
_BAR = 16
_TOP = 8
_FILL = "#0072B2"  # Okabe and Ito's blue: readable for every colour vision
_TEXT = "#1b1f24"
_FONT = "DejaVu Sans, Libertinus Serif, sans-serif"


def bar_chart_svg(
    labels: Sequence[str],
    values: Sequence[int | None],
    texts: Sequence[str],
    *,
    title: str,
) -> str:
    """An SVG bar chart.

    Parameters
    ----------
    labels
        One label per bar, top to bottom.
    values
        The bar lengths; None draws no bar (a hidden count).
    texts
        What is written after each bar, e.g. ``"42 (35.2%)"``.
    title
        The chart's accessible name (``<title>``).
    """
    largest = max([v for v in values if v is not None] or [1]) or 1
    room = _WIDTH - _LABEL - 120
    height = _TOP * 2 + _ROW * len(labels)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_WIDTH}" '
        f'height="{height}" viewBox="0 0 {_WIDTH} {height}" role="img">',
        f"<title>{escape(title)}</title>",
        f'<g font-family="{_FONT}" font-size="12" fill="{_TEXT}">',
    ]
    for row, (label, value, text) in enumerate(zip(labels, values, texts, strict=True)):
        y = _TOP + row * _ROW
        middle = y + _ROW / 2 + 4
        length = 0 if value is None else round(room * value / largest, 1)
        parts.append(
            f'<text x="{_LABEL - 8}" y="{middle}" text-anchor="end">'
            f"{escape(label)}</text>"
        )
        if length:
            top = y + (_ROW - _BAR) / 2
            parts.append(
                f'<rect x="{_LABEL}" y="{top}" width="{length}" height="{_BAR}" '
                f'fill="{_FILL}"/>'
            )
        parts.append(
            f'<text x="{_LABEL + length + 6}" y="{middle}">{escape(text)}</text>'
        )
    parts.append("</g></svg>")
    return "\n".join(parts) + "\n"
