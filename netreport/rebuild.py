"""Rebuild only what a change touches, and skip a build when nothing changed.

What a chapter read is recorded where files are opened, not guessed:
`record_read` is called by the case (`netreport.load_case`) whenever a
chapter's code touches a dataset, the codebook or the published figures,
and by any other loader a chapter or status report uses (templates). A
dataset counts as read when the code touches its frame (``data.artifacts``,
``data.mentions`` or anything computed from them, such as ``data.included``
or ``case.audit``); the whole case is still loaded and validated once per
build, so a bad file stops every build whichever chapter reads it. Reads
that bypass netreport's loaders (a chapter opening a file itself, which the
design forbids) are not seen, nor are the project's own Python modules a
chapter imports; ``netreport build --force`` runs everything.

A chapter's results (its Markdown, figures and the values it printed) are
kept under ``.netreport/chapters/`` with what they were made from: the
chapter source, the files it read, the execute options and the code of
netreport with its pinned dependencies. A later build reuses them when all
of these are unchanged, and says why it ran a chapter again when not. A
chapter that runs again takes its slow, pure results (exact p-values,
figures) from ``.netreport/results/`` when their inputs are unchanged
(`netreport.result_store`). The HTML pages and the PDF are then put
together from the chapters' results; a page or file whose bytes did not
change keeps its old file. The book's Typst source is kept in
``.netreport/typst/`` for the next build to warm Typst with
(`netreport.render._typst_warmup`).

With no input changed since the last build (the check reads only hashes
and needs no pandas, pandoc or Typst), `build` leaves the output dir as it
is and says so, per output.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import os
import re
import shutil
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from netreport.errors import NetreportError
from netreport.result_store import (
    ResultStore,
    recording_results,
    using_store,
)
from netreport.staging import CARRIED_OVER, clean_leftovers

if TYPE_CHECKING:
    from netreport.render._typst_warmup import TypstWarmUp

__all__ = [
    "BuildOutcome",
    "ChapterCache",
    "StatusCache",
    "StatusReportError",
    "build",
    "check_up_to_date",
    "record_read",
    "recording_reads",
    "status_pages",
]

logger = logging.getLogger(__name__)

#: Where build state is kept, beside ``_quarto.yml``; git-ignored.
CACHE_DIR = ".netreport"
_STATE = "build.json"
# Packages whose release changes what a chapter prints or how it looks.
_DEPENDENCIES = (
    "plotnine", "mizani", "matplotlib", "pandas", "numpy", "scipy",
    "pandera", "pypandoc-binary", "typst",
)  # fmt: skip
_STATE_VERSION = 1

_recorders: list[set[Path]] = []


# -- what was read -------------------------------------------------------------


def record_read(path: Path | str, *, resolved: bool = False) -> None:
    """Note that the code running now read `path` (it may not exist).

    A caller that records the same files again and again passes them
    `resolved` once and for all: resolving costs a system call per folder.
    """
    if _recorders:
        path = Path(path) if resolved else Path(path).resolve()
        for recorder in _recorders:
            recorder.add(path)


@contextlib.contextmanager
def recording_reads() -> Iterator[set[Path]]:
    """Collect the paths passed to `record_read` inside the block."""
    recorder: set[Path] = set()
    _recorders.append(recorder)
    try:
        yield recorder
    finally:
        # By identity: an enclosing recorder may hold the same paths, and
        # list.remove would take the first equal one.
        del _recorders[next(i for i, r in enumerate(_recorders) if r is recorder)]


def file_digest(path: Path) -> str | None:
    """SHA-256 of the file at `path`, or None when it does not exist."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except (FileNotFoundError, IsADirectoryError):
        return None


@functools.cache
def code_fingerprint() -> str:
    """netreport's own source and resources, and its pinned dependencies.

    Worked out once per process: a build asks for it for the build state,
    the chapters and the status reports, and the code a process runs is the
    code it started with.
    """
    digest = hashlib.sha256()
    package = Path(__file__).parent
    for path in sorted(package.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(package).as_posix().encode())
            digest.update(path.read_bytes())
    for name in _DEPENDENCIES:
        try:
            digest.update(f"{name}=={version(name)}".encode())
        except PackageNotFoundError:
            digest.update(f"{name} missing".encode())
    return digest.hexdigest()


def _shown(path: Path | str, project_dir: Path) -> str:
    """`path` relative to the project when inside it, as messages show it."""
    try:
        return Path(path).relative_to(project_dir).as_posix()
    except ValueError:
        return str(path)


def _changed(recorded: Mapping[str, str | None], project_dir: Path) -> list[str]:
    """Files of `recorded` (path: digest) whose digest is no longer the same."""
    return [
        _shown(path, project_dir)
        for path, digest in recorded.items()
        if file_digest(project_dir / path) != digest
    ]


def _digests(paths: set[Path], project_dir: Path) -> dict[str, str | None]:
    return {_shown(p, project_dir): file_digest(p) for p in sorted(paths)}


def _because(changed: list[str]) -> str:
    shown = ", ".join(changed[:3]) + (
        f" and {len(changed) - 3} more" * (len(changed) > 3)
    )
    return f"{shown} changed"


# -- chapters ------------------------------------------------------------------


@dataclass
class ChapterRun:
    """What a build did with one chapter, and why."""

    display: str
    ran: bool
    reason: str


class ChapterCache:
    """Runs a chapter's code, or reuses its results when its inputs are unchanged.

    An instance stands in for `netreport.render.execute_chapter` (pass it as
    ``executor=`` to `netreport.render.render_project`). Results are kept in
    ``<project>/.netreport/chapters/``.

    Parameters
    ----------
    project_dir
        The book's folder.
    code
        `code_fingerprint` of this netreport; a different one runs every
        chapter again.
    force
        Run every chapter and compute every stored result again, whatever
        the cache holds.
    """

    def __init__(self, project_dir: Path, code: str, *, force: bool = False) -> None:
        self.project_dir = project_dir
        self.folder = project_dir / CACHE_DIR / "chapters"
        self.code = code
        self.force = force
        self.results = ResultStore(
            project_dir / CACHE_DIR / "results", code, refresh=force
        )
        self.runs: list[ChapterRun] = []
        self.records: dict[str, dict[str, Any]] = {}

    def __call__(self, qmd: Any, *, display: str, **options: Any) -> Any:
        from netreport.render import ExecutedChapter, execute_chapter
        from netreport.render._display import FigureOutput
        from netreport.render._pandoc import markdown_to_ast

        key = self._key(display, options)
        record = self._load(display)
        reason = self._stale(record, key)
        if reason is None:
            self._restore(record, display, options["site_dir"])
            self.runs.append(
                ChapterRun(display, False, "unchanged since last build, reused")
            )
            self.records[display] = record
            figures = [
                FigureOutput(Path(f["path"]), f["alt"]) for f in record["figures"]
            ]
            document = self._document(display)
            return ExecutedChapter(record["markdown"], figures, document=document)

        with (
            recording_reads() as reads,
            using_store(self.results),
            recording_results() as results,
        ):
            executed = execute_chapter(qmd, display=display, **options)
        # The same Markdown as last time parses to the same document.
        document = None
        if record is not None and record["markdown"] == executed.markdown:
            document = self._document(display)
        if document is None:
            document = markdown_to_ast(executed.markdown, what=display)
        values = chapter_values(display, executed, document["blocks"])
        self.runs.append(ChapterRun(display, True, reason))
        record = {
            **key,
            "reads": _digests(reads, self.project_dir),
            "results": sorted(results),
            "markdown": executed.markdown,
            "figures": [
                {"path": f.path.as_posix(), "alt": f.alt} for f in executed.figures
            ],
            "values": values,
        }
        self._store(record, document, display, options["site_dir"])
        self.records[display] = record
        return replace(executed, document=document)

    def prune_results(self, book: Iterable[str] = ()) -> None:
        """Remove the stored results that neither a chapter's current results
        nor the `book` (its citations) were made with."""
        keep = {name for record in self.records.values() for name in record["results"]}
        keep.update(book)
        removed = self.results.prune(keep)
        logger.debug("removed %d stored results no chapter uses", removed)

    def _key(self, display: str, options: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "source": file_digest(self.project_dir / display),
            "options": json.loads(json.dumps(options["defaults"], default=str)),
            "code": self.code,
        }

    def _stale(self, record: dict[str, Any] | None, key: dict[str, Any]) -> str | None:
        """Why the chapter must run again, or None when its results still hold."""
        if self.force:
            return "asked to rebuild everything (--force)"
        if record is None:
            return "no earlier results"
        if record["source"] != key["source"]:
            return "its source changed"
        if record["options"] != key["options"]:
            return "execute options in _quarto.yml changed"
        if record["code"] != key["code"]:
            return "netreport or a pinned dependency changed"
        changed = _changed(record["reads"], self.project_dir)
        if changed:
            return _because(changed)
        return None

    def _entry(self, display: str) -> Path:
        return self.folder / display.replace("/", "--")

    def _load(self, display: str) -> dict[str, Any] | None:
        try:
            record = json.loads((self._entry(display) / "record.json").read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None
        files = self._entry(display) / "files"
        if not all((files / f["path"]).is_file() for f in record["figures"]):
            return None
        return record

    def _restore(self, record: dict[str, Any], display: str, site: Path) -> None:
        for figure in record["figures"]:
            target = site / figure["path"]
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(self._entry(display) / "files" / figure["path"], target)

    def _document(self, display: str) -> dict[str, Any] | None:
        """The chapter's Markdown as pandoc parsed it last time, if kept."""
        try:
            return json.loads((self._entry(display) / "document.json").read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def _store(
        self, record: dict[str, Any], document: Any, display: str, site: Path
    ) -> None:
        entry = self._entry(display)
        shutil.rmtree(entry, ignore_errors=True)
        for figure in record["figures"]:
            target = entry / "files" / figure["path"]
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(site / figure["path"], target)
        entry.mkdir(parents=True, exist_ok=True)
        _write_json(entry / "document.json", document, compact=True)
        _write_json(entry / "record.json", record)


def chapter_values(
    display: str, executed: Any, blocks: list[Any]
) -> list[dict[str, str]]:
    """Every number a chapter printed: inline values and table cells.

    Each is keyed by where it sits, so two builds can be compared: an inline
    value by its expression (and which occurrence of it), a table cell by its
    table's label (or position), row and column. The cells are read from
    `blocks`, the chapter's Markdown as pandoc parsed it.
    """
    values: list[dict[str, str]] = []
    seen: dict[str, int] = {}
    for value in getattr(executed, "values", []):
        seen[value.expr] = seen.get(value.expr, 0) + 1
        values.append({
            "id": f"{display}: `{value.expr}` #{seen[value.expr]}",
            "chapter": display,
            "where": _unescape(value.sentence),
            "value": _unescape(value.text),
        })  # fmt: skip
    values.extend(_table_cells(display, blocks))
    return values


def _unescape(markdown: str) -> str:
    """Inline Markdown as a reader sees it: no backslash escapes."""
    return re.sub(r"\\([\\`*_{}\[\]()#+\-.!<>&@$|])", r"\1", markdown)


def _table_cells(display: str, blocks: list[Any]) -> list[dict[str, str]]:
    from netreport.render._crossref import plain_text

    tables: list[tuple[str, str, dict[str, Any]]] = []

    def visit(value: Any) -> None:
        """Top-down, so a table float is seen before the table inside it."""
        if isinstance(value, list):
            for item in value:
                visit(item)
            return
        if not isinstance(value, dict):
            return
        if value.get("t") == "Div" and value["c"][0][0].startswith("tbl-"):
            label, content = value["c"][0][0], value["c"][1]
            caption = [b for b in content if b["t"] in ("Para", "Plain")]
            text = plain_text(caption[-1]["c"]) if caption else ""
            tables.extend((label, text, b) for b in content if b["t"] == "Table")
        elif value.get("t") == "Table":
            tables.append((f"table {len(tables) + 1}", "", value))
        else:
            visit(value.get("c"))

    visit(blocks)
    cells = []
    for label, caption, table in tables:
        header, rows = _table_rows(table, plain_text)
        seen: dict[str, int] = {}
        for row in rows:
            key = row[0] if row else ""
            seen[key] = seen.get(key, 0) + 1
            row_key = key if seen[key] == 1 else f"{key} ({seen[key]})"
            for column, text in zip(header[1:], row[1:], strict=False):
                where = f"{label}" + (f" ({caption})" if caption else "")
                cells.append({
                    "id": f"{display}: {label} [{row_key} | {column}]",
                    "chapter": display,
                    "where": f"{where}, row {row_key!r}, column {column!r}",
                    "value": text,
                })  # fmt: skip
    return cells


def _table_rows(table: dict[str, Any], plain_text: Callable) -> tuple[list, list]:
    """Header texts and body rows' texts of a pandoc Table node."""

    def text(cell: list[Any]) -> str:
        blocks = [b["c"] for b in cell[4] if isinstance(b.get("c"), list)]
        return " ".join(plain_text(b) for b in blocks).strip()

    def texts(row: list[Any]) -> list[str]:
        return [text(cell) for cell in row[1]]

    _attr, _caption, _specs, head, bodies, _foot = table["c"]
    header_rows = [texts(r) for r in head[1]]
    header = header_rows[-1] if header_rows else []
    rows = [texts(r) for body in bodies for r in body[2] + body[3]]
    return header, rows


# -- the whole build -----------------------------------------------------------


@dataclass
class BuildOutcome:
    """What `build` did: one line per output, and the render's result."""

    lines: list[str]
    skipped: bool
    result: Any = None
    case: Any = None
    figures: list[dict[str, str]] = field(default_factory=list)


def _state_path(project_dir: Path) -> Path:
    return project_dir / CACHE_DIR / _STATE


def _load_state(project_dir: Path) -> dict[str, Any] | None:
    try:
        state = json.loads(_state_path(project_dir).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return state if state.get("state") == _STATE_VERSION else None


def _write_json(path: Path, record: Any, *, compact: bool = False) -> None:
    """Write `record` as JSON, only when the bytes differ from the file's.

    Records are indented and sorted for a person reading them. A `compact`
    one (a chapter's document, most of a build's cache) is not: indenting
    sends the encoder to its Python half, about nine times slower.
    """
    if compact:
        text = json.dumps(record, separators=(",", ":")) + "\n"
    else:
        text = json.dumps(record, indent=1, sort_keys=True) + "\n"
    with contextlib.suppress(FileNotFoundError):
        if path.read_text() == text:
            return
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(text)
    os.replace(temporary, path)


def _git_state(project_dir: Path) -> list[Any]:
    """The commit and dirtiness, as the build state records them (JSON)."""
    from netreport.provenance import git_state

    return list(git_state(project_dir))


def check_up_to_date(project_dir: Path, options: Mapping[str, Any]) -> list[str] | None:
    """Lines saying each output is unchanged, or None when a build is needed.

    Reads only file hashes and the git state: no pandas, pandoc or Typst,
    not even ``_quarto.yml`` (its hash is enough), so a build with nothing
    to do takes a fraction of a second.
    """
    state = _load_state(project_dir)
    if state is None or state["options"] != dict(options):
        return None
    output_dir = Path(state["output_dir"])
    if (
        _changed(state["inputs"], project_dir)
        or _listing(project_dir) != state["listing"]
    ):
        return None
    if state["code"] != code_fingerprint() or state["git"] != _git_state(project_dir):
        return None
    if _changed(state["outputs"], output_dir):
        return None
    when = state["built"]
    lines = [
        f"{run['display']}: skipped, unchanged since the build of {when}"
        for run in state["chapters"]
    ]
    lines += [
        f"{name}: skipped, unchanged since the build of {when}"
        for name in state["outputs"]
        if not name.endswith(".html") and "/" not in name and name != "netreport.css"
    ]
    return lines


def _listing(project_dir: Path) -> list[str]:
    """The files of ``data/``: a new or removed one can change what loads."""
    data = project_dir / "data"
    return sorted(p.name for p in data.iterdir()) if data.is_dir() else []


def build(
    project_dir: Path,
    *,
    output_dir: Path | None = None,
    version: str | None = None,
    force: bool = False,
    strict: bool = False,
    on_case: Callable[[Any], None] | None = None,
) -> BuildOutcome:
    """Build the report in `project_dir`, rebuilding only what changed.

    Parameters
    ----------
    output_dir
        Where the site goes; the project's ``output-dir`` (``_site``) if None.
    version
        The report version to stamp (a release); None for ``unreleased``.
    force
        Run every chapter, compute every stored result and rewrite every
        output even if nothing changed.
    strict
        Whether warnings are errors; recorded, as it can change the outcome.
    on_case
        Called with the loaded case before rendering (the CLI warns there).

    Returns
    -------
    BuildOutcome
        One line per output saying what was rebuilt or skipped, and why.
    """
    project_dir = project_dir.resolve()
    options = {
        "output_dir": str(output_dir.resolve()) if output_dir else None,
        "version": version,
        "strict": strict,
    }
    output_dir = (output_dir or _output_dir(project_dir)).resolve()
    # Before the check: a killed build may have left the site retired.
    clean_leftovers(output_dir)
    if not force:
        lines = check_up_to_date(project_dir, options)
        if lines is not None:
            figures = (_load_state(project_dir) or {}).get("figures", [])
            status = StatusCache().up_to_date(project_dir, output_dir / "status")
            if status is None:
                logger.info("the case report is unchanged; its status reports not")
                lines = _refresh_status(project_dir, output_dir, options, force, lines)
                return BuildOutcome(lines, skipped=False, figures=figures)
            logger.info("nothing changed since the last build; outputs kept")
            lines += _under(output_dir / "status", project_dir, status)
            return BuildOutcome(lines, skipped=True, figures=figures)
    # Before pandas loads: Typst lays out the last book on a thread of its
    # own while the data loads and the chapters run.
    from netreport.render._typst_warmup import TypstWarmUp

    warm_up = TypstWarmUp(project_dir / CACHE_DIR / "typst")
    try:
        return _render(project_dir, output_dir, options, force, on_case, warm_up)
    finally:
        warm_up.wait()


def _output_dir(project_dir: Path) -> Path:
    """``project.output-dir`` of ``_quarto.yml``, read without the render engine.

    Importing the engine takes about a quarter of a second; a build with
    nothing to do must not pay for it. The engine checks the file strictly
    when it renders.
    """
    import yaml

    try:
        raw = yaml.safe_load((project_dir / "_quarto.yml").read_text(encoding="utf-8"))
        folder = raw["project"].get("output-dir", "_site")
    except (OSError, yaml.YAMLError, TypeError, KeyError, AttributeError):
        from netreport.render._config import load_book_config

        return load_book_config(project_dir).output_dir  # raises the precise error
    return project_dir / str(folder)


def _render(
    project_dir: Path,
    output_dir: Path,
    options: dict[str, Any],
    force: bool,
    on_case: Callable[[Any], None] | None,
    warm_up: TypstWarmUp,
) -> BuildOutcome:
    from netreport.case import load_case
    from netreport.provenance import collect_provenance
    from netreport.publish_check import SiteCheck
    from netreport.render import render_project
    from netreport.render._config import load_book_config

    logger.info("load and check the data")
    case = load_case(project_dir / "data")
    if on_case is not None:
        on_case(case)
    provenance = collect_provenance(project_dir, case.data, options["version"])
    previous = _load_state(project_dir) or {}
    old_outputs = previous.get("outputs", {}) if previous.get(
        "output_dir") == str(output_dir) else {}  # fmt: skip
    code = code_fingerprint()
    cache = ChapterCache(project_dir, code, force=force)

    site_check = SiteCheck(case)

    def before_swap(site: Path) -> None:
        site_check(site)
        _keep_unchanged(site, output_dir, old_outputs)

    # The book's own stored results (citations) are kept beside the chapters'.
    with using_store(cache.results), recording_results() as book_results:
        result = render_project(
            project_dir,
            output_dir=output_dir,
            stamp=provenance.stamp(),
            check=before_swap,
            provenance=provenance.meta(),
            files={"provenance.json": provenance.to_json()},
            executor=cache,
            links=_links(output_dir, options["version"]),
            check_early=site_check.read_pages,
            typst_warm_up=warm_up,
        )
    cache.prune_results(book_results)
    config = load_book_config(project_dir)
    outputs = _site_digests(output_dir)
    figures = [v for r in cache.records.values() for v in r["values"]]
    figures += published_values(case)
    lines = _report(cache, outputs, old_outputs, result, output_dir)
    _save_state(project_dir, output_dir, options, code, cache, config, case,
                outputs, provenance, figures)  # fmt: skip
    lines = _refresh_status(
        project_dir, output_dir, options, force, lines, case.data, provenance.stamp()
    )
    return BuildOutcome(lines, False, result, case, figures)


def _refresh_status(
    project_dir: Path,
    output_dir: Path,
    options: Mapping[str, Any],
    force: bool,
    lines: list[str],
    data: Any = None,
    stamp: Mapping[str, str] | None = None,
) -> list[str]:
    """Bring the site's status reports up to date: the case report's `lines`
    and one more per report.

    Runs once the case report is in place, so a status report that fails
    leaves a built case report and its own last good files.
    """
    from netreport.status import refresh_status

    if data is None:
        from netreport.coded_data import load_coded_data
        from netreport.provenance import collect_provenance

        data = load_coded_data(project_dir / "data")
        stamp = collect_provenance(project_dir, data, options["version"]).stamp()
    done: list[str] = []
    try:
        refresh_status(
            project_dir, data, project_dir / "data", output_dir,
            stamp=stamp or {}, on_line=done.append, force=force,
        )  # fmt: skip
    except NetreportError as error:
        lines = lines + _under(output_dir / "status", project_dir, done)
        raise StatusReportError(lines, error) from None
    return lines + _under(output_dir / "status", project_dir, done)


def _under(folder: Path, project_dir: Path, lines: list[str]) -> list[str]:
    """`lines` about files in `folder`, naming them from the project instead."""
    shown = _shown(folder, project_dir)
    return [f"{shown}/{line}" for line in lines]


class StatusReportError(NetreportError):
    """A status report failed after the case report was built and published.

    `lines` says what the build did up to then, one line per output.
    """

    def __init__(self, lines: list[str], error: NetreportError) -> None:
        self.lines = lines
        super().__init__(
            f"{error}\nThe case report was built and published; the status "
            "report that failed, and any not yet rendered, kept their last "
            "good files. Fix the cause; the next build renders them again."
        )


def _links(output_dir: Path, version: str | None) -> dict[str, str]:
    """A link to the versions page, once there is one (or is about to be)."""
    from netreport.release import VERSIONS

    page = f"{VERSIONS}/index.html"
    if version is None and not (output_dir / page).is_file():
        return {}
    return {"All versions": page}


def published_values(case: Any) -> list[dict[str, str]]:
    """The audit of ``published.yml``: what the data gives for each figure."""
    return [
        {
            "id": f"published.yml: {row.figure.id}",
            "chapter": "published.yml",
            "where": f"{row.figure.id} ({row.figure.where}), printed "
            f"{row.figure.printed}",
            "value": str(row.shown),
        }
        for row in case.audit.rows
    ]


def _site_digests(output_dir: Path) -> dict[str, str | None]:
    """Digest of each file the build wrote (not kept folders like versions/)."""
    digests = {}
    for path in sorted(output_dir.rglob("*")):
        relative = path.relative_to(output_dir)
        if path.is_file() and relative.parts[0] not in CARRIED_OVER:
            digests[relative.as_posix()] = file_digest(path)
    return digests


def _keep_unchanged(
    site: Path, output_dir: Path, old: Mapping[str, str | None]
) -> None:
    """Put back the old file (same inode, same mtime) where the bytes are equal."""
    for name, digest in old.items():
        staged, current = site / name, output_dir / name
        if digest is None or not staged.is_file() or file_digest(staged) != digest:
            continue
        if file_digest(current) != digest:
            continue
        linked = staged.with_name(f".{staged.name}.kept")
        with contextlib.suppress(OSError):
            os.link(current, linked)
            os.replace(linked, staged)


def _report(
    cache: ChapterCache,
    outputs: Mapping[str, str | None],
    old: Mapping[str, str | None],
    result: Any,
    output_dir: Path,
) -> list[str]:
    lines = []
    for run in cache.runs:
        page = Path(run.display).with_suffix(".html").as_posix()
        if run.ran:
            lines.append(f"{run.display}: ran again, {run.reason}")
        else:
            how = "page unchanged" if outputs.get(page) == old.get(page) else (
                "page rewritten (new colophon)")  # fmt: skip
            lines.append(f"{run.display}: {run.reason}; {how}")
    ran = [r.display for r in cache.runs if r.ran]
    pdf = result.pdf.relative_to(output_dir).as_posix()
    if outputs.get(pdf) == old.get(pdf):
        lines.append(f"{pdf}: rebuilt, same bytes as before")
    elif ran:
        lines.append(f"{pdf}: rebuilt, {_because(ran)}")
    else:
        lines.append(f"{pdf}: rebuilt, its colophon changed (version, commit or time)")
    same = outputs.get("provenance.json") == old.get("provenance.json")
    lines.append("provenance.json: " + ("unchanged" if same else "written"))
    return lines


def _save_state(
    project_dir: Path,
    output_dir: Path,
    options: Mapping[str, Any],
    code: str,
    cache: ChapterCache,
    config: Any,
    case: Any,
    outputs: Mapping[str, str | None],
    provenance: Any,
    figures: list[dict[str, str]],
) -> None:
    inputs: set[Path] = {project_dir / "_quarto.yml"}
    inputs |= {project_dir / run.display for run in cache.runs}
    inputs |= {project_dir / p for r in cache.records.values() for p in r["reads"]}
    inputs |= set(config.bibliography) | ({config.csl} if config.csl else set())
    data = project_dir / "data"
    inputs |= {p for p in data.iterdir() if p.is_file()} if data.is_dir() else set()
    inputs.add(project_dir / "netreport.yml")
    state = {
        "state": _STATE_VERSION,
        "output_dir": str(output_dir),
        "options": dict(options),
        "inputs": _digests(inputs, project_dir),
        "listing": _listing(project_dir),
        "code": code,
        "git": [provenance.commit, provenance.dirty],
        "outputs": dict(outputs),
        "built": provenance.stamp()["Built"],
        "chapters": [
            {"display": r.display, "ran": r.ran, "reason": r.reason} for r in cache.runs
        ],
        "figures": figures,
    }
    _write_json(_state_path(project_dir), state)


# -- status reports --------------------------------------------------------------


class StatusCache:
    """Which status reports must be rendered again, and why.

    A report is made from its job (audience, period, where it goes), the
    data folder, ``status.yml``, the templates under ``templates/`` and
    netreport's code. The run's stamp (its build time) is not an input: a
    report whose inputs are unchanged keeps its file and its old stamp. All
    templates count for every audience, because a template may include
    another; an edit to one renders every report again.

    A report's record also names its data folder, so that `up_to_date` can
    tell from files alone, with no data loaded, whether a build must bring
    the reports of a site up to date.
    """

    def __init__(self) -> None:
        self.code = code_fingerprint()
        self.lines: list[str] = []
        # Inputs do not change while a run renders, so the files of each
        # (project, data folder) are hashed once, not once per report.
        self._inputs: dict[tuple[str, str], dict[str, str | None]] = {}

    def stale(self, job: Any) -> bool:
        """True when `job` must be rendered; one line says what and why."""
        shown = _shown(job.output, Path(job.site_root))
        reason = self._reason(
            job.project_dir, job.data_dir, Path(job.output), self._load(job)
        )
        if reason is None:
            self.lines.append(f"{shown}: skipped, unchanged since the last run")
            return False
        self.lines.append(f"{shown}: {reason}")
        return True

    def forced(self, job: Any) -> bool:
        """True: `job` is rendered whatever changed; one line says so."""
        shown = _shown(job.output, Path(job.site_root))
        self.lines.append(f"{shown}: rendered again, asked to render everything")
        return True

    def up_to_date(self, project_dir: Path, root: Path) -> list[str] | None:
        """Lines saying each report under `root` is unchanged, or None when
        one of them must be rendered again (or is not known to this cache)."""
        lines = []
        for page in status_pages(root):
            record = self._record(project_dir, page)
            if record is None or "data_dir" not in record:
                return None
            reason = self._reason(str(project_dir), record["data_dir"], page, record)
            if reason is not None:
                return None
            shown = _shown(page, root)
            lines.append(f"{shown}: skipped, unchanged since the last run")
        return lines

    def record(self, job: Any) -> None:
        """Note the inputs and outputs of `job`, just rendered."""
        html = Path(job.output)
        outputs = {html, html.with_suffix(".pdf")}
        record = {
            **self._key(job.project_dir, job.data_dir),
            "data_dir": job.data_dir,
            "outputs": _digests(outputs, Path(job.project_dir)),
        }
        _write_json(self._path(Path(job.project_dir), html), record)

    def forget(self, project_dir: Path, page: Path) -> None:
        """Drop the record of the report `page`, which is gone."""
        with contextlib.suppress(FileNotFoundError):
            self._path(project_dir, page).unlink()

    def _reason(
        self,
        project_dir: str,
        data_dir: str,
        page: Path,
        record: dict[str, Any] | None,
    ) -> str | None:
        """Why the report at `page` must be rendered, or None if it holds."""
        if record is None:
            return "rendered, no earlier report"
        key = self._key(project_dir, data_dir)
        if record["code"] != key["code"]:
            return "rendered again, netreport or a pinned dependency changed"
        if changed := [
            path
            for path, digest in record["inputs"].items()
            if key["inputs"].get(path) != digest
        ]:
            return f"rendered again, {_because(changed)}"
        if record["inputs"].keys() != key["inputs"].keys():
            return "rendered again, a template or data file was added or removed"
        if _changed(record["outputs"], Path(project_dir)):
            return "rendered again, its output is missing or was changed"
        return None

    def _key(self, project_dir: str, data_dir: str) -> dict[str, Any]:
        where = (project_dir, data_dir)
        if where not in self._inputs:
            project, data = Path(project_dir), Path(data_dir)
            files = {project / "status.yml", project / "netreport.yml"}
            for folder in (project / "templates", data):
                if folder.is_dir():
                    files |= {p for p in folder.rglob("*") if p.is_file()}
            self._inputs[where] = _digests(files, project)
        return {"inputs": self._inputs[where], "code": self.code}

    def _path(self, project_dir: Path, page: Path) -> Path:
        where = hashlib.sha256(str(page).encode()).hexdigest()[:12]
        name = f"{page.parent.name}--{page.stem}--{where}.json"
        return project_dir / CACHE_DIR / "status" / name

    def _load(self, job: Any) -> dict[str, Any] | None:
        return self._record(Path(job.project_dir), Path(job.output))

    def _record(self, project_dir: Path, page: Path) -> dict[str, Any] | None:
        try:
            return json.loads(self._path(project_dir, page).read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None


def status_pages(root: Path) -> list[Path]:
    """The status reports under `root`: ``<audience>/<period>.html``."""
    if not root.is_dir():
        return []
    return sorted(p for p in root.glob("*/*.html") if p.name != "index.html")
