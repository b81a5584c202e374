"""The study's published figures, and the audit that checks the data against them.

``published.yml`` lists every figure the study prints with the computation
that should give it. `audit_published` runs each computation on the loaded
data, rounds it the way the study rounded it, and marks whether it matches.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd

from netreport.coded_data import CodedData
from netreport.errors import closest, counted, shorten
from netreport.yaml_config import YamlProblems, load_yaml

__all__ = [
    "Audit",
    "AuditRow",
    "PublishedFigure",
    "audit_published",
    "compute_measure",
    "load_published",
]

logger = logging.getLogger(__name__)

_DATASETS = ("artifacts", "excluded", "mentions")
_MEASURES = ("count", "percent", "distinct", "order")
_COMPARES = ("equal", "below", "order")
_FIGURE_KEYS = {
    "id",
    "where",
    "statement",
    "printed",
    "value",
    "decimals",
    "compare",
    "measure",
    "note",
}
_MEASURE_KEYS = {*_MEASURES, "where", "within", "of", "by"}
_TOP_KEYS = {"source", "figures"}


@dataclass(frozen=True)
class PublishedFigure:
    """One figure as the study prints it, with how to compute it."""

    id: str
    where: str
    statement: str
    printed: str
    value: float | list[str]
    measure: Mapping[str, object]
    decimals: int = 0
    compare: str = "equal"
    note: str = ""


@dataclass(frozen=True)
class AuditRow:
    """One published figure, what the data gives, and whether they agree.

    Attributes
    ----------
    shown
        What the data gives, rounded and written as the figure is printed.
    expected
        The figure's ``value`` in ``published.yml``, written the same way:
        what `shown` was compared with.
    """

    figure: PublishedFigure
    computed: float | list[str]
    shown: str
    reproduced: bool
    expected: str = ""

    @property
    def mistyped(self) -> bool:
        """Whether the ``value`` compared differs from the printed text (a
        typo in ``published.yml``): then a message must name both, or it
        would read ``printed 839, data gives 839``."""
        return bool(self.expected) and self.expected != self.figure.printed.strip()

    @property
    def discrepancy(self) -> str:
        """How the figure and the data differ, in words."""
        printed = self.figure.printed.strip()
        if not self.mistyped:
            return f"printed {printed}, data gives {self.shown}"
        return (
            f'value {self.expected} in published.yml (printed "{printed}"), '
            f"data gives {self.shown}"
        )


@dataclass(frozen=True)
class Audit:
    """Every published figure beside what the data gives."""

    rows: list[AuditRow] = field(default_factory=list)

    @property
    def mismatches(self) -> list[AuditRow]:
        return [r for r in self.rows if not r.reproduced]

    @property
    def reproduced(self) -> int:
        return sum(r.reproduced for r in self.rows)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "id": r.figure.id,
                "where": r.figure.where,
                "statement": r.figure.statement,
                "printed": r.figure.printed,
                "computed": r.shown,
                "reproduced": r.reproduced,
                "note": r.figure.note,
            }
            for r in self.rows
        )

    def _repr_markdown_(self) -> str:
        lines = [
            "| Where | Figure | Printed | From the data | Match |",
            # Dash counts set the columns' relative widths in pandoc.
            "|:"
            + "-" * 14
            + "|:"
            + "-" * 36
            + "|:"
            + "-" * 10
            + "|:"
            + "-" * 10
            + "|:"
            + "-" * 26
            + "|",
        ]
        for r in self.rows:
            mark = "yes" if r.reproduced else f"**no**: {_why(r)}"
            lines.append(
                f"| {r.figure.where} | {_cell(r.figure.statement)} | "
                f"{_cell(r.figure.printed)} | {_cell(r.shown)} | {_cell(mark)} |"
            )
        return "\n".join(lines)


def _why(row: AuditRow) -> str:
    """Why a figure was not reproduced, for a reader of the audit table."""
    why = row.figure.note or "no explanation is recorded in published.yml"
    if row.mistyped:
        why = (
            f"published.yml gives the value {row.expected}, not the printed "
            f"{row.figure.printed.strip()}; {why}"
        )
    return why


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;")


def load_published(path: Path | str, data: CodedData) -> list[PublishedFigure]:
    """Read ``published.yml`` and check every entry against the codebook."""
    path = Path(path)
    logger.info("check the published figures in %s", path)
    raw = load_yaml(path, "the published-figures file does not exist")
    problems = YamlProblems(path, "the published-figures file")
    figures = [
        _figure(entry, f"figures[{i}]", data, problems)
        for i, entry in enumerate(_entries(raw, problems))
    ]
    seen: set[str] = set()
    for i, fig in enumerate(figures):
        if fig.id in seen:
            problems.add(f"figures[{i}].id", f"{fig.id!r} is used twice")
        seen.add(fig.id)
    problems.raise_if_any("Fix these entries and build again.")
    return figures


def _entries(raw: object, problems: YamlProblems) -> list[object]:
    """The list under ``figures:``, once the top level is checked."""
    if not isinstance(raw, dict):
        problems.mapping("", raw)
        return []
    _known_keys(problems, "", raw, _TOP_KEYS)
    if "figures" not in raw:
        problems.add(
            "figures", "missing; list the figures to audit, or write figures: []"
        )
        return []
    return problems.sequence("figures", raw["figures"], "a list of figures")


def _known_keys(
    problems: YamlProblems, where: str, value: object, known: set[str]
) -> dict:
    """`value` if it is a mapping; each unknown key is a problem, with a guess."""
    value = problems.mapping(where, value)
    allowed = shorten(sorted(known), limit=12)
    for key in value:
        if key in known:
            continue
        guess = closest(str(key), known)
        hint = f"; did you mean {guess!r}?" if guess else ""
        at = f"{where}.{key}" if where else str(key)
        problems.add(at, f"unknown key{hint} (allowed: {allowed})")
    return value


def _figure(
    entry: object, at: str, data: CodedData, problems: YamlProblems
) -> PublishedFigure:
    entry = _known_keys(problems, at, entry, _FIGURE_KEYS)
    for key in ("id", "where", "statement", "printed", "value", "measure"):
        if key not in entry:
            problems.add(f"{at}.{key}", "missing")
    compare = entry.get("compare", "equal")
    if compare not in _COMPARES:
        problems.add(
            f"{at}.compare", f"found {compare!r} (allowed: {', '.join(_COMPARES)})"
        )
    measure = entry.get("measure", {})
    _check_measure(measure, f"{at}.measure", data, problems)
    _check_compare(compare, measure, at, problems)
    return PublishedFigure(
        id=str(entry.get("id", at)),
        where=str(entry.get("where", "")),
        statement=" ".join(str(entry.get("statement", "")).split()),
        printed=str(entry.get("printed", "")),
        value=_value(entry, at, compare, measure, data, problems),
        measure=measure if isinstance(measure, dict) else {},
        decimals=problems.whole_number(
            f"{at}.decimals", entry.get("decimals", 0), default=0, minimum=0
        ),
        compare=compare,
        note=" ".join(str(entry.get("note", "")).split()),
    )


def _check_compare(
    compare: object, measure: object, at: str, problems: YamlProblems
) -> None:
    """An order is compared as an order, and only an order is."""
    if not isinstance(measure, dict) or compare not in _COMPARES:
        return
    if (compare == "order") != ("order" in measure):
        problems.add(
            f"{at}.compare",
            f"found {compare!r}: compare: order goes with measure: "
            "{order: DATASET, by: COLUMN}, and only with it",
        )


def _value(
    entry: Mapping[str, object],
    at: str,
    compare: object,
    measure: object,
    data: CodedData,
    problems: YamlProblems,
) -> float | list[str]:
    """The printed figure: a number, or for ``compare: order`` a list of codes."""
    if "value" not in entry:
        return 0  # reported as missing
    where = f"{at}.value"
    if compare != "order":
        return problems.number(
            where,
            entry["value"],
            0,
            expected="a number (or, with compare: order, a list of codes)",
        )
    by = measure.get("by") if isinstance(measure, dict) else None
    of = f" of {by}" if isinstance(by, str) else ""
    codes = problems.sequence(
        where, entry["value"], f"a list of codes{of}, most frequent first"
    )
    allowed = _order_codes(data, measure)
    for i, code in enumerate(codes):
        if allowed and code not in allowed:
            problems.add(
                f"{where}[{i}]", f"found {code!r} (allowed: {shorten(allowed)})"
            )
    return codes


def _order_codes(data: CodedData, measure: object) -> list[str]:
    """The codes an order measure can rank; none when the measure is wrong."""
    if not isinstance(measure, dict) or measure.get("order") not in _DATASETS:
        return []
    frame = _frame(data, measure["order"])
    by = measure.get("by")
    if by not in frame.columns or not hasattr(frame[by], "cat"):
        return []
    return list(frame[by].cat.categories)


def _check_measure(
    measure: object, at: str, data: CodedData, problems: YamlProblems
) -> None:
    if not isinstance(measure, dict):
        problems.mapping(at, measure)
        return
    _known_keys(problems, at, measure, _MEASURE_KEYS)
    kinds = [k for k in _MEASURES if k in measure]
    if len(kinds) != 1:
        problems.add(at, f"name exactly one of {', '.join(_MEASURES)}")
        return
    dataset = measure["of"] if kinds[0] == "distinct" else measure[kinds[0]]
    if dataset not in _DATASETS:
        problems.add(
            f"{at}.{kinds[0]}", f"found {dataset!r} (allowed: {', '.join(_DATASETS)})"
        )
        return
    frame = _frame(data, dataset)
    for part in ("where", "within"):
        for column, codes in (measure.get(part) or {}).items():
            _check_filter(frame, column, codes, f"{at}.{part}.{column}", problems)
    for part in (
        ("by",)
        if kinds[0] == "order"
        else ("distinct",)
        if kinds[0] == "distinct"
        else ()
    ):
        if measure.get(part) not in frame.columns:
            problems.add(
                f"{at}.{part}",
                f"found {measure.get(part)!r} (allowed: {shorten(frame.columns)})",
            )


def _check_filter(
    frame: pd.DataFrame, column: str, codes: object, at: str, problems: YamlProblems
) -> None:
    if column not in frame.columns:
        problems.add(at, f"no such column (allowed: {shorten(frame.columns)})")
        return
    if codes == "any":
        return
    allowed = (
        list(frame[column].cat.categories) if hasattr(frame[column], "cat") else []
    )
    for code in codes if isinstance(codes, list) else [codes]:
        if allowed and code not in allowed:
            problems.add(at, f"found {code!r} (allowed: {shorten(allowed)}, or any)")


def _frame(data: CodedData, dataset: str) -> pd.DataFrame:
    frames = {
        "artifacts": lambda: data.included,
        "excluded": lambda: data.excluded,
        "mentions": lambda: data.mentions,
    }
    return frames[dataset]()


def _select(frame: pd.DataFrame, spec: Mapping[str, object] | None) -> pd.DataFrame:
    for column, codes in (spec or {}).items():
        if codes == "any":
            frame = frame[frame[column].notna()]
        else:
            frame = frame[
                frame[column].isin(codes if isinstance(codes, list) else [codes])
            ]
    return frame


def compute_measure(
    data: CodedData, measure: Mapping[str, object]
) -> float | list[str]:
    """The value a measure gives on the data, unrounded."""
    if "distinct" in measure:
        return float(_frame(data, measure["of"])[measure["distinct"]].nunique())
    if "order" in measure:
        counts = _frame(data, measure["order"])[measure["by"]].value_counts(sort=False)
        return [
            str(c) for c in counts.sort_values(ascending=False, kind="stable").index
        ]
    kind = "count" if "count" in measure else "percent"
    frame = _select(_frame(data, measure[kind]), measure.get("within"))
    hits = len(_select(frame, measure.get("where")))
    if kind == "count":
        return float(hits)
    return 100.0 * hits / len(frame) if len(frame) else float("nan")


def audit_published(data: CodedData, figures: list[PublishedFigure]) -> Audit:
    """Compare each published figure with the value the data gives."""
    logger.info("compare %s with the data", counted(len(figures), "published figure"))
    return Audit([_audit_row(data, fig) for fig in figures])


def _audit_row(data: CodedData, fig: PublishedFigure) -> AuditRow:
    computed = compute_measure(data, fig.measure)
    if fig.compare == "order":
        labels = data.codebook[fig.measure["by"]].labels()
        shown = ", ".join(labels.get(code, code) for code in computed)
        expected = ", ".join(labels.get(code, code) for code in fig.value)
        return AuditRow(fig, computed, shown, computed == list(fig.value), expected)
    percent = "%" if fig.printed.strip().endswith("%") else ""
    if fig.compare == "below":
        reproduced = computed < float(fig.value)
        shown, expected = f"{computed:.2f}", f"below {fig.value:g}"
    else:
        rounded = _round(computed, fig.decimals)
        value = Decimal(str(fig.value)).quantize(_quantum(fig.decimals))
        reproduced = rounded == value
        shown, expected = f"{rounded:.{fig.decimals}f}", f"{value:.{fig.decimals}f}"
    return AuditRow(
        fig, computed, shown + percent, bool(reproduced), expected + percent
    )


def _quantum(decimals: int) -> Decimal:
    return Decimal(1).scaleb(-decimals)


def _round(value: float, decimals: int) -> Decimal:
    """Round half away from zero, as printed tables do (0.25 -> 0.3)."""
    return Decimal(repr(value)).quantize(_quantum(decimals), rounding=ROUND_HALF_UP)
