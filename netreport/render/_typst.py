"""Compile Typst sources to PDF with one compiler per thread.

Setting up a compiler loads Typst's embedded fonts, about a third of the
time a short status report takes to compile; a compiler kept for the
thread's later documents skips that. Each compile names its own source,
root and creation time, so nothing of one document carries over to the
next. Threads keep compilers apart, as a compiler is not meant to be
shared while it runs.
"""

from __future__ import annotations

import threading
from pathlib import Path

import typst

__all__ = ["PDF_STANDARD", "compile_pdf"]

#: The PDF is tagged PDF/UA-1: Typst then refuses an image or an equation
#: without alt text, and a document without a title or language.
PDF_STANDARD = "ua-1"

_local = threading.local()


def compile_pdf(source: Path, pdf: Path, *, root: Path, timestamp: int | None) -> None:
    """Compile the Typst file `source` to `pdf`; files it reads lie under `root`.

    Raises
    ------
    typst.TypstError
        When the source does not compile; the caller words the message.
    """
    compiler = getattr(_local, "compiler", None)
    if compiler is None:
        compiler = _local.compiler = typst.Compiler(ignore_system_fonts=True)
    compiler.compile(
        input=str(source),
        output=str(pdf),
        root=str(root),
        timestamp=timestamp,
        pdf_standards=PDF_STANDARD,
    )
