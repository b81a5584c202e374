"""``netreport preview``: serve the site locally and rebuild it on every change.

The site is served from ``127.0.0.1`` only. A file watcher (``watchfiles``)
sees a data file, chapter, template or ``_quarto.yml`` change, and the
report is rebuilt with `netreport.rebuild.build`, so only what the change
touches runs again. Open pages reload themselves after a build: the server
adds a small script to each HTML page it sends, which asks
``/__netreport__/build`` once a second for the number of the last build.
The script is added while serving, never written into ``_site/``, so the
published site holds no trace of the preview.

A file that an editor or ``sed -i`` writes beside a source and renames over
it is no change of its own: only the source is named, and a batch of such
files alone rebuilds nothing. A build that fails leaves the last good site
served; the error is printed and shown on the open pages until a build
succeeds again. Ctrl-C stops the preview and says so in one line.
"""

from __future__ import annotations

import functools
import http.server
import json
import logging
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from netreport.errors import NetreportError

if TYPE_CHECKING:
    from watchfiles import Change

    from netreport.rebuild import BuildOutcome

__all__ = ["PreviewServer", "preview"]

logger = logging.getLogger(__name__)

#: Where the pages ask for the number of the last build.
BUILD_ENDPOINT = "/__netreport__/build"

_RELOAD_SCRIPT = """<script>
/* netreport preview: reload after a rebuild (added by the server only). */
(function () {
  var seen = null;
  function banner(text) {
    var box = document.getElementById("nr-preview-error");
    if (!text) { if (box) box.remove(); return; }
    if (!box) {
      box = document.createElement("pre");
      box.id = "nr-preview-error";
      box.setAttribute("role", "alert");
      box.style.cssText = "position:fixed;bottom:0;left:0;right:0;margin:0;" +
        "padding:1em;background:#fff3f3;color:#7a0000;border-top:3px solid #7a0000;" +
        "white-space:pre-wrap;max-height:40vh;overflow:auto;z-index:9";
      document.body.appendChild(box);
    }
    box.textContent = "The last build failed; this is the last good site.\\n" + text;
  }
  function poll() {
    fetch("__ENDPOINT__", {cache: "no-store"}).then(function (r) { return r.json(); })
      .then(function (state) {
        if (seen !== null && state.build !== seen) { location.reload(); return; }
        seen = state.build;
        banner(state.error);
      }).catch(function () {}).finally(function () { setTimeout(poll, 1000); });
  }
  poll();
})();
</script>
""".replace("__ENDPOINT__", BUILD_ENDPOINT)


@dataclass
class _BuildState:
    number: int = 0
    error: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def as_json(self) -> bytes:
        with self.lock:
            return json.dumps({"build": self.number, "error": self.error}).encode()


class _Handler(http.server.SimpleHTTPRequestHandler):
    state: _BuildState

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        path = self.path.split("?", 1)[0]
        if path == BUILD_ENDPOINT:
            self._send(self.state.as_json(), "application/json")
            return
        file = Path(self.translate_path(path))
        if file.is_dir():
            file = file / "index.html"
        if file.suffix == ".html" and file.is_file():
            html = file.read_text(encoding="utf-8")
            at = html.rfind("</body>")
            at = len(html) if at < 0 else at
            page = html[:at] + _RELOAD_SCRIPT + html[at:]
            self._send(page.encode("utf-8"), "text/html; charset=utf-8")
            return
        super().do_GET()

    def _send(self, body: bytes, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        logger.debug("preview: " + format, *args)


class PreviewServer:
    """An HTTP server for `site` on 127.0.0.1, in a background thread.

    Parameters
    ----------
    site
        The folder to serve (the output dir); it may be swapped for a new one
        between requests.
    port
        The port; 0 picks a free one (see `url`).

    Raises
    ------
    NetreportError
        If the port cannot be bound (already in use, or not allowed).
    """

    def __init__(self, site: Path, port: int = 8000) -> None:
        self.state = _BuildState()
        handler = type("Handler", (_Handler,), {"state": self.state})
        try:
            self.httpd = http.server.ThreadingHTTPServer(
                ("127.0.0.1", port), functools.partial(handler, directory=str(site))
            )
        except OSError as error:
            message = (
                f"cannot serve on 127.0.0.1:{port}: {error.strerror or error}; "
                "is another preview or server running there? Choose another "
                "port with --port, or --port 0 for any free one"
            )
            raise NetreportError(message) from error
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/"

    def start(self) -> None:
        self.thread.start()

    def built(self, error: str | None) -> None:
        """Record a finished build: a new number on success, the error if not."""
        with self.state.lock:
            if error is None:
                self.state.number += 1
            self.state.error = error

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def preview(
    project_dir: Path,
    *,
    port: int = 8000,
    say: Callable[[str], None] = print,
    stop: threading.Event | None = None,
) -> None:
    """Serve the project's site and rebuild it whenever a source changes.

    Runs until interrupted or until `stop` is set. Builds run on the calling
    thread (code cells' timeouts need the main thread).
    """
    import watchfiles

    from netreport.rebuild import build
    from netreport.render._config import load_book_config

    project_dir = project_dir.resolve()
    site = load_book_config(project_dir).output_dir

    def rebuild() -> None:
        started = time.perf_counter()
        try:
            outcome = build(project_dir)
        except NetreportError as error:
            say(f"build failed, still serving the last good site: {error}")
            server.built(str(error))
            return
        for line in outcome.lines:
            say(line)
        say(_summary(outcome, time.perf_counter() - started))
        server.built(None)

    # Bind first: a port already in use should fail before a build, not after.
    server = PreviewServer(site, port)
    rebuild()
    server.start()
    say(f"serving {site} at {server.url} (Ctrl-C to stop)")
    try:
        for changes in watchfiles.watch(
            project_dir,
            watch_filter=_SourceFilter(project_dir, site),
            debounce=300,
            stop_event=stop,
        ):
            changed = _changed_sources(changes)
            if not changed:
                logger.debug("only temporary files came and went; no rebuild")
                continue
            names = sorted({_shown(path, project_dir) for path in changed})
            say(f"changed: {', '.join(names)}; rebuilding")
            rebuild()
    except KeyboardInterrupt:
        # Caught here, not by watchfiles, which would log a warning about it.
        say("stopped")
    finally:
        server.stop()


def _summary(outcome: BuildOutcome, seconds: float) -> str:
    """One line after a build's own: what it made, and how long it took."""
    if outcome.skipped:
        return f"nothing to rebuild: no input changed ({seconds:.2f} s)"
    if outcome.result is None:
        return (
            f"brought the status reports up to date in {seconds:.1f} s; the case "
            "report was unchanged"
        )
    result = outcome.result
    return (
        f"built {len(result.pages)} pages and {result.pdf.name} in {seconds:.1f} s; "
        "open pages reload"
    )


def _changed_sources(changes: Collection[tuple[Change, str]]) -> list[Path]:
    """The files of a batch of changes, without those that came and went.

    ``sed -i`` and many editors write a new file beside the one they change
    and rename it over that one: that file is added and gone again within
    the batch, and was never a source. A file that was there before the
    batch and is gone now was deleted, and counts.
    """
    from watchfiles import Change

    came_and_went = {
        path
        for change, path in changes
        if change == Change.added and not Path(path).exists()
    }
    return sorted({Path(path) for _, path in changes if path not in came_and_went})


def _shown(path: Path, project_dir: Path) -> str:
    try:
        return path.relative_to(project_dir).as_posix()
    except ValueError:
        return str(path)


class _SourceFilter:
    """Sources of the report: not the output, the cache, hidden or bytecode files."""

    def __init__(self, project_dir: Path, site: Path) -> None:
        import watchfiles

        self.project_dir = project_dir
        self.site = site
        self.default = watchfiles.DefaultFilter()

    def __call__(self, change: object, path: str) -> bool:
        file = Path(path)
        if file == self.site or self.site in file.parents:
            return False
        try:
            parts = file.relative_to(self.project_dir).parts
        except ValueError:
            return False
        if any(part.startswith(".") for part in parts):
            return False
        return self.default(change, path)
