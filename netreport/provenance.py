"""Where an output came from: code, data and tools, for its colophon.

`collect_provenance` gathers it once per build; the same record becomes the
colophon of every page and of the PDF (`Provenance.stamp`), the
``<meta name="netreport:...">`` tags and the PDF's metadata
(`Provenance.meta`), and ``provenance.json`` (`Provenance.to_json`). Nothing
in it changes between two builds of the same inputs when
``SOURCE_DATE_EPOCH`` is set, so those builds give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import subprocess
import tempfile
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # Annotations only: `build_time` is read by the render engine, which
    # should not load pandas with it.
    from netreport.coded_data import CodedData

__all__ = ["Provenance", "build_time", "collect_provenance", "describe_build"]

#: The report version of a build that is not a release.
UNRELEASED = "unreleased"


@dataclass(frozen=True)
class Provenance:
    """What one build of the report was made from.

    Attributes
    ----------
    version
        The report version (``1.1.0``), or ``unreleased``.
    data
        SHA-256 of each data file and the codebook, by file name.
    reconstruction
        True when the data is the shipped reconstruction.
    commit
        The project's git commit, None outside git.
    dirty
        True when tracked files differ from that commit.
    tools
        Versions of netreport, pandoc and Typst.
    built
        The build time: ``SOURCE_DATE_EPOCH`` when set, else now.
    """

    version: str
    data: dict[str, str]
    reconstruction: bool
    commit: str | None
    dirty: bool
    tools: dict[str, str]
    built: dt.datetime

    def stamp(self) -> dict[str, str]:
        """The colophon, as label and value."""
        stamp = {
            "Version": self.version,
            "Data": "reconstruction of the published figures"
            if self.reconstruction
            else "coded data supplied by the researchers",
        }
        for name, digest in self.data.items():
            stamp[f"SHA-256 of {name}"] = digest
        stamp["Code"] = self._code()
        stamp.update(self.tools)
        stamp["Built"] = self.built.strftime("%Y-%m-%d %H:%M UTC")
        return stamp

    def meta(self) -> dict[str, str]:
        """Flat machine names and values, for HTML meta tags and the PDF."""
        meta = {"version": self.version}
        meta.update({f"sha256:{name}": d for name, d in self.data.items()})
        meta["commit"] = self.commit or "none"
        meta["dirty"] = "true" if self.dirty else "false"
        meta.update({name.lower(): v for name, v in self.tools.items()})
        meta["built"] = self.built.isoformat().replace("+00:00", "Z")
        return meta

    def to_json(self) -> bytes:
        """``provenance.json``: sorted keys, so equal records give equal bytes."""
        record = {
            "version": self.version,
            "data": {"sha256": self.data, "reconstruction": self.reconstruction},
            "code": {"commit": self.commit, "dirty": self.dirty},
            "tools": self.tools,
            "built": self.meta()["built"],
        }
        return (json.dumps(record, indent=2, sort_keys=True) + "\n").encode()

    def _code(self) -> str:
        if self.commit is None:
            return "not under git"
        short = self.commit[:12]
        return f"{short} (uncommitted changes)" if self.dirty else short


def build_time() -> dt.datetime:
    """Now, or ``SOURCE_DATE_EPOCH`` when set, so rebuilds can give equal bytes."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch is not None:
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC)
    return dt.datetime.now(tz=dt.UTC).replace(microsecond=0)


def collect_provenance(
    project_dir: Path, data: CodedData, version: str | None = None
) -> Provenance:
    """The provenance of a build of `project_dir` from `data` now.

    Parameters
    ----------
    version
        The release being built; None for an ordinary build (``unreleased``).
    """
    digests = {path.name: d for path, d in _data_files(data).items()}
    commit, dirty = git_state(project_dir)
    return Provenance(
        version=version or UNRELEASED,
        data=digests,
        reconstruction=data.reconstruction,
        commit=commit,
        dirty=dirty,
        tools=tool_versions(),
        built=build_time(),
    )


def describe_build(project_dir: Path, data: CodedData) -> dict[str, str]:
    """The stamp every output carries, as label and value."""
    return collect_provenance(project_dir, data).stamp()


def _data_files(data: CodedData) -> dict[Path, str]:
    """SHA-256 of the codebook, the datasets and ``published.yml``."""
    files = list(data.files.values())
    published = data.files["codebook"].parent / "published.yml"
    if published.is_file():
        files.append(published)
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def tool_versions() -> dict[str, str]:
    """Versions of the programs whose output ends up in the report."""
    return {
        "netreport": version("netreport"),
        "pandoc": _pandoc_version(),
        "Typst": _typst_version(),
    }


def _pandoc_version() -> str:
    import pypandoc

    output = subprocess.run(
        [pypandoc.get_pandoc_path(), "--version"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout
    return output.split("\n", 1)[0].removeprefix("pandoc").strip()


def _typst_version() -> str:
    # The compiler's own version, which can differ from the wheel's.
    import typst

    with tempfile.TemporaryDirectory() as folder:
        empty = Path(folder) / "version.typ"
        empty.write_text("")
        return json.loads(typst.eval(str(empty), "str(sys.version)", format="json"))


def git_state(project_dir: Path) -> tuple[str | None, bool]:
    """The commit of `project_dir` and whether its tracked files changed."""
    try:
        commit = _git(project_dir, "rev-parse", "HEAD")
        dirty = _git(project_dir, "status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return None, False
    return commit, bool(dirty)


def _git(project_dir: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args],
        cwd=project_dir,
        capture_output=True,
        text=True,
        check=True,
        timeout=10,
    ).stdout.strip()
