"""A case: its coded data, the figures the study published, and their audit.

Chapters start with ``case = load_case()`` and compute everything else from
it. Loading is cached per process by the files' contents, so a book whose
chapters each load the case reads and checks the data once.

Because it is cached, the case notes a read (`netreport.rebuild.record_read`)
when code touches a dataset, the codebook or the published figures, not when
it is loaded: that is how a rebuild knows which chapters a changed file
touches.
"""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass, fields
from functools import cache
from pathlib import Path

from netreport.coded_data import CodedData, load_coded_data
from netreport.errors import NetreportError, NetreportWarning
from netreport.periods import check_mention_years
from netreport.published import Audit, PublishedFigure, audit_published, load_published
from netreport.rebuild import record_read

__all__ = ["Case", "load_case"]


@dataclass(frozen=True)
class Case:
    """Everything a chapter or status report computes from."""

    data: CodedData
    published: list[PublishedFigure]
    audit: Audit

    @property
    def codebook(self):
        return self.data.codebook


def load_case(data_dir: Path | str = "data") -> Case:
    """Load and check the case in ``data_dir`` (``data/`` of the project)."""
    data_dir = Path(data_dir).resolve()
    return _load(data_dir, _contents_key(data_dir))


def _contents_key(data_dir: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(data_dir.glob("*")):
        if path.is_file():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


@cache
def _load(data_dir: Path, key: str) -> Case:
    loaded = load_coded_data(data_dir)
    _warn_about_mention_years(loaded)
    data = _RecordedData(**{f.name: getattr(loaded, f.name) for f in fields(loaded)})
    published_path = data_dir / "published.yml"
    published = load_published(published_path, data) if published_path.exists() else []
    return _RecordedCase(data, published, audit_published(loaded, published))


def _warn_about_mention_years(data: CodedData) -> None:
    """Say at check and build what `netreport status` would stop on.

    A warning, not an error: the case report pools the years and is right
    without the school years of the mentions; only the status reports,
    one per school year, need them.
    """
    try:
        check_mention_years(data)
    except NetreportError as err:
        warnings.warn(
            f"{err} Until then netreport status stops on this; the case report "
            "counts the mentions with the artifacts of every year.",
            NetreportWarning,
            stacklevel=4,  # the caller of load_case
        )


class _RecordedData(CodedData):
    """Coded data that records which of its files the running code touched."""

    def __getattribute__(self, name: str):
        if name in _RECORDED:
            for path in _reads(self)[_RECORDED[name]]:
                record_read(path, resolved=True)
        return object.__getattribute__(self, name)


# The attributes that read the data, and the dataset each reads.
_RECORDED = {
    "artifacts": "artifacts",
    "included": "artifacts",
    "excluded": "artifacts",
    "mentions": "mentions",
    "codebook": "codebook",
    # Whether the data is a reconstruction: reconstruction.yml is there.
    "reconstruction": "reconstruction",
}


def _reads(data: _RecordedData) -> dict[str, list[Path]]:
    """The files each recorded attribute of `data` depends on, resolved.

    Worked out once per data object (chapters touch the frames hundreds of
    times): the frames were read from these files, wherever they point now.
    """
    kept = object.__getattribute__(data, "__dict__")
    if "_reads" not in kept:
        files = object.__getattribute__(data, "files")
        codebook = files["codebook"].resolve()
        # The frames depend on the column mapping, when there is one.
        mapping = (files["codebook"].parent.parent / "netreport.yml").resolve()
        kept["_reads"] = {
            "codebook": [codebook],
            "reconstruction": [codebook.parent / "reconstruction.yml"],
            "artifacts": [codebook, files["artifacts"].resolve(), mapping],
            "mentions": [codebook, files["mentions"].resolve(), mapping],
        }
    return kept["_reads"]


class _RecordedCase(Case):
    """A case whose published figures and audit count as reading every file."""

    def __getattribute__(self, name: str):
        if name in ("published", "audit"):
            data = object.__getattribute__(self, "data")
            record_read(data.files["codebook"].parent / "published.yml")
            data.artifacts, data.mentions  # noqa: B018 (records both)
        return object.__getattribute__(self, name)
