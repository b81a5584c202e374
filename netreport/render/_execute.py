"""Run a chapter's Python cells and inline expressions into Markdown.

All cells of one chapter share one fresh namespace, in order, like one
Jupyter kernel per chapter. Each cell and each inline expression runs under
a timeout (``SIGALRM``, so rendering must happen on the main thread). A
failing cell raises `CellError` naming the ``.qmd`` file, its line, the cell
label and the Python error, without a traceback; so does a cell that calls
``exit()``, which would otherwise end the whole build without a word.

Cells draw with matplotlib's Agg backend, as Jupyter's inline backend does,
but matplotlib is not imported for it: a chapter whose figures are all
stored (see `netreport.render._display`) never loads it.
"""

from __future__ import annotations

import ast
import contextlib
import io
import os
import re
import sys
import threading
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netreport.claims import FalseClaim, collecting_claims, untrue_message
from netreport.errors import NetreportError
from netreport.render._display import (
    FigureOutput,
    escape_markdown,
    figure_of,
    markdown_of,
    output_block,
    save_svg,
)
from netreport.render._qmd import CodeCell, MarkdownText, QmdChapter
from netreport.timeouts import time_limit

__all__ = [
    "CellError",
    "ExecutedChapter",
    "InlineValue",
    "UntrueSentences",
    "execute_chapter",
]

_INLINE = re.compile(r"`\{python\}\s*(?P<expr>[^`]+?)\s*`")
# Where the sentence around an inline value starts or ends.
_SENTENCE_END = re.compile(r"(?<=[.!?:;])\s+(?=[A-Z(@`*])|\n\s*\n")


class CellError(NetreportError):
    """A chapter's code failed: where, and the Python error type and message."""

    def __init__(
        self,
        chapter: str,
        line: int,
        label: str | None,
        error_type: str,
        message: str,
        *,
        named: bool = True,
    ) -> None:
        self.chapter = chapter
        self.line = line
        self.label = label
        self.error_type = error_type
        self.error_message = message
        where = f"{chapter}, line {line}" + (f" (cell {label})" if label else "")
        # netreport's own errors say what is wrong; their class name is noise.
        shown = f"{error_type}: {message}" if named else message
        super().__init__(f"{where}: {shown}")


class UntrueSentences(CellError):
    """Sentences of the chapters that the data no longer bears out: where the
    first is, what it says, and every other one after it.

    `found` holds each as (chapter, line, statement), in the order run.
    """

    def __init__(self, found: list[tuple[str, int, str]]) -> None:
        self.found = found
        chapter, line, statement = found[0]
        text = untrue_message(statement)
        if len(found) > 1:
            more = len(found) - 1
            verb = "matches" if more == 1 else "match"
            text += f"\n{more} more no longer {verb} the data either:"
            text += "".join(f"\n  {c}, line {n}: {s!r}" for c, n, s in found[1:])
        super().__init__(chapter, line, None, "NetreportError", text, named=False)

    def __reduce__(self):
        return type(self), (self.found,)


class _CellTimeout(BaseException):
    """Raised inside user code by the alarm; BaseException so cells can't catch it."""


@dataclass
class ExecutedChapter:
    """A chapter's Markdown with code replaced by what it showed.

    `document` is that Markdown as pandoc parses it, when the executor
    already has it (the chapter cache keeps it); the engine parses the
    Markdown itself otherwise, and may change the document in place.
    """

    markdown: str
    figures: list[FigureOutput] = field(default_factory=list)
    values: list[InlineValue] = field(default_factory=list)
    document: dict[str, Any] | None = None


@dataclass(frozen=True)
class InlineValue:
    """What one inline expression printed, and the sentence it printed into."""

    expr: str
    text: str
    line: int
    sentence: str


@dataclass
class _Context:
    display: str
    namespace: dict[str, Any]
    defaults: Mapping[str, Any]
    timeout: float
    site_dir: Path
    files_dir: Path  # figure folder, relative to the chapter's folder
    chapter_dir: Path  # the chapter's folder, relative to the site
    figures: list[FigureOutput] = field(default_factory=list)
    values: list[InlineValue] = field(default_factory=list)
    # The chapter line each compiled piece of code starts at, by its name.
    first_lines: dict[str, int] = field(default_factory=dict)


def execute_chapter(
    chapter: QmdChapter,
    *,
    display: str,
    project_dir: Path,
    site_dir: Path,
    defaults: Mapping[str, Any],
    timeout: float,
) -> ExecutedChapter:
    """Run every cell of `chapter` and return its Markdown.

    Parameters
    ----------
    display
        The chapter's path as shown in messages, e.g. ``chapters/intro.qmd``.
    site_dir
        Where figures are written, under the chapter's own folder.
    defaults
        Cell option defaults from ``execute:`` in ``_quarto.yml``.
    timeout
        Seconds each cell may run.
    """
    source = Path(display)
    context = _Context(
        display=display,
        namespace={"__name__": "__main__"},
        defaults={
            **{"echo": False, "eval": True, "output": True, "include": True},
            **{"warning": True, "error": False},
            **defaults,
            **chapter.front_matter.get("execute", {}),
        },
        timeout=timeout,
        site_dir=site_dir,
        files_dir=Path(f"{source.stem}_files"),
        chapter_dir=source.parent,
    )
    pieces = []
    with _working_dir(project_dir), _off_screen(), collecting_claims() as untrue:
        for part in chapter.parts:
            if isinstance(part, MarkdownText):
                pieces.append(_inline(part, context))
            else:
                pieces.append(_run_cell(part, context))
    if untrue:
        raise UntrueSentences([_where(claim, context) for claim in untrue])
    markdown = "\n\n".join(p for p in pieces if p)
    return ExecutedChapter(markdown + "\n", context.figures, context.values)


def _where(claim: FalseClaim, context: _Context) -> tuple[str, int, str]:
    """The chapter and line of a false claim, from the code that made it."""
    first = context.first_lines.get(claim.filename)
    line = first + claim.line - 1 if first is not None else 0
    return context.display, line, claim.statement


@contextlib.contextmanager
def _working_dir(path: Path) -> Iterator[None]:
    old_cwd = os.getcwd()
    sys.path.insert(0, str(path))
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old_cwd)
        with contextlib.suppress(ValueError):
            sys.path.remove(str(path))


@contextlib.contextmanager
def _off_screen() -> Iterator[None]:
    """matplotlib draws with Agg, whether it is loaded yet or a cell loads it."""
    previous = os.environ.get("MPLBACKEND")
    os.environ["MPLBACKEND"] = "Agg"
    if (matplotlib := sys.modules.get("matplotlib")) is not None:
        matplotlib.use("Agg")
    try:
        yield
    finally:
        if previous is None:
            del os.environ["MPLBACKEND"]
        else:
            os.environ["MPLBACKEND"] = previous


@contextlib.contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        raise NetreportError(
            "rendering runs code cells with a timeout that needs the main thread; "
            "call render_project from the main thread"
        )
    with time_limit(seconds, _CellTimeout):
        yield


# -- inline expressions -------------------------------------------------------


def _inline(part: MarkdownText, context: _Context) -> str:
    found: list[tuple[re.Match[str], str, int]] = []

    def value(match: re.Match[str]) -> str:
        line = part.line + part.text.count("\n", 0, match.start())
        expr = match["expr"]
        filename = f"<inline {context.display}:{line}>"
        context.first_lines[filename] = line
        try:
            with _time_limit(context.timeout):
                code = compile(expr, filename, "eval")
                text = _inline_markdown(eval(code, context.namespace))
            found.append((match, text, line))
            return text
        except _CellTimeout:
            raise _timeout_error(context, line, None) from None
        except (Exception, SystemExit) as exc:
            raise CellError(
                context.display,
                line,
                None,
                type(exc).__name__,
                _message(exc, "inline expression"),
            ) from None

    markdown = _INLINE.sub(value, part.text)
    context.values.extend(_inline_values(markdown, found))
    return markdown


def _inline_values(
    markdown: str, found: list[tuple[re.Match[str], str, int]]
) -> list[InlineValue]:
    """Each value with its sentence as printed, to show where a number sits."""
    values, shift = [], 0
    ends = list(_SENTENCE_END.finditer(markdown))
    for match, text, line in found:
        start = match.start() + shift
        shift += len(text) - (match.end() - match.start())
        before = max((m.end() for m in ends if m.end() <= start), default=0)
        after = min(
            (m.start() for m in ends if m.start() >= start + len(text)),
            default=len(markdown),
        )
        sentence = " ".join(markdown[before:after].split())
        values.append(InlineValue(match["expr"], text, line, sentence))
    return values


def _inline_markdown(value: Any) -> str:
    # Only an object that says it is Markdown is inserted as Markdown; any
    # other value (a data label, say) is shown as its text.
    markdown = getattr(value, "_repr_markdown_", None)
    if callable(markdown):
        return str(markdown())
    return escape_markdown(str(value))


# -- cells -------------------------------------------------------------------


def _run_cell(cell: CodeCell, context: _Context) -> str:
    options = {**context.defaults, **cell.options}
    blocks = []
    if options["echo"] and options["include"]:
        blocks.append(output_block(cell.code, kind=None))
    if not options["eval"]:
        return "\n\n".join(blocks) if options["include"] else ""

    shown, stdout, caught = _execute(cell, context, options)
    if not options["include"] or options["output"] is False:
        return ""
    asis = options["output"] == "asis"
    if stdout:
        blocks.append(stdout if asis else output_block(stdout))
    if options["warning"]:
        blocks.extend(
            output_block(f"{w.category.__name__}: {w.message}", "stderr")
            for w in caught
        )
    blocks.extend(_show(shown, cell, options, context))
    return "\n\n".join(blocks)


def _execute(
    cell: CodeCell, context: _Context, options: Mapping[str, Any]
) -> tuple[list[Any], str, list[warnings.WarningMessage]]:
    """Run the cell; return displayed values, stdout and warnings."""
    filename = f"<cell {context.display}:{cell.line}>"
    context.first_lines[filename] = cell.code_line
    stdout = io.StringIO()
    open_before = _open_figures()
    shown: list[Any] = []
    try:
        body, last = _split_last_expression(cell.code, filename)
        with (
            _time_limit(context.timeout),
            contextlib.redirect_stdout(stdout),
            warnings.catch_warnings(record=True) as caught,
        ):
            warnings.simplefilter("always")
            exec(body, context.namespace)
            if last is not None:
                value = eval(last, context.namespace)
                if value is not None:
                    shown.append(value)
    except _CellTimeout:
        raise _timeout_error(context, cell.line, cell.label) from None
    # A cell's exit() is a cell error like any other: left to rise, it would
    # end netreport with no message, status 0 (or the cell's code) and
    # nothing built. Ctrl-C (KeyboardInterrupt) still rises, to stop a build.
    except (Exception, SystemExit) as exc:
        if not options["error"]:
            raise _cell_error(exc, cell, context, filename) from None
        shown.append(_ShownError(exc))
        caught = []
    # Like Jupyter's inline backend: figures left open by pyplot are shown.
    for number in sorted(_open_figures() - open_before):
        shown.append(sys.modules["matplotlib.pyplot"].figure(number))
    return shown, stdout.getvalue(), caught


def _open_figures() -> set[int]:
    """The numbers of pyplot's open figures; none before a cell loads pyplot."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    return set(pyplot.get_fignums()) if pyplot is not None else set()


def _split_last_expression(code: str, filename: str) -> tuple[Any, Any]:
    tree = ast.parse(code, filename)
    last = None
    silenced = code.rstrip().endswith(";")
    if tree.body and isinstance(tree.body[-1], ast.Expr) and not silenced:
        last = compile(ast.Expression(tree.body.pop().value), filename, "eval")
    return compile(tree, filename, "exec"), last


@dataclass
class _ShownError:
    error: BaseException

    def __repr__(self) -> str:
        return f"{type(self.error).__name__}: {self.error}"


def _cell_error(
    exc: BaseException, cell: CodeCell, context: _Context, filename: str
) -> CellError:
    line = cell.code_line
    if isinstance(exc, SyntaxError) and exc.filename == filename and exc.lineno:
        line = cell.code_line + exc.lineno - 1
    else:
        frame_lines = [
            tb.tb_lineno
            for tb in _traceback_entries(exc.__traceback__)
            if tb.tb_frame.f_code.co_filename == filename
        ]
        if frame_lines:
            line = cell.code_line + frame_lines[-1] - 1
    message = exc.msg if isinstance(exc, SyntaxError) else _message(exc, "cell")
    return CellError(
        context.display,
        line,
        cell.label,
        type(exc).__name__,
        message,
        named=not isinstance(exc, NetreportError),
    )


def _message(exc: BaseException, caller: str) -> str:
    """The error's message; for exit(), that the `caller` cannot call it."""
    if not isinstance(exc, SystemExit):
        return str(exc)
    code = "" if exc.code is None else repr(exc.code)
    return (
        f"the {caller} called exit({code}); chapter code cannot end the build "
        "(remove the call, or raise an exception that says what is wrong)"
    )


def _traceback_entries(tb: Any) -> Iterator[Any]:
    while tb is not None:
        yield tb
        tb = tb.tb_next


def _timeout_error(context: _Context, line: int, label: str | None) -> CellError:
    return CellError(
        context.display,
        line,
        label,
        "TimeoutError",
        f"still running after {context.timeout:g} seconds (cell_timeout)",
    )


# -- what a cell shows -------------------------------------------------------


def _show(
    shown: list[Any], cell: CodeCell, options: Mapping[str, Any], context: _Context
) -> list[str]:
    blocks: list[str] = []
    tables: list[str] = []
    seen: set[int] = set()
    figures = []
    for value in shown:
        figure = figure_of(value)
        if figure is not None:
            if id(figure) not in seen:
                seen.add(id(figure))
                alt = options.get("fig-alt", getattr(value, "alt_text", None))
                figures.append((figure, alt))
            continue
        text, rich = markdown_of(value)
        (tables if rich else blocks).append(text)
    if tables:
        blocks.append(_table_float(tables, cell, options, context))
    for index, (figure, alt) in enumerate(figures):
        blocks.append(
            _figure_float(figure, alt, index, len(figures), cell, options, context)
        )
    return blocks


def _float_div(kind: str, content: str, caption: str | None, label: str | None) -> str:
    if label is None and caption is None:
        return content
    attrs = (f"#{label} " if label else "") + f'.nr-float nr-kind="{kind}"'
    caption_text = f"\n\n{caption}" if caption else ""
    return f"::::::: {{{attrs}}}\n{content}{caption_text}\n:::::::"


def _float_label(cell: CodeCell, prefix: str, caption: str | None, context: _Context):
    label = cell.label if cell.label and cell.label.startswith(prefix) else None
    if label and not caption:
        noun = "figure" if prefix == "fig-" else "table"
        raise NetreportError(
            f"{context.display}, line {cell.line}: cell {label} has no {prefix}cap; "
            f"a cross-referenced {noun} needs a caption (add `#| {prefix}cap: ...`)"
        )
    return label


def _table_float(
    tables: list[str], cell: CodeCell, options: Mapping[str, Any], context: _Context
) -> str:
    caption = options.get("tbl-cap")
    caption = None if caption is None else str(caption)
    label = _float_label(cell, "tbl-", caption, context)
    return _float_div("tbl", "\n\n".join(tables), caption, label)


def _figure_float(figure, alt, index, count, cell, options, context) -> str:
    caption = options.get("fig-cap")
    caption = None if caption is None else str(caption)
    label = _float_label(cell, "fig-", caption, context)
    if label and count > 1:
        label = f"{label}-{index + 1}"
    name = label or f"{cell.label or 'figure'}-line{cell.line}-{index + 1}"
    relative = context.files_dir / f"{name}.svg"
    save_svg(figure, context.site_dir / context.chapter_dir / relative)
    context.figures.append(FigureOutput(context.chapter_dir / relative, alt))
    alt_attr = "" if alt is None else ' fig-alt="' + _attr_text(str(alt)) + '"'
    image = f"![]({relative.as_posix()}){{.nr-figure-image{alt_attr}}}"
    return _float_div("fig", image, caption, label)


def _attr_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")
