"""A case: its coded data, the figures the study published, and their audit.

Chapters start with ``case = load_case()`` and compute everything else from
it. Loading is cached per process by the files' contents, so a book whose
chapters each load the case reads and checks the data once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from netreport.coded_data import CodedData, load_coded_data
from netreport.published import Audit, PublishedFigure, audit_published, load_published

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
    data = load_coded_data(data_dir)
    published_path = data_dir / "published.yml"
    published = load_published(published_path, data) if published_path.exists() else []
    return Case(data, published, audit_published(data, published))
