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
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urldefrag

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
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, "
        "resultTypes: ['violations']})",
        AXE_TAGS,
    )
    return result["violations"]


def pages_of(site: Path) -> list[str]:
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))


@dataclass
class PageSurvey:
    """What one visit of a page found."""

    problems: list[str] = field(default_factory=list)  # console, failed loads
    broken: list[str] = field(default_factory=list)  # links and images
    violations: list[str] = field(default_factory=list)  # axe-core


def survey_site(browser, site: Path) -> dict[str, PageSurvey]:
    """Visit every page of `site` once: console, links, images and axe."""
    surveys, fetched = {}, {}
    with served(site) as base:
        for name in pages_of(site):
            page, survey = open_page(browser, base + name)
            survey.broken = _broken_links(page, base, fetched)
            survey.violations = [
                f"{v['id']}: {v['help']} ({len(v['nodes'])}x, e.g. "
                f"{v['nodes'][0]['target']})"
                for v in run_axe(page)
            ]
            page.close()
            surveys[name] = survey
    return surveys


def open_page(browser, url: str):
    """Open `url` in a new page, recording console errors and failed loads."""
    page = browser.new_page()
    survey = PageSurvey()
    problems = survey.problems
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}"))
    page.on(
        "response",
        lambda r: problems.append(f"{r.status}: {r.url}") if r.status >= 400 else None,
    )
    page.goto(url)
    page.wait_for_load_state("load")
    return page, survey


def _broken_links(page, base: str, fetched: dict[str, str]) -> list[str]:
    """Links and images of the page that lead nowhere on the site."""
    broken = []
    hrefs = page.eval_on_selector_all("a[href]", "as => as.map(a => a.href)")
    for href in sorted(set(hrefs)):
        if not href.startswith(base):
            continue
        target, fragment = urldefrag(href)
        if target not in fetched:
            try:
                with urllib.request.urlopen(target) as response:
                    fetched[target] = response.read().decode("utf-8", "replace")
            except OSError as error:
                broken.append(f"{href}: {error}")
                continue
        if fragment and f'id="{fragment}"' not in fetched[target]:
            broken.append(f"{href}: no element with id {fragment}")
    images = page.eval_on_selector_all(
        "img",
        "is => is.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)",
    )
    return broken + [f"{src}: image does not load" for src in images]
