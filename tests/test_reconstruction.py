"""Regenerating the shipped case from ``data/reconstruction.yml``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from netreport.codebook import Codebook, load_codebook
from netreport.coded_data import load_coded_data
from netreport.errors import NetreportError
from netreport.reconstruction import ReconstructedFile, reconstruct

DATA = Path(__file__).parent.parent / "data"
OUTPUTS = ("artifacts.csv", "mentions.csv")


@pytest.fixture(scope="module")
def codebook() -> Codebook:
    return load_codebook(DATA / "codebook.yml")


def spec_with(tmp_path: Path, old: str, new: str) -> Path:
    """A copy of the shipped spec with one piece of text replaced."""
    text = (DATA / "reconstruction.yml").read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path = tmp_path / "reconstruction.yml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def test_rebuilds_the_shipped_files_byte_for_byte(
    tmp_path: Path, codebook: Codebook
) -> None:
    made = reconstruct(DATA / "reconstruction.yml", codebook, tmp_path)
    assert sorted(made) == list(OUTPUTS)
    for name in OUTPUTS:
        assert made[name] == ReconstructedFile(tmp_path / name, changed=True)
        assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes(), name


def test_same_bytes_under_another_hash_seed(tmp_path: Path) -> None:
    # String hashing, and so set order, changes with PYTHONHASHSEED.
    script = (
        "import sys; from pathlib import Path\n"
        "from netreport.codebook import load_codebook\n"
        "from netreport.reconstruction import reconstruct\n"
        "data = Path(sys.argv[1])\n"
        "reconstruct(data / 'reconstruction.yml',"
        " load_codebook(data / 'codebook.yml'), Path(sys.argv[2]))\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run(
        [sys.executable, "-c", script, str(DATA), str(tmp_path)], check=True, env=env
    )
    for name in OUTPUTS:
        assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes(), name


def test_a_second_run_rewrites_nothing(tmp_path: Path, codebook: Codebook) -> None:
    reconstruct(DATA / "reconstruction.yml", codebook, tmp_path)
    # Back-date the files so a rewrite could not hide in the clock's resolution.
    for name in OUTPUTS:
        os.utime(tmp_path / name, ns=(1_000_000_000, 1_000_000_000))
    made = reconstruct(DATA / "reconstruction.yml", codebook, tmp_path)
    for name in OUTPUTS:
        assert (tmp_path / name).stat().st_mtime_ns == 1_000_000_000, name
        assert not made[name].changed, name
    assert sorted(p.name for p in tmp_path.iterdir()) == list(OUTPUTS)


def test_a_changed_file_is_replaced(tmp_path: Path, codebook: Codebook) -> None:
    shutil.copyfile(DATA / "artifacts.csv", tmp_path / "artifacts.csv")
    (tmp_path / "mentions.csv").write_text("stale\n", encoding="utf-8")
    made = reconstruct(DATA / "reconstruction.yml", codebook, tmp_path)
    assert {name: file.changed for name, file in made.items()} == {
        "artifacts.csv": False,
        "mentions.csv": True,
    }
    assert (tmp_path / "mentions.csv").read_bytes() == (
        DATA / "mentions.csv"
    ).read_bytes()


def test_the_reconstruction_loads_cleanly(tmp_path: Path, codebook: Codebook) -> None:
    for name in ("codebook.yml", "reconstruction.yml"):
        shutil.copyfile(DATA / name, tmp_path / name)
    reconstruct(tmp_path / "reconstruction.yml", codebook, tmp_path)
    data = load_coded_data(tmp_path)
    assert data.reconstruction
    assert (len(data.included), len(data.excluded), len(data.mentions)) == (
        839,
        250,
        176,
    )
    assert data.included["secondary_intended_use"].notna().sum() == 63
    assert data.mentions["artifact_id"].notna().sum() == 104
    assert data.mentions["interviewee"].nunique() == 8


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "H8: 17",
            "H8: 18",
            "mentions.interviewees: the counts add up to 177, but the cells hold "
            "176 mentions",
        ),
        (
            "student_learning: 29",
            "student_learning: 30",
            "mentions.sub_theme.improvement: the counts add up to 54, but there "
            "are 53 rows to share them",
        ),
        (
            "relationship_management: {report: 6}",
            "relationship_management: {report: 7}",
            "artifacts.kinds.relationship_management: the counts add up to 7, but "
            "there are 6 rows to share them",
        ),
        (
            "disuse: {improvement: 18,",
            "disuse: {improvement: 17,",
            "mentions.intended_use.disuse: the counts add up to 35, but there are "
            "36 rows to share them",
        ),
        (
            "secondary_intended_use: research, n: 30}",
            "secondary_intended_use: research, n: 800}",
            # More improvement artifacts with a second use than improvement
            # artifacts.
            "artifacts.secondary: the counts add up to 822, but there are 718 "
            "rows to share them",
        ),
    ],
    ids=["interviewees", "sub-themes", "kinds", "intended-use", "secondary"],
)
def test_counts_that_do_not_add_up(
    tmp_path: Path, codebook: Codebook, old: str, new: str, message: str
) -> None:
    spec = spec_with(tmp_path, old, new)
    with pytest.raises(NetreportError) as caught:
        reconstruct(spec, codebook, tmp_path)
    assert str(caught.value) == f"{spec}: {message}"
    assert not (tmp_path / "artifacts.csv").exists()


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "{context: network, actual_use: research,",
            "{context: network, actual_use: reserch,",
            "mentions.cells[12].actual_use: 'reserch' is not a code of actual_use "
            "(allowed: improvement, administration, research, "
            "relationship_management, disuse)",
        ),
        (
            "{intended_use: research, pressure: sociopolitical, n: 1}",
            "{intended_use: research, pressure: political, n: 1}",
            "artifacts.cells[5].pressure: 'political' is not a code of pressure",
        ),
        (
            "{intended_use: research, secondary_intended_use: improvement, n: 4}",
            "{intended_use: research, secondary_intended_use: improvment, n: 4}",
            "artifacts.secondary[4].secondary_intended_use: 'improvment' is not a "
            "code of secondary_intended_use",
        ),
        (
            "actual_use: disuse, technical_rational: 10, sociopolitical: 5}",
            "actual_use: disuse, technical_rational: 10, socio_political: 5}",
            "mentions.cells[9].socio_political: 'socio_political' is not a code "
            "of pressure (allowed: technical_rational, sociopolitical)",
        ),
        (
            "research: {recording: 18,",
            "research: {audio: 18,",
            "artifacts.kinds.research: 'audio' is not a code of kind",
        ),
        (
            "not_final_version: {dataset: 30,",
            "not_final: {dataset: 30,",
            "artifacts.excluded: 'not_final' is not a code of excluded_by "
            "(allowed: not_hub_process, not_final_version)",
        ),
        (
            "disuse: {lack_of_capacity: 25,",
            "disuse: {capacity: 25,",
            "mentions.sub_theme.disuse: 'capacity' is not a code of sub_theme",
        ),
    ],
    ids=["cell", "pressure", "secondary", "pressure-key", "kind", "excluded", "theme"],
)
def test_unknown_codes_are_yaml_paths(
    tmp_path: Path, codebook: Codebook, old: str, new: str, message: str
) -> None:
    spec = spec_with(tmp_path, old, new)
    with pytest.raises(NetreportError) as caught:
        reconstruct(spec, codebook, tmp_path)
    text = str(caught.value)
    assert text.startswith("the reconstruction spec names unknown codes:\n")
    assert f"  {spec}: {message}" in text
    assert text.count("\n") == 1  # one problem, one line


def test_a_missing_key_is_a_yaml_path(tmp_path: Path, codebook: Codebook) -> None:
    spec = spec_with(tmp_path, "  linked: 104\n", "")
    with pytest.raises(NetreportError) as caught:
        reconstruct(spec, codebook, tmp_path)
    assert str(caught.value) == f"{spec}: mentions.linked: missing"


def _edited_copy(tmp_path: Path) -> bytes:
    """The shipped data in `tmp_path`, with one mention's code changed by hand."""
    shutil.copyfile(DATA / "artifacts.csv", tmp_path / "artifacts.csv")
    text = (DATA / "mentions.csv").read_text(encoding="utf-8")
    edited = text.replace(",school_teams,", ",network,", 1).encode("utf-8")
    (tmp_path / "mentions.csv").write_bytes(edited)
    return edited


def test_edited_rows_are_not_replaced_without_asking(
    tmp_path: Path, codebook: Codebook
) -> None:
    edited = _edited_copy(tmp_path)
    with pytest.raises(NetreportError) as caught:
        reconstruct(DATA / "reconstruction.yml", codebook, tmp_path)
    assert str(caught.value) == (
        "reconstruct would replace data files that hold rows:\n"
        f"  {tmp_path / 'mentions.csv'} (176 rows, differs from the "
        "reconstruction)\n"
        "Nothing was written. Run `netreport reconstruct --replace` to replace "
        "them (each old file is kept beside it as <name>.previous), or move "
        "them out of the data folder first."
    )
    assert (tmp_path / "mentions.csv").read_bytes() == edited
    assert sorted(p.name for p in tmp_path.iterdir()) == list(OUTPUTS)


def test_replacing_edited_rows_keeps_the_old_file(
    tmp_path: Path, codebook: Codebook
) -> None:
    edited = _edited_copy(tmp_path)
    made = reconstruct(DATA / "reconstruction.yml", codebook, tmp_path, replace=True)
    kept = tmp_path / "mentions.csv.previous"
    assert made["mentions.csv"] == ReconstructedFile(
        tmp_path / "mentions.csv", changed=True, previous=kept
    )
    assert made["artifacts.csv"].previous is None  # unchanged, nothing to keep
    assert kept.read_bytes() == edited
    assert (tmp_path / "mentions.csv").read_bytes() == (
        DATA / "mentions.csv"
    ).read_bytes()


def test_a_file_that_is_not_utf8_is_not_replaced_without_asking(
    tmp_path: Path, codebook: Codebook
) -> None:
    (tmp_path / "artifacts.csv").write_bytes(b"artifact_id\n\xff\xfe\n")
    with pytest.raises(NetreportError, match=r"\(not readable as UTF-8 text, "):
        reconstruct(DATA / "reconstruction.yml", codebook, tmp_path)
    assert not (tmp_path / "mentions.csv").exists()  # all or nothing
