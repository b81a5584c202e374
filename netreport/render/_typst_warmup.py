"""Warm Typst's caches with the book's last source while a build runs.

Most of the book's PDF time (about 0.85 s) is Typst laying the book out.
Typst memoises layout for the life of the process, keyed by the content and
its styles, so compiling the last build's source first makes a rebuild
after a few changed numbers lay out only what moved (0.1 s). A build keeps
its source, and the images it shows, in a folder of its cache; the next
build starts compiling that folder on a thread of its own before it even
loads pandas, and the book's compile finds the layout ready.

The warm-up only fills caches: its PDF is thrown away, and Typst's memoised
results equal what it would compute afresh, so the book's bytes do not
depend on it (a test builds both ways and compares). For the memo to apply,
the kept source sits at the same path inside its root as the book's
(``SOURCE``), and nothing that changes between builds (build time, data
digests) may be styled over the whole book: the template sets the PDF's
metadata last.
"""

from __future__ import annotations

import logging
import shutil
import threading
from collections.abc import Iterable
from pathlib import Path

__all__ = ["SOURCE", "TypstWarmUp"]

logger = logging.getLogger(__name__)

#: Where the book's Typst source lies in the folder Typst compiles.
SOURCE = ".book.typ"
_WARM_PDF = ".warm-up.pdf"


class TypstWarmUp:
    """The last build's book, compiling on a thread of its own from `folder`.

    `keep` waits for it, then replaces what `folder` holds with this build's
    book, for the next build.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._thread = threading.Thread(
            target=self._compile, name="typst-warm-up", daemon=True
        )
        self._thread.start()

    def keep(self, source: str, site: Path, images: Iterable[str]) -> None:
        """Keep `source` and the `images` it shows (paths in `site`)."""
        self.wait()
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        for image in images:
            target = self.folder / image
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(site / image, target)
        # The source last: a folder without it is never compiled.
        (self.folder / SOURCE).write_text(source, encoding="utf-8")

    def wait(self) -> None:
        self._thread.join()

    def _compile(self) -> None:
        if not (self.folder / SOURCE).is_file():
            return
        import typst

        from netreport.render._typst import compile_pdf

        logger.info("warm up Typst with the last build's book")
        pdf = self.folder / _WARM_PDF
        try:
            compile_pdf(self.folder / SOURCE, pdf, root=self.folder, timestamp=None)
        except (typst.TypstError, OSError) as exc:
            # A kept source that no longer compiles (a font or template gone)
            # only means a cold compile; the book's own compile reports errors.
            logger.debug("the kept Typst source did not compile: %s", exc)
        finally:
            pdf.unlink(missing_ok=True)
