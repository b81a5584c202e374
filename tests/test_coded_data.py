"""Loading and checking the coded data.

Most cases live in ``tests/bad_input/<case>/``: the file(s) that replace the
shipped ones, beside ``expected.txt`` with what loading them must do. Its
head holds ``key: value`` lines (``outcome`` is ``error``, ``warning`` or
``ok``; ``problems`` counts the problems an error lists; ``artifacts`` and
``mentions`` count the rows an accepted case loads; ``remove`` names a
shipped file to delete; ``import`` names a file of the case to run
``netreport import`` on before loading, ``replace: yes`` lets that import
replace the shipped data; ``absent`` lists, split by `` | ``, text the
message must not hold); every line after the first blank line must appear
in the error or warning message, in the order given. A case's
``netreport.yml`` goes to the project folder, beside ``data/``.
"""

from __future__ import annotations

import shutil
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest

from netreport.coded_data import CodedData, load_coded_data
from netreport.errors import InputError, NetreportError, NetreportWarning
from netreport.importing import import_file

DATA = Path(__file__).parent.parent / "data"
CASES = Path(__file__).parent / "bad_input"
SHIPPED = ("codebook.yml", "artifacts.csv", "mentions.csv")


@dataclass
class Expected:
    outcome: str
    problems: int | None = None
    rows: dict[str, int] = field(default_factory=dict)
    remove: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    imports: str | None = None
    replace: bool = False
    absent: list[str] = field(default_factory=list)


def read_expected(path: Path) -> Expected:
    text = path.read_text(encoding="utf-8").splitlines()
    text = [line for line in text if not line.startswith("#")]
    blank = text.index("") if "" in text else len(text)
    keys = dict(line.split(": ", 1) for line in text[:blank])
    unknown = set(keys) - {
        "outcome",
        "problems",
        "artifacts",
        "mentions",
        "remove",
        "import",
        "replace",
        "absent",
    }
    if unknown:
        raise ValueError(f"{path}: unknown keys {sorted(unknown)}")
    return Expected(
        outcome=keys["outcome"],
        problems=int(keys["problems"]) if "problems" in keys else None,
        rows={k: int(keys[k]) for k in ("artifacts", "mentions") if k in keys},
        remove=keys["remove"].split(", ") if "remove" in keys else [],
        lines=[line for line in text[blank:] if line],
        imports=keys.get("import"),
        replace=keys.get("replace") == "yes",
        absent=keys["absent"].split(" | ") if "absent" in keys else [],
    )


def copy_shipped(tmp_path: Path) -> Path:
    """The shipped data files, without the reconstruction spec."""
    target = tmp_path / "data"
    target.mkdir()
    for name in SHIPPED:
        shutil.copyfile(DATA / name, target / name)
    return target


def case_dir(tmp_path: Path, case: Path) -> Path:
    """The shipped files, with the case's files in place of theirs."""
    target = copy_shipped(tmp_path)
    for path in case.iterdir():
        if path.name == "netreport.yml":
            shutil.copyfile(path, tmp_path / path.name)
        elif path.name != "expected.txt":
            shutil.copyfile(path, target / path.name)
    for name in read_expected(case / "expected.txt").remove:
        (target / name).unlink()
    return target


def load_quietly(
    data_dir: Path, imports: str | None = None, replace: bool = False
) -> tuple[CodedData, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if imports:
            import_file(data_dir / imports, data_dir.parent, replace=replace)
        data = load_coded_data(data_dir)
    ours = [str(w.message) for w in caught if issubclass(w.category, NetreportWarning)]
    return data, ours


@pytest.mark.parametrize(
    "case", sorted(p for p in CASES.iterdir() if p.is_dir()), ids=lambda p: p.name
)
def test_bad_input(case: Path, tmp_path: Path) -> None:
    expected = read_expected(case / "expected.txt")
    data_dir = case_dir(tmp_path, case)

    if expected.outcome == "error":
        with pytest.raises(NetreportError) as caught:
            load_quietly(data_dir, expected.imports, expected.replace)
        message = str(caught.value)
        if expected.problems is not None:
            assert isinstance(caught.value, InputError)
            assert len(caught.value.problems) == expected.problems, message
        assert "Traceback" not in message
    else:
        data, messages = load_quietly(data_dir, expected.imports, expected.replace)
        message = "\n".join(messages)
        assert bool(messages) == (expected.outcome == "warning"), message
        for name, count in expected.rows.items():
            assert len(getattr(data, name)) == count

    # Each line must be there, and after the one before it.
    at = 0
    for line in expected.lines:
        found = message.find(line, at)
        assert found >= 0, f"{line!r} is not (or not in order) in:\n{message}"
        at = found + len(line)
    for text in expected.absent:
        assert text not in message, f"{text!r} should not be in:\n{message}"


def test_every_case_says_what_it_must_produce() -> None:
    for case in CASES.iterdir():
        expected = read_expected(case / "expected.txt")
        assert expected.outcome in {"error", "warning", "ok"}, case.name
        assert expected.lines or expected.outcome == "ok", case.name


# The shipped data ------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped() -> CodedData:
    data, messages = load_quietly(DATA)
    assert messages == []
    return data


def test_shipped_data_counts(shipped: CodedData) -> None:
    assert len(shipped.artifacts) == 1089
    assert len(shipped.included) == 839
    assert len(shipped.excluded) == 250
    assert len(shipped.mentions) == 176
    assert shipped.reconstruction


def test_included_artifacts_are_split_once_and_each_caller_gets_its_own() -> None:
    data, _ = load_quietly(DATA)
    first = data.included
    first["note"] = "changed by a chapter"
    first.loc[first.index[0], "pressure"] = None
    again = data.included
    assert "note" not in again.columns and again["pressure"].notna().all()
    assert again.index.equals(first.index) and len(data.excluded) == 250


def test_reading_the_included_artifacts_records_the_artifacts_file() -> None:
    from netreport.case import load_case
    from netreport.rebuild import recording_reads

    case = load_case(DATA)
    case.data.included  # noqa: B018 (split, then kept)
    with recording_reads() as reads:
        case.data.included  # noqa: B018
    assert (DATA / "artifacts.csv").resolve() in reads
    assert (DATA / "mentions.csv").resolve() not in reads


def test_codes_are_ordered_as_the_codebook_orders_them(shipped: CodedData) -> None:
    for frame, dataset in (
        (shipped.artifacts, "artifacts"),
        (shipped.mentions, "mentions"),
    ):
        for dim in shipped.codebook.for_dataset(dataset):
            column = frame[dim.name]
            assert isinstance(column.dtype, pd.CategoricalDtype)
            assert column.cat.ordered
            assert list(column.cat.categories) == dim.code_names


def test_rows_are_numbered_from_zero_and_dates_are_dates(shipped: CodedData) -> None:
    assert list(shipped.mentions.index[:3]) == [0, 1, 2]
    assert pd.api.types.is_datetime64_any_dtype(shipped.artifacts["created"])


def test_excluded_artifacts_carry_no_codes(shipped: CodedData) -> None:
    excluded = shipped.excluded
    assert excluded["pressure"].isna().all()
    assert excluded["intended_use"].isna().all()


def test_codes_on_excluded_artifacts_are_read_as_empty(tmp_path: Path) -> None:
    case = CASES / "excluded_artifact_with_codes"
    data, _ = load_quietly(case_dir(tmp_path, case))
    codes = data.excluded[["pressure", "intended_use", "secondary_intended_use"]]
    assert codes.isna().all().all()
    assert list(data.included["pressure"]) == ["technical_rational"] * 3


def test_fingerprint_names_each_file(shipped: CodedData) -> None:
    prints = shipped.fingerprint()
    assert set(prints) == {"codebook", "artifacts", "mentions"}
    assert all(len(v) == 64 for v in prints.values())


def test_data_without_a_spec_is_not_a_reconstruction(tmp_path: Path) -> None:
    assert not load_coded_data(copy_shipped(tmp_path)).reconstruction


# How written codes are read ------------------------------------------------


def test_forgiven_spellings_become_code_names(tmp_path: Path) -> None:
    case = CASES / "code_case_and_spaces"
    data, _ = load_quietly(case_dir(tmp_path, case))
    first = data.mentions.iloc[0]
    second = data.mentions.iloc[1]
    assert first["context"] == "school_teams"
    assert second["pressure"] == "sociopolitical"
    assert second["actual_use"] == "relationship_management"


def test_alias_becomes_the_current_code(tmp_path: Path) -> None:
    case = CASES / "renamed_code_alias"
    data, _ = load_quietly(case_dir(tmp_path, case))
    assert list(data.mentions["actual_use"][1:2]) == ["relationship_management"]
    assert list(data.mentions["intended_use"][1:2]) == ["relationship_management"]


def test_header_only_mentions_load_as_typed_empty_frame(tmp_path: Path) -> None:
    case = CASES / "header_only"
    data, _ = load_quietly(case_dir(tmp_path, case))
    assert data.mentions.empty
    assert list(data.mentions["actual_use"].cat.categories) == (
        data.codebook["actual_use"].code_names
    )


def test_links_are_checked_once_both_files_are_clean(tmp_path: Path) -> None:
    # A dangling artifact id is not reported while a cell problem remains,
    # because a broken id column would bury it in spurious link problems.
    case = CASES / "link_missing_artifact"
    data_dir = case_dir(tmp_path, case)
    mentions = data_dir / "mentions.csv"
    text = mentions.read_text(encoding="utf-8")
    mentions.write_text(text.replace("M002,H1,", "M002,,"), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_quietly(data_dir)
    assert [(p.row, p.column) for p in caught.value.problems] == [(3, "interviewee")]


def test_long_allowed_lists_are_cut_short(tmp_path: Path) -> None:
    data_dir = case_dir(tmp_path, CASES / "utf8_bom")
    mentions = data_dir / "mentions.csv"
    text = mentions.read_text(encoding="utf-8-sig")
    mentions.write_text(text.replace("lack_of_capacity", "capacity"), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_quietly(data_dir)
    (problem,) = caught.value.problems
    assert (problem.row, problem.column, problem.value) == (4, "sub_theme", "capacity")
    assert problem.allowed.startswith("decision_making, communication_without_agenda")
    assert problem.allowed.endswith("lack_of_capacity ... and 1 more")
    assert "did you mean 'lack_of_capacity'?" in str(caught.value)


def test_an_input_error_survives_the_trip_from_a_worker() -> None:
    import pickle

    from netreport.errors import InputError, Problem

    error = InputError(
        [Problem("data/mentions.csv", 3, "context", "skool", "school_teams", "")],
        "Fix the file and run again.",
    )
    back = pickle.loads(pickle.dumps(error))
    assert back.problems == error.problems and str(back) == str(error)
