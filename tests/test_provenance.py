"""Provenance: in every output, machine-readable, and the same bytes twice."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from pathlib import Path

import pypdf
import pytest
from rebuild_projects import make_project, move_one_mention, site_bytes

from netreport.provenance import git_state
from netreport.rebuild import build

EPOCH = "1767225600"  # 2026-01-01 00:00 UTC


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = make_project(tmp_path_factory.mktemp("provenance") / "book")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", EPOCH)
        build(project)
    return project / "_site"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_provenance_json_names_data_code_tools_and_time(site: Path) -> None:
    record = json.loads((site / "provenance.json").read_text())
    data = site.parent / "data"
    assert record["version"] == "unreleased"
    assert record["data"]["sha256"] == {
        name: sha256(data / name)
        for name in ("codebook.yml", "artifacts.csv", "mentions.csv")
    }
    assert record["code"] == {"commit": None, "dirty": False}  # not under git
    assert set(record["tools"]) == {"netreport", "pandoc", "Typst"}
    assert re.fullmatch(r"\d+\.\d+(\.\d+)*", record["tools"]["Typst"])
    assert record["built"] == "2026-01-01T00:00:00Z"


def test_every_page_has_meta_tags_and_a_visible_colophon(site: Path) -> None:
    digest = sha256(site.parent / "data" / "mentions.csv")
    for page in ("index.html", "chapters/inventory.html", "chapters/mentions.html"):
        text = (site / page).read_text()
        assert '<meta name="netreport:version" content="unreleased">' in text
        assert f'<meta name="netreport:sha256:mentions.csv" content="{digest}">' in text
        assert '<meta name="netreport:built" content="2026-01-01T00:00:00Z">' in text
        colophon = text[text.index('<footer class="nr-colophon">') :]
        assert f"<dt>SHA-256 of mentions.csv</dt><dd>{digest}</dd>" in colophon
        assert "<dt>Built</dt><dd>2026-01-01 00:00 UTC</dd>" in colophon


def test_pdf_metadata_and_colophon(site: Path) -> None:
    reader = pypdf.PdfReader(site / "rebuild-report.pdf")
    digest = sha256(site.parent / "data" / "artifacts.csv")
    assert f"sha256:artifacts.csv: {digest}" in reader.metadata["/Subject"]
    assert "version: unreleased" in reader.metadata["/Keywords"]
    assert reader.metadata["/CreationDate"].startswith("D:20260101000000")
    text = re.sub(r"\s+", "", reader.pages[-1].extract_text())
    assert "Colophon" in text and digest[:16] in text


def test_two_clean_builds_give_the_same_bytes(tmp_path: Path) -> None:
    sites = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", EPOCH)
        for name in ("one", "two"):
            project = make_project(tmp_path / name)
            build(project, force=True)
            sites.append(site_bytes(project / "_site"))
    assert list(sites[0]) == list(sites[1])
    differ = [name for name in sites[0] if sites[0][name] != sites[1][name]]
    assert differ == []
    assert "rebuild-report.pdf" in sites[0]


def test_git_state_sees_commit_and_uncommitted_changes(tmp_path: Path) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    assert git_state(tmp_path) == (None, False)
    git("init", "-q")
    (tmp_path / "a.txt").write_text("one")
    git("add", "a.txt")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "one")
    commit, dirty = git_state(tmp_path)
    assert re.fullmatch(r"[0-9a-f]{40}", commit) and not dirty
    (tmp_path / "a.txt").write_text("two")
    assert git_state(tmp_path) == (commit, True)


def test_a_rebuild_warmed_by_the_last_book_gives_a_clean_builds_bytes(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", EPOCH)
        rebuilt = make_project(tmp_path / "rebuilt")
        build(rebuilt)
        move_one_mention(rebuilt)
        with caplog.at_level("INFO", logger="netreport.render"):
            build(rebuilt)
        clean = make_project(tmp_path / "clean")
        move_one_mention(clean)
        build(clean)
    # The second build compiled the first one's book before its own.
    assert "warm up Typst with the last build's book" in caplog.messages
    assert site_bytes(rebuilt / "_site") == site_bytes(clean / "_site")
