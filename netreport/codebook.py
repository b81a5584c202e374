"""The codebook: dimensions, their codes in display order, and aliases.

Everything that needs to know which codes exist, how they are ordered or
what they are called reads them from here; no other module spells a code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from netreport.errors import shorten
from netreport.yaml_config import YamlProblems, load_yaml

__all__ = ["Code", "Codebook", "Dimension", "load_codebook"]

_DATASETS = ("artifacts", "mentions")
_TOP_KEYS = {"version", "dimensions", "inclusion_criteria"}
_DIMENSION_KEYS = {"label", "definition", "applies_to", "codes", "codes_from"}
_CODE_KEYS = {"label", "definition", "aliases", "parent"}


@dataclass(frozen=True)
class Code:
    """One code of a dimension."""

    name: str
    label: str
    definition: str = ""
    aliases: tuple[str, ...] = ()
    parent: str | None = None


@dataclass(frozen=True)
class Dimension:
    """A coded dimension: its codes in the order reports show them."""

    name: str
    label: str
    definition: str
    applies_to: tuple[str, ...]
    codes: tuple[Code, ...]
    _lookup: dict[str, str] = field(repr=False, compare=False, default_factory=dict)

    @property
    def code_names(self) -> list[str]:
        return [c.name for c in self.codes]

    def code(self, name: str) -> Code:
        for c in self.codes:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no code {name!r}")

    def label_of(self, name: str) -> str:
        return self.code(name).label

    def labels(self) -> dict[str, str]:
        return {c.name: c.label for c in self.codes}

    def resolve(self, value: str) -> tuple[str | None, bool]:
        """Find the code a written value stands for.

        Case, surrounding spaces, hyphens and underscores are ignored, and
        the code's label and aliases count as names for it. Returns the code
        and whether the value was an alias (a renamed code), or ``None``.
        """
        key = _fold(value)
        name = self._lookup.get(key)
        if name is None:
            return None, False
        code = self.code(name)
        return name, key not in {_fold(code.name), _fold(code.label)}


def _fold(text: str) -> str:
    return " ".join(str(text).replace("_", " ").replace("-", " ").lower().split())


@dataclass(frozen=True)
class Codebook:
    """All dimensions of a case, read from ``codebook.yml``."""

    path: Path
    version: int
    dimensions: Mapping[str, Dimension]
    inclusion_criteria: tuple[str, ...]

    def __getitem__(self, name: str) -> Dimension:
        try:
            return self.dimensions[name]
        except KeyError:
            raise KeyError(
                f"the codebook has no dimension {name!r} "
                f"(it has: {shorten(self.dimensions)})"
            ) from None

    def for_dataset(self, dataset: str) -> list[Dimension]:
        return [d for d in self.dimensions.values() if dataset in d.applies_to]


def load_codebook(path: Path | str) -> Codebook:
    """Read and check a codebook file.

    Unknown keys, missing labels, duplicate codes and aliases that point at
    two codes are errors given as a path into the YAML file.
    """
    path = Path(path)
    raw = load_yaml(path, "the codebook file does not exist")
    problems = YamlProblems(path, "the codebook")
    codebook = _build(path, raw, problems)
    problems.raise_if_any("Fix these entries in the codebook and build again.")
    return codebook


def _build(path: Path, raw: object, problems: YamlProblems) -> Codebook:
    if not isinstance(raw, dict):
        problems.add("", "expected a mapping with 'dimensions'")
        return Codebook(path, 0, {}, ())
    problems.mapping("", raw, _TOP_KEYS)
    dims_raw = problems.mapping(
        "dimensions",
        raw.get("dimensions"),
        expected="a mapping of dimension names",
        empty=False,
    )

    # Dimensions that borrow codes (`codes_from`) are built after the rest.
    built: dict[str, Dimension] = {}
    borrowed = {
        n: d for n, d in dims_raw.items() if isinstance(d, dict) and "codes_from" in d
    }
    for name, spec in dims_raw.items():
        if name not in borrowed:
            dim = _dimension(name, spec, None, problems)
            if dim is not None:
                built[name] = dim
    for name, spec in borrowed.items():
        source = built.get(spec["codes_from"])
        if source is None:
            problems.add(
                f"dimensions.{name}.codes_from",
                f"{spec['codes_from']!r} is not a dimension with codes "
                f"(allowed: {shorten(built)})",
            )
            continue
        dim = _dimension(name, spec, source.codes, problems)
        if dim is not None:
            built[name] = dim
    ordered = {n: built[n] for n in dims_raw if n in built}
    _check_parents(ordered, problems)

    criteria = problems.sequence(
        "inclusion_criteria", raw.get("inclusion_criteria", []), "a list of sentences"
    )
    if not all(isinstance(c, str) for c in criteria):
        problems.add("inclusion_criteria", "expected a list of sentences")
        criteria = []
    version = problems.whole_number("version", raw.get("version", 1), default=0)
    return Codebook(path, version, ordered, tuple(criteria))


def _dimension(
    name: str, spec: object, codes: tuple[Code, ...] | None, problems: YamlProblems
) -> Dimension | None:
    where = f"dimensions.{name}"
    if not isinstance(spec, dict):
        problems.add(where, "expected a mapping with label and codes")
        return None
    problems.mapping(where, spec, _DIMENSION_KEYS)
    applies = spec.get("applies_to", [])
    if (
        not isinstance(applies, list)
        or not set(applies) <= set(_DATASETS)
        or not applies
    ):
        problems.add(
            f"{where}.applies_to",
            f"found {applies!r}; expected a list drawn from {', '.join(_DATASETS)}",
        )
        applies = []
    borrowed = codes is not None
    if codes is None:
        codes = _codes(where, spec.get("codes"), problems)
    dim = Dimension(
        name=name,
        label=str(spec.get("label") or name.replace("_", " ").capitalize()),
        definition=" ".join(str(spec.get("definition", "")).split()),
        applies_to=tuple(applies),
        codes=codes,
    )
    # A clash among borrowed codes was reported where they are written.
    _index(dim, where, None if borrowed else problems)
    return dim


def _codes(where: str, raw: object, problems: YamlProblems) -> tuple[Code, ...]:
    raw = problems.mapping(
        f"{where}.codes", raw, expected="a mapping of code names", empty=False
    )
    codes = []
    for i, (name, spec) in enumerate(raw.items()):
        at = f"{where}.codes.{name}"
        if not isinstance(spec, dict):
            problems.add(at, "expected a mapping with a label")
            continue
        problems.mapping(at, spec, _CODE_KEYS)
        if "label" not in spec:
            problems.add(f"{at}.label", f"missing (code number {i + 1})")
        aliases = problems.sequence(f"{at}.aliases", spec.get("aliases", []))
        codes.append(
            Code(
                name=str(name),
                label=str(spec.get("label", name)),
                definition=" ".join(str(spec.get("definition", "")).split()),
                aliases=tuple(str(a) for a in aliases),
                parent=spec.get("parent"),
            )
        )
    return tuple(codes)


def _index(dim: Dimension, where: str, problems: YamlProblems | None) -> None:
    lookup = dim._lookup
    for code in dim.codes:
        for spelling in (code.name, code.label, *code.aliases):
            key = _fold(spelling)
            other = lookup.setdefault(key, code.name)
            if other != code.name and problems is not None:
                problems.add(
                    f"{where}.codes.{code.name}",
                    f"{spelling!r} also names {other!r}; each spelling may name "
                    "one code",
                )


def _check_parents(dims: Mapping[str, Dimension], problems: YamlProblems) -> None:
    parents = {c.parent for d in dims.values() for c in d.codes if c.parent}
    if not parents:
        return
    allowed = dims.get("actual_use")
    names = set(allowed.code_names) if allowed else set()
    for dim in dims.values():
        for code in dim.codes:
            if code.parent and code.parent not in names:
                problems.add(
                    f"dimensions.{dim.name}.codes.{code.name}.parent",
                    f"{code.parent!r} is not an actual use "
                    f"(allowed: {shorten(sorted(names))})",
                )
