"""School years as reporting periods, and mentions that say which year."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from netreport.coded_data import load_coded_data
from netreport.errors import NetreportError
from netreport.periods import school_year_of, school_years, select_period

DATA = Path(__file__).parent.parent / "data"


@pytest.mark.parametrize(
    ("date", "year"),
    [("2020-07-01", "2020-21"), ("2021-06-30", "2020-21"), ("1999-12-31", "1999-00")],
)
def test_school_year_runs_july_to_june(date: str, year: str) -> None:
    assert school_year_of(pd.Timestamp(date)) == year


def test_shipped_data_is_one_school_year() -> None:
    data = load_coded_data(DATA)
    assert school_years(data) == ["2020-21"]
    chosen = select_period(data, "2020-21")
    assert len(chosen.artifacts) == len(data.artifacts)
    assert len(chosen.mentions) == len(data.mentions)


@pytest.mark.parametrize(
    ("period", "message"),
    [
        ("2019-20", r"period 2019-20: the data has no .* \(allowed: 2020-21\)"),
        ("2020-2021", r"period '2020-2021': not a school year \(allowed: YYYY-YY"),
    ],
)
def test_unknown_period_names_the_covered_ones(period: str, message: str) -> None:
    with pytest.raises(NetreportError, match=message):
        select_period(load_coded_data(DATA), period)


def two_years(tmp_path: Path, with_column: bool) -> Path:
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    artifacts = pd.read_csv(data / "artifacts.csv", dtype=str, keep_default_na=False)
    artifacts.loc[artifacts.index[-50:], "created"] = "2021-09-15"
    artifacts.to_csv(data / "artifacts.csv", index=False)
    if with_column:
        mentions = pd.read_csv(data / "mentions.csv", dtype=str, keep_default_na=False)
        mentions["school_year"] = ["2020-21"] * 100 + ["2021-22"] * 76
        mentions.to_csv(data / "mentions.csv", index=False)
    return data


def test_mentions_follow_their_school_year_column(tmp_path: Path) -> None:
    data = load_coded_data(two_years(tmp_path, with_column=True))
    assert school_years(data) == ["2020-21", "2021-22"]
    later = select_period(data, "2021-22")
    assert (len(later.artifacts), len(later.mentions)) == (50, 76)


def test_several_years_without_the_column_asks_for_it(tmp_path: Path) -> None:
    data = load_coded_data(two_years(tmp_path, with_column=False))
    with pytest.raises(NetreportError, match="Add a school_year column"):
        select_period(data, "2020-21")
