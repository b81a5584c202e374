"""Build the output dir beside the old one; swap it in only on success.

A failed render leaves the previous output dir byte for byte as it was and
no temporary directory behind.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

__all__ = ["staged_output"]


@contextlib.contextmanager
def staged_output(output_dir: Path) -> Iterator[Path]:
    """Yield an empty directory that replaces `output_dir` if the block succeeds."""
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(
        tempfile.mkdtemp(prefix=f".{output_dir.name}.render-", dir=output_dir.parent)
    )
    try:
        yield staging
        _swap(staging, output_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _swap(staging: Path, output_dir: Path) -> None:
    if not output_dir.exists():
        os.replace(staging, output_dir)
        return
    retired = output_dir.parent / f".{output_dir.name}.old-{uuid.uuid4().hex[:8]}"
    os.replace(output_dir, retired)
    try:
        os.replace(staging, output_dir)
    except BaseException:
        os.replace(retired, output_dir)
        raise
    shutil.rmtree(retired, ignore_errors=True)
