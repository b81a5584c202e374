"""A small book whose chapters read different data files, for rebuild tests.

``index.qmd`` reads no data, ``chapters/inventory.qmd`` only the artifacts
and ``chapters/mentions.qmd`` only the mentions. Each chapter appends its
name to the file named by ``NR_TEST_RUNS`` when its code runs, so a test can
tell which chapters a build really ran.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

ROOT = Path(__file__).parent.parent
REBUILD_BOOK = Path(__file__).parent / "fixtures" / "rebuild_book"
DATA_FILES = ("codebook.yml", "artifacts.csv", "mentions.csv")
#: What `move_one_mention` changes: exactly these figures of the book.
MOVED_BY_ONE_MENTION = {
    "chapters/mentions.qmd: `n_school` #1",
    "chapters/mentions.qmd: `n_district` #1",
    "chapters/mentions.qmd: tbl-context [school_teams | mentions]",
    "chapters/mentions.qmd: tbl-context [district_leaders | mentions]",
}


def make_project(target: Path) -> Path:
    """Copy the fixture book and the case's data files into `target`."""
    shutil.copytree(REBUILD_BOOK, target)
    (target / "data").mkdir()
    for name in DATA_FILES:
        shutil.copyfile(ROOT / "data" / name, target / "data" / name)
    return target


def move_one_mention(project: Path) -> str:
    """Recode the first district-leader mention as school teams; its id."""
    path = project / "data" / "mentions.csv"
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    column = rows[0].index("context")
    row = next(r for r in rows[1:] if r[column] == "district_leaders")
    row[column] = "school_teams"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    return row[0]


def site_bytes(site: Path) -> dict[str, bytes]:
    """Every file of a site by its path inside it."""
    return {
        p.relative_to(site).as_posix(): p.read_bytes()
        for p in sorted(site.rglob("*"))
        if p.is_file()
    }
