"""Importing QDA exports: two tools' REFI-QDA conventions, the codebook file,
the round trip of the shipped data through every format, and the command.

The fixtures in ``tests/fixtures/qda/`` are made by ``make_fixtures.py``
there; bad inputs live in ``tests/bad_input/`` with the message each gives.
"""

from __future__ import annotations

import filecmp
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from netreport import exporting
from netreport.cli import main
from netreport.coded_data import CodedData, load_coded_data
from netreport.errors import InputError, Problem
from netreport.importing import import_file
from netreport.refiqda import read_qdc, read_qdpx

DATA = Path(__file__).parent.parent / "data"
FIXTURES = Path(__file__).parent / "fixtures" / "qda"
EMPTY_MENTIONS = (
    "mention_id,interviewee,context,pressure,actual_use,sub_theme,"
    "intended_use,artifact_id\n"
)


def project(tmp_path: Path) -> Path:
    """A project with the shipped codebook and inventory, and no mentions."""
    data = tmp_path / "project" / "data"
    data.mkdir(parents=True)
    for name in ("codebook.yml", "artifacts.csv"):
        shutil.copyfile(DATA / name, data / name)
    (data / "mentions.csv").write_text(EMPTY_MENTIONS, encoding="utf-8")
    return data.parent


def quietly(function, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return function(*args, **kwargs)


@pytest.fixture(scope="module")
def shipped() -> CodedData:
    return quietly(load_coded_data, DATA)


# Two tools' conventions -------------------------------------------------------


@pytest.mark.parametrize("fixture", ["nvivo_style.qdpx", "qualcoder_style.qdpx"])
def test_each_tools_convention_gives_the_same_mentions(
    fixture: str, tmp_path: Path
) -> None:
    root = project(tmp_path)
    report = import_file(FIXTURES / fixture, root)
    mentions = (root / "data" / "mentions.csv").read_text(encoding="utf-8")
    assert mentions.splitlines()[1:] == [
        "M001,H1,school_teams,technical_rational,improvement,,improvement,",
        "M002,H1,district_leaders,sociopolitical,relationship_management,,improvement,",
        "M003,H2,network,technical_rational,disuse,,administration,",
    ]
    assert (report.sources, report.counts) == (2, {"mentions": 3})
    assert report.unmapped == {"Emotion": 1}


def test_utf16_offsets_with_crlf_land_on_the_same_text() -> None:
    problems: list[Problem] = []
    nvivo = read_qdpx(FIXTURES / "nvivo_style.qdpx", problems)
    qualcoder = read_qdpx(FIXTURES / "qualcoder_style.qdpx", problems)
    assert problems == []
    # The emoji is two UTF-16 units: NVivo's offsets differ, code points agree
    # once CRLF (two characters) is accounted for.
    spans = [(s.start, s.end) for s in nvivo.segments]
    assert spans[:4] == [(0, 40)] * 4
    assert (nvivo.segments[4].start, qualcoder.segments[1].start) == (42, 41)


def test_one_selection_per_coding_is_pooled_into_one_mention() -> None:
    problems: list[Problem] = []
    nvivo = read_qdpx(FIXTURES / "nvivo_style.qdpx", problems)
    assert len(nvivo.segments) == 13  # one selection per coding
    assert nvivo.codings == 13


def test_parent_codes_that_are_not_codable_are_read_as_groups() -> None:
    problems: list[Problem] = []
    codebook = read_qdc(FIXTURES / "codebook.qdc", problems)
    groups = {c.path for c in codebook.codes.values() if not c.codable}
    assert ("Context",) in groups and ("Actual use", "Improvement") not in groups
    assert ("Actual use", "Improvement", "Student learning") in {
        c.path for c in codebook.codes.values()
    }


def test_a_codebook_file_is_read_and_nothing_written(tmp_path: Path) -> None:
    root = project(tmp_path)
    before = (root / "data" / "mentions.csv").read_bytes()
    report = import_file(FIXTURES / "codebook.qdc", root)
    assert report.codes == 19 and report.written == []
    assert (root / "data" / "mentions.csv").read_bytes() == before


# Round trip ------------------------------------------------------------------

EXPORTS = {
    "workbook.xlsx": exporting.export_xlsx,
    "project.qdpx": exporting.export_qdpx,
    "qualcoder.csv": exporting.export_qualcoder,
    "taguette.csv": exporting.export_taguette,
    "dedoose.csv": exporting.export_dedoose,
}


@pytest.mark.parametrize("name", EXPORTS)
def test_shipped_data_round_trips_byte_for_byte(
    name: str, shipped: CodedData, tmp_path: Path
) -> None:
    root = project(tmp_path)
    exported = EXPORTS[name](shipped, tmp_path / name)
    quietly(import_file, exported, root)
    for file in ("artifacts.csv", "mentions.csv"):
        assert filecmp.cmp(DATA / file, root / "data" / file, shallow=False), file
    again = quietly(load_coded_data, root / "data")
    assert again.mentions.equals(shipped.mentions)


def test_export_escapes_formula_like_cells(shipped: CodedData, tmp_path: Path) -> None:
    mentions = shipped.mentions.copy()
    mentions["interviewee"] = mentions["interviewee"].astype(object)
    mentions.loc[0, "interviewee"] = "=HYPERLINK(1)"
    data = CodedData(shipped.codebook, shipped.artifacts, mentions, {}, False)
    path = exporting.export_taguette(data, tmp_path / "t.csv")
    assert ",'=HYPERLINK(1)," in path.read_text(encoding="utf-8")


# The command -----------------------------------------------------------------


def test_import_command_prints_what_it_read(tmp_path: Path, capsys) -> None:
    root = project(tmp_path)
    code = main(
        ["import", str(FIXTURES / "qualcoder_style.qdpx"), "--project", str(root)]
    )
    out = capsys.readouterr().err
    assert code == 0
    assert "read 2 sources, 19 codes, 13 codings" in out
    assert "made 3 mentions" in out
    assert "codes not mapped to the codebook, left out: Emotion (1x)" in out


def test_failed_import_writes_nothing_and_shows_no_traceback(tmp_path: Path) -> None:
    root = project(tmp_path)
    bad = Path(__file__).parent / "bad_input" / "qdpx_two_contexts"
    before = {p.name: p.read_bytes() for p in (root / "data").iterdir()}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "netreport.cli",
            "import",
            str(bad / "qdpx_two_contexts.qdpx"),
            "--project",
            str(root),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 1
    assert "Traceback" not in run.stderr and "coded twice" in run.stderr
    after = {p.name: p.read_bytes() for p in (root / "data").iterdir()}
    assert after == before


def test_import_stages_nothing_beside_the_data_on_failure(tmp_path: Path) -> None:
    root = project(tmp_path)
    with pytest.raises(InputError):
        import_file(
            Path(__file__).parent
            / "bad_input"
            / "qdpx_missing_actual_use"
            / "qdpx_missing_actual_use.qdpx",
            root,
        )
    assert sorted(p.name for p in root.iterdir()) == ["data"]


def test_replace_keeps_the_previous_file_and_says_so(tmp_path: Path, capsys) -> None:
    root = project(tmp_path)
    mentions = root / "data" / "mentions.csv"
    shutil.copyfile(DATA / "mentions.csv", mentions)
    new = tmp_path / "new.csv"
    new.write_text(
        EMPTY_MENTIONS + "M1,H1,network,technical_rational,disuse,,administration,\n",
        encoding="utf-8",
    )
    refused = main(["import", str(new), "--project", str(root)])
    assert refused == 1 and "176 rows now, 1 row after" in capsys.readouterr().err
    assert filecmp.cmp(mentions, DATA / "mentions.csv", shallow=False)

    assert main(["import", str(new), "--project", str(root), "--replace"]) == 0
    out = capsys.readouterr().err
    assert f"replaced {mentions} (176 rows) with 1 row" in out
    assert f"the old file is kept as {mentions}.previous" in out
    assert filecmp.cmp(f"{mentions}.previous", DATA / "mentions.csv", shallow=False)
    assert mentions.read_bytes() == new.read_bytes()


def test_git_ignores_the_file_replace_keeps_but_not_the_data() -> None:
    root = Path(__file__).parent.parent
    names = ["data/mentions.csv.previous", "data/artifacts.xlsx.previous",
             "data/mentions.csv"]  # fmt: skip
    ignored = subprocess.run(["git", "check-ignore", "--no-index", *names],
                             cwd=root, capture_output=True, text=True)  # fmt: skip
    assert ignored.stdout.split() == names[:2]


def test_dry_run_writes_nothing_even_with_replace(tmp_path: Path, capsys) -> None:
    root = project(tmp_path)
    shutil.copyfile(DATA / "mentions.csv", root / "data" / "mentions.csv")
    before = {p.name: p.read_bytes() for p in (root / "data").iterdir()}
    args = ["import", str(FIXTURES / "qualcoder_style.qdpx"), "--project", str(root)]
    assert quietly(main, [*args, "--dry-run", "--replace"]) == 0
    assert "would replace" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in (root / "data").iterdir()} == before


def test_a_file_of_the_same_content_is_not_rewritten(tmp_path: Path) -> None:
    root = project(tmp_path)
    artifacts = root / "data" / "artifacts.csv"
    report = quietly(import_file, artifacts, root)
    assert report.unchanged == [artifacts] and report.written == []
    assert "it holds what the import gives" in "\n".join(report.lines())


def test_fixtures_are_what_the_script_makes(tmp_path: Path) -> None:
    before = {p: p.read_bytes() for p in FIXTURES.glob("*.q*")}
    subprocess.run([sys.executable, str(FIXTURES / "make_fixtures.py")], check=True)
    assert {p: p.read_bytes() for p in FIXTURES.glob("*.q*")} == before


def test_a_warning_of_the_trial_load_names_the_projects_file(tmp_path: Path) -> None:
    root = project(tmp_path)
    artifacts = root / "data" / "artifacts.csv"
    text = artifacts.read_text(encoding="utf-8")
    text = text.replace("A0012,2020-07-05,template,not_final_version,,,",
                        "A0012,2020-07-05,template,not_final_version,"
                        "technical_rational,,")  # fmt: skip
    artifacts.write_text(text, encoding="utf-8")
    with pytest.warns(Warning) as caught:
        import_file(FIXTURES / "qualcoder_style.qdpx", root)
    shown = " ".join(str(w.message) for w in caught)
    assert str(artifacts) in shown
    assert ".import-" not in shown


def test_a_mapping_problem_of_the_trial_load_names_the_projects_config(
    tmp_path: Path,
) -> None:
    root = project(tmp_path)
    artifacts = root / "data" / "artifacts.csv"
    rows = [line.split(",") for line in artifacts.read_text().splitlines()]
    kind = rows[0].index("kind")
    artifacts.write_text(
        "".join(",".join(r[:kind] + r[kind + 1 :]) + "\n" for r in rows)
    )
    (root / "netreport.yml").write_text("columns:\n  artifacts:\n    kind: Sort\n")
    with pytest.raises(InputError) as raised:
        import_file(FIXTURES / "qualcoder_style.qdpx", root)
    files = {problem.file for problem in raised.value.problems}
    assert f"{root / 'netreport.yml'}: columns.artifacts.kind" in files
    assert not [f for f in files if ".import-" in f]
