"""Build the output dir beside the old one; swap it in only on success.

A failed render leaves the previous output dir byte for byte as it was and
no temporary directory behind. Folders other commands write into the output
dir (status reports, archived versions) are carried over into the new one,
so rebuilding the book does not delete them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

__all__ = ["CARRIED_OVER", "staged_output"]

#: Folders of the output dir that a render keeps from the previous one.
CARRIED_OVER = ("status", "versions")


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
    carried = _carry_over(output_dir, staging)
    retired = output_dir.parent / f".{output_dir.name}.old-{uuid.uuid4().hex[:8]}"
    try:
        os.replace(output_dir, retired)
    except BaseException:
        _carry_back(carried, staging, output_dir)
        raise
    try:
        os.replace(staging, output_dir)
    except BaseException:
        os.replace(retired, output_dir)
        _carry_back(carried, staging, output_dir)
        raise
    shutil.rmtree(retired, ignore_errors=True)


def _carry_over(output_dir: Path, staging: Path) -> list[str]:
    """Move kept folders the render did not write itself into `staging`."""
    carried = []
    for name in CARRIED_OVER:
        if (output_dir / name).is_dir() and not (staging / name).exists():
            os.replace(output_dir / name, staging / name)
            carried.append(name)
    return carried


def _carry_back(carried: list[str], staging: Path, output_dir: Path) -> None:
    for name in carried:
        os.replace(staging / name, output_dir / name)
