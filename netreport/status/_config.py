"""Read ``status.yml``: the audiences, what each is shown, and its rules.

Strict, like ``_quarto.yml``: every unknown key or bad value is reported,
each as a path into the file, e.g. ``status.audiences[2].threshold: expected a
whole number ≥ 1, found 'ten'``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netreport.errors import NetreportError, shorten
from netreport.yaml_config import YamlProblems, load_yaml

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
        Listing the key path of every bad or unknown key.
    """
    path = Path(project_dir) / "status.yml"
    raw = load_yaml(path, "no status.yml; it lists the audiences of the status reports")
    problems = YamlProblems(path, "status.yml")
    config = _Reader(Path(project_dir), problems).config(raw)
    problems.raise_if_any("Fix these entries in status.yml and run again.")
    return config


class _Reader:
    def __init__(self, project_dir: Path, problems: YamlProblems) -> None:
        self.project_dir = project_dir
        self.problems = problems

    def text(self, where: str, value: Any) -> str:
        return self.problems.text(where, value, blank=False)

    def threshold(self, where: str, value: Any) -> int:
        return self.problems.whole_number(where, value, default=10, minimum=1)

    def config(self, raw: Any) -> StatusConfig:
        # Without a `status:` mapping nothing below it can be checked.
        nothing = StatusConfig(self.problems.path, "", self.project_dir, ())
        top = self.problems.mapping("", raw, _TOP_KEYS)
        if not isinstance(raw, dict):
            return nothing
        if "status" not in top:
            self.problems.add("status", "missing; the file starts with `status:`")
            return nothing
        status = self.problems.mapping("status", top["status"], _STATUS_KEYS)
        if not isinstance(top["status"], dict):
            return nothing
        threshold = self.threshold("status.threshold", status.get("threshold", 10))
        audiences = self.problems.sequence(
            "status.audiences",
            status.get("audiences"),
            "a list of audiences",
            empty=False,
        )
        parsed = tuple(
            audience
            for i, entry in enumerate(audiences)
            if (audience := self.audience(f"status.audiences[{i}]", entry, threshold))
        )
        self.unique_names(parsed)
        return StatusConfig(
            path=self.problems.path,
            network=self.text("status.network", status.get("network", "the network")),
            output_dir=self.project_dir
            / self.text("status.output-dir", status.get("output-dir", "_site/status")),
            audiences=parsed,
        )

    def audience(self, where: str, raw: Any, threshold: int) -> Audience | None:
        entry = self.problems.mapping(where, raw, _AUDIENCE_KEYS)
        if not isinstance(raw, dict):
            return None
        name = self.required_text(where, entry, "name")
        if name and not _NAME.match(name):
            self.problems.add(
                f"{where}.name",
                f"expected lower-case letters, digits, - or _, found {_show(name)}",
            )
        title = self.required_text(where, entry, "title")
        template = Path(self.required_text(where, entry, "template"))
        if template.name and not (self.project_dir / template).is_file():
            self.problems.add(f"{where}.template", f"file {template} does not exist")
        external = entry.get("external", True)
        if not isinstance(external, bool):
            self.problems.add(
                f"{where}.external", f"expected true or false, found {_show(external)}"
            )
        return Audience(
            name=name,
            title=title,
            template=template,
            external=bool(external),
            threshold=self.threshold(
                f"{where}.threshold", entry.get("threshold", threshold)
            ),
            sections=self.sections(
                f"{where}.sections", entry.get("sections", list(SECTIONS))
            ),
        )

    def required_text(self, where: str, entry: dict[str, Any], key: str) -> str:
        if key not in entry:
            self.problems.add(f"{where}.{key}", "missing")
            return ""
        return self.text(f"{where}.{key}", entry[key])

    def sections(self, where: str, value: Any) -> tuple[str, ...]:
        value = self.problems.sequence(where, value, "a list of sections")
        for i, section in enumerate(value):
            if section not in SECTIONS:
                self.problems.add(
                    f"{where}[{i}]",
                    f"unknown section {_show(section)} "
                    f"(allowed: {shorten(SECTIONS, 12)})",
                )
        return tuple(value)

    def unique_names(self, audiences: tuple[Audience, ...]) -> None:
        seen: set[str] = set()
        for i, audience in enumerate(audiences):
            if audience.name in seen:
                self.problems.add(
                    f"status.audiences[{i}].name",
                    f"{audience.name!r} names an earlier audience too",
                )
            seen.add(audience.name)


def _show(value: Any) -> str:
    return "nothing" if value is None else repr(value)
