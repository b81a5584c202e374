"""Benchmark: a cold build of the case report.

Copies the project to a temporary folder (so no earlier `_site/` or cache
helps), runs ``netreport build`` there in a fresh interpreter several times,
and reports the wall time and the peak memory (maximum resident set size) of
each run, then the median.

Run with ``.venv/bin/python bench/build.py [--runs N]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECT_FILES = ("_quarto.yml", "index.qmd", "references.qmd", "references.bib")
PROJECT_DIRS = ("chapters", "data")


def cold_build(workdir: Path) -> tuple[float, float]:
    """One build in a fresh process; wall seconds and peak RSS in MiB."""
    project = workdir / "project"
    if project.exists():
        shutil.rmtree(project)
    project.mkdir()
    for name in PROJECT_FILES:
        shutil.copy2(ROOT / name, project / name)
    for name in PROJECT_DIRS:
        shutil.copytree(ROOT / name, project / name)
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "netreport.cli", "build", "--project", str(project)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    # wait4 gives this child's own resource usage; ru_maxrss is in KiB.
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"the build failed:\n{child.stderr.read().decode()}")
    return elapsed, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        runs = [cold_build(Path(tmp)) for _ in range(args.runs)]
    result = {
        "benchmark": "cold build of the case report",
        "machine": f"{platform.machine()}, {platform.python_version()}",
        "runs": [
            {"seconds": round(s, 2), "peak_rss_mib": round(m, 1)} for s, m in runs
        ],
        "median_seconds": round(statistics.median(s for s, _ in runs), 2),
        "peak_rss_mib": round(max(m for _, m in runs), 1),
    }
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "build.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
