"""Small projects to build sites from, and data with planted canaries.

Canaries are values that exist nowhere but in the data: interviewee ids and
excerpt sentences. A test that finds none of them in a built site proves
that nothing of the raw data reached it.
"""

from __future__ import annotations

import csv
import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent
DATA = ROOT / "data"
FIXTURES = Path(__file__).parent / "fixtures"
CASE_BOOK = FIXTURES / "case_book"
MINI_BOOK = FIXTURES / "mini_book"
PROJECT_FILES = ("_quarto.yml", "index.qmd", "chapters", "references.bib",
                 "references.qmd", "data", "status.yml", "templates")  # fmt: skip


def copy_project(source: Path, target: Path, *, data: Path = DATA) -> Path:
    """Copy a book project and the case data beside it into `target`."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("_site", "data"))
    shutil.copytree(data, target / "data")
    return target


def copy_repo_project(target: Path) -> Path:
    """Copy the case report itself (the repository's book and data)."""
    target.mkdir(parents=True)
    for name in PROJECT_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name)
        elif source.exists():
            shutil.copy2(source, target / name)
    return target


def plant_canaries(data_dir: Path) -> dict[str, list[str]]:
    """Give every mention a canary interviewee id and a canary excerpt."""
    path = data_dir / "mentions.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    interviewees = sorted({row["interviewee"] for row in rows})
    renamed = {old: f"QX{i}CANARY" for i, old in enumerate(interviewees, 1)}
    excerpts = []
    for i, row in enumerate(rows):
        row["interviewee"] = renamed[row["interviewee"]]
        row["excerpt"] = (
            f"canary {i} the velvet quokka filed spreadsheet zq{i}x before dawn"
        )
        excerpts.append(row["excerpt"])
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return {"interviewee": sorted(renamed.values()), "excerpt": excerpts}


def run_cli(*args: str, cwd: Path, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "netreport.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


# A book of one preface and one chapter, for tests of a single chapter.
TINY_BOOK_YML = """\
project:
  type: book
book:
  title: Tiny
  output-file: tiny
  chapters:
    - index.qmd
    - chapters/one.qmd
"""


def write_tiny_book(root: Path, chapter: str, yml: str = TINY_BOOK_YML) -> Path:
    """Write the tiny book into `root`, with `chapter` as chapters/one.qmd."""
    (root / "chapters").mkdir(parents=True, exist_ok=True)
    (root / "_quarto.yml").write_text(yml)
    (root / "index.qmd").write_text("# Preface {.unnumbered}\n\nHello.\n")
    (root / "chapters" / "one.qmd").write_text(chapter)
    return root


def snapshot(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under `folder`, by its path relative to it."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }
