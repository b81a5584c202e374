"""What a status template may print: every number, computed and made safe.

Templates never count anything. This module computes, for one audience and
one school year, the tables, figures and facts the audience's sections
need. For an external audience every count goes through `suppress` first,
so a template cannot print a small count even by mistake, and a percentage
is only there when both its count and its total are shown. No value here
comes from excerpt text or interviewee identifiers, and nothing is counted
per person.

The audiences' reports of one school year count the same things and differ
only in what they show, so the counts of a year are made once per process
(`_Counts`) and kept for the next report of the same data and year; the
totals of every year, which each year's trend shows, once per data object.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from netreport.codebook import Dimension
from netreport.coded_data import CodedData
from netreport.periods import count_by_period, select_period
from netreport.render import escape_markdown
from netreport.status._charts import bar_chart_svg
from netreport.status._config import Audience, StatusConfig
from netreport.suppression import TOTAL, Suppression, percentages, suppress

__all__ = [
    "SECTION_VALUES",
    "ReportFigure",
    "ReportTable",
    "StatusContext",
    "build_context",
    "data_version",
]


@dataclass(frozen=True)
class ReportTable:
    """A numbered table: Markdown with its caption and ``tbl-`` label."""

    label: str
    caption: str
    markdown: str

    def __str__(self) -> str:
        return f"{self.markdown}\n\n: {self.caption} {{#{self.label}}}\n"


@dataclass(frozen=True)
class ReportFigure:
    """A numbered figure: an SVG file beside the page, with its alt text."""

    label: str
    caption: str
    alt: str
    path: str
    svg: str

    def __str__(self) -> str:
        alt = self.alt.replace("\\", "\\\\").replace('"', '\\"')
        return f'![{self.caption}]({self.path}){{#{self.label} fig-alt="{alt}"}}\n'


@dataclass
class StatusContext:
    """Everything one report's template sees."""

    report: dict[str, Any]
    facts: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, ReportTable] = field(default_factory=dict)
    figures: dict[str, ReportFigure] = field(default_factory=dict)

    def as_template_vars(self) -> dict[str, Any]:
        return {
            "report": self.report,
            "sections": list(self.report["sections"]),
            "facts": self.facts,
            "tables": self.tables,
            "figures": self.figures,
        }


def data_version(data: CodedData) -> str:
    """A short SHA-256 of the codebook and the data files, as one version."""
    digest = hashlib.sha256()
    for role, value in sorted(data.fingerprint().items()):
        digest.update(f"{role}:{value}\n".encode())
    return digest.hexdigest()[:12]


def build_context(
    data: CodedData,
    period: str,
    audience: Audience,
    config: StatusConfig,
    *,
    version: str | None = None,
) -> StatusContext:
    """Compute the context of `audience`'s report for the school year `period`."""
    counts = _counts_of(data, period)
    context = StatusContext(
        report={
            "title": audience.title,
            "audience": audience.name,
            "period": period,
            "network": config.network,
            "data_version": version or data_version(data),
            "reconstruction": data.reconstruction,
            "external": audience.external,
            "threshold": audience.threshold if audience.external else None,
            "sections": audience.sections,
            "stem": period,
        }
    )
    view = _View(audience, period)
    # In SECTIONS order, whatever the config's order: next steps build on
    # the facts of the sections before them.
    for section, compute in _SECTIONS.items():
        if section in audience.sections:
            compute(context, view, counts)
    # The template prints facts into Markdown: a code label holding markup
    # (HTML, a link, ``*``) must read as the text it is.
    context.facts = {k: _literal(v) for k, v in context.facts.items()}
    return context


def _literal(value: Any) -> Any:
    if isinstance(value, str):
        return escape_markdown(value, keep_emphasis=False)
    if isinstance(value, list):
        return [_literal(item) for item in value]
    return value


# -- counting once per school year -------------------------------------------------


class _Counts:
    """The counts of one school year of one data object, each made when first
    asked for and kept for every audience's report of that year."""

    def __init__(self, data: CodedData, period: str) -> None:
        self.data = data
        self.period = period
        self.year = select_period(data, period)

    @cached_property
    def included(self) -> pd.DataFrame:
        return self.year.included

    @cached_property
    def by_period(self) -> pd.DataFrame:
        """Artifacts and mentions of every school year up to this one."""
        counts = _by_period(self.data)
        return counts[counts.index <= self.period]

    @cached_property
    def intended_use(self) -> pd.Series:
        return _labelled(self.year, self.included, "intended_use")

    @cached_property
    def pressure(self) -> pd.DataFrame:
        """Included artifacts by pressure (rows) and intended use."""
        return _labelled_crosstab(
            self.year, self.included, "intended_use", "pressure"
        ).T

    @cached_property
    def actual_use(self) -> pd.Series:
        return _labelled(self.year, self.year.mentions, "actual_use")

    @cached_property
    def use_by_context(self) -> pd.DataFrame:
        mentions = self.year.mentions
        return _labelled_crosstab(self.year, mentions, "actual_use", "context")

    @cached_property
    def district_use(self) -> pd.Series:
        """Mentions of use by district leaders, by the use made."""
        mentions = self.year.mentions
        district = mentions[mentions["context"] == "district_leaders"]
        return _labelled(self.year, district, "actual_use")

    @cached_property
    def unused(self) -> pd.DataFrame:
        mentions = self.year.mentions
        return mentions[mentions["actual_use"] == "disuse"]

    @cached_property
    def disuse_reasons(self) -> pd.Series:
        """Mentions of disuse by their reason, the uncoded ones last."""
        reasons = _labelled(self.year, self.unused, "sub_theme")
        disuse_codes = [
            c.label
            for c in self.data.codebook["sub_theme"].codes
            if c.parent == "disuse"
        ]
        reasons = reasons.reindex(disuse_codes)
        unknown = len(self.unused) - int(reasons.sum())
        if unknown:
            reasons["No reason coded"] = unknown
        return reasons

    @cached_property
    def disuse_intended_use(self) -> pd.Series:
        return _labelled(self.year, self.unused, "intended_use")


# The counts of the school years reported on last, newest first. Each holds
# its data object, so that the object's id cannot be reused by another; the
# data's frames are not changed once loaded.
_RECENT: list[_Counts] = []
_KEPT = 16  # school years: every year of a few data folders


def _counts_of(data: CodedData, period: str) -> _Counts:
    for counts in _RECENT:
        if counts.data is data and counts.period == period:
            return counts
    counts = _Counts(data, period)
    _RECENT[:] = [counts, *_RECENT[: _KEPT - 1]]
    return counts


# Artifacts and mentions of every school year of the data reported on last:
# the same for each year's report, so counted once per data object (held
# here, so that its id cannot be reused by another).
_BY_PERIOD: list[tuple[CodedData, pd.DataFrame]] = []


def _by_period(data: CodedData) -> pd.DataFrame:
    for known, counts in _BY_PERIOD:
        if known is data:
            return counts
    counts = count_by_period(data)
    _BY_PERIOD[:] = [(data, counts), *_BY_PERIOD[:3]]
    return counts


# -- counting and showing ------------------------------------------------------


class _View:
    """Suppresses and formats counts as the audience may see them."""

    def __init__(self, audience: Audience, period: str) -> None:
        self.threshold = audience.threshold if audience.external else 1
        self.stem = period

    def shown(self, counts: pd.Series | pd.DataFrame) -> Suppression:
        return suppress(counts, self.threshold)

    def frequency_table(
        self, counts: pd.Series, heading: str, label: str, caption: str
    ) -> tuple[ReportTable, Suppression]:
        result = self.shown(counts)
        shares = percentages(result, base="column")["count"]
        rows = [
            [str(code), _text(result.value(code, "count")), _percent(share)]
            for code, share in shares.items()
        ]
        markdown = _pipe([heading, "Count", "Share"], rows, right=(1, 2))
        return ReportTable(label, caption, markdown), result

    def crosstab_table(
        self, counts: pd.DataFrame, corner: str, label: str, caption: str
    ) -> ReportTable:
        result = self.shown(counts)
        shares = percentages(result, base="column")
        header = [corner, *map(str, result.counts.columns)]
        rows = []
        for row, row_shares in zip(shares.index, shares.to_numpy(), strict=True):
            cells = [str(row)]
            for column, value in zip(shares.columns, row_shares, strict=True):
                text = _text(result.value(row, column))
                share = _percent(value)
                cells.append(f"{text} ({share})" if share != "–" else text)
            rows.append(cells)
        markdown = _pipe(header, rows, right=range(1, len(header)))
        return ReportTable(label, caption + " Shares are of each column.", markdown)

    def figure(
        self,
        result: Suppression,
        name: str,
        caption: str,
        what: str,
        *,
        with_shares: bool = True,
    ) -> ReportFigure:
        shares = percentages(result, base="column")["count"].iloc[:-1]  # no total
        values, texts = [], []
        for code, code_share in shares.items():
            value = result.value(code, "count")
            values.append(value if isinstance(value, int) else None)
            share = _percent(code_share) if with_shares else "–"
            texts.append(f"{value} ({share})" if share != "–" else str(value))
        labels = [str(code) for code in shares.index]
        alt = f"Bar chart of {what}: " + "; ".join(
            f"{label} {text}" for label, text in zip(labels, texts, strict=True)
        )
        svg = bar_chart_svg(labels, values, texts, title=caption)
        path = f"{self.stem}_files/fig-{name}.svg"
        return ReportFigure(f"fig-{name}", caption, alt + ".", path, svg)


def _text(value: int | str) -> str:
    return f"{value:,}" if isinstance(value, int) else value


def _percent(value: float) -> str:
    return "–" if pd.isna(value) else f"{value:.1f}%"


def _pipe(header: list[str], rows: list[list[str]], right) -> str:
    right = set(right)
    rule = ["--:" if i in right else ":--" for i in range(len(header))]
    lines = [header, rule, *rows]
    return "\n".join("| " + " | ".join(_cell(c) for c in r) + " |" for r in lines)


def _cell(text: str) -> str:
    return escape_markdown(text, keep_emphasis=False).replace("|", r"\|")


# Counted from each row's position among the codes (a bincount), which is
# many times faster than value_counts or crosstab on tables this small.


def _labelled(data: CodedData, frame: pd.DataFrame, column: str) -> pd.Series:
    """Counts of a coded column in codebook order, indexed by code label."""
    dimension = data.codebook[column]
    codes = _codes(frame, dimension)
    counts = np.bincount(codes[codes >= 0], minlength=len(dimension.codes))
    return pd.Series(counts, index=[c.label for c in dimension.codes])


def _labelled_crosstab(
    data: CodedData, frame: pd.DataFrame, rows: str, columns: str
) -> pd.DataFrame:
    row_dim, column_dim = data.codebook[rows], data.codebook[columns]
    row, column = _codes(frame, row_dim), _codes(frame, column_dim)
    both = (row >= 0) & (column >= 0)
    width = len(column_dim.codes)
    cells = np.bincount(
        row[both] * width + column[both], minlength=len(row_dim.codes) * width
    )
    return pd.DataFrame(
        cells.reshape(-1, width),
        index=[c.label for c in row_dim.codes],
        columns=[c.label for c in column_dim.codes],
    )


def _codes(frame: pd.DataFrame, dimension: Dimension) -> np.ndarray:
    """Each row's position among the dimension's codes; -1 where it has none."""
    coded = pd.Categorical(frame[dimension.name], categories=dimension.code_names)
    return coded.codes.astype(np.int64)


# -- sections --------------------------------------------------------------------


def _headline(context: StatusContext, view: _View, counts: _Counts) -> None:
    artifacts = pd.Series({"Artifacts made": len(counts.included)})
    mentions = pd.Series({"Mentions of use": len(counts.year.mentions)})
    context.facts["artifacts"] = view.shown(artifacts).value("Artifacts made", "count")
    context.facts["mentions"] = view.shown(mentions).value("Mentions of use", "count")


def _trend(context: StatusContext, view: _View, counts: _Counts) -> None:
    period = context.report["period"]
    by_period = counts.by_period
    periods = list(by_period.index)
    made = view.shown(by_period["artifacts"])
    used = view.shown(by_period["mentions"])
    rows = [
        [p, _text(made.value(p, "count")), _text(used.value(p, "count"))]
        for p in periods
    ]
    markdown = _pipe(["School year", "Artifacts made", "Mentions of use"], rows, (1, 2))
    context.tables["trend"] = ReportTable(
        "tbl-trend",
        "Artifacts made and mentions of their use, by school year.",
        markdown,
    )
    context.figures["trend"] = view.figure(
        made,
        "trend",
        "Artifacts made in each school year.",
        "artifacts made by school year",
        with_shares=False,
    )
    context.facts["periods"] = len(periods)
    context.facts["first_period"] = periods[0]
    previous = made.value(periods[-2], "count") if len(periods) > 1 else None
    current = made.value(period, "count")
    context.facts["change"] = (
        current - previous
        if isinstance(current, int) and isinstance(previous, int)
        else None
    )


def _intended_use(context: StatusContext, view: _View, counts: _Counts) -> None:
    table, result = view.frequency_table(
        counts.intended_use,
        "Intended use",
        "tbl-intended-use",
        "Artifacts by the use they were made for.",
    )
    context.tables["intended_use"] = table
    context.figures["intended_use"] = view.figure(
        result,
        "intended-use",
        "What the artifacts were made for.",
        "artifacts by intended use",
    )
    context.facts["top_intended_use"] = _top(result)


def _pressure(context: StatusContext, view: _View, counts: _Counts) -> None:
    context.tables["pressure"] = view.crosstab_table(
        counts.pressure,
        "Pressure",
        "tbl-pressure",
        "Artifacts by pressure and intended use.",
    )


def _actual_use(context: StatusContext, view: _View, counts: _Counts) -> None:
    table, result = view.frequency_table(
        counts.actual_use,
        "Actual use",
        "tbl-actual-use",
        "Mentions of artifact use, by the use made.",
    )
    context.tables["actual_use"] = table
    context.figures["actual_use"] = view.figure(
        result, "actual-use", "How the artifacts were used.", "mentions by actual use"
    )
    context.facts["top_actual_use"] = _top(result)
    share = percentages(result, base="column")["count"]
    # A codebook of other uses may have no relationship management at all.
    codes = counts.data.codebook["actual_use"].codes
    label = next((c.label for c in codes if c.name == "relationship_management"), None)
    context.facts["relationship_share"] = _percent_or_none(share.get(label))


def _use_by_context(context: StatusContext, view: _View, counts: _Counts) -> None:
    context.tables["use_by_context"] = view.crosstab_table(
        counts.use_by_context,
        "Actual use",
        "tbl-use-by-context",
        "Mentions of use by context of use.",
    )
    result = view.shown(counts.district_use)
    context.facts["district_mentions"] = result.value(TOTAL, "count")
    context.facts["top_district_use"] = _top(result)


def _creation_vs_use(context: StatusContext, view: _View, counts: _Counts) -> None:
    made = view.shown(counts.intended_use)
    used = view.shown(counts.actual_use)
    made_share = percentages(made, base="column")["count"]
    used_share = percentages(used, base="column")["count"]
    rows, gaps = [], {}
    for use in made.counts.index.drop(TOTAL):
        rows.append([use, _percent(made_share[use]), _percent(used_share.get(use))])
        if pd.notna(made_share[use]) and pd.notna(used_share.get(use)):
            gaps[use] = used_share[use] - made_share[use]
    markdown = _pipe(
        ["Use", "Share of artifacts made", "Share of mentions"], rows, (1, 2)
    )
    context.tables["creation_vs_use"] = ReportTable(
        "tbl-creation-vs-use",
        "What artifacts were made for against what they were used for.",
        markdown,
    )
    # Each is None when no use with both shares shown leans its way (a
    # template tests the fact, so it exists whenever the section does). With
    # one share hidden, the one use left must not be both at once.
    overmade = min(gaps, key=gaps.get, default=None)
    overused = max(gaps, key=gaps.get, default=None)
    context.facts["most_overmade"] = overmade if gaps.get(overmade, 0) < 0 else None
    context.facts["most_overused"] = overused if gaps.get(overused, 0) > 0 else None


def _disuse(context: StatusContext, view: _View, counts: _Counts) -> None:
    table, result = view.frequency_table(
        counts.disuse_reasons,
        "Reason",
        "tbl-disuse",
        "Mentions of artifacts that went unused, by reason.",
    )
    context.tables["disuse"] = table
    context.facts["disuse_mentions"] = result.value(TOTAL, "count")
    context.facts["top_disuse_reason"] = _top(result)
    kinds = view.frequency_table(
        counts.disuse_intended_use,
        "Intended use",
        "tbl-disuse-intended",
        "Unused artifacts, by what they were made for.",
    )[0]
    context.tables["disuse_intended_use"] = kinds


def _next_steps(context: StatusContext, view: _View, counts: _Counts) -> None:
    # Built from the other sections' facts; they run first (SECTIONS order).
    steps = []
    if context.facts.get("top_disuse_reason"):
        steps.append(
            f"address the most common reason for disuse: "
            f"{context.facts['top_disuse_reason'].lower()}"
        )
    if context.facts.get("most_overmade"):
        steps.append(
            f"make fewer {context.facts['most_overmade'].lower()} artifacts "
            "that go unused, or find their users first"
        )
    if context.facts.get("most_overused"):
        steps.append(
            f"plan for {context.facts['most_overused'].lower()} uses up "
            "front, since they outrun what was made for them"
        )
    context.facts["next_steps"] = steps


def _top(result: Suppression) -> str | None:
    """The category with the largest shown count, if it is shown."""
    counts = result.counts.to_numpy()[:-1, 0]  # the total comes last
    if counts.size == 0 or counts.max() == 0:
        return None
    top = int(counts.argmax())
    tied = (counts == counts.max()).sum() > 1
    hidden = result.hidden.to_numpy()[top, 0]
    return None if hidden or tied else str(result.counts.index[top])


def _percent_or_none(value: float | None) -> str | None:
    return None if value is None or pd.isna(value) else f"{value:.1f}%"


_SECTIONS: Mapping[str, Callable[..., None]] = {
    "headline": _headline,
    "trend": _trend,
    "intended_use": _intended_use,
    "pressure": _pressure,
    "actual_use": _actual_use,
    "use_by_context": _use_by_context,
    "creation_vs_use": _creation_vs_use,
    "disuse": _disuse,
    "next_steps": _next_steps,
}


#: The names each section adds to a template's context, as a template spells
#: them. A name is there exactly when its section is listed for the audience;
#: templates/status/README.md documents each one.
SECTION_VALUES: Mapping[str, tuple[str, ...]] = {
    "headline": ("facts.artifacts", "facts.mentions"),
    "trend": (
        "facts.periods",
        "facts.first_period",
        "facts.change",
        "tables.trend",
        "figures.trend",
    ),
    "intended_use": (
        "facts.top_intended_use",
        "tables.intended_use",
        "figures.intended_use",
    ),
    "pressure": ("tables.pressure",),
    "actual_use": (
        "facts.top_actual_use",
        "facts.relationship_share",
        "tables.actual_use",
        "figures.actual_use",
    ),
    "use_by_context": (
        "facts.district_mentions",
        "facts.top_district_use",
        "tables.use_by_context",
    ),
    "creation_vs_use": (
        "facts.most_overmade",
        "facts.most_overused",
        "tables.creation_vs_use",
    ),
    "disuse": (
        "facts.disuse_mentions",
        "facts.top_disuse_reason",
        "tables.disuse",
        "tables.disuse_intended_use",
    ),
    "next_steps": ("facts.next_steps",),
}
