"""A build killed at any instant leaves the previous _site/ whole; a finished
one leaves a site with the modes the umask gives, readable by a web server."""

from __future__ import annotations

import logging
import os
import random
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from site_projects import MINI_BOOK, copy_project, snapshot

from netreport.staging import staged_output

KILLS = 8
SEED = 20240501


# A build process that has done its imports and waits for a line on stdin:
# the kill then lands in the build itself, not in Python's start-up.
_WORKER = """
import sys
import netreport.cli, netreport.provenance, netreport.publish_check
import netreport.render, plotnine
print("ready", flush=True)
sys.stdin.readline()
sys.exit(netreport.cli.main(["build"]))
"""


def _worker(project: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", _WORKER],
        cwd=project,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )


def _finish(worker: subprocess.Popen) -> int:
    worker.stdin.close()
    return worker.wait(timeout=120)


def _start(worker: subprocess.Popen) -> None:
    assert worker.stdout.readline().strip() == "ready"
    worker.stdin.write("go\n")
    worker.stdin.flush()


def _leftovers(project: Path) -> list[str]:
    return sorted(p.name for p in project.iterdir() if p.name.startswith("._site."))


def _is_whole(site: Path, layout: set[str]) -> bool:
    pages = [site / p for p in layout if p.endswith(".html")]
    pdf = next(site / p for p in layout if p.endswith(".pdf"))
    return (
        set(snapshot(site)) == layout
        and all(p.read_text().rstrip().endswith("</html>") for p in pages)
        and pdf.read_bytes().rstrip().endswith(b"%%EOF")
    )


@pytest.fixture()
def project(tmp_path) -> Path:
    return copy_project(MINI_BOOK, tmp_path / "book")


def test_killed_builds_leave_the_previous_site_intact(project):
    # A first build, timed from the end of its imports.
    worker = _worker(project)
    _start(worker)
    started = time.perf_counter()
    assert _finish(worker) == 0
    span = time.perf_counter() - started
    site = project / "_site"
    (site / "status").mkdir()
    (site / "status" / "funder.html").write_text("<html>kept</html>")
    previous = snapshot(site)
    layout = set(previous)

    # Kill the next builds anywhere in that span (and a little after); the
    # next worker does its imports while the current one builds.
    rng = random.Random(SEED)
    kept = swapped = 0
    ready = _worker(project)
    for _ in range(KILLS):
        delay = rng.uniform(0.1 * span, 1.2 * span)
        build, ready = ready, _worker(project)
        _start(build)
        time.sleep(delay)
        os.killpg(build.pid, signal.SIGKILL)
        build.wait()
        now = snapshot(site)
        if now == previous:
            kept += 1
        else:
            # Killed after the swap: the new site must be whole, status kept.
            assert _is_whole(site, layout), f"half-written site after {delay:.2f} s"
            assert (site / "status" / "funder.html").read_text() == "<html>kept</html>"
            swapped += 1
            previous = now
    print(f"{KILLS} kills: {kept} kept the previous site, {swapped} the new one")
    assert kept >= 3, "too few kills landed before the swap to prove anything"

    # The next build runs to the end and clears what the killed ones left.
    _start(ready)
    assert _finish(ready) == 0
    assert _leftovers(project) == []
    assert _is_whole(site, layout)
    assert (site / "status" / "funder.html").exists()


def test_a_later_build_removes_a_killed_builds_temp_dirs(tmp_path, caplog):
    # No process has this id (it is above Linux's pid_max).
    stale = tmp_path / "._site.render-999999999-abc"
    stale.mkdir()
    (stale / "index.html").write_text("half")
    with caplog.at_level(logging.WARNING), staged_output(tmp_path / "_site") as site:
        (site / "index.html").write_text("whole")
    assert _leftovers(tmp_path) == []
    assert (tmp_path / "_site" / "index.html").read_text() == "whole"
    assert "removed ._site.render-999999999-abc, left by a build that was killed" in (
        caplog.text
    )


def test_a_build_with_nothing_to_do_still_removes_a_killed_builds_temp_dir(
    project, caplog
):
    # The leftover of a `kill -9` during `build --force`; no process has this
    # id (it is above Linux's pid_max).
    subprocess.run([sys.executable, "-m", "netreport.cli", "build"], cwd=project,
                   check=True, capture_output=True)  # fmt: skip
    stale = project / "._site.render-999999999-k3x9"
    stale.mkdir()
    (stale / "index.html").write_text("half")
    probe = (
        "import sys; from pathlib import Path; from netreport.rebuild import build;"
        "print(build(Path('.')).skipped, 'matplotlib' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=project,
                          check=True, capture_output=True, text=True)  # fmt: skip
    # Skipped, and nothing heavy loaded.
    assert done.stdout.split() == ["True", "False"], done.stdout + done.stderr
    assert _leftovers(project) == []
    assert "removed ._site.render-999999999-k3x9, left by a build that was killed" in (
        done.stderr
    )


def test_git_ignores_what_a_killed_build_leaves():
    root = Path(__file__).parent.parent
    names = ["._site.render-4242-k3x9/index.html", "._site.old-4242-k3x9/index.html"]
    ignored = subprocess.run(["git", "check-ignore", "--no-index", *names],
                             cwd=root, capture_output=True, text=True)  # fmt: skip
    assert ignored.stdout.split() == names


def test_a_running_builds_temp_dir_is_left_alone(tmp_path):
    running = tmp_path / f"._site.render-{os.getppid()}-abc"
    running.mkdir()
    with staged_output(tmp_path / "_site"):
        pass
    assert running.is_dir()


def test_a_site_left_retired_between_two_renames_is_put_back(tmp_path, caplog):
    retired = tmp_path / "._site.old-999999999-abc"
    retired.mkdir()
    (retired / "index.html").write_text("previous")
    failing = pytest.raises(RuntimeError)
    with caplog.at_level(logging.WARNING), failing, staged_output(tmp_path / "_site"):
        raise RuntimeError("the render failed")
    assert (tmp_path / "_site" / "index.html").read_text() == "previous"
    assert "put back _site" in caplog.text
    assert _leftovers(tmp_path) == []


def _modes(site: Path) -> dict[str, int]:
    paths = [site, *sorted(site.rglob("*"))]
    return {
        p.relative_to(site.parent).as_posix(): stat.S_IMODE(p.stat().st_mode)
        for p in paths
    }


@pytest.fixture(params=[0o022, 0o027], ids=["umask022", "umask027"])
def umask(request):
    before = os.umask(request.param)
    yield request.param
    os.umask(before)


def test_the_site_and_the_folders_it_keeps_get_the_modes_of_the_umask(tmp_path, umask):
    # An earlier netreport made the site 0700 (tempfile.mkdtemp's mode), and
    # a release copied that mode to its folder.
    archived = tmp_path / "_site" / "versions" / "1.0.0"
    archived.mkdir(parents=True)
    (archived / "index.html").write_text("archived")
    for folder in (tmp_path / "_site", archived):
        folder.chmod(0o700)
    with staged_output(tmp_path / "_site") as site:
        (site / "chapters").mkdir()
        (site / "chapters" / "one.html").write_text("new")
    folder, file = 0o777 & ~umask, 0o666 & ~umask
    assert _modes(tmp_path / "_site") == {
        "_site": folder,
        "_site/chapters": folder,
        "_site/chapters/one.html": file,
        "_site/versions": folder,
        "_site/versions/1.0.0": folder,
        "_site/versions/1.0.0/index.html": file,
    }


def test_a_released_site_can_be_read_by_a_web_server_running_as_another_user(
    project,
):
    command = [sys.executable, "-m", "netreport.cli", "release", "1.0.0"]
    subprocess.run(command, cwd=project, check=True, capture_output=True, umask=0o022)
    modes = _modes(project / "_site")
    assert modes["_site"] == modes["_site/versions/1.0.0"] == 0o755
    assert {m for p, m in modes.items() if (project / p).is_dir()} == {0o755}
    assert {m for p, m in modes.items() if (project / p).is_file()} == {0o644}


def test_an_output_dir_that_is_a_file_is_refused_and_kept(tmp_path):
    from netreport.errors import NetreportError

    notes = tmp_path / "_site"
    notes.write_text("a file of the user's\n")
    refused = pytest.raises(NetreportError, match="_site: a file is there, not a")
    with refused, staged_output(notes) as staging:
        (staging / "index.html").write_text("<html></html>")
    assert notes.read_text() == "a file of the user's\n"
    assert [p.name for p in tmp_path.iterdir()] == ["_site"]
