"""Run the pandoc binary that ships with ``pypandoc-binary``.

pandoc is called as a subprocess (not through pypandoc's helpers) so that
its warnings can be read and a failure can name the chapter it came from.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from functools import cache
from typing import Any

import pypandoc

from netreport.errors import NetreportError

__all__ = ["markdown_to_ast", "run_pandoc", "PANDOC_MARKDOWN"]

#: pandoc's Markdown plus what Quarto sources use and pandoc leaves off.
PANDOC_MARKDOWN = "markdown+tex_math_dollars+pipe_tables"


@cache
def _pandoc_path() -> str:
    return pypandoc.get_pandoc_path()


def run_pandoc(source: str, args: Sequence[str], *, what: str) -> tuple[str, list[str]]:
    """Run pandoc on `source`; return its output and its warning lines.

    Parameters
    ----------
    what
        What is being converted, named in an error (e.g. a chapter path).
    """
    command = [_pandoc_path(), *args]
    result = subprocess.run(
        command, input=source.encode("utf-8"), capture_output=True, check=False
    )
    stderr = result.stderr.decode("utf-8", errors="replace")
    if result.returncode != 0:
        raise NetreportError(
            f"{what}: pandoc failed (exit {result.returncode}): {stderr.strip()}"
        )
    warnings = [line for line in stderr.splitlines() if line.strip()]
    return result.stdout.decode("utf-8"), warnings


def markdown_to_ast(markdown: str, *, what: str) -> dict[str, Any]:
    """Parse Markdown into pandoc's JSON AST."""
    output, _ = run_pandoc(markdown, ["-f", PANDOC_MARKDOWN, "-t", "json"], what=what)
    return json.loads(output)
