"""Benchmark: a thousand status reports (HTML and PDF) in one process pool.

Generates a multi-network dataset in a temporary folder (never committed):
``--networks`` networks, each with five school years of artifacts and
mentions resampled, with a seeded RNG, from the shipped reconstruction and
scaled by a per-network size factor. Then plans every audience for every
network and year, renders the first ``--reports`` of them with
`netreport.status.render_status` on ``--workers`` processes, and prints
reports per second, total time, CPU time per report (of this process, the
workers and their pandoc sessions: unlike the rate, it holds when other
work shares the machine), peak memory (largest resident set of this
process and of any worker), and whether the goal was met: 1,000 HTML and
PDF reports in 60 s on 2 cores.

Run with ``.venv/bin/python bench/status.py [--reports 1000] [--workers 2]``;
``--profile`` renders 30 reports in this process under cProfile instead.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
YEARS = ("2018-19", "2019-20", "2020-21", "2021-22", "2022-23")
GOAL_REPORTS, GOAL_SECONDS = 1000, 60.0


def generate(folder: Path, networks: int, seed: int = 2023) -> list[Path]:
    """Write `networks` data folders under `folder`; return them."""
    rng = np.random.default_rng(seed)
    artifacts = pd.read_csv(ROOT / "data" / "artifacts.csv", dtype=str)
    mentions = pd.read_csv(ROOT / "data" / "mentions.csv", dtype=str)
    folders = []
    for n in range(networks):
        target = folder / f"network-{n:03d}"
        target.mkdir(parents=True)
        for name in ("codebook.yml", "reconstruction.yml"):
            shutil.copy(ROOT / "data" / name, target / name)
        size = rng.uniform(0.15, 1.0)
        made, used = [], []
        for year in YEARS:
            start = int(year[:4])
            picked = artifacts.sample(frac=size, random_state=rng).copy()
            days = rng.integers(0, 365, len(picked))
            dates = pd.Timestamp(f"{start}-07-01") + pd.to_timedelta(days, unit="D")
            picked["created"] = dates.strftime("%Y-%m-%d")
            picked["artifact_id"] = [f"A{year[:4]}-{i:05d}" for i in range(len(picked))]
            made.append(picked)
            spoken = mentions.sample(frac=size, random_state=rng).copy()
            spoken["mention_id"] = [f"M{year[:4]}-{i:04d}" for i in range(len(spoken))]
            spoken["artifact_id"] = None  # links would point across years
            spoken["school_year"] = year
            used.append(spoken)
        pd.concat(made).to_csv(target / "artifacts.csv", index=False)
        pd.concat(used).to_csv(target / "mentions.csv", index=False)
        folders.append(target)
    return folders


def plan(folders: list[Path], out: Path, reports: int):
    from netreport.coded_data import load_coded_data
    from netreport.status import plan_status

    stamp = {"Code": "benchmark", "Built": "2026-01-01 00:00 UTC"}
    jobs = []
    for folder in folders:
        data = load_coded_data(folder)
        jobs += plan_status(
            ROOT,
            data,
            folder,
            all_periods=True,
            output_dir=out / folder.name,
            stamp=stamp,
        )
    return jobs[:reports]


def cpu_seconds() -> float:
    """User and system time of this process and its finished children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def peak_rss_mib() -> tuple[float, float]:
    """Peak resident set of this process and of the largest child, in MiB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, child


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=GOAL_REPORTS)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    networks = -(-args.reports // (len(YEARS) * 3))
    with tempfile.TemporaryDirectory(prefix="netreport-bench-") as temp:
        temp = Path(temp)
        started = time.perf_counter()
        folders = generate(temp / "data", networks)
        jobs = plan(folders, temp / "site", args.reports)
        prepared = time.perf_counter() - started
        print(f"generated {networks} networks x {len(YEARS)} school years, planned "
              f"{len(jobs)} reports in {prepared:.1f} s")  # fmt: skip
        if args.profile:
            return profile(jobs[:30])

        from netreport.status import render_status

        started, cpu_before = time.perf_counter(), cpu_seconds()
        pages = render_status(jobs, executor="process", workers=args.workers)
        elapsed, cpu = time.perf_counter() - started, cpu_seconds() - cpu_before
        pdfs = sum(1 for p in pages if p.with_suffix(".pdf").is_file())
    own, child = peak_rss_mib()
    rate = len(pages) / elapsed
    print(f"rendered {len(pages)} HTML pages and {pdfs} PDFs in {elapsed:.1f} s "
          f"on {args.workers} workers: {rate:.1f} reports/s")  # fmt: skip
    print(f"CPU: {cpu / len(pages) * 1000:.0f} ms per report "
          "(this process, workers and their pandoc sessions)")  # fmt: skip
    print(f"peak RSS: parent {own:.0f} MiB, largest worker {child:.0f} MiB")
    projected = GOAL_REPORTS / rate
    verdict = "met" if projected <= GOAL_SECONDS else "missed"
    print(f"goal (1,000 reports in {GOAL_SECONDS:.0f} s on 2 cores): {verdict}; "
          f"1,000 reports take {projected:.1f} s at this rate")  # fmt: skip
    return 0


def profile(jobs) -> int:
    from netreport.status import render_status_job

    render_status_job(jobs[0])  # warm caches and imports
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for job in jobs[1:]:
        render_status_job(job)
    profiler.disable()
    each = (time.perf_counter() - started) / (len(jobs) - 1)
    print(f"{each * 1000:.0f} ms per report in one process")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    return 0


if __name__ == "__main__":
    sys.exit(main())
