"""Plan status reports and render them: one by one, in a process pool, or on Dask.

A run is a list of `StatusJob`, one per audience and school year. Each job
is small and self-contained (paths and strings only), so it travels to a
pool worker or a Dask worker as is. A worker loads each data folder and
config once and keeps them for every later job (`_load`), so a thousand
reports read the data once per worker, not once per report. A process
pool gets the reports of one data folder (or, with few folders, of one
folder and year) as one batch (`_batches`), so that a worker counts a year
once for all its audiences (`netreport.status._context` keeps the counts)
and works out what the publish check looks for once per folder.

Everything a report prints comes from its job and the data; the build time
and code version are fixed by the parent for the whole run, so the same run
gives the same bytes whichever executor renders it.
"""

from __future__ import annotations

import contextlib
import gc
import json
import logging
import multiprocessing
import os
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from netreport.coded_data import CodedData, load_coded_data
from netreport.errors import NetreportError
from netreport.periods import check_period, school_years
from netreport.provenance import build_time
from netreport.publish_check import check_site
from netreport.rebuild import StatusCache, status_pages
from netreport.render import render_document
from netreport.status._config import StatusConfig, load_status_config
from netreport.status._context import build_context, data_version
from netreport.status._template import fill_template

__all__ = [
    "EXECUTORS",
    "StatusJob",
    "plan_status",
    "refresh_status",
    "render_status",
    "render_status_job",
    "status_stamp",
]

logger = logging.getLogger(__name__)

EXECUTORS = ("serial", "process", "dask")


@dataclass(frozen=True)
class StatusJob:
    """One report to render: which audience, which year, from which data.

    Attributes
    ----------
    project_dir
        Holds ``status.yml`` and the templates.
    data_dir
        The case's data folder.
    audience, period
        Whose report, and for which school year.
    output
        The HTML page to write; the PDF goes beside it.
    site_root
        The status folder the page's stylesheet lives in.
    stamp
        Colophon lines shared by the whole run (code version, build time).
    timestamp
        The PDF creation time of the whole run, seconds since 1970.
    """

    project_dir: str
    data_dir: str
    audience: str
    period: str
    output: str
    site_root: str
    stamp: tuple[tuple[str, str], ...] = ()
    timestamp: int | None = None


def plan_status(
    project_dir: Path,
    data: CodedData,
    data_dir: Path,
    *,
    audiences: Sequence[str] = ("all",),
    periods: Sequence[str] = (),
    all_periods: bool = False,
    output_dir: Path | None = None,
    stamp: dict[str, str] | None = None,
) -> list[StatusJob]:
    """The jobs for the audiences and periods asked for.

    ``"all"`` among `audiences` means every audience of ``status.yml``;
    `all_periods` means every school year the data covers.
    """
    config = load_status_config(project_dir)
    chosen = _audiences(config, audiences)
    years = school_years(data) if all_periods else list(periods)
    if not years:
        raise NetreportError(
            "no period given: pass --period YYYY-YY or --all-periods "
            f"(the data covers {', '.join(school_years(data)) or 'no school year'})"
        )
    for year in years:
        check_period(data, year)
    root = Path(output_dir) if output_dir else config.output_dir
    timestamp = int(build_time().timestamp())
    data_key = str(Path(data_dir).resolve())
    _LOADED[data_key] = (data, data_version(data))  # the caller's data is current
    return [
        StatusJob(
            project_dir=str(Path(project_dir).resolve()),
            data_dir=str(Path(data_dir).resolve()),
            audience=name,
            period=year,
            output=str((root / name / f"{year}.html").resolve()),
            site_root=str(root.resolve()),
            stamp=tuple((stamp or {}).items()),
            timestamp=timestamp,
        )
        for name in chosen
        for year in years
    ]


def _audiences(config: StatusConfig, names: Sequence[str]) -> list[str]:
    if "all" in names:
        return [a.name for a in config.audiences]
    return [config.audience(name).name for name in names]


def status_stamp(stamp: Mapping[str, str]) -> dict[str, str]:
    """The lines of a build's colophon `stamp` that a status report carries.

    Only those shared by a whole run (code and build time): the data
    version, audience and period come from each report's own job.
    """
    return {key: stamp[key] for key in ("Code", "netreport", "Built") if key in stamp}


def refresh_status(
    project_dir: Path,
    data: CodedData,
    data_dir: Path,
    site: Path,
    *,
    stamp: Mapping[str, str],
    on_line: Callable[[str], None],
    force: bool = False,
) -> None:
    """Bring the status reports in `site` up to date with their inputs.

    `netreport build` calls this once the case report is in `site`, for the
    reports that ``netreport status`` put in its ``status/`` folder before:
    each whose data, templates, ``status.yml`` or code changed is rendered
    again, in this process; one whose audience ``status.yml`` no longer
    lists, or whose school year the data no longer covers, is removed. No
    report is added: which audiences and years have one is the user's
    choice. `on_line` gets one line per report saying what was done and why;
    `force` renders every report again.
    """
    root = site / "status"
    pages = status_pages(root)
    if not pages:
        return
    config = load_status_config(project_dir)
    if config.output_dir.resolve() != root.resolve():
        return  # status.yml sends its reports elsewhere; these are not its own
    years = set(school_years(data))
    order = {a.name: i for i, a in enumerate(config.audiences)}
    cache = StatusCache()
    jobs = []
    # Audiences in the order of status.yml, as `netreport status` lists them.
    for page in sorted(pages, key=lambda p: (order.get(p.parent.name, len(order)), p)):
        audience, period = page.parent.name, page.stem
        if audience not in order:
            gone = f"status.yml has no audience {audience!r}"
        elif period not in years:
            gone = f"the data covers no school year {period}"
        else:
            jobs += plan_status(
                project_dir, data, data_dir, audiences=[audience],
                periods=[period], output_dir=root, stamp=status_stamp(stamp),
            )  # fmt: skip
            continue
        _remove_report(page)
        cache.forget(project_dir, page)
        on_line(f"{page.relative_to(root).as_posix()}: removed, {gone}")
    render_status(jobs, executor="serial", on_line=on_line, force=force)
    if not jobs:
        write_status_index(root, config)


def _remove_report(page: Path) -> None:
    """Remove a report's page, PDF and figures; with the last report of its
    audience, the audience's own index and folder too."""
    page.unlink()
    page.with_suffix(".pdf").unlink(missing_ok=True)
    shutil.rmtree(page.with_name(f"{page.stem}_files"), ignore_errors=True)
    folder = page.parent
    if not [p for p in folder.glob("*.html") if p.name != "index.html"]:
        (folder / "index.html").unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            folder.rmdir()  # only when nothing of the user's is left in it


# -- one report --------------------------------------------------------------------


# Data folders already loaded in this process: by the parent while planning,
# and handed to each pool worker when it starts, so no worker reads and
# checks the CSV files again.
_LOADED: dict[str, tuple[CodedData, str]] = {}


def _load(data_dir: str) -> tuple[CodedData, str]:
    if data_dir not in _LOADED:
        data = load_coded_data(data_dir)
        _LOADED[data_dir] = (data, data_version(data))
    return _LOADED[data_dir]


def _start_worker(loaded: dict[str, tuple[CodedData, str]]) -> None:
    _LOADED.update(loaded)
    # Each report makes tens of thousands of containers (its ASTs) that
    # live until the report is written; at the default thresholds the
    # collector ran about six times a report, freeing next to nothing, for
    # 3 ms of its ~120. The netreport command sets the same thresholds.
    gc.set_threshold(50_000, 20, 20)


@lru_cache(maxsize=16)
def _config(project_dir: str) -> StatusConfig:
    return load_status_config(Path(project_dir))


def render_status_job(job: StatusJob) -> str:
    """Render one report; return the path of its HTML page."""
    data, version = _load(job.data_dir)
    config = _config(job.project_dir)
    audience = config.audience(job.audience)
    context = build_context(data, job.period, audience, config, version=version)
    text = fill_template(
        audience.template, Path(job.project_dir), context.as_template_vars()
    )
    stamp = {
        "Audience": audience.title,
        "Period": f"school year {job.period}",
        "Data version": version,
        "Data": "reconstruction of the published figures"
        if data.reconstruction
        else "coded data supplied by the researchers",
        **dict(job.stamp),
    }
    html = Path(job.output)
    html.parent.mkdir(parents=True, exist_ok=True)
    # The filled template is not for publishing (the members' shows every
    # count): it is written outside the site, where no killed run leaves it.
    work = Path(tempfile.mkdtemp(prefix="netreport-status-"))
    try:
        source = work / f"{job.period}.qmd"
        source.write_text(text, encoding="utf-8")
        for figure in context.figures.values():
            (work / figure.path).parent.mkdir(parents=True, exist_ok=True)
            (work / figure.path).write_text(figure.svg, encoding="utf-8")
        html.parent.mkdir(parents=True, exist_ok=True)
        render_document(
            source,
            html,
            site_root=Path(job.site_root),
            stamp=stamp,
            execute=False,
            timestamp=job.timestamp,
            check=lambda staged: check_site(
                staged, data, source=f"the template {audience.template.as_posix()}"
            ),
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return str(html)


# -- many reports ------------------------------------------------------------------


def render_status(
    jobs: Sequence[StatusJob],
    *,
    executor: str = "process",
    workers: int | None = None,
    scheduler: str | None = None,
    on_done: Callable[[str], None] | None = None,
    on_line: Callable[[str], None] | None = None,
    force: bool = False,
) -> list[Path]:
    """Render every job; return the HTML pages in the order of `jobs`.

    Parameters
    ----------
    executor
        ``serial`` (in this process), ``process`` (a local process pool) or
        ``dask`` (a Dask cluster at `scheduler`).
    workers
        Pool size for ``process``; default: one per CPU.
    scheduler
        The Dask scheduler's address, e.g. ``tcp://10.0.0.5:8786``.
    on_done
        Called with each page as it is written (e.g. to advance a progress
        bar); pages may finish in any order.
    on_line
        Called, before rendering, with one line per report saying whether it
        is rendered or kept and why (``funder/2020-21.html: skipped,
        unchanged since the last run``); by default they are logged.
    force
        Render every report, even those whose inputs are unchanged since the
        last run (which otherwise keep their files).
    """
    if executor not in EXECUTORS:
        raise NetreportError(
            f"--executor {executor}: unknown (allowed: {', '.join(EXECUTORS)})"
        )
    if jobs:
        Path(jobs[0].site_root).mkdir(parents=True, exist_ok=True)
    # Reports whose data, templates, status.yml and code are unchanged keep
    # their files (netreport.rebuild.StatusCache says which, and why).
    cache = StatusCache()
    todo = [job for job in jobs if (cache.forced(job) if force else cache.stale(job))]
    for line in cache.lines:
        (on_line or logger.info)(line)
    done = _recording(cache, todo, on_done or (lambda page: None))
    if executor == "serial":
        for job in todo:
            _tick(render_status_job(job), done)
    elif executor == "process":
        _in_pool(todo, workers, done)
    else:
        _on_dask(todo, scheduler, done)
    if jobs:
        write_status_index(Path(jobs[0].site_root), _config(jobs[0].project_dir))
    return [Path(job.output) for job in jobs]


def _recording(
    cache: StatusCache, jobs: Sequence[StatusJob], done: Callable[[str], None]
) -> Callable[[str], None]:
    """`done`, after noting in `cache` the report whose page is finished.

    Each report is noted as soon as it is written: while the workers go on
    rendering (not all at the end, with every worker idle), and so that a
    run stopped by a failing report still keeps the ones it finished.
    """
    by_page = {str(Path(job.output)): job for job in jobs}

    def finished(page: str) -> None:
        cache.record(by_page[page])
        done(page)

    return finished


def _tick(page: str, done: Callable[[str], None]) -> str:
    done(page)
    return page


def _in_pool(jobs: Sequence[StatusJob], workers: int | None, done) -> list[str]:
    pages: dict[int, str] = {}
    workers = workers or os.cpu_count() or 1
    # Workers are started fresh ("spawn"), not forked: the parent may run
    # threads (a progress bar, a Dask client) whose locks a fork would copy.
    context = multiprocessing.get_context("spawn")
    loaded = {
        job.data_dir: _LOADED[job.data_dir] for job in jobs if job.data_dir in _LOADED
    }
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_start_worker,
        initargs=(loaded,),
    ) as pool:
        futures = {
            pool.submit(_render_batch, [jobs[i] for i in batch]): batch
            for batch in _batches(jobs, workers)
        }
        for future in as_completed(futures):
            for i, page in zip(futures[future], future.result(), strict=True):
                pages[i] = _tick(page, done)
    return [pages[i] for i in range(len(jobs))]


# With fewer batches than this per worker, the last ones would leave a
# worker idle for longer than keeping a folder or year together saves.
_BATCHES_PER_WORKER = 4


def _batches(jobs: Sequence[StatusJob], workers: int) -> list[list[int]]:
    """Indices of `jobs` in the batches a pool worker renders one after another.

    One batch per data folder, when there are enough of them to keep every
    worker busy to the end: a worker then works out what is confidential
    in a folder (for the publish check) once, not once per year. Failing
    that, one batch per data folder and year, which still counts a year
    once; failing that, one job per batch.
    """
    for key in (_folder, _folder_and_year):
        groups: dict[tuple[str, ...], list[int]] = defaultdict(list)
        for i, job in enumerate(jobs):
            groups[key(job)].append(i)
        if len(groups) >= _BATCHES_PER_WORKER * workers:
            return list(groups.values())
    return [[i] for i in range(len(jobs))]


def _folder(job: StatusJob) -> tuple[str, ...]:
    return (job.data_dir,)


def _folder_and_year(job: StatusJob) -> tuple[str, ...]:
    return (job.data_dir, job.period)


def _render_batch(jobs: Sequence[StatusJob]) -> list[str]:
    return [render_status_job(job) for job in jobs]


def _on_dask(jobs: Sequence[StatusJob], scheduler: str | None, done) -> list[str]:
    if not scheduler:
        raise NetreportError("--executor dask needs --scheduler ADDRESS")
    try:
        from dask.distributed import Client
        from dask.distributed import as_completed as dask_completed
    except ImportError:
        raise NetreportError(
            "--executor dask needs Dask: pip install 'netreport[scale]'"
        ) from None
    try:
        # How long to keep trying: Dask's distributed.comm.timeouts.connect,
        # which `netreport status --connect-timeout` sets.
        client = Client(scheduler)
    except OSError as exc:
        raise NetreportError(
            f"--scheduler {scheduler}: cannot connect: {exc}; is a scheduler "
            "running there? One slow to answer may need a longer --connect-timeout"
        ) from None
    with client:
        futures = client.map(render_status_job, list(jobs), pure=False)
        order = {future.key: i for i, future in enumerate(futures)}
        pages: dict[int, str] = {}
        for future in dask_completed(futures):
            pages[order[future.key]] = _tick(future.result(), done)
    return [pages[i] for i in range(len(jobs))]


def write_status_index(root: Path, config: StatusConfig) -> Path:
    """Write the indexes of the status folder `root`, linking each report.

    ``index.html`` lists the reports of external audiences only, under each
    audience's title: it is the page a published site links to. An internal
    audience (``external: false``, the members) gets an ``index.html`` of its
    own in its folder instead, so a site published without that folder has
    no link into it. A folder of an audience no longer in ``status.yml``
    keeps its folder name as title and counts as external.
    """
    internal = {a.name for a in config.audiences if not a.external}
    titles = {a.name: a.title for a in config.audiences}
    reports = status_pages(root)
    public = [p for p in reports if p.parent.name not in internal]
    _write_index(root / "index.html", "Status reports", public, titles, root)
    for name in sorted(internal):
        own = [p for p in reports if p.parent.name == name]
        if own:
            _write_index(root / name / "index.html", titles[name], own, {}, root)
        else:
            (root / name / "index.html").unlink(missing_ok=True)
    return root / "index.html"


def _write_index(
    index: Path,
    title: str,
    reports: Sequence[Path],
    titles: Mapping[str, str],
    root: Path,
) -> None:
    """A page linking `reports`, grouped by audience folder under `titles`.

    Without `titles` (an audience's own index) the reports are one list.
    The page links the stylesheet of the status folder `root`.
    """
    lines = ["---", f"title: {json.dumps(title, ensure_ascii=False)}", "---", ""]
    lines += ["Each report covers one school year; its PDF holds the same.", ""]
    case_report = root.parent / "index.html"
    if case_report.is_file():
        href = os.path.relpath(case_report, index.parent)
        lines += [f"They draw on the data of [the case report]({href}).", ""]
    if not reports:
        lines.append("No status reports have been published here yet.")
    base = index.parent
    # Audiences in the order of status.yml; a folder of one no longer there last.
    order = {name: i for i, name in enumerate(titles)}
    folders = {p.parent for p in reports}
    for folder in sorted(folders, key=lambda f: (order.get(f.name, len(order)), f)):
        if titles:
            name = folder.name
            lines += [f"## {titles.get(name, name.capitalize())}", ""]
        for page in (p for p in reports if p.parent == folder):
            href = page.relative_to(base).as_posix()
            pdf = page.with_suffix(".pdf").relative_to(base).as_posix()
            lines.append(f"- [{page.stem}]({href}) ([PDF]({pdf}))")
        lines.append("")
    work = Path(tempfile.mkdtemp(prefix="netreport-status-index-"))
    try:
        source = work / "index.qmd"
        source.write_text("\n".join(lines), encoding="utf-8")
        render_document(source, index, site_root=root, pdf=False, execute=False)
    finally:
        shutil.rmtree(work, ignore_errors=True)
