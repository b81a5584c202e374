"""The ``netreport`` command: build, release and preview the report, check data.

Only this module decides what the user sees: the library logs and warns, the
command shows warnings in full, stage lines with ``--verbose``, and a user's
mistake as a message without a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import gc
import logging
import math
import os
import signal
import sys
import time
import warnings
from pathlib import Path

from rich.console import Console
from rich.logging import RichHandler
from rich.text import Text

from netreport.errors import InputError, NetreportError, NetreportWarning, counted

__all__ = ["main"]

log = logging.getLogger("netreport")
# Markup off: messages quote the user's values, and a cell holding "[red]"
# must be shown as typed. Soft wrap: long lines stay whole when piped.
_console = Console(stderr=True, highlight=False, markup=False, soft_wrap=True)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(message)s",
        handlers=[_log_handler()],
    )
    with warnings.catch_warnings():
        warnings.simplefilter(
            "error" if getattr(args, "strict", False) else "always", NetreportWarning
        )
        warnings.showwarning = _show_warning
        try:
            _locate(args)
            return args.run(args)
        except NetreportWarning as warning:
            _console.print(
                Text.assemble(("error", "bold red"), f" (strict build): {warning}")
            )
            return 1
        except NetreportError as error:
            _console.print(Text.assemble(("error:", "bold red"), f" {error}"))
            return 1
        except OSError as error:
            message = _write_failure(args, error)
            if message is None:
                raise  # not about the outputs: a bug, shown with its traceback
            _console.print(Text.assemble(("error:", "bold red"), f" {message}"))
            return 1
        except KeyboardInterrupt:
            _console.print("interrupted; the last good build was left in place")
            return 130


_PROJECT_HELP = "project folder (default: the nearest folder with a _quarto.yml)"
_DATA_HELP = "data folder (default: data/ of the project)"


def _locate(args: argparse.Namespace) -> None:
    """Fill in --project and --data when not given, so any subfolder works."""
    here = Path.cwd()
    found = next(
        (d for d in (here, *here.parents) if (d / "_quarto.yml").is_file()), None
    )
    if getattr(args, "project", "absent") is None:
        if found is None:
            raise NetreportError(
                f"no _quarto.yml in {here} or any folder above it; run netreport "
                "inside a project, or name one with --project DIR"
            )
        args.project = found
    if getattr(args, "data", "absent") is None:
        project = getattr(args, "project", None) or found or here
        # Relative to where the user stands, as messages quote it.
        args.data = Path(os.path.relpath(Path(project) / "data"))


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    _console.print(Text.assemble(("warning:", "yellow"), f" {message}"))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="netreport",
        description="Case reports and status reports from an improvement "
        "network's coded data.",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="one line per stage"
    )
    parser.add_argument(
        "--version",
        action=_Version,
        help="show netreport's version and the pandoc and Typst it renders with",
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    build = commands.add_parser(
        "build", help="render the case report (HTML site and PDF)"
    )
    build.add_argument("--project", type=Path, default=None, help=_PROJECT_HELP)
    build.add_argument(
        "--engine",
        choices=("embedded", "quarto"),
        default="embedded",
        help="embedded (pandoc and Typst, the default) or the Quarto CLI",
    )
    build.add_argument(
        "--output-dir",
        type=_folder,
        default=None,
        help="where to write the site (default: the project's output-dir, _site)",
    )
    build.add_argument("--strict", action="store_true", help="treat warnings as errors")
    build.add_argument(
        "--force", action="store_true", help="rebuild everything, reusing nothing"
    )
    build.set_defaults(run=_build, writes=_site_folders)

    publish = commands.add_parser(
        "release", help="build a version and archive it under _site/versions/"
    )
    publish.add_argument("version", help="the new version, MAJOR.MINOR.PATCH")
    publish.add_argument("--project", type=Path, default=None, help=_PROJECT_HELP)
    publish.add_argument(
        "--date",
        type=_date,
        default=None,
        help="release date YYYY-MM-DD (default today; SOURCE_DATE_EPOCH wins)",
    )
    publish.add_argument(
        "--strict", action="store_true", help="treat warnings as errors"
    )
    publish.set_defaults(run=_release, writes=_site_folders)

    serve = commands.add_parser(
        "preview", help="serve _site/ on 127.0.0.1 and rebuild when a source changes"
    )
    serve.add_argument("--project", type=Path, default=None, help=_PROJECT_HELP)
    serve.add_argument(
        "--port",
        type=_whole_number(0, 65535),
        default=8000,
        help="port, 0 to 65535 (0: any free one; default 8000)",
    )
    serve.set_defaults(run=_preview, writes=_site_folders)

    check = commands.add_parser(
        "check", help="check the data against the codebook and the published figures"
    )
    check.add_argument("--data", type=Path, default=None, help=_DATA_HELP)
    check.add_argument("--strict", action="store_true", help="treat warnings as errors")
    check.set_defaults(run=_check)

    rebuild = commands.add_parser(
        "reconstruct", help="regenerate the shipped data from data/reconstruction.yml"
    )
    rebuild.add_argument("--data", type=Path, default=None, help=_DATA_HELP)
    rebuild.add_argument(
        "--replace",
        action="store_true",
        help="replace data files that hold other rows (each old file is kept "
        "as <name>.previous)",
    )
    rebuild.set_defaults(run=_reconstruct, writes=lambda args: [args.data])

    bring = commands.add_parser(
        "import",
        help="convert a spreadsheet or a QDA export (.qdpx, .qdc, QualCoder, "
        "Taguette, Dedoose) into data/",
    )
    bring.add_argument("file", type=Path, help="the file to import")
    bring.add_argument("--project", type=Path, default=None, help=_PROJECT_HELP)
    bring.add_argument(
        "--dry-run", action="store_true", help="check and summarise, write nothing"
    )
    bring.add_argument(
        "--replace",
        action="store_true",
        help="replace data files that already hold rows (each old file is kept "
        "as <name>.previous)",
    )
    bring.set_defaults(run=_import, writes=lambda args: [args.project / "data"])
    _add_status_parser(commands)
    return parser


def _add_status_parser(commands) -> None:
    status = commands.add_parser(
        "status", help="render status reports for funders, district leaders, members"
    )
    status.add_argument("--project", type=Path, default=None, help=_PROJECT_HELP)
    status.add_argument("--data", type=Path, default=None, help=_DATA_HELP)
    status.add_argument(
        "--audience",
        action="append",
        default=None,
        help="an audience of status.yml, or all (default); repeat for several",
    )
    periods = status.add_mutually_exclusive_group(required=True)
    periods.add_argument("--period", action="append", help="school year, e.g. 2020-21")
    periods.add_argument(
        "--all-periods", action="store_true", help="every school year in the data"
    )
    status.add_argument(
        "--output-dir",
        type=_folder,
        default=None,
        help="where to write the reports (default: status.yml's output-dir, "
        "_site/status)",
    )
    status.add_argument(
        "--executor", choices=("serial", "process", "dask"), default="process"
    )
    status.add_argument(
        "--workers",
        type=_whole_number(1),
        default=None,
        help="pool size, at least 1 (default: one per CPU)",
    )
    status.add_argument("--scheduler", default=None, help="Dask scheduler address")
    status.add_argument(
        "--connect-timeout",
        type=_seconds,
        default=5.0,
        metavar="SECONDS",
        help="with --executor dask, how long to try reaching the scheduler (default 5)",
    )
    status.add_argument(
        "--strict", action="store_true", help="treat warnings as errors"
    )
    status.set_defaults(run=_status, writes=_status_folders)


def _status(args: argparse.Namespace) -> int:
    from rich.progress import Progress

    from netreport.coded_data import load_coded_data
    from netreport.provenance import collect_provenance
    from netreport.status import plan_status, render_status, status_stamp

    project = args.project.resolve()
    data_dir = args.data.resolve()
    data = load_coded_data(data_dir)
    # One stamp for the whole run, so every executor writes the same bytes.
    stamp = status_stamp(collect_provenance(project, data).stamp())
    jobs = plan_status(
        project, data, data_dir,
        audiences=args.audience or ["all"],
        periods=args.period or [],
        all_periods=args.all_periods,
        output_dir=args.output_dir.resolve() if args.output_dir else None,
        stamp=stamp,
    )  # fmt: skip
    started = time.perf_counter()
    lines: list[str] = []
    with _dask_timeout(args), Progress(console=_console, transient=True) as progress:
        task = progress.add_task("status reports", total=len(jobs))
        pages = render_status(
            jobs,
            executor=args.executor,
            workers=args.workers,
            scheduler=args.scheduler,
            on_done=lambda page: progress.advance(task),
            on_line=lines.append,
        )
    root = _relative(Path(jobs[0].site_root), project) if jobs else ""
    for line in lines:
        _console.print(f"{root}/{line}")
    elapsed = time.perf_counter() - started
    _console.print(f"{counted(len(pages), 'status report')} in {elapsed:.1f} s")
    return 0


def _build(args: argparse.Namespace) -> int:
    from netreport.rebuild import StatusReportError

    try:
        if args.engine == "embedded":
            return _build_embedded(args)
        return _build_quarto(args)
    except InputError as error:
        # The data is checked before anything is rendered, and a new site
        # replaces the old one only once whole: the old one is untouched.
        raise InputError(
            error.problems, f"{error.advice} The last good build was left as it was."
        ) from None
    except StatusReportError as error:
        # The case report was published; only status reports kept old files.
        for line in error.lines:
            _console.print(line)
        raise NetreportError(str(error)) from None
    except NetreportError as error:
        from netreport.publish_check import PublishCheckError

        if isinstance(error, PublishCheckError):  # says so itself
            raise
        # A chapter, pandoc or Typst failed: the site is only ever replaced
        # whole, so the old one is untouched.
        raise NetreportError(
            f"{error}\nThe last good build was left as it was."
        ) from None


def _build_quarto(args: argparse.Namespace) -> int:
    from netreport.case import load_case
    from netreport.provenance import describe_build
    from netreport.publish_check import check_site
    from netreport.render import render_project

    project = args.project.resolve()
    started = time.perf_counter()
    with _busy("checking the data"):
        case = load_case(project / "data")
    _warn_about_audit(case)
    with _busy("rendering the case report"):
        result = render_project(
            project,
            engine=args.engine,
            output_dir=args.output_dir.resolve() if args.output_dir else None,
            stamp=describe_build(project, case.data),
            check=lambda site: check_site(site, case),
        )
    elapsed = time.perf_counter() - started
    _console.print(
        f"built {_relative(result.output_dir, project)}/: {len(result.pages)} pages"
        + (f" and {_relative(result.pdf, project)}" if result.pdf else "")
        + f" in {elapsed:.1f} s; {case.audit.reproduced} of {len(case.audit.rows)} "
        "published figures reproduced"
    )
    return 0


def _build_embedded(args: argparse.Namespace) -> int:
    from netreport.rebuild import build

    project = args.project.resolve()
    started = time.perf_counter()
    with _busy("building the case report"):
        outcome = build(
            project,
            output_dir=args.output_dir.resolve() if args.output_dir else None,
            force=args.force,
            strict=args.strict,
            on_case=_warn_about_audit,
        )
    for line in outcome.lines:
        _console.print(line)
    elapsed = time.perf_counter() - started
    if outcome.skipped:
        _console.print(f"nothing to rebuild: no input changed ({elapsed:.2f} s)")
        return 0
    if outcome.result is None:
        _console.print(
            f"brought the status reports up to date in {elapsed:.1f} s; the case "
            "report was unchanged"
        )
        return 0
    result, audit = outcome.result, outcome.case.audit
    _console.print(
        f"built {_relative(result.output_dir, project)}/: {len(result.pages)} pages"
        f" and {_relative(result.pdf, project)} in {elapsed:.1f} s; "
        f"{audit.reproduced} of {len(audit.rows)} published figures reproduced"
    )
    files = sum(1 for p in result.output_dir.rglob("*") if p.is_file())
    _console.print(
        f"checked before publishing: no data file, raw row, excerpt or interviewee "
        f"id in any of {files} files; the PDF is tagged PDF/UA-1; the site "
        "replaced the last one in one atomic step"
    )
    return 0


def _release(args: argparse.Namespace) -> int:
    from netreport.release import release

    with _busy(f"building and archiving version {args.version}"):
        outcome = release(
            args.project,
            args.version,
            date=args.date,
            strict=args.strict,
            on_case=_warn_about_audit,
        )
    for line in outcome.lines:
        _console.print(line)
    _console.print(f"released {args.version}: {outcome.folder}")
    return 0


def _preview(args: argparse.Namespace) -> int:
    from netreport.preview import preview

    preview(args.project, port=args.port, say=lambda t: _console.print(t))
    return 0


def _whole_number(least: int, most: int | None = None):
    """An argparse type: a whole number from `least` to `most`."""
    span = f"from {least} to {most}" if most is not None else f"of at least {least}"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < least or (most is not None and value > most):
            raise argparse.ArgumentTypeError(
                f"expected a whole number {span}, found {text!r}"
            )
        return value

    return parse


def _folder(text: str) -> Path:
    """An argparse type: a folder to write into, made if missing."""
    path = Path(text)
    if path.exists() and not path.is_dir():
        # The site replaces the output folder whole: a file there would go.
        raise argparse.ArgumentTypeError(
            f"{text} is a file, not a folder; name a folder (made if missing)"
        )
    return path


def _seconds(text: str) -> float:
    """An argparse type: a time in seconds, more than 0."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(
            f"expected a number of seconds above 0, found {text!r}"
        )
    return value


def _date(text: str):
    import datetime as dt

    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected YYYY-MM-DD, found {text!r}"
        ) from None


def _check(args: argparse.Namespace) -> int:
    from netreport.case import load_case

    log.info("load and check the data in %s", args.data)
    case = load_case(args.data)
    data = case.data
    _console.print(
        f"{data.files['artifacts']}: {len(data.artifacts)} artifacts "
        f"({len(data.included)} included, {len(data.excluded)} excluded)"
    )
    _console.print(f"{data.files['mentions']}: {len(data.mentions)} mentions")
    audit = case.audit
    _console.print(
        f"{audit.reproduced} of {len(audit.rows)} published figures reproduced"
    )
    for row in audit.mismatches:
        _console.print(
            f"  {row.figure.id}: {row.discrepancy}"
            + (f". {row.figure.note}" if row.figure.note else "")
        )
    _warn_about_audit(case)
    return 0


def _import(args: argparse.Namespace) -> int:
    from netreport.importing import import_file

    report = import_file(
        args.file, args.project, write=not args.dry_run, replace=args.replace
    )
    for line in report.lines():
        _console.print(line)
    return 0


def _reconstruct(args: argparse.Namespace) -> int:
    from netreport.codebook import load_codebook
    from netreport.reconstruction import reconstruct

    spec = args.data / "reconstruction.yml"
    if not spec.exists():
        raise NetreportError(
            f"{spec}: no reconstruction spec here; `reconstruct` only regenerates "
            "the shipped case, real coded data needs no reconstruction"
        )
    made = reconstruct(
        spec,
        load_codebook(args.data / "codebook.yml"),
        args.data,
        replace=args.replace,
    )
    for file in made.values():
        if file.previous is not None:
            _console.print(
                f"replaced {file.path}; the old file is kept as {file.previous}"
            )
        elif file.changed:
            _console.print(f"wrote {file.path}")
        else:
            _console.print(f"{file.path}: unchanged, its bytes were already right")
    return 0


def _dask_timeout(args: argparse.Namespace) -> contextlib.AbstractContextManager:
    """Dask's connect timeout set to --connect-timeout, for a run on Dask.

    Dask keeps retrying a scheduler that refuses the connection until its
    timeout (30 s by default) runs out; a wrong address should fail sooner.
    """
    if args.executor != "dask":
        return contextlib.nullcontext()
    try:
        import dask
    except ImportError:  # render_status says how to install it
        return contextlib.nullcontext()
    return dask.config.set({"distributed.comm.timeouts.connect": args.connect_timeout})


class _Version(argparse.Action):
    """``--version``: looked up only when asked, as pandoc and Typst must run."""

    def __init__(self, option_strings, dest, **kwargs) -> None:
        kwargs.update(nargs=0, default=argparse.SUPPRESS)
        super().__init__(option_strings, dest, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        from netreport.provenance import tool_versions

        for name, number in tool_versions().items():
            print(f"{name} {number}")
        parser.exit()


# -- a failed write ---------------------------------------------------------------

# Errors that say the machine cannot write, whatever the file.
_CANNOT_WRITE = {errno.ENOSPC, errno.EDQUOT, errno.EROFS}


def _write_failure(args: argparse.Namespace, error: OSError) -> str | None:
    """The message for `error` if it is a failure to write the outputs.

    An OSError on a file outside the folders the command writes is left to
    show its traceback: netreport failed to read something of its own.
    """
    writes = getattr(args, "writes", None)
    if writes is None:
        return None
    folders = [Path(folder).resolve() for folder in writes(args)]
    names = [Path(os.fsdecode(n)) for n in (error.filename, error.filename2) if n]
    hits = [shown for n in names for f in folders if (shown := _written(n, f))]
    if not hits and error.errno not in _CANNOT_WRITE:
        return None
    where, reason = (hits[0] if hits else "the outputs"), error.strerror or str(error)
    if hits and error.errno in (errno.EEXIST, errno.ENOTDIR):
        # "File exists" or "Not a directory" of a folder not made: name the file.
        found = next((p for p in (hits[0], *hits[0].parents) if p.exists()), None)
        if found is not None and not found.is_dir():
            where, reason = found, "a file is in the way, where a folder must be"
    elsewhere = " or choose another --output-dir" if hasattr(args, "output_dir") else ""
    return (
        f"cannot write {where}: {reason}; check that the folder exists and can "
        f"be written{elsewhere}"
    )


def _written(path: Path, folder: Path) -> Path | None:
    """The path to name if `path` is one a command writing `folder` writes.

    That is `folder`, a file in it, a folder above it (made if missing), or
    the staging folder beside it, named as `folder` itself.
    """
    path = path.resolve()
    if path == folder or folder in path.parents or path in folder.parents:
        return path
    if path.parent == folder.parent and path.name.startswith(f".{folder.name}."):
        return folder
    return None


def _site_folders(args: argparse.Namespace) -> list[Path]:
    """Where build, release and preview write: the site and the build state."""
    from netreport.rebuild import CACHE_DIR

    site = getattr(args, "output_dir", None)
    if site is None:
        from netreport.render._config import load_book_config

        site = _configured(lambda: load_book_config(args.project).output_dir)
    return [site or args.project / "_site", args.project / CACHE_DIR]


def _status_folders(args: argparse.Namespace) -> list[Path]:
    """Where status writes: its reports and the status cache."""
    from netreport.rebuild import CACHE_DIR
    from netreport.status import load_status_config

    site = args.output_dir or _configured(
        lambda: load_status_config(args.project).output_dir
    )
    return [site or args.project / "_site" / "status", args.project / CACHE_DIR]


def _configured(read) -> Path | None:
    """The folder `read` finds in the project's config; None if it cannot."""
    try:
        return read()
    except NetreportError:
        return None


def _warn_about_audit(case) -> None:
    unexplained = [r for r in case.audit.mismatches if not r.figure.note]
    if unexplained:
        warnings.warn(
            "published figures that differ from the data with no note saying why: "
            f"{counted(len(unexplained), 'figure')} "
            f"({', '.join(r.figure.id for r in unexplained)}). Add a `note` to "
            "each in published.yml, or correct the data.",
            NetreportWarning,
            stacklevel=2,
        )


def _relative(path: Path, base: Path) -> str:
    try:
        return str(path.relative_to(base))
    except ValueError:
        return str(path)


def _log_handler() -> logging.Handler:
    """Rich's columns on a terminal; one whole line per record elsewhere.

    Rich lays a record out to the console's width (80 columns in a pipe),
    which would break a long path in a log file over two lines.
    """
    if _console.is_terminal:
        return RichHandler(console=_console, show_time=False, show_path=False)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)-8s %(message)s"))
    return handler


def _busy(what: str) -> contextlib.AbstractContextManager:
    """A spinner saying `what` runs, on a terminal only.

    The spinner redraws on a thread of its own, which competes with the
    build for the interpreter: a few times a second is enough for the eye,
    and for a pipe or a log it draws nothing, so it does not run at all.
    """
    if not _console.is_terminal:
        return contextlib.nullcontext()
    return _console.status(what, refresh_per_second=4)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run() -> None:
    """The ``netreport`` command: `main`, then exit with its status."""
    # A build makes some hundred thousand containers that live to its end
    # (ASTs, data frames). At the default thresholds the collector ran 365
    # times in a rebuild, freeing next to nothing, for about 0.15 s; at
    # these it runs a few times, for 0.07 s.
    gc.set_threshold(50_000, 20, 20)
    # Stopped by `kill` or a timeout as by Ctrl-C: the build's temporary
    # folder is removed and the last good site stays.
    signal.signal(signal.SIGTERM, _interrupt)
    status = main()
    # The process ends here. What it built (a book's AST, the data frames)
    # needs no last garbage collection, which takes ~0.2 s after a build.
    gc.freeze()
    sys.exit(status)


if __name__ == "__main__":
    run()
