"""pandoc's command line, which the engine's pandoc session must match."""

from __future__ import annotations

import subprocess

import pypandoc


def pandoc_cli(source: str, *args: str) -> str:
    """Run the bundled pandoc binary on `source`; return what it wrote."""
    done = subprocess.run(
        [pypandoc.get_pandoc_path(), *args],
        input=source.encode("utf-8"),
        capture_output=True,
        check=True,
    )
    return done.stdout.decode("utf-8")
