"""Warm Typst's caches with the book's last source while the chapters run.

Most of the book's PDF time (about 0.85 s of 0.9 here) is Typst laying the
book out. Typst memoises layout for the life of the process, keyed by the
content and its styles, so compiling the last build's source first makes a
rebuild after a few changed numbers lay out only what moved (0.1 s). A build
keeps its source, and the images it shows, in a folder of the cache; the
next build compiles that folder in the background while its chapters run.

The warm-up only fills caches: its PDF is thrown away, and Typst's memoised
results equal what it would compute afresh, so the book's bytes do not
depend on it (a test builds twice and compares). For the memo to apply, the
kept source sits at the same path inside its root as the book's (``SOURCE``),
and nothing that changes between builds (build time, data digests) may be
styled over the whole book: the template sets the PDF's metadata last.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterable
from pathlib import Path

import typst

from netreport.render._typst import compile_pdf

__all__ = ["SOURCE", "keep_source", "warm_up"]

logger = logging.getLogger(__name__)

#: Where the book's Typst source lies in the folder Typst compiles.
SOURCE = ".book.typ"
_WARM_PDF = ".warm-up.pdf"


def warm_up(folder: Path) -> None:
    """Compile the source kept in `folder`, if any, and throw the PDF away."""
    if not (folder / SOURCE).is_file():
        return
    logger.info("warm up Typst with the last build's book")
    try:
        compile_pdf(folder / SOURCE, folder / _WARM_PDF, root=folder, timestamp=None)
    except typst.TypstError as exc:
        # A kept source that no longer compiles (a font or template gone)
        # only means a cold compile; the book's own compile reports errors.
        logger.debug("the kept Typst source did not compile: %s", exc)
    finally:
        (folder / _WARM_PDF).unlink(missing_ok=True)


def keep_source(folder: Path, source: str, site: Path, images: Iterable[str]) -> None:
    """Keep `source` and the `images` it shows (paths in `site`) in `folder`."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for image in images:
        target = folder / image
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(site / image, target)
    # The source last: a folder without it is never compiled.
    (folder / SOURCE).write_text(source, encoding="utf-8")
