"""What a render produced."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from netreport.render._crossref import CrossRef

__all__ = ["RenderResult"]


@dataclass(frozen=True)
class RenderResult:
    """The files a render wrote and what it found on the way.

    Attributes
    ----------
    output_dir
        The output directory, e.g. ``<project>/_site``.
    pages
        The HTML pages, in book order.
    pdf
        The book PDF; None when Quarto rendered and no PDF was found.
    figures
        The figure files the code cells produced.
    labels
        Every cross-reference label of the book, by label.
    elapsed
        Seconds the render took.
    engine
        ``embedded`` or ``quarto``.
    """

    output_dir: Path
    pages: tuple[Path, ...]
    pdf: Path | None
    figures: tuple[Path, ...] = ()
    labels: Mapping[str, CrossRef] = field(default_factory=dict)
    elapsed: float = 0.0
    engine: str = "embedded"
