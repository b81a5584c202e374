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

The file is checked strictly: an unknown key or a value of the wrong kind is
an error given as a path into the YAML (``import.offsets: ...``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from netreport.errors import NetreportError

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
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8-sig")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise NetreportError(f"{path}: not valid YAML: {err}") from None
    errors: list[str] = []
    config = _build(path, raw, errors)
    if errors:
        listing = "\n".join(f"  {path}: {e}" for e in errors)
        raise NetreportError(
            f"the project config has {len(errors)} problem(s):\n{listing}\n"
            "Fix these entries in netreport.yml and run again."
        )
    return config


def _build(path: Path, raw: object, errors: list[str]) -> ProjectConfig:
    if not isinstance(raw, dict):
        errors.append("(top): expected a mapping with 'columns' or 'import'")
        return ProjectConfig(path)
    _unknown(raw, _TOP_KEYS, "", errors)
    columns = _mapping(raw.get("columns", {}), "columns", errors)
    _unknown(columns, _DATASETS, "columns", errors)
    checked = {
        dataset: _strings(columns[dataset], f"columns.{dataset}", errors)
        for dataset in _DATASETS
        if dataset in columns
    }
    return ProjectConfig(path, checked, _imports(raw.get("import", {}), errors))


def _imports(raw: object, errors: list[str]) -> ImportConfig:
    raw = _mapping(raw, "import", errors)
    _unknown(raw, _IMPORT_KEYS, "import", errors)
    offsets = raw.get("offsets", "auto")
    if offsets not in _OFFSETS:
        errors.append(
            f"import.offsets: found {offsets!r} (allowed: {', '.join(_OFFSETS)})"
        )
        offsets = "auto"
    group = raw.get("artifact_group", "Artifact")
    if not isinstance(group, str):
        errors.append(f"import.artifact_group: expected a code name, found {group!r}")
        group = "Artifact"
    return ImportConfig(
        groups=_strings(raw.get("groups", {}), "import.groups", errors),
        codes=_strings(raw.get("codes", {}), "import.codes", errors),
        artifact_group=group,
        offsets=offsets,
    )


def _mapping(raw: object, where: str, errors: list[str]) -> dict:
    if isinstance(raw, dict):
        return raw
    errors.append(f"{where}: expected a mapping, found {raw!r}")
    return {}


def _strings(raw: object, where: str, errors: list[str]) -> dict[str, str]:
    checked = {}
    for key, value in _mapping(raw, where, errors).items():
        if not isinstance(value, str):
            errors.append(f"{where}.{key}: expected text, found {value!r}")
            continue
        checked[str(key)] = value
    return checked


def _unknown(mapping: dict, allowed: tuple[str, ...], where: str, errors: list) -> None:
    for key in mapping:
        if key not in allowed:
            at = f"{where}.{key}" if where else str(key)
            errors.append(f"{at}: unknown key (allowed: {', '.join(allowed)})")
