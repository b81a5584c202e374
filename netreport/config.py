"""The project config, ``netreport.yml``: how to read a researcher's files.

Two sections, both optional:

``columns``
    Per dataset, our column name mapped to the header the researcher's file
    uses (``artifacts: {artifact_id: "Artifact ID"}``).
``import``
    How ``netreport import`` maps a QDA project's codes onto the codebook:
    ``groups`` (a parent code or group of theirs -> one of our dimensions),
    ``codes`` (one code of theirs -> ``dimension.code``, or ``skip``),
    ``artifact_group`` (the parent code whose children are artifact ids),
    ``offsets`` (``auto``, ``codepoints`` or ``utf16``).

The file is checked strictly: an unknown key, an unknown column or a value
of the wrong kind is an error given as a path into the YAML
(``columns.mentions.interviewe: unknown column ...``). A header the data
file does not have is reported the same way, but when the data is loaded
(`netreport.coded_data.load_coded_data`), where the file's headers are
known.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from netreport.errors import closest
from netreport.yaml_config import YamlProblems, load_yaml

__all__ = ["ImportConfig", "ProjectConfig", "load_config"]

CONFIG_NAME = "netreport.yml"
_DATASETS = ("artifacts", "mentions")
_TOP_KEYS = ("columns", "import")
_IMPORT_KEYS = ("groups", "codes", "artifact_group", "offsets")
_OFFSETS = ("auto", "codepoints", "utf16")


@dataclass(frozen=True)
class ImportConfig:
    """How the codes of a QDA project map onto the codebook."""

    groups: dict[str, str] = field(default_factory=dict)
    codes: dict[str, str] = field(default_factory=dict)
    artifact_group: str = "Artifact"
    offsets: str = "auto"


@dataclass(frozen=True)
class ProjectConfig:
    """What ``netreport.yml`` says; every field has a default."""

    path: Path | None = None
    columns: dict[str, dict[str, str]] = field(default_factory=dict)
    imports: ImportConfig = field(default_factory=ImportConfig)


def load_config(project_dir: Path | str) -> ProjectConfig:
    """Read ``netreport.yml`` from the project folder, if there is one.

    Raises
    ------
    NetreportError
        With every problem found, each as a path into the YAML file.
    """
    path = Path(project_dir) / CONFIG_NAME
    if not path.exists():
        return ProjectConfig()
    raw = load_yaml(path, "the project config does not exist") or {}
    problems = YamlProblems(path, "the project config")
    config = _build(path, raw, problems)
    problems.raise_if_any("Fix these entries in netreport.yml and run again.")
    return config


def _build(path: Path, raw: object, problems: YamlProblems) -> ProjectConfig:
    if not isinstance(raw, dict):
        problems.add("", "expected a mapping with 'columns' or 'import'")
        return ProjectConfig(path)
    problems.mapping("", raw, _TOP_KEYS)
    columns = _columns(raw.get("columns", {}), problems)
    return ProjectConfig(path, columns, _imports(raw.get("import", {}), problems))


def _columns(raw: object, problems: YamlProblems) -> dict[str, dict[str, str]]:
    """Per dataset, our column -> their header; every column one we know."""
    # The columns are defined with the layouts in coded_data, which imports
    # this module to read the file: imported here, not at the top.
    from netreport.coded_data import DATASET_COLUMNS

    datasets = problems.mapping("columns", raw, _DATASETS)
    checked = {}
    for dataset in [d for d in datasets if d in _DATASETS]:
        where, known = f"columns.{dataset}", DATASET_COLUMNS[dataset]
        checked[dataset] = _strings(datasets[dataset], where, problems)
        for column in [c for c in checked[dataset] if c not in known]:
            problems.add(f"{where}.{column}", _unknown_column(column, known))
            del checked[dataset][column]
        _one_column_per_header(checked[dataset], where, problems)
    return checked


def _one_column_per_header(
    columns: dict[str, str], where: str, problems: YamlProblems
) -> None:
    """A header can be one column of ours only."""
    first: dict[str, str] = {}
    for ours, theirs in columns.items():
        if theirs in first:
            problems.add(
                f"{where}.{ours}",
                f"header {theirs!r} is mapped to {first[theirs]!r} already; "
                "each header of the file maps to one column",
            )
        first.setdefault(theirs, ours)


def _unknown_column(column: str, known: tuple[str, ...]) -> str:
    # Given whole, in the layout's order: cut short, the list would hide the
    # optional columns, which come last.
    message = f"unknown column (allowed: {', '.join(known)})"
    nearest = closest(column, known)
    return message + (f"; did you mean {nearest!r}?" if nearest else "")


def _imports(raw: object, problems: YamlProblems) -> ImportConfig:
    raw = problems.mapping("import", raw, _IMPORT_KEYS)
    offsets = raw.get("offsets", "auto")
    if offsets not in _OFFSETS:
        problems.add(
            "import.offsets", f"found {offsets!r} (allowed: {', '.join(_OFFSETS)})"
        )
        offsets = "auto"
    group = raw.get("artifact_group", "Artifact")
    if not isinstance(group, str):
        problems.add("import.artifact_group", f"expected a code name, found {group!r}")
        group = "Artifact"
    return ImportConfig(
        groups=_strings(raw.get("groups", {}), "import.groups", problems),
        codes=_strings(raw.get("codes", {}), "import.codes", problems),
        artifact_group=group,
        offsets=offsets,
    )


def _strings(raw: object, where: str, problems: YamlProblems) -> dict[str, str]:
    checked = {}
    for key, value in problems.mapping(where, raw).items():
        if isinstance(value, str):
            checked[str(key)] = value
        else:
            problems.text(f"{where}.{key}", value)
    return checked
