"""Built sites served on 127.0.0.1 and opened in Debian's headless Chromium.

Chromium is the system's (``/usr/bin/chromium``, installed by ``.ci/run``),
driven by playwright, which never downloads a browser of its own here; axe-core
comes from ``tests/browser/node_modules`` (``npm ci --prefix tests/browser``).
When either is missing a browser test fails under CI (``CI=true``) and is
skipped, with the command that installs it, elsewhere.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("NETREPORT_CHROMIUM", "/usr/bin/chromium")
AXE = Path(__file__).parent / "browser" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: The rules the site is held to: WCAG 2.1 A and AA, and axe's best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def require_browser() -> None:
    """Fail under CI, skip elsewhere, when Chromium, playwright or axe is missing."""
    missing = []
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        missing.append("Chromium (apt-get install -y chromium)")
    try:
        import playwright  # noqa: F401
    except ImportError:
        missing.append("playwright (pip install -e '.[test]')")
    if not AXE.exists():
        missing.append("axe-core (npm ci --prefix tests/browser)")
    if not missing:
        return
    message = "browser tests need " + ", ".join(missing)
    if os.environ.get("CI"):
        pytest.fail(message + "; .ci/run installs them")
    pytest.skip(message)


@contextlib.contextmanager
def served(site: Path) -> Iterator[str]:
    """Serve `site` on a free port of 127.0.0.1; yield its base URL."""

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(site))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()


def launch(playwright):
    executable = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    return playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)


def run_axe(page) -> list[dict]:
    """axe-core's violations on the open page."""
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
    )
    return result["violations"]


def pages_of(site: Path) -> list[str]:
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))
