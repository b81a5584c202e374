"""Benchmark: rebuilding the case report after no change and after one change.

Copies the project to a temporary folder, builds it once (cold, not
counted), then times ``netreport build`` in a fresh interpreter, as a user
runs it, for each case but the last, which runs in this process:

- no change: nothing to rebuild (goal: under 0.5 s);
- one data file: one mention's sub-theme recoded in ``data/mentions.csv``
  (goal: under 3 s; every chapter that reads the mentions runs again, and
  the PDF is rebuilt);
- one chapter: a sentence added to ``index.qmd``, which reads no data file;
- one data file again, in a process that has built before, as ``netreport
  preview`` rebuilds (no goal of its own; the goal above is for a fresh
  ``netreport build``);
- no change and one data file again, once ``netreport status`` has put the
  three audiences' reports in the site: a build then also checks them and,
  after the data change, renders all three again.

Each case runs several times; the median is reported. Run with
``.venv/bin/python bench/rebuild.py [--runs N]``.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECT_FILES = ("_quarto.yml", "index.qmd", "references.qmd", "references.bib")
PROJECT_DIRS = ("chapters", "data")
GOALS = {
    "no change": 0.5,
    "one data file": 3.0,
    "no change, with status reports": 0.5,
    "one data file, with status reports": 3.0,
}


def copy_project(target: Path) -> Path:
    target.mkdir()
    for name in PROJECT_FILES:
        shutil.copy2(ROOT / name, target / name)
    for name in PROJECT_DIRS:
        shutil.copytree(ROOT / name, target / name)
    return target


def netreport(project: Path, *command: str) -> tuple[float, str]:
    """Wall seconds of one ``netreport`` command and what it printed."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "netreport.cli", *command, "--project", str(project)],
        capture_output=True,
        text=True,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"netreport {command[0]} failed:\n{done.stderr}")
    return elapsed, done.stderr


def netreport_build(project: Path) -> tuple[float, str]:
    return netreport(project, "build")


def recode_one_mention(project: Path, run: int) -> None:
    """Recode the sub-theme of one improvement mention, back and forth.

    A correction a coder might make; it moves figures of the report but none
    the study published, so every chapter's claims still hold.
    """
    path = project / "data" / "mentions.csv"
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    use, theme = rows[0].index("actual_use"), rows[0].index("sub_theme")
    row = next(r for r in rows[1:] if r[use] == "improvement")
    row[theme] = (
        "teacher_practice" if row[theme] == "student_learning" else "student_learning"
    )
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def add_a_sentence(project: Path, run: int) -> None:
    path = project / "index.qmd"
    path.write_text(path.read_text() + f"\nBenchmark sentence {run}.\n")


def measure(
    project: Path, change: Callable[[Path, int], None] | None, runs: int
) -> dict:
    seconds, last = [], ""
    for run in range(runs):
        if change is not None:
            change(project, run)
        elapsed, last = netreport_build(project)
        seconds.append(elapsed)
    return {
        "runs": [round(s, 3) for s in seconds],
        "median_seconds": round(statistics.median(seconds), 3),
        "last_output": last.splitlines(),
    }


def measure_warm(project: Path, runs: int) -> dict:
    """The one-data-file case as ``netreport preview`` meets it.

    preview rebuilds in the process it started in, so imports, the pandoc
    session and the loaded case are warm; this calls the same
    `netreport.rebuild.build` in this process after one build to warm up.
    """
    from netreport.rebuild import build

    build(project)
    seconds = []
    for run in range(runs):
        recode_one_mention(project, run)
        started = time.perf_counter()
        build(project)
        seconds.append(time.perf_counter() - started)
    return {
        "runs": [round(s, 3) for s in seconds],
        "median_seconds": round(statistics.median(seconds), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        project = copy_project(Path(tmp) / "project")
        cold, _ = netreport_build(project)
        cases = {
            "no change": measure(project, None, args.runs),
            "one data file": measure(project, recode_one_mention, args.runs),
            "one chapter": measure(project, add_a_sentence, args.runs),
            "one data file, warm process (netreport preview)": measure_warm(
                project, args.runs
            ),
        }
        shutil.copy2(ROOT / "status.yml", project / "status.yml")
        shutil.copytree(ROOT / "templates", project / "templates")
        netreport(project, "status", "--audience", "all", "--all-periods")
        cases["no change, with status reports"] = measure(project, None, args.runs)
        cases["one data file, with status reports"] = measure(
            project, recode_one_mention, args.runs
        )
    result = {
        "benchmark": "incremental rebuilds of the case report",
        "machine": f"{platform.machine()}, {platform.python_version()}",
        "cold_build_seconds": round(cold, 2),
        "cases": cases,
        "goals_seconds": GOALS,
    }
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "rebuild.json").write_text(json.dumps(result, indent=2) + "\n")
    for name, case in cases.items():
        goal = f" (goal {GOALS[name]} s)" if name in GOALS else ""
        print(f"{name}: median {case['median_seconds']} s of {case['runs']}{goal}")
    print(
        f"cold build: {result['cold_build_seconds']} s; details in {out}/rebuild.json"
    )


if __name__ == "__main__":
    main()
