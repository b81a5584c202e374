"""Read ``status.yml``: the audiences, what each is shown, and its rules.

Strict, like ``_quarto.yml``: an unknown key or a bad value stops the run
with a path into the file, e.g. ``status.audiences[2].threshold: expected a
whole number ≥ 1, found 'ten'``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from netreport.errors import NetreportError, shorten

__all__ = ["SECTIONS", "Audience", "StatusConfig", "load_status_config"]

#: The sections a report can show, in the order they are computed.
SECTIONS = (
    "headline",
    "trend",
    "intended_use",
    "pressure",
    "actual_use",
    "use_by_context",
    "creation_vs_use",
    "disuse",
    "next_steps",
)
_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")
_TOP_KEYS = {"status"}
_STATUS_KEYS = {"network", "output-dir", "threshold", "audiences"}
_AUDIENCE_KEYS = {"name", "title", "template", "external", "threshold", "sections"}


@dataclass(frozen=True)
class Audience:
    """One audience of the status reports.

    Attributes
    ----------
    name
        Folder name under the output dir, e.g. ``district``.
    title
        The report's title, e.g. ``Status report for district leaders``.
    template
        The Jinja2 template, relative to the project.
    external
        True for readers outside the network: small counts are suppressed.
    threshold
        The smallest count an external audience is shown.
    sections
        The sections its report computes and shows.
    """

    name: str
    title: str
    template: Path
    external: bool
    threshold: int
    sections: tuple[str, ...]


@dataclass(frozen=True)
class StatusConfig:
    """``status.yml``, checked."""

    path: Path
    network: str
    output_dir: Path
    audiences: tuple[Audience, ...]

    def audience(self, name: str) -> Audience:
        for audience in self.audiences:
            if audience.name == name:
                return audience
        known = ", ".join(a.name for a in self.audiences)
        raise NetreportError(
            f"--audience {name}: no such audience in {self.path.name} "
            f"(allowed: {known}, all)"
        )


def load_status_config(project_dir: Path) -> StatusConfig:
    """Read and check ``status.yml`` in `project_dir`.

    Raises
    ------
    NetreportError
        Naming the key path of the first bad or unknown key.
    """
    path = Path(project_dir) / "status.yml"
    if not path.is_file():
        raise NetreportError(
            f"{path}: no status.yml; it lists the audiences of the status reports"
        )
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise NetreportError(f"{path}: not valid YAML: {exc}") from exc
    return _Reader(Path(project_dir), path).config(raw)


class _Reader:
    def __init__(self, project_dir: Path, path: Path) -> None:
        self.project_dir = project_dir
        self.path = path

    def fail(self, where: str, message: str) -> NetreportError:
        return NetreportError(f"{self.path.name}: {where}: {message}")

    def mapping(self, where: str, value: Any, known: set[str]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, f"expected a mapping, found {_show(value)}")
        for key in value:
            if key not in known:
                raise self.fail(
                    f"{where}.{key}" if where else str(key),
                    f"unknown key (allowed: {shorten(sorted(known))})",
                )
        return value

    def text(self, where: str, value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(where, f"expected text, found {_show(value)}")
        return value

    def threshold(self, where: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise self.fail(where, f"expected a whole number ≥ 1, found {_show(value)}")
        return value

    def config(self, raw: Any) -> StatusConfig:
        top = self.mapping("", raw, _TOP_KEYS)
        if "status" not in top:
            raise self.fail("status", "missing; the file starts with `status:`")
        status = self.mapping("status", top["status"], _STATUS_KEYS)
        threshold = self.threshold("status.threshold", status.get("threshold", 10))
        audiences = status.get("audiences")
        if not isinstance(audiences, list) or not audiences:
            raise self.fail(
                "status.audiences",
                f"expected a list of audiences, found {_show(audiences)}",
            )
        parsed = tuple(
            self.audience(f"status.audiences[{i}]", entry, threshold)
            for i, entry in enumerate(audiences)
        )
        self.unique_names(parsed)
        return StatusConfig(
            path=self.path,
            network=self.text("status.network", status.get("network", "the network")),
            output_dir=self.project_dir
            / self.text("status.output-dir", status.get("output-dir", "_site/status")),
            audiences=parsed,
        )

    def audience(self, where: str, raw: Any, threshold: int) -> Audience:
        entry = self.mapping(where, raw, _AUDIENCE_KEYS)
        for key in ("name", "title", "template"):
            if key not in entry:
                raise self.fail(f"{where}.{key}", "missing")
        name = self.text(f"{where}.name", entry["name"])
        if not _NAME.match(name):
            raise self.fail(
                f"{where}.name",
                f"expected lower-case letters, digits, - or _, found {_show(name)}",
            )
        template = Path(self.text(f"{where}.template", entry["template"]))
        if not (self.project_dir / template).is_file():
            raise self.fail(f"{where}.template", f"file {template} does not exist")
        external = entry.get("external", True)
        if not isinstance(external, bool):
            raise self.fail(
                f"{where}.external", f"expected true or false, found {_show(external)}"
            )
        return Audience(
            name=name,
            title=self.text(f"{where}.title", entry["title"]),
            template=template,
            external=external,
            threshold=self.threshold(
                f"{where}.threshold", entry.get("threshold", threshold)
            ),
            sections=self.sections(
                f"{where}.sections", entry.get("sections", list(SECTIONS))
            ),
        )

    def sections(self, where: str, value: Any) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise self.fail(where, f"expected a list of sections, found {_show(value)}")
        for i, section in enumerate(value):
            if section not in SECTIONS:
                raise self.fail(
                    f"{where}[{i}]",
                    f"unknown section {_show(section)} "
                    f"(allowed: {shorten(SECTIONS, 12)})",
                )
        return tuple(value)

    def unique_names(self, audiences: tuple[Audience, ...]) -> None:
        seen: set[str] = set()
        for i, audience in enumerate(audiences):
            if audience.name in seen:
                raise self.fail(
                    f"status.audiences[{i}].name",
                    f"{audience.name!r} names an earlier audience too",
                )
            seen.add(audience.name)


def _show(value: Any) -> str:
    return "nothing" if value is None else repr(value)
