"""``netreport preview``: a real server on 127.0.0.1 and real file changes."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from rebuild_projects import make_project
from watchfiles import Change

from netreport.preview import BUILD_ENDPOINT, _changed_sources

WAIT = 90  # seconds a rebuild may take on a loaded machine


class Preview:
    """A ``netreport preview`` process and the lines it printed."""

    def __init__(self, project: Path) -> None:
        env = {**os.environ, "COLUMNS": "1000", "SOURCE_DATE_EPOCH": "1767225600"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "netreport.cli", "preview", "--project",
             str(project), "--port", "0"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
        )  # fmt: skip
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.url = self.wait_for(r"at (http://127\.0\.0\.1:\d+/)").group(1)

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, pattern: str) -> re.Match[str]:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if match := re.search(pattern, line):
                    return match
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"no line matched {pattern!r}:\n" + "\n".join(self.lines))

    def get(self, path: str) -> str:
        with urllib.request.urlopen(self.url + path.lstrip("/"), timeout=10) as r:
            return r.read().decode("utf-8")

    def state(self) -> dict:
        return json.loads(self.get(BUILD_ENDPOINT))

    def wait_for_state(self, check) -> dict:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            state = self.state()
            if check(state):
                return state
            time.sleep(0.2)
        raise AssertionError(f"last state {state}:\n" + "\n".join(self.lines))


@pytest.fixture
def preview(tmp_path: Path) -> Iterator[Preview]:
    running = Preview(make_project(tmp_path / "book"))
    yield running
    running.process.terminate()
    running.process.wait(timeout=20)


def test_pages_are_served_with_the_reload_script_only_in_preview(
    preview: Preview,
) -> None:
    page = preview.get("chapters/mentions.html")
    assert BUILD_ENDPOINT in page and "location.reload()" in page
    on_disk = Path(preview.wait_for(r"serving (\S+) at").group(1))
    assert BUILD_ENDPOINT not in (on_disk / "chapters/mentions.html").read_text()
    assert preview.state() == {"build": 1, "error": None}


def test_a_chapter_edit_rebuilds_and_a_bad_one_keeps_the_last_good_site(
    preview: Preview,
) -> None:
    project = Path(preview.wait_for(r"serving (\S+)/_site at").group(1))
    chapter = project / "chapters" / "mentions.qmd"
    chapter.write_text(chapter.read_text() + "\nA sentence added in preview.\n")
    preview.wait_for_state(lambda s: s["build"] == 2)
    assert "A sentence added in preview." in preview.get("chapters/mentions.html")
    preview.wait_for(r"chapters/mentions\.qmd: ran again, its source changed")
    preview.wait_for(r"built 3 pages and rebuild-report\.pdf in [\d.]+ s")

    chapter.write_text(chapter.read_text() + "\n```{python}\n1 / 0\n```\n")
    state = preview.wait_for_state(lambda s: s["error"] is not None)
    assert state["build"] == 2
    assert "ZeroDivisionError" in state["error"]
    assert "A sentence added in preview." in preview.get("chapters/mentions.html")
    preview.wait_for(r"build failed, still serving the last good site")


def test_a_port_in_use_fails_before_the_build_with_one_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from netreport.cli import main

    project = make_project(tmp_path / "book")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = main(["preview", "--project", str(project), "--port", str(port)])
    shown = " ".join(capsys.readouterr().err.split())  # however it wraps
    assert code == 1
    assert f"cannot serve on 127.0.0.1:{port}: Address already in use" in shown
    assert "--port 0" in shown
    assert "Traceback" not in shown
    assert not (project / "_site").exists()  # no build ran


def write_as_sed_does(path: Path, text: str) -> None:
    """Write `path` as ``sed -i`` does: a new file beside it, renamed over it."""
    handle, temporary = tempfile.mkstemp(prefix="sed", dir=path.parent)
    with os.fdopen(handle, "w", encoding="utf-8") as file:
        file.write(text)
    os.replace(temporary, path)


def test_a_file_written_as_sed_does_is_the_only_change_shown(
    preview: Preview,
) -> None:
    project = Path(preview.wait_for(r"serving (\S+)/_site at").group(1))
    mentions = project / "data" / "mentions.csv"
    write_as_sed_does(mentions, mentions.read_text(encoding="utf-8"))
    shown = preview.wait_for(r"changed: (.*); rebuilding").group(1)
    assert shown == "data/mentions.csv"


@pytest.mark.parametrize(
    ("changes", "shown"),
    [
        # sed -i: its new file came and went; the file it replaced counts.
        (
            [(Change.added, "data/sedAb12Cd"), (Change.deleted, "data/sedAb12Cd"),
             (Change.added, "data/mentions.csv")],
            ["data/mentions.csv"],
        ),
        # An editor's probe file, and nothing else: no rebuild.
        (
            [(Change.added, "chapters/4913"), (Change.modified, "chapters/4913"),
             (Change.deleted, "chapters/4913")],
            [],
        ),
        # A source deleted is a change, though it is gone too.
        ([(Change.deleted, "data/mentions.xlsx")], ["data/mentions.xlsx"]),
        ([(Change.added, "chapters/new.qmd")], ["chapters/new.qmd"]),
    ],
    ids=["sed", "probe-file", "deleted-source", "new-chapter"],
)  # fmt: skip
def test_files_that_came_and_went_within_a_batch_are_no_change(
    tmp_path: Path, changes: list[tuple[Change, str]], shown: list[str]
) -> None:
    for folder in ("data", "chapters"):
        (tmp_path / folder).mkdir()
    for name in ("data/mentions.csv", "chapters/new.qmd"):
        (tmp_path / name).write_text("here now")
    batch = {(change, str(tmp_path / name)) for change, name in changes}
    assert _changed_sources(batch) == [tmp_path / name for name in shown]


def test_ctrl_c_stops_preview_with_one_line(preview: Preview) -> None:
    preview.process.send_signal(signal.SIGINT)
    assert preview.process.wait(timeout=20) == 0
    preview.reader.join(timeout=10)
    serving = next(i for i, line in enumerate(preview.lines) if "serving" in line)
    assert preview.lines[serving + 1 :] == ["stopped"]
