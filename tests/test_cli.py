"""The netreport command, as a user runs it: messages, not tracebacks."""

from __future__ import annotations

import argparse
import errno
import re
import shutil
import signal
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path

import pytest
from site_projects import snapshot, write_tiny_book

import netreport

ROOT = Path(__file__).parent.parent
DATA = ROOT / "data"


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "netreport.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_reports_the_shipped_case(tmp_path):
    result = _run("check", "--data", str(DATA), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "1089 artifacts (839 included, 250 excluded)" in result.stderr
    assert "176 mentions" in result.stderr
    assert "35 of 36 published figures reproduced" in result.stderr
    assert "table8-relationship-pct: printed 0.5, data gives 0.7" in result.stderr


def test_verbose_check_logs_one_line_per_stage(tmp_path):
    # A path longer than a pipe's 80 columns: each record stays one line.
    data = tmp_path / ("a-long-folder-name-" * 4) / "data"
    shutil.copytree(DATA, data)
    quiet = _run("check", "--data", str(data), cwd=tmp_path)
    verbose = _run("-v", "check", "--data", str(data), cwd=tmp_path)
    assert verbose.returncode == 0, verbose.stderr
    stages = [
        f"load and check the data in {data}",
        f"check the published figures in {data / 'published.yml'}",
        "compare 36 published figures with the data",
    ]
    lines = [line.strip() for line in verbose.stderr.splitlines()]
    assert [line.removeprefix("INFO").strip() for line in lines[:3]] == stages
    assert not any(stage in quiet.stderr for stage in stages)


def test_check_names_a_mistyped_published_value(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    published = data / "published.yml"
    text = published.read_text()
    typo = text.replace(
        'printed: "839"\n    value: 839\n', 'printed: "839"\n    value: 840\n'
    )
    assert typo != text
    published.write_text(typo)
    result = _run("check", "--strict", cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert (
        '  artifacts-included: value 840 in published.yml (printed "839"), '
        "data gives 839\n" in result.stderr
    )


def test_bad_data_gives_a_message_and_no_traceback(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    mentions = data / "mentions.csv"
    lines = mentions.read_text().splitlines()
    lines[4] = lines[4].replace("school_teams", "schol teams", 1)
    mentions.write_text("\n".join(lines) + "\n")
    result = _run("check", cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "row 5" in result.stderr and "'context'" in result.stderr
    assert "'schol teams'" in result.stderr
    assert "did you mean 'school_teams'?" in result.stderr
    assert "or add the spelling as an alias in codebook.yml" in result.stderr
    assert "last good build" not in result.stderr  # check builds nothing


def test_a_build_with_bad_data_says_the_last_good_build_was_kept(tmp_path):
    shutil.copytree(DATA, tmp_path / "data")
    shutil.copyfile(DATA.parent / "_quarto.yml", tmp_path / "_quarto.yml")
    (tmp_path / "data" / "mentions.csv").write_text("mention_id\nM1\n")
    result = _run("build", cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "column 'context': found nothing; a required column" in result.stderr
    assert "alias" not in result.stderr
    assert "The last good build was left as it was." in result.stderr


def test_strict_turns_a_renamed_code_warning_into_an_error(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    mentions = data / "mentions.csv"
    mentions.write_text(
        mentions.read_text().replace(",relationship_management,", ",accountability,", 1)
    )
    relaxed = _run("check", cwd=tmp_path)
    assert relaxed.returncode == 0
    assert "renamed codes read as their current names in 1 cell" in relaxed.stderr
    strict = _run("check", "--strict", cwd=tmp_path)
    assert strict.returncode == 1
    assert "strict" in strict.stderr and "'accountability'" in strict.stderr


def test_reconstruct_refuses_without_a_spec(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    (data / "reconstruction.yml").unlink()
    result = _run("reconstruct", cwd=tmp_path)
    assert result.returncode == 1
    assert "no reconstruction spec here" in result.stderr


def test_reconstruct_rewrites_the_shipped_files_identically(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    (data / "mentions.csv").unlink()
    result = _run("reconstruct", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (data / "mentions.csv").read_bytes() == (DATA / "mentions.csv").read_bytes()
    assert result.stderr.splitlines() == [
        "data/artifacts.csv: unchanged, its bytes were already right",
        "wrote data/mentions.csv",
    ]


def test_reconstruct_keeps_edited_data_unless_told_to_replace_it(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    mentions = data / "mentions.csv"
    edited = mentions.read_text().replace(",school_teams,", ",network,", 1)
    mentions.write_text(edited)

    refused = _run("reconstruct", cwd=tmp_path)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "data/mentions.csv (176 rows, differs from the reconstruction)" in (
        refused.stderr
    )
    assert "Run `netreport reconstruct --replace`" in refused.stderr
    assert mentions.read_text() == edited

    replaced = _run("reconstruct", "--replace", cwd=tmp_path)
    assert replaced.returncode == 0, replaced.stderr
    assert replaced.stderr.splitlines() == [
        "data/artifacts.csv: unchanged, its bytes were already right",
        "replaced data/mentions.csv; the old file is kept as "
        "data/mentions.csv.previous",
    ]
    assert (data / "mentions.csv.previous").read_text() == edited
    assert mentions.read_bytes() == (DATA / "mentions.csv").read_bytes()


def test_values_in_square_brackets_are_shown_as_typed(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    mentions = data / "mentions.csv"
    mentions.write_text(
        mentions.read_text().replace(",school_teams,", ",[red]school[/red],", 1)
    )
    result = _run("check", cwd=tmp_path)
    assert result.returncode == 1
    assert "found '[red]school[/red]'" in result.stderr


def test_commands_find_the_project_from_a_subfolder(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(DATA, project / "data")
    (project / "_quarto.yml").write_text("project:\n  type: book\n")
    inner = project / "chapters"
    inner.mkdir()
    result = _run("check", cwd=inner)
    assert result.returncode == 0, result.stderr
    assert "176 mentions" in result.stderr


def test_outside_a_project_the_message_says_how_to_name_one(tmp_path):
    result = _run("build", cwd=tmp_path)
    assert result.returncode == 1
    assert "no _quarto.yml in" in result.stderr
    assert "--project DIR" in result.stderr
    assert "Traceback" not in result.stderr


def test_status_says_per_report_whether_it_was_rendered_or_kept(
    tmp_path: Path, capsys
) -> None:
    from netreport.cli import main

    for name in ("data", "templates"):
        shutil.copytree(ROOT / name, tmp_path / name)
    shutil.copy(ROOT / "status.yml", tmp_path / "status.yml")
    command = ["status", "--project", str(tmp_path), "--audience", "funder",
               "--period", "2020-21", "--executor", "serial"]  # fmt: skip

    assert main(command) == 0
    first = capsys.readouterr().err
    assert main(command) == 0
    again = capsys.readouterr().err

    page = "_site/status/funder/2020-21.html"
    assert f"{page}: rendered, no earlier report" in first
    assert f"{page}: skipped, unchanged since the last run" in again
    assert "1 status report in" in again and "wrote" not in again


def test_a_build_stopped_by_sigterm_cleans_up_and_keeps_the_last_site(tmp_path):
    book = write_tiny_book(tmp_path / "book", "# One\n\nQuick.\n")
    shutil.copytree(DATA, book / "data")
    assert _run("build", cwd=book).returncode == 0
    before = snapshot(book / "_site")
    slow = "# One\n\n```{python}\nimport time\ntime.sleep(60)\n```\n"
    (book / "chapters" / "one.qmd").write_text(slow)

    process = subprocess.Popen(
        [sys.executable, "-m", "netreport.cli", "build"],
        cwd=book,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not list(book.glob("._site.render-*")) and time.monotonic() < deadline:
        time.sleep(0.1)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)

    assert process.returncode == 130 and "Traceback" not in stderr
    assert "interrupted; the last good build was left in place" in stderr
    assert list(book.glob("._site.render-*")) == []
    assert snapshot(book / "_site") == before


# -- bad option values are argparse errors, not tracebacks --------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["status", "--period", "2020-21", "--workers", "-3"],
            "argument --workers: expected a whole number of at least 1, found '-3'",
        ),
        (
            ["status", "--period", "2020-21", "--workers", "0"],
            "argument --workers: expected a whole number of at least 1, found '0'",
        ),
        (
            ["status", "--period", "2020-21", "--workers", "two"],
            "argument --workers: expected a whole number of at least 1, found 'two'",
        ),
        (
            ["preview", "--port", "99999"],
            "argument --port: expected a whole number from 0 to 65535, found '99999'",
        ),
        (
            ["preview", "--port", "-1"],
            "argument --port: expected a whole number from 0 to 65535, found '-1'",
        ),
        (
            ["status", "--period", "2020-21", "--connect-timeout", "0"],
            "argument --connect-timeout: expected a number of seconds above 0, "
            "found '0'",
        ),
        (
            ["status", "--period", "2020-21", "--connect-timeout", "inf"],
            "argument --connect-timeout: expected a number of seconds above 0, "
            "found 'inf'",
        ),
        (
            ["build", "--output-dir", "_quarto.yml"],
            "argument --output-dir: _quarto.yml is a file, not a folder; name a "
            "folder (made if missing)",
        ),
        (
            ["status", "--period", "2020-21", "--output-dir", "_quarto.yml"],
            "argument --output-dir: _quarto.yml is a file, not a folder",
        ),
        (
            ["release", "1.0.0", "--date", "2026-13-01"],
            "argument --date: expected YYYY-MM-DD, found '2026-13-01'",
        ),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else None,
)
def test_bad_option_values_are_refused_by_argparse(tmp_path, args, message):
    (tmp_path / "_quarto.yml").write_text("project:\n  type: book\n")
    result = _run(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"netreport {args[0]}: error: {message}" in result.stderr


def test_version_names_netreport_pandoc_and_typst(tmp_path):
    result = _run("--version", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split(" ", 1)[0] for line in lines] == ["netreport", "pandoc", "Typst"]
    assert lines[0] == f"netreport {version('netreport')}"
    assert all(re.fullmatch(r"\S+ \d+(\.\d+)+", line) for line in lines), lines


# -- an output that cannot be written is a message, not a traceback -----------


def _status_project(root: Path) -> Path:
    for name in ("data", "templates"):
        shutil.copytree(ROOT / name, root / name)
    shutil.copy(ROOT / "status.yml", root / "status.yml")
    (root / "_quarto.yml").write_text("project:\n  type: book\n")
    return root


def test_status_into_a_folder_that_cannot_be_made(tmp_path):
    project = _status_project(tmp_path / "project")
    (tmp_path / "blocker").write_text("a file where a folder must go\n")
    result = _run(
        "status", "--period", "2020-21", "--audience", "funder",
        "--executor", "serial", "--output-dir", str(tmp_path / "blocker" / "out"),
        cwd=project,
    )  # fmt: skip
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip() == (
        f"error: cannot write {tmp_path / 'blocker'}: a file is in the way, "
        "where a folder must be; check that the folder exists and can be "
        "written or choose another --output-dir"
    )


def test_a_report_a_pool_worker_cannot_write(tmp_path):
    project = _status_project(tmp_path / "project")
    out = tmp_path / "out"
    out.mkdir()
    (out / "funder").write_text("a file where the audience's folder goes\n")
    result = _run(
        "status", "--period", "2020-21", "--audience", "funder",
        "--workers", "1", "--output-dir", str(out),
        cwd=project,
    )  # fmt: skip
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"error: cannot write {out / 'funder'}: a file is in the way" in (
        result.stderr
    )


def test_build_into_a_folder_that_cannot_be_made(tmp_path):
    book = write_tiny_book(tmp_path / "book", "# One\n\nQuick.\n")
    shutil.copytree(DATA, book / "data")
    (book / "blocker").write_text("")
    result = _run("build", "--output-dir", "blocker/site", cwd=book)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        f"error: cannot write {book / 'blocker'}: a file is in the way, where a "
        "folder must be; check that the folder exists and can be written or "
        "choose another --output-dir"
    ]


def _parsed(*argv: str) -> argparse.Namespace:
    from netreport.cli import _parser

    return _parser().parse_args(argv)


@pytest.mark.parametrize(
    ("argv", "failed", "named"),
    [
        # The staging folder beside the site is named as the site.
        (["build"], "._site.render-1-ab", "_site"),
        (["build", "--output-dir", "{root}/out"], "out/index.html", "out/index.html"),
        (["release", "1.0.0"], "_site/versions/1.0.0", "_site/versions/1.0.0"),
        (["preview"], ".netreport/chapters/x.json", ".netreport/chapters/x.json"),
        (["status", "--period", "2020-21"], "_site/status/a", "_site/status/a"),
    ],
)
def test_a_write_refused_names_the_path_and_the_reason(tmp_path, argv, failed, named):
    from netreport.cli import _write_failure

    argv = [a.replace("{root}", str(tmp_path)) for a in argv]
    args = _parsed(*argv, "--project", str(tmp_path))
    error = PermissionError(errno.EACCES, "Permission denied", str(tmp_path / failed))
    elsewhere = " or choose another --output-dir" * hasattr(args, "output_dir")
    assert _write_failure(args, error) == (
        f"cannot write {tmp_path / named}: Permission denied; check that the "
        f"folder exists and can be written{elsewhere}"
    )


def test_a_data_file_reconstruct_cannot_write(tmp_path):
    from netreport.cli import _write_failure

    args = _parsed("reconstruct", "--data", str(tmp_path / "data"))
    target = tmp_path / "data" / "mentions.csv.tmp"
    error = PermissionError(errno.EACCES, "Permission denied", str(target))
    assert _write_failure(args, error) == (
        f"cannot write {target}: Permission denied; check that the folder "
        "exists and can be written"
    )


def test_an_os_error_elsewhere_is_not_hidden(tmp_path):
    from netreport.cli import _write_failure

    args = _parsed("build", "--project", str(tmp_path))
    inside_netreport = Path(netreport.__file__).parent / "render" / "resources"
    error = FileNotFoundError(errno.ENOENT, "No such file", str(inside_netreport))
    assert _write_failure(args, error) is None
    assert _write_failure(_parsed("check"), error) is None  # check writes nothing


def test_a_full_disk_is_a_message_without_a_file_name(tmp_path):
    from netreport.cli import _write_failure

    args = _parsed("build", "--project", str(tmp_path))
    full = OSError(errno.ENOSPC, "No space left on device")
    assert _write_failure(args, full) == (
        "cannot write the outputs: No space left on device; check that the "
        "folder exists and can be written or choose another --output-dir"
    )


def test_an_unreachable_dask_scheduler_fails_within_seconds(tmp_path):
    project = _status_project(tmp_path / "project")
    started = time.monotonic()
    result = _run(
        "status", "--period", "2020-21", "--executor", "dask",
        "--scheduler", "tcp://127.0.0.1:1", "--connect-timeout", "1",
        cwd=project,
    )  # fmt: skip
    elapsed = time.monotonic() - started
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "--scheduler tcp://127.0.0.1:1: cannot connect: Timed out trying to " in (
        result.stderr
    )
    assert "after 1 s" in result.stderr
    assert "longer --connect-timeout" in " ".join(result.stderr.split())
    assert elapsed < 20


def test_the_default_dask_connect_timeout_is_a_few_seconds():
    assert _parsed("status", "--period", "2020-21").connect_timeout == 5
