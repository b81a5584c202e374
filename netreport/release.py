"""Releases: a version of the report, archived, citable, and compared.

``netreport release 1.1.0`` builds the report stamped with that version and
copies the site into ``_site/versions/1.1.0/``: every page, the PDF named
with its version (``case-report-1.1.0.pdf``), ``provenance.json``, and
``figures.json``, the record of every number the report printed. A release
is never overwritten. ``_site/versions/index.html`` lists every release, and
each release's ``changes.html`` says what changed in the numbers since the
release before it: every figure whose value moved, old and new, and the data
files whose SHA-256 changed.

A figure is an inline value (keyed by its chapter, its expression and which
occurrence of that expression it is), a table cell (its chapter, table label,
row and column) or a figure of ``published.yml`` (its id; the value is what
the data gives). A figure whose prose or table was rewritten gets a new key,
so it is listed as removed and added rather than as moved.

A release's build brings the status reports in ``_site/status/`` up to
date first (`netreport.rebuild.build`), so those it archives, of external
audiences only, are made from the same inputs as the case report.

Release builds are dated by ``SOURCE_DATE_EPOCH`` when it is set, else by
the release date at midnight UTC, so building the same release twice gives
the same bytes.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import shutil
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netreport.errors import NetreportError, NetreportWarning

__all__ = ["FigureChanges", "ReleaseOutcome", "compare_figures", "release"]

logger = logging.getLogger(__name__)

_VERSION = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
VERSIONS = "versions"


@dataclass(frozen=True)
class FigureChanges:
    """How the figures of one release differ from those of the one before."""

    moved: list[tuple[dict[str, str], dict[str, str]]]
    added: list[dict[str, str]]
    removed: list[dict[str, str]]


@dataclass(frozen=True)
class ReleaseOutcome:
    """What `release` did: one line per output, and what changed."""

    lines: list[str]
    folder: Path
    previous: str | None
    changes: FigureChanges
    data_changed: list[str]


def release(
    project_dir: Path,
    version: str,
    *,
    date: dt.date | None = None,
    strict: bool = False,
    on_case: Callable[[Any], None] | None = None,
) -> ReleaseOutcome:
    """Build `version` of the report and archive it under ``versions/``.

    Parameters
    ----------
    version
        ``MAJOR.MINOR.PATCH``, greater than every version already released
        (compared number by number, so 1.10.0 follows 1.9.0).
    date
        The release date; today (UTC) if None. Ignored for the build time
        when ``SOURCE_DATE_EPOCH`` is set.
    strict, on_case
        As for `netreport.rebuild.build`.

    Raises
    ------
    NetreportError
        For a malformed version, one not newer than the newest release, or
        a failed build (then nothing is archived and ``_site/`` is left as
        it was).
    """
    from netreport.rebuild import build
    from netreport.render._config import load_book_config

    _check_version(version)
    project_dir = project_dir.resolve()
    config = load_book_config(project_dir)
    versions = config.output_dir / VERSIONS
    folder = versions / version
    if folder.exists():
        raise NetreportError(
            f"version {version}: already released in {folder}; a release is "
            "never overwritten, so give the new one a new version number"
        )
    _check_newer(version, released_versions(versions))
    _warn_if_uncommitted(project_dir, version)
    with _release_date(date):
        outcome = build(project_dir, version=version, strict=strict, on_case=on_case)
    previous = _previous(versions, version)
    old = _read_json(versions / previous / "figures.json", []) if previous else []
    changes = compare_figures(old, outcome.figures)
    old_data = _data_digests(versions / previous) if previous else {}
    new_data = _data_digests(config.output_dir)
    data_changed = sorted(
        name for name in old_data.keys() | new_data.keys()
        if old_data.get(name) != new_data.get(name)
    )  # fmt: skip

    _archive(config, version, outcome.figures, folder)
    _write_text(
        folder / "changes.html",
        _changes_page(version, previous, changes, data_changed, old_data, new_data),
    )
    listed = _write_versions_page(versions)
    pdf = f"{config.output_file}-{version}.pdf"
    moved = len(changes.moved)
    lines = outcome.lines + [
        f"{VERSIONS}/{version}/: archived (site, {pdf}, provenance.json, figures.json)",
        f"{VERSIONS}/{version}/changes.html: "
        + (
            f"{moved} figure{'s' * (moved != 1)} moved since {previous}; data files "
            f"changed: {', '.join(data_changed) or 'none'}"
            if previous
            else "first release, nothing to compare with"
        ),
        f"{VERSIONS}/index.html: lists {listed} version{'s' * (listed != 1)}",
    ]
    return ReleaseOutcome(lines, folder, previous, changes, data_changed)


def _warn_if_uncommitted(project_dir: Path, version: str) -> None:
    """A release of changes no commit holds cannot be rebuilt from its commit."""
    from netreport.provenance import git_state

    commit, dirty = git_state(project_dir)
    if dirty:
        warnings.warn(
            f"version {version} is released from uncommitted changes: its "
            f"provenance names commit {commit[:12]} as dirty, and checking "
            "that commit out will not rebuild it. Commit first (with "
            "--strict this stops the release).",
            NetreportWarning,
            stacklevel=3,
        )


def _check_version(version: str) -> None:
    if not _VERSION.match(version):
        raise NetreportError(
            f"version: expected MAJOR.MINOR.PATCH such as 1.1.0, found {version!r}"
        )


def _check_newer(version: str, released: list[str]) -> None:
    # Releases are compared with the one before; an older number would be
    # compared with nothing, or with a later release.
    if released and _key(version) <= _key(released[-1]):
        newest = released[-1]
        major, minor, patch = _key(newest)
        raise NetreportError(
            f"version {version}: not newer than the newest release, {newest}; "
            f"give a greater MAJOR.MINOR.PATCH, such as {major}.{minor}.{patch + 1}"
        )


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


def released_versions(versions: Path) -> list[str]:
    """The versions archived in `versions`, oldest first."""
    if not versions.is_dir():
        return []
    found = [
        p.name
        for p in versions.iterdir()
        if p.is_dir() and _VERSION.match(p.name) and (p / "provenance.json").is_file()
    ]
    return sorted(found, key=_key)


def _previous(versions: Path, version: str) -> str | None:
    earlier = [v for v in released_versions(versions) if _key(v) < _key(version)]
    return earlier[-1] if earlier else None


@contextmanager
def _release_date(date: dt.date | None) -> Iterator[None]:
    """Date the build by the release unless SOURCE_DATE_EPOCH already does."""
    if "SOURCE_DATE_EPOCH" in os.environ:
        yield
        return
    day = date or dt.datetime.now(dt.UTC).date()
    midnight = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
    os.environ["SOURCE_DATE_EPOCH"] = str(int(midnight.timestamp()))
    try:
        yield
    finally:
        del os.environ["SOURCE_DATE_EPOCH"]


# -- comparing figures -----------------------------------------------------------


def compare_figures(
    old: list[dict[str, str]], new: list[dict[str, str]]
) -> FigureChanges:
    """Figures whose value moved between two records, and those only in one."""
    before = {f["id"]: f for f in old}
    after = {f["id"]: f for f in new}
    moved = [
        (before[i], after[i])
        for i in after
        if i in before and before[i]["value"] != after[i]["value"]
    ]
    added = [after[i] for i in after if i not in before]
    removed = [before[i] for i in before if i not in after]
    return FigureChanges(moved, added, removed)


def _data_digests(site: Path) -> dict[str, str]:
    return _read_json(site / "provenance.json", {}).get("data", {}).get("sha256", {})


def _read_json(path: Path, default: Any) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return default


# -- archiving -----------------------------------------------------------------


def _archive(
    config: Any, version: str, figures: list[dict[str, str]], folder: Path
) -> None:
    """Copy the built site into `folder`, whole or not at all."""
    from netreport.staging import CARRIED_OVER

    site = config.output_dir
    temporary = folder.with_name(f".{version}.partial")
    shutil.rmtree(temporary, ignore_errors=True)
    # The reports of internal audiences (members) show every count: they
    # stay in _site/status/ and never go into a release, which is published.
    # (The status index lists external audiences only.)
    internal = _internal_audiences(config.project_dir, site / "status")
    shutil.copytree(
        site,
        temporary,
        ignore=lambda d, names: [
            n for n in names
            if (Path(d) == site and n in CARRIED_OVER and n != "status")
            or (Path(d) == site / "status" and n in internal)
        ],
    )  # fmt: skip
    pdf = f"{config.output_file}.pdf"
    versioned = f"{config.output_file}-{version}.pdf"
    os.replace(temporary / pdf, temporary / versioned)
    # Links to the PDF and to the versions page, one level deeper now.
    link = re.compile(r'(href="(?:\.\./)*)' + re.escape(pdf) + '"')
    versions = re.compile(r'(href="(?:\.\./)*)' + VERSIONS + '/index.html"')
    for page in temporary.rglob("*.html"):
        text = link.sub(rf'\g<1>{versioned}"', page.read_text(encoding="utf-8"))
        text = versions.sub(r'\g<1>../index.html"', text)
        page.write_text(text, encoding="utf-8")
    record = sorted(figures, key=lambda f: f["id"])
    text = json.dumps(record, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    (temporary / "figures.json").write_text(text, encoding="utf-8")
    os.replace(temporary, folder)


def _internal_audiences(project_dir: Path, status: Path) -> set[str]:
    """The names of the internal audiences, when ``status`` holds reports."""
    if not status.is_dir():
        return set()
    from netreport.status import load_status_config

    return {a.name for a in load_status_config(project_dir).audiences if not a.external}


def _write_text(path: Path, text: str) -> None:
    """Write `text` only when it differs from what `path` holds."""
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


# -- pages ---------------------------------------------------------------------

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<link rel="stylesheet" href="{{ css }}">
</head>
<body>
<main id="nr-content" class="nr-release">
{{ body }}
</main>
</body>
</html>
"""

_VERSIONS_BODY = """<h1>Versions of this report</h1>
<p>Every release stays here as it was published. Cite a version by its number;
its <code>provenance.json</code> names the data (SHA-256 of each file) and the
code it was built from.</p>
<table>
<thead><tr><th scope="col">Version</th><th scope="col">Built</th>
<th scope="col">Read</th><th scope="col">PDF</th>
<th scope="col">What changed</th><th scope="col">Provenance</th></tr></thead>
<tbody>
{% for v in versions %}<tr><th scope="row">{{ v.version }}</th><td>{{ v.built }}</td>
<td><a href="{{ v.version }}/index.html">site</a></td>
<td><a href="{{ v.version }}/{{ v.pdf }}">{{ v.pdf }}</a></td>
<td><a href="{{ v.version }}/changes.html">{{ v.summary }}</a></td>
<td><a href="{{ v.version }}/provenance.json">provenance.json</a></td></tr>
{% endfor %}</tbody>
</table>
"""

_CHANGES_BODY = """<h1>Version {{ version }}: what changed</h1>
<p><a href="../index.html">All versions</a> ·
<a href="index.html">Read version {{ version }}</a></p>
{% if previous is none %}
<p>This is the first release; there is no earlier version to compare with.</p>
{% else %}
<p>Compared with version <a href="../{{ previous }}/index.html">{{ previous }}</a>:
{{ changes.moved | length }} figure{{ "s" if changes.moved | length != 1 }} moved.</p>
<h2>Data files</h2>
{% if data_changed %}
<table>
<thead><tr><th scope="col">File</th><th scope="col">SHA-256 in {{ previous }}</th>
<th scope="col">SHA-256 in {{ version }}</th></tr></thead>
<tbody>
{% for name in data_changed %}<tr><th scope="row">{{ name }}</th>
<td><code>{{ (old_data.get(name) or "absent")[:16] }}</code></td>
<td><code>{{ (new_data.get(name) or "absent")[:16] }}</code></td></tr>
{% endfor %}</tbody>
</table>
{% else %}
<p>No data file changed.</p>
{% endif %}
<h2>Figures whose value moved</h2>
{% if changes.moved %}
<table>
<thead><tr><th scope="col">Where</th><th scope="col">In</th>
<th scope="col">{{ previous }}</th><th scope="col">{{ version }}</th></tr></thead>
<tbody>
{% for old, new in changes.moved %}<tr><td>{{ new.where }}</td>
<td>{{ new.chapter }}</td><td>{{ old.value }}</td><td>{{ new.value }}</td></tr>
{% endfor %}</tbody>
</table>
{% else %}
<p>No figure of the report changed its value.</p>
{% endif %}
{% if changes.added or changes.removed %}
<h2>Figures added or removed</h2>
<p>Text or tables that were rewritten: their figures are not compared.</p>
<details><summary>{{ changes.added | length }} added,
{{ changes.removed | length }} removed</summary>
<ul>
{% for f in changes.added %}<li>added in {{ f.chapter }}: {{ f.where }}
({{ f.value }})</li>
{% endfor %}{% for f in changes.removed %}<li>removed from {{ f.chapter }}:
{{ f.where }} ({{ f.value }})</li>
{% endfor %}</ul>
</details>
{% endif %}
{% endif %}
"""


def _render(body: str, title: str, css: str, **values: Any) -> str:
    import jinja2
    import markupsafe

    environment = jinja2.Environment(autoescape=True, keep_trailing_newline=True)
    inner = environment.from_string(body).render(**values)
    page = environment.from_string(_PAGE)
    return page.render(title=title, css=css, body=markupsafe.Markup(inner))


def _changes_page(
    version: str,
    previous: str | None,
    changes: FigureChanges,
    data_changed: list[str],
    old_data: dict[str, str],
    new_data: dict[str, str],
) -> str:
    return _render(
        _CHANGES_BODY,
        f"Version {version}: what changed",
        "netreport.css",
        version=version,
        previous=previous,
        changes=changes,
        data_changed=data_changed,
        old_data=old_data,
        new_data=new_data,
    )


def _write_versions_page(versions: Path) -> int:
    rows = []
    for version in reversed(released_versions(versions)):
        folder = versions / version
        provenance = _read_json(folder / "provenance.json", {})
        pdfs = sorted(folder.glob(f"*-{version}.pdf"))
        figures = _read_json(folder / "figures.json", [])
        rows.append({
            "version": version,
            "built": provenance.get("built", "")[:10],
            "pdf": pdfs[0].name if pdfs else "",
            "summary": _summary(versions, version, figures),
        })  # fmt: skip
    _write_text(
        versions / "index.html",
        _render(_VERSIONS_BODY, "Versions of this report", "../netreport.css",
                versions=rows),
    )  # fmt: skip
    return len(rows)


def _summary(versions: Path, version: str, figures: list[dict[str, str]]) -> str:
    previous = _previous(versions, version)
    if previous is None:
        return "first release"
    old = _read_json(versions / previous / "figures.json", [])
    moved = len(compare_figures(old, figures).moved)
    return f"{moved} figure{'s' * (moved != 1)} moved since {previous}"
