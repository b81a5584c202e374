"""The publish check: canaries planted in the data never reach _site/."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import typst
from PIL import Image, PngImagePlugin
from pypdf import PdfReader
from site_projects import CASE_BOOK, DATA, copy_project, plant_canaries, run_cli

from netreport.case import load_case
from netreport.publish_check import (
    PublishCheckError,
    SiteCheck,
    check_site,
    find_leaks,
)

CLEAN_ROW = "<table><tr><td>Improvement</td><td>53</td><td>30.1</td></tr></table>"


@pytest.fixture(scope="module")
def canaries(tmp_path_factory) -> tuple[Path, dict[str, list[str]]]:
    data = tmp_path_factory.mktemp("canary") / "data"
    shutil.copytree(DATA, data)
    return data, plant_canaries(data)


@pytest.fixture(scope="module")
def case(canaries):
    return load_case(canaries[0])


def _site(tmp_path: Path, files: dict[str, str | bytes]) -> Path:
    site = tmp_path / "_site"
    for name, content in files.items():
        path = site / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return site


def _kinds(site: Path, case) -> list[tuple[str, str]]:
    return [(leak.path, leak.kind) for leak in find_leaks(site, case)]


def test_a_site_of_counts_and_labels_passes(tmp_path, case):
    site = _site(
        tmp_path,
        {
            "index.html": f"<h1>Use</h1><p>A0001 came first.</p>{CLEAN_ROW}",
            "netreport.css": "h1 { color: red } h2 {} .H1x {}",
            "search.json": '{"text": "176 mentions by 8 hub members, H12 and h1"}',
        },
    )
    assert find_leaks(site, case) == []


def test_interviewee_ids_are_found_in_html_json_and_attributes(tmp_path, case):
    site = _site(
        tmp_path,
        {
            "a.html": "<p>Member <b>QX3CANARY</b> said so.</p>",
            "b.html": '<img src="x.svg" alt="bars for QX5CANARY">',
            "search.json": '{"t": "QX1CANARY"}',
        },
    )
    assert _kinds(site, case) == [
        ("a.html", "interviewee id"),
        ("b.html", "interviewee id"),
        ("search.json", "interviewee id"),
    ]


def test_the_message_names_the_file_but_not_the_value(tmp_path, case):
    site = _site(tmp_path, {"chapters/use.html": "<td>QX3CANARY</td>"})
    with pytest.raises(PublishCheckError) as caught:
        check_site(site, case)
    message = str(caught.value)
    assert "chapters/use.html: interviewee id: 'Q…' (9 characters)" in message
    assert "QX3CANARY" not in message
    assert "previous site was left in place" in message


def test_a_check_begun_early_reads_what_changed_or_came_after(tmp_path, case):
    site = _site(tmp_path, {"a.html": "<p>All clean</p>", "b.html": "<p>Clean</p>"})
    check = SiteCheck(case)
    assert check.read(site) == [site / "a.html", site / "b.html"]
    # The same size, and maybe the same mtime: only the bytes tell.
    (site / "a.html").write_text("<p>QX3CANARY</p>", encoding="utf-8")
    (site / "later.html").write_text("<td>QX5CANARY</td>", encoding="utf-8")
    (site / "b.html").unlink()
    with pytest.raises(PublishCheckError) as caught:
        check(site)
    assert [(leak.path, leak.kind) for leak in caught.value.leaks] == [
        ("a.html", "interviewee id"),
        ("later.html", "interviewee id"),
    ]


def test_six_words_of_an_excerpt_are_found(tmp_path, case, canaries):
    excerpt = canaries[1]["excerpt"][7]
    quoted = " ".join(excerpt.split()[3:9]).upper()
    site = _site(tmp_path, {"index.html": f"<blockquote>“{quoted}”</blockquote>"})
    [leak] = find_leaks(site, case)
    assert leak.kind == "excerpt"
    assert "1 mention(s) (M008)" in leak.detail


def test_words_drawn_in_a_figure_are_found(tmp_path, case, canaries):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    excerpt, interviewee = canaries[1]["excerpt"][2], canaries[1]["interviewee"][0]
    figure, axes = pyplot.subplots()
    axes.bar([interviewee, "other"], [3, 4])
    axes.set_title(" ".join(excerpt.split()[:8]))
    svg = tmp_path / "fig.svg"
    figure.savefig(svg, format="svg")
    pyplot.close(figure)
    drawn = svg.read_text(encoding="utf-8")
    assert "<text" not in drawn  # the words are shapes, named in comments only

    site = _site(tmp_path, {"index_files/fig-use.svg": drawn})
    assert _kinds(site, case) == [
        ("index_files/fig-use.svg", "interviewee id"),
        ("index_files/fig-use.svg", "excerpt"),
    ]


def test_excerpts_are_found_in_pdf_text_across_hyphenated_lines(
    tmp_path, case, canaries
):
    excerpt = canaries[1]["excerpt"][20]
    source = tmp_path / "leak.typ"
    source.write_text(
        '#set page(width: 5cm)\n#set text(lang: "en", hyphenate: true)\n'
        '#set par(justify: true)\nThey said: "' + excerpt + '" and more words.'
    )
    site = tmp_path / "_site"
    site.mkdir()
    typst.compile(str(source), output=str(site / "report.pdf"))
    assert "quokka" in PdfReader(site / "report.pdf").pages[0].extract_text()
    assert _kinds(site, case) == [("report.pdf", "excerpt")]


def test_a_printed_row_is_found_but_an_id_alone_is_not(tmp_path, case):
    row = (
        "<tr><td>M002</td><td>school_teams</td><td>Sociopolitical</td>"
        "<td>improvement</td></tr>"
    )
    site = _site(
        tmp_path,
        {
            "row.html": f"<table>{row}</table>",
            "ids.html": "<p>M002 and A1074 are linked; 3 of 4 are improvement.</p>",
        },
    )
    assert _kinds(site, case) == [("row.html", "raw row")]


def test_data_files_are_found_by_bytes_name_and_kind(tmp_path, case, canaries):
    data = canaries[0]
    site = _site(
        tmp_path,
        {
            "files/renamed.txt": (data / "artifacts.csv").read_bytes(),
            "mentions.csv": "mention_id\n",
            "export.xlsx": b"PK\x03\x04",
        },
    )
    assert sorted(_kinds(site, case)) == [
        ("export.xlsx", "data file"),
        ("files/renamed.txt", "data file"),
        ("mentions.csv", "data file"),
    ]


def test_image_metadata_is_read(tmp_path, case):
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "drawn from QX2CANARY's answers")
    site = tmp_path / "_site"
    site.mkdir()
    Image.new("RGB", (4, 4)).save(site / "plot.png", pnginfo=info)
    assert _kinds(site, case) == [("plot.png", "interviewee id")]


# -- end to end: `netreport build` with canaries in the data ---------------------


@pytest.fixture(scope="module")
def canary_project(tmp_path_factory, canaries) -> Path:
    return copy_project(
        CASE_BOOK, tmp_path_factory.mktemp("build") / "book", data=canaries[0]
    )


def test_build_publishes_no_canary(canary_project, canaries):
    result = run_cli("build", cwd=canary_project)
    assert result.returncode == 0, result.stderr
    site = canary_project / "_site"
    texts = [p.read_bytes().decode("utf-8", "replace") for p in site.rglob("*")
             if p.is_file()]  # fmt: skip
    texts += [page.extract_text() for page in PdfReader(site / "case-book.pdf").pages]
    everything = "\n".join(texts)
    for value in canaries[1]["interviewee"]:
        assert value not in everything
    assert "quokka" not in everything
    assert not list(site.rglob("*.csv"))


def _leaking_build(project: Path, chapter: str) -> tuple[str, dict[str, bytes]]:
    if not (project / "_site").is_dir():
        assert run_cli("build", cwd=project).returncode == 0
    before = {p: p.read_bytes() for p in (project / "_site").rglob("*") if p.is_file()}
    findings = project / "chapters" / "findings.qmd"
    original = findings.read_text()
    findings.write_text(original + "\n" + chapter)
    try:
        result = run_cli("build", cwd=project)
    finally:
        findings.write_text(original)
    assert result.returncode == 1
    after = {p: p.read_bytes() for p in (project / "_site").rglob("*") if p.is_file()}
    assert after == before, "a failed publish check must leave the old site"
    return " ".join(result.stderr.split()), before


def test_a_chapter_printing_rows_fails_the_build(canary_project):
    leak = "```{python}\ndata.mentions.head(3)\n```\n"
    message, _ = _leaking_build(canary_project, leak)
    assert "publish check" in message
    assert "chapters/findings.html: interviewee id" in message
    assert (
        "chapters/findings.html: raw row: 3 data row(s) printed (M001, M002, M003)"
        in message
    )
    assert "case-book.pdf: excerpt" in message
    assert "QX1CANARY" not in message


def test_a_chapter_pointing_at_a_data_file_copies_nothing(canary_project):
    message, _ = _leaking_build(canary_project, "![The data](../data/mentions.csv)\n")
    assert "chapters/findings.qmd: ../data/mentions.csv is not an image" in message
