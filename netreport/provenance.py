"""Where an output came from: code, data and tools, for its colophon."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from importlib.metadata import version
from pathlib import Path

from netreport.coded_data import CodedData

__all__ = ["build_time", "describe_build"]


def build_time() -> dt.datetime:
    """Now, or ``SOURCE_DATE_EPOCH`` when set, so rebuilds can give equal bytes."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch is not None:
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC)
    return dt.datetime.now(tz=dt.UTC).replace(microsecond=0)


def describe_build(project_dir: Path, data: CodedData) -> dict[str, str]:
    """The stamp every output carries, as label and value."""
    stamp = {
        "Data": "reconstruction of the published figures"
        if data.reconstruction
        else "coded data supplied by the researchers",
    }
    for role, digest in data.fingerprint().items():
        stamp[f"SHA-256 of {data.files[role].name}"] = digest[:16]
    stamp["Code"] = _git_commit(project_dir)
    stamp["netreport"] = version("netreport")
    stamp["Built"] = build_time().strftime("%Y-%m-%d %H:%M UTC")
    return stamp


def _git_commit(project_dir: Path) -> str:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            cwd=project_dir,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=project_dir,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "not under git"
    return f"{commit} (uncommitted changes)" if dirty else commit
