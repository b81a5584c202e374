"""Reporting periods: school years, July to June, written ``2020-21``.

Artifacts carry the date they were made, so each belongs to the school year
of that date. Mentions come from interviews that look back over a year and
carry no date; they belong to the school year in their optional
``school_year`` column, or, when the column is absent, to the one school
year the artifacts cover. Data whose artifacts span several years needs the
column: guessing which year an interview spoke of would put mentions in the
wrong report.
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from netreport.coded_data import CodedData, is_school_year
from netreport.errors import NetreportError, shorten

__all__ = [
    "check_mention_years",
    "check_period",
    "count_by_period",
    "school_year_of",
    "school_years",
    "select_period",
]

_FIRST_MONTH = 7  # school years start in July


def school_year_of(date: pd.Timestamp) -> str:
    """The school year a date falls in.

    >>> school_year_of(pd.Timestamp("2021-06-30")), school_year_of(pd.Timestamp("2021-07-01"))
    ('2020-21', '2021-22')
    """  # noqa: E501
    start = date.year if date.month >= _FIRST_MONTH else date.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


# School years of the artifacts of recently seen datasets, by the identity
# of the artifacts frame (a status run asks for them for every report).
_YEARS: dict[int, tuple[pd.DataFrame, pd.Series]] = {}


def _artifact_years(data: CodedData) -> pd.Series:
    key = id(data.artifacts)
    cached = _YEARS.get(key)
    if cached is None or cached[0] is not data.artifacts:
        if len(_YEARS) >= 256:
            _YEARS.clear()
        cached = _YEARS[key] = (data.artifacts, _years_of(data.artifacts))
    return cached[1]


def _years_of(artifacts: pd.DataFrame) -> pd.Series:
    # Vectorised: status runs call this for every report and every period.
    created = artifacts["created"]
    start = created.dt.year - (created.dt.month < _FIRST_MONTH).astype(int)
    end = ((start + 1) % 100).astype(str).str.zfill(2)
    return start.astype(str) + "-" + end


def school_years(data: CodedData) -> list[str]:
    """Every school year the artifacts or the mentions cover, oldest first."""
    years = set(_artifact_years(data).unique())
    if "school_year" in data.mentions.columns:
        years |= set(data.mentions["school_year"].unique())
    return sorted(years)


def check_period(data: CodedData, period: str) -> None:
    """Raise `NetreportError` unless `period` is a school year the data covers."""
    covered = school_years(data)
    if not is_school_year(period):
        raise NetreportError(
            f"period {period!r}: not a school year (allowed: YYYY-YY, e.g. "
            f"{covered[-1] if covered else '2020-21'})"
        )
    if period not in covered:
        raise NetreportError(
            f"period {period}: the data has no artifacts or mentions in it "
            f"(allowed: {shorten(covered) or 'none, the data is empty'})"
        )


def check_mention_years(data: CodedData) -> None:
    """Raise `NetreportError` unless each mention has a known school year.

    Mentions carry no date: without a ``school_year`` column they belong to
    the one school year of the artifacts, which artifacts spanning several
    years do not have.
    """
    if "school_year" in data.mentions.columns or data.mentions.empty:
        return
    years = sorted(set(_artifact_years(data)))
    if len(years) > 1:
        raise NetreportError(
            f"{data.files['mentions']}: the artifacts span the school years "
            f"{shorten(years)}, but the mentions have no school_year column, so "
            "it is not known which year each interview spoke of. Add a "
            "school_year column (YYYY-YY, e.g. 2020-21) to the mentions file."
        )


def select_period(data: CodedData, period: str) -> CodedData:
    """The artifacts and mentions of one school year, as a `CodedData`.

    Raises
    ------
    NetreportError
        If `period` is not covered, or if the artifacts span several school
        years while the mentions have no ``school_year`` column.
    """
    check_period(data, period)
    artifacts = data.artifacts[_artifact_years(data) == period]
    return dataclasses.replace(
        data,
        artifacts=artifacts.reset_index(drop=True),
        mentions=_mentions_of(data, period).reset_index(drop=True),
    )


def _mentions_of(data: CodedData, period: str) -> pd.DataFrame:
    mentions = data.mentions
    if "school_year" in mentions.columns:
        return mentions[mentions["school_year"] == period]
    check_mention_years(data)
    years = set(_artifact_years(data))
    return mentions if period in years or not years else mentions.iloc[:0]


def count_by_period(data: CodedData) -> pd.DataFrame:
    """Included artifacts and mentions in each school year, oldest first."""
    years = school_years(data)
    included = data.artifacts["excluded_by"].isna()
    made = _artifact_years(data)[included].value_counts()
    used = pd.Series({year: len(_mentions_of(data, year)) for year in years})
    return pd.DataFrame(
        {"artifacts": made.reindex(years, fill_value=0), "mentions": used}
    ).astype(int)
