"""Run the pandoc binary that ships with ``pypandoc-binary``.

Every conversion (Markdown to AST, AST to HTML or Typst) and citeproc go
through a *session*: a ``pandoc lua`` process running
``resources/session.lua``, which reads requests on its standard input and
answers on its standard output. pandoc takes about 20 ms to get going for
each call, far more than converting one status report or chapter takes,
so a thousand reports would spend most of their time starting pandoc.
Sessions are kept per process and reused; a thread takes one for itself
while it converts, so threads never share one (Dask workers render in
threads).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import subprocess
import tempfile
import threading
from collections.abc import Iterator, Mapping
from functools import cache
from importlib.resources import files
from typing import IO, Any

import pypandoc

from netreport.errors import NetreportError

__all__ = [
    "HTML_OPTIONS",
    "PANDOC_MARKDOWN",
    "citeproc",
    "markdown_to_ast",
    "write_ast",
]

#: pandoc's Markdown plus what Quarto sources use and pandoc leaves off.
PANDOC_MARKDOWN = "markdown+tex_math_dollars+pipe_tables"
#: Writer options of every HTML page: MathML, and no hard line breaks.
HTML_OPTIONS = {"html_math_method": "mathml", "wrap_text": "none"}


# An AST on its way to pandoc: without spaces, and without the check for
# reference cycles, which a tree parsed from JSON cannot have (a third of
# the time of encoding a status report's AST).
_ast_json = json.JSONEncoder(separators=(",", ":"), check_circular=False).encode


@cache
def _pandoc_path() -> str:
    return pypandoc.get_pandoc_path()


def markdown_to_ast(markdown: str, *, what: str) -> dict[str, Any]:
    """Parse Markdown into pandoc's JSON AST."""
    request = {"from": PANDOC_MARKDOWN, "to": "json"}
    return json.loads(_convert(markdown, request, what=what))


def write_ast(
    doc: Mapping[str, Any],
    to: str,
    *,
    template: str | None = None,
    options: Mapping[str, Any] | None = None,
    what: str,
) -> str:
    """Write the JSON AST `doc` in the format `to`.

    Parameters
    ----------
    template
        The text of a pandoc template; with one, the output is standalone.
    options
        pandoc's writer options, by their Lua names (``wrap_text``,
        ``html_math_method``, ...).
    what
        What is being converted, named in an error.
    """
    request = {"from": "json", "to": to}
    if template is not None:
        request["template"] = template
    if options:
        request["options"] = dict(options)
    return _convert(_ast_json(doc), request, what=what)


def citeproc(doc: Mapping[str, Any], *, what: str) -> tuple[dict[str, Any], list[str]]:
    """Process the citations of the JSON AST `doc`; return it and the warnings.

    The bibliography, style, language and ``link-citations`` come from the
    document's metadata, as pandoc's ``--citeproc`` reads them.
    """
    request = {"op": "citeproc"}
    output, head = _ask(_ast_json(doc), request, what=what)
    return json.loads(output), list(head.get("warnings") or [])


def _convert(text: str, request: dict[str, Any], *, what: str) -> str:
    return _ask(text, {"op": "convert", **request}, what=what)[0]


def _ask(text: str, request: dict[str, Any], *, what: str) -> tuple[str, dict]:
    with _session() as session:
        head, output = session.ask(request, text.encode("utf-8"))
    if "error" in head:
        raise NetreportError(f"{what}: pandoc failed: {head['error'].strip()}")
    return output.decode("utf-8"), head


# -- sessions ------------------------------------------------------------------


class _Session:
    """One ``pandoc lua`` process answering conversion requests."""

    def __init__(self) -> None:
        script = files("netreport.render") / "resources" / "session.lua"
        # pandoc's own messages go to a file, which cannot fill up and stall
        # it the way an unread pipe would; they are read if it dies. The
        # file lives as long as the session (`close`).
        self.messages: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115
        self.process = subprocess.Popen(
            [_pandoc_path(), "lua", str(script)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.messages,
        )

    def ask(self, request: dict[str, Any], text: bytes) -> tuple[dict[str, Any], bytes]:
        stdin, stdout = self.process.stdin, self.process.stdout
        assert stdin is not None and stdout is not None
        try:
            stdin.write(json.dumps({**request, "length": len(text)}).encode() + b"\n")
            stdin.write(text)
            stdin.flush()
            head = json.loads(stdout.readline())
            return head, stdout.read(head.pop("length"))
        except (OSError, ValueError):
            said = self._stop()
            raise NetreportError(f"pandoc stopped unexpectedly: {said}") from None

    def close(self) -> None:
        self._stop()
        self.messages.close()

    def _stop(self) -> str:
        """End the process; return what it said on its way out."""
        with contextlib.suppress(OSError):
            self.process.stdin.close()  # type: ignore[union-attr]
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.messages.seek(0)
        said = self.messages.read().decode("utf-8", errors="replace").strip()
        return said or f"exit {self.process.returncode}"


_idle: list[_Session] = []
_lock = threading.Lock()


@contextlib.contextmanager
def _session() -> Iterator[_Session]:
    """An idle session of this process, or a new one; back to idle after."""
    session, dead = None, []
    with _lock:
        while _idle and session is None:
            session = _idle.pop()
            if session.process.poll() is not None:
                dead.append(session)
                session = None
    for gone in dead:
        gone.close()
    if session is None:
        session = _Session()
    try:
        yield session
    except BaseException:
        # Stopped in the middle of a request: what it would answer next is
        # unknown, so it is not used again.
        session.close()
        raise
    with _lock:
        _idle.append(session)


@atexit.register
def _close_sessions() -> None:
    with _lock:
        sessions, _idle[:] = list(_idle), []
    for session in sessions:
        session.close()


def _forget_sessions() -> None:
    # A forked child shares its parent's pipes; it must start its own.
    global _lock
    _idle.clear()
    _lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_sessions)
