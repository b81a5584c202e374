"""Mentions without a school year, when the artifacts span several.

`netreport status` cannot tell which year such mentions belong to and stops;
`netreport check` and a build must say the same thing before it does, as a
warning (the case report pools the years), which ``--strict`` makes an error.
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from netreport.case import load_case
from netreport.coded_data import load_coded_data
from netreport.errors import NetreportError, NetreportWarning
from netreport.periods import check_mention_years, select_period

DATA = Path(__file__).parent.parent / "data"


def copy_data(tmp_path: Path, *, years: int, school_year: bool) -> Path:
    """The shipped files, the last 50 artifacts moved a year on when `years`
    is 2, and a school_year column on the mentions when asked for."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "codebook.yml").write_bytes((DATA / "codebook.yml").read_bytes())
    artifacts = _rows(DATA / "artifacts.csv")
    if years == 2:
        for row in artifacts[-50:]:
            row["created"] = "2021-09-15"
    _write(data / "artifacts.csv", artifacts)
    mentions = _rows(DATA / "mentions.csv")
    if school_year:
        for i, row in enumerate(mentions):
            row["school_year"] = "2020-21" if i < 100 else "2021-22"
    _write(data / "mentions.csv", mentions)
    return data


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _write(path: Path, rows: list[dict[str, str]]) -> None:
    handle = io.StringIO()
    writer = csv.DictWriter(handle, list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(handle.getvalue(), encoding="utf-8")


def _loaded(data: Path) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        load_case(data)
    return [str(w.message) for w in caught if w.category is NetreportWarning]


def test_check_warns_with_what_status_stops_on(tmp_path: Path) -> None:
    data = copy_data(tmp_path, years=2, school_year=False)
    (message,) = _loaded(data)
    with pytest.raises(NetreportError) as stopped:
        select_period(load_coded_data(data), "2020-21")
    assert message.startswith(str(stopped.value))
    assert "the artifacts span the school years 2020-21, 2021-22" in message
    assert "Add a school_year column (YYYY-YY, e.g. 2020-21)" in message
    assert message.endswith(
        "Until then netreport status stops on this; the case report counts "
        "the mentions with the artifacts of every year."
    )


@pytest.mark.parametrize(
    ("years", "school_year"),
    [(1, False), (2, True)],
    ids=["one-year", "with-the-column"],
)
def test_no_warning_when_each_mention_has_its_year(
    tmp_path: Path, years: int, school_year: bool
) -> None:
    data = copy_data(tmp_path, years=years, school_year=school_year)
    assert _loaded(data) == []
    check_mention_years(load_coded_data(data))


def test_a_strict_check_fails_on_it(tmp_path: Path) -> None:
    data = copy_data(tmp_path, years=2, school_year=False)
    result = subprocess.run(
        [sys.executable, "-m", "netreport.cli", "check", "--strict", "--data", data],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    said = result.stdout + result.stderr
    assert result.returncode == 1, said
    assert "error (strict build)" in said and "no school_year column" in said
    assert "Traceback" not in said
