"""Build the output dir beside the old one; swap it in only on success.

A build can be killed at any instant (SIGKILL, power loss) and the output
dir is still either the previous site or the new one, whole:

- everything is written into a staging directory next to the output dir;
- folders other commands write into the output dir (status reports,
  archived versions) are hard-linked into the staging directory, so the old
  site keeps its own copy until the swap;
- the swap is one atomic exchange of the two directories (Linux
  ``renameat2(RENAME_EXCHANGE)``). Where that is not available, two renames
  are used, and a build killed between them leaves the old site under a
  temporary name, which the next build puts back.

The staging directory is made as a plain ``mkdir`` makes it, not with
``tempfile.mkdtemp``'s mode 0700: it becomes the output dir, which a web
server running as another user must be able to read.

Temporary directories carry the id of the process that made them. Every
build, even one with nothing to rebuild, removes the ones whose process is
gone, left by a killed build, and logs it (`clean_leftovers`). The module
uses the standard library (and netreport's errors) only, so that check
costs a build with nothing to do next to nothing.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import logging
import os
import re
import secrets
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from netreport.errors import NetreportError

__all__ = ["CARRIED_OVER", "clean_leftovers", "staged_output"]

logger = logging.getLogger(__name__)

#: Folders of the output dir that a render keeps from the previous one.
CARRIED_OVER = ("status", "versions")

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


@contextlib.contextmanager
def staged_output(output_dir: Path) -> Iterator[Path]:
    """Yield an empty directory that replaces `output_dir` if the block succeeds.

    Raises
    ------
    NetreportError
        Before anything is written, when `output_dir` is a file: the swap
        would put the site in its place and hide the file away.
    """
    if output_dir.exists() and not output_dir.is_dir():
        raise NetreportError(
            f"{output_dir}: a file is there, not a folder, and the built site "
            "would replace it; move the file away, or set another output-dir "
            "in _quarto.yml (or pass --output-dir)"
        )
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    clean_leftovers(output_dir)
    staging = _make_dir(output_dir.parent, f".{output_dir.name}.render-{os.getpid()}-")
    try:
        yield staging
        _swap(staging, output_dir)
    finally:
        # After an exchange the staging path holds the previous site.
        shutil.rmtree(staging, ignore_errors=True)


def _make_dir(parent: Path, prefix: str) -> Path:
    """A new folder named `prefix` and a random tail, as a plain mkdir makes it.

    Not `tempfile.mkdtemp`: its folder is 0700 whatever the umask, and this
    one becomes the output dir, which a web server running as another user
    must be able to read.
    """
    while True:
        path = parent / f"{prefix}{secrets.token_hex(4)}"
        try:
            path.mkdir()
        except FileExistsError:
            continue
        return path


def _swap(staging: Path, output_dir: Path) -> None:
    if not output_dir.exists():
        os.replace(staging, output_dir)
        return
    _carry_over(output_dir, staging)
    if _exchange(staging, output_dir):
        return
    retired = Path(
        tempfile.mkdtemp(
            prefix=f".{output_dir.name}.old-{os.getpid()}-", dir=output_dir.parent
        )
    )
    os.replace(output_dir, retired)
    try:
        os.replace(staging, output_dir)
    except BaseException:
        os.replace(retired, output_dir)
        raise
    shutil.rmtree(retired, ignore_errors=True)


def _exchange(new: Path, old: Path) -> bool:
    """Swap two directories atomically; False where the system cannot."""
    if sys.platform != "linux":
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p] * 2 + [ctypes.c_uint]
    code = renameat2(
        _AT_FDCWD, os.fsencode(new), _AT_FDCWD, os.fsencode(old), _RENAME_EXCHANGE
    )
    if code == 0:
        return True
    error = ctypes.get_errno()
    if error in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False
    raise OSError(error, os.strerror(error), str(old))


def _carry_over(output_dir: Path, staging: Path) -> None:
    """Link kept folders the render did not write itself into `staging`."""
    for name in CARRIED_OVER:
        if (output_dir / name).is_dir() and not (staging / name).exists():
            _link_tree(output_dir / name, staging / name)


def _link_tree(source: Path, target: Path) -> None:
    """Copy the folders of `source` and hard-link its files into `target`.

    The folders are made anew rather than copied with their modes, so a
    folder an older netreport made 0700 gets the umask's mode again.
    """
    target.mkdir()
    for entry in source.iterdir():
        if entry.is_dir():
            _link_tree(entry, target / entry.name)
        else:
            _link_or_copy(entry, target / entry.name)


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def clean_leftovers(output_dir: Path) -> None:
    """Remove temporary dirs of killed builds; put back a site left retired.

    Looks beside `output_dir` for the ``.<name>.render-<pid>-*`` and
    ``.<name>.old-<pid>-*`` folders of builds whose process is gone; those
    of a running build are left alone. A single page (a status report)
    stages the same way beside itself, so `output_dir` may be a page.
    """
    if not output_dir.parent.is_dir():
        return
    pattern = re.compile(rf"\.{re.escape(output_dir.name)}\.(render|old)-(\d+)-")
    for path in sorted(output_dir.parent.iterdir()):
        match = pattern.match(path.name)
        if not match or not path.is_dir() or _running(int(match.group(2))):
            continue
        if match.group(1) == "old" and not output_dir.exists():
            os.replace(path, output_dir)
            logger.warning(
                "put back %s, which a killed build had moved to %s",
                output_dir.name,
                path.name,
            )
            continue
        shutil.rmtree(path, ignore_errors=True)
        logger.warning(
            "removed %s, left by a build that was killed (process %s)",
            path.name,
            match.group(2),
        )


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
