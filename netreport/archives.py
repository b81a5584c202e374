"""Zip archives from outside (``.qdpx``, ``.xlsx``), opened with care.

A zip file can lie: an entry may name a path outside its folder
(``../../.bashrc``), or inflate a few kilobytes into gigabytes. Nothing is
ever extracted to disk; entries are read into memory, and only after every
entry passed the checks below. Each failed check is a `Problem`.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from netreport.errors import Problem

__all__ = ["Archive", "open_archive"]

MAX_ENTRIES = 10_000
MAX_TOTAL_BYTES = 200 * 1024 * 1024
# Text and XML compress well, but not a thousandfold; a bomb does.
MAX_RATIO = 200
_RATIO_FLOOR = 1024 * 1024  # small entries may compress as they like


@dataclass
class Archive:
    """The checked entries of one zip file, by their name in the archive."""

    path: Path
    zip: zipfile.ZipFile

    def names(self) -> list[str]:
        return [i.filename for i in self.zip.infolist() if not i.is_dir()]

    def find(self, name: str) -> str | None:
        """The entry called ``name``, with case and slashes forgiven."""
        wanted = name.replace("\\", "/").lower()
        for entry in self.names():
            if entry.replace("\\", "/").lower() == wanted:
                return entry
        return None

    def read(self, name: str) -> bytes:
        """An entry's bytes, never more than the archive's size limit."""
        with self.zip.open(name) as handle:
            data = handle.read(MAX_TOTAL_BYTES + 1)
        if len(data) > MAX_TOTAL_BYTES:
            raise ValueError(f"{name} inflates beyond {MAX_TOTAL_BYTES} bytes")
        return data


def open_archive(path: Path, problems: list[Problem]) -> Archive | None:
    """Open ``path`` as a zip and check every entry; ``None`` if unusable."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as err:
        problems.append(
            Problem(str(path), None, None, path.name, "a zip archive", str(err))
        )
        return None
    before = len(problems)
    _check_entries(path, archive.infolist(), problems)
    if len(problems) > before:
        archive.close()
        return None
    return Archive(path, archive)


def _check_entries(
    path: Path, entries: list[zipfile.ZipInfo], problems: list[Problem]
) -> None:
    if len(entries) > MAX_ENTRIES:
        problems.append(
            Problem(
                str(path),
                None,
                None,
                f"{len(entries)} entries",
                f"at most {MAX_ENTRIES}",
                "too many entries for a project export",
            )
        )
    total = 0
    for entry in entries:
        total += entry.file_size
        if _escapes(entry.filename):
            problems.append(
                Problem(
                    str(path),
                    None,
                    None,
                    entry.filename,
                    "a path inside the archive",
                    "the entry escapes its folder; the archive may be hostile",
                )
            )
        ratio = entry.file_size / max(entry.compress_size, 1)
        if entry.file_size > _RATIO_FLOOR and ratio > MAX_RATIO:
            problems.append(
                Problem(
                    str(path),
                    None,
                    None,
                    f"{entry.filename} ({ratio:.0f}x compressed)",
                    f"at most {MAX_RATIO}x",
                    "the entry inflates like a zip bomb",
                )
            )
    if total > MAX_TOTAL_BYTES:
        problems.append(
            Problem(
                str(path),
                None,
                None,
                f"{total} bytes unpacked",
                f"at most {MAX_TOTAL_BYTES}",
                "the archive unpacks to more than netreport reads",
            )
        )


def _escapes(name: str) -> bool:
    posix = PurePosixPath(name.replace("\\", "/"))
    drive = len(name) > 1 and name[1] == ":"
    return posix.is_absolute() or drive or ".." in posix.parts
