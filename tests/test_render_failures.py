"""A failing render names the chapter and line and keeps the last good site."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from site_projects import TINY_BOOK_YML as BOOK_YML
from site_projects import snapshot, write_tiny_book

from netreport.errors import NetreportError
from netreport.render import CellError, render_project

GOOD_CHAPTER = """\
# One

```{python}
x = 2
```

Two is `{python} x`.
"""


def write_book(root: Path, chapter: str = GOOD_CHAPTER, yml: str = BOOK_YML) -> Path:
    return write_tiny_book(root, chapter, yml)


def test_bad_cell_names_file_line_and_label_and_keeps_the_site(tmp_path: Path) -> None:
    book = write_book(tmp_path / "book")
    render_project(book)
    before = snapshot(book / "_site")
    bad = """\
# One

Some text.

```{python}
#| label: tbl-broken
#| tbl-cap: Broken
counts = {"agenda": 1}
total = counts["agenda"] + counts["protocol"]
```
"""
    (book / "chapters" / "one.qmd").write_text(bad)

    with pytest.raises(CellError) as caught:
        render_project(book)

    assert str(caught.value) == (
        "chapters/one.qmd, line 9 (cell tbl-broken): KeyError: 'protocol'"
    )
    assert "Traceback" not in str(caught.value)
    assert snapshot(book / "_site") == before
    assert sorted(p.name for p in book.iterdir()) == [
        "_quarto.yml", "_site", "chapters", "index.qmd",
    ]  # fmt: skip


def test_bad_inline_expression_names_its_line(tmp_path: Path) -> None:
    book = write_book(tmp_path, "# One\n\nText\nand `{python} 1 / 0`.\n")
    with pytest.raises(
        CellError, match=r"chapters/one\.qmd, line 4: ZeroDivisionError"
    ):
        render_project(book)
    assert not (book / "_site").exists()


def test_syntax_error_points_at_the_line(tmp_path: Path) -> None:
    chapter = "# One\n\n```{python}\n#| label: setup\nx = 1\ny = (\n```\n"
    book = write_book(tmp_path, chapter)
    with pytest.raises(CellError) as caught:
        render_project(book)
    assert caught.value.line in (6, 7)
    assert caught.value.error_type == "SyntaxError"
    assert caught.value.label == "setup"


def test_cell_timeout_stops_an_endless_cell(tmp_path: Path) -> None:
    chapter = "# One\n\n```{python}\n#| label: forever\nwhile True:\n    pass\n```\n"
    book = write_book(tmp_path, chapter)
    with pytest.raises(CellError) as caught:
        render_project(book, cell_timeout=0.3)
    assert caught.value.error_type == "TimeoutError"
    assert "still running after 0.3 seconds" in str(caught.value)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize(
    ("call", "says"),
    [
        ("exit()", "the cell called exit()"),
        ("quit()", "the cell called exit()"),
        ("sys.exit(3)", "the cell called exit(3)"),
        ("raise SystemExit('no data')", "the cell called exit('no data')"),
    ],
)
def test_a_cell_that_calls_exit_fails_the_build_and_keeps_the_site(
    tmp_path: Path, call: str, says: str
) -> None:
    book = write_book(tmp_path)
    render_project(book)
    before = snapshot(book / "_site")
    chapter = f"# One\n\n```{{python}}\n#| label: leave\nimport sys\n{call}\n```\n"
    (book / "chapters" / "one.qmd").write_text(chapter)
    with pytest.raises(CellError) as caught:
        render_project(book)
    assert str(caught.value) == (
        f"chapters/one.qmd, line 6 (cell leave): SystemExit: {says}; chapter "
        "code cannot end the build (remove the call, or raise an exception "
        "that says what is wrong)"
    )
    assert snapshot(book / "_site") == before


def test_an_inline_exit_is_a_cell_error(tmp_path: Path) -> None:
    book = write_book(tmp_path, "# One\n\nText\nand `{python} exit(2)`.\n")
    with pytest.raises(
        CellError,
        match=r"chapters/one\.qmd, line 4: SystemExit: the inline expression "
        r"called exit\(2\); ",
    ):
        render_project(book)


def test_a_cell_that_calls_exit_with_error_true_shows_it(tmp_path: Path) -> None:
    chapter = "# One\n\n```{python}\n#| error: true\nexit(3)\n```\n\nAfter.\n"
    book = write_book(tmp_path, chapter)
    render_project(book)
    page = (book / "_site" / "chapters" / "one.html").read_text()
    assert "SystemExit: 3" in page and "After." in page


def test_ctrl_c_in_a_cell_still_stops_the_build(tmp_path: Path) -> None:
    chapter = "# One\n\n```{python}\nraise KeyboardInterrupt\n```\n"
    book = write_book(tmp_path, chapter)
    with pytest.raises(KeyboardInterrupt):
        render_project(book)
    assert not (book / "_site").exists()


def test_netreport_build_reports_a_cell_that_calls_exit(tmp_path: Path, capsys) -> None:
    from netreport.cli import main

    book = write_book(tmp_path)
    shutil.copytree(Path(__file__).parent.parent / "data", book / "data")
    assert main(["build", "--project", str(book)]) == 0
    before = snapshot(book / "_site")
    leave = "# One\n\n```{python}\nimport sys\nsys.exit(0)\n```\n"
    (book / "chapters" / "one.qmd").write_text(leave)
    capsys.readouterr()
    assert main(["build", "--project", str(book)]) == 1
    err = capsys.readouterr().err
    assert "chapters/one.qmd, line 5: SystemExit: the cell called exit(0)" in err
    assert "The last good build was left as it was." in err
    assert snapshot(book / "_site") == before


def test_unknown_cross_reference_names_chapter_and_label(tmp_path: Path) -> None:
    book = write_book(tmp_path, "# One\n\nAs @fig-missing shows.\n")
    with pytest.raises(NetreportError, match=r"chapters/one\.qmd: .*@fig-missing"):
        render_project(book)


def test_unknown_citation_names_chapter_and_key(tmp_path: Path) -> None:
    yml = BOOK_YML + "bibliography: refs.bib\n"
    book = write_book(tmp_path, "# One\n\nSee [@nobody2020].\n", yml)
    (book / "refs.bib").write_text("@book{x, title={X}, year={2000}}\n")
    with pytest.raises(
        NetreportError, match=r"chapters/one\.qmd: citation @nobody2020"
    ):
        render_project(book)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            (
                "    - chapters/one.qmd\n",
                "    - chapters/one.qmd\n    - chapters/x.qmd\n",
            ),
            "book.chapters[2]: file chapters/x.qmd does not exist",
        ),
        (("type: book", "type: website"), "project.type: the embedded engine"),
        (("  title: Tiny", "  titel: Tiny"), "book.titel: unknown key"),
        (("book:", "bookk: 1\nbook:"), "bookk: unknown key"),
    ],
)
def test_bad_quarto_yml_is_reported_as_a_yaml_path(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    book = write_book(tmp_path, yml=BOOK_YML.replace(*change))
    with pytest.raises(NetreportError, match=re.escape(message)):
        render_project(book)


def test_unknown_cell_option_is_an_error(tmp_path: Path) -> None:
    book = write_book(tmp_path, "# One\n\n```{python}\n#| fig-captoin: x\n1\n```\n")
    with pytest.raises(
        NetreportError, match=r"line 4: unknown cell option 'fig-captoin'"
    ):
        render_project(book)


def test_same_inputs_give_the_same_bytes(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    source = Path(__file__).parent / "fixtures" / "mini_book"
    book = tmp_path / "mini_book"
    shutil.copytree(source, book)
    render_project(book, stamp={"version": "1"})
    first = snapshot(book / "_site")
    render_project(book, stamp={"version": "1"})
    assert snapshot(book / "_site") == first
    assert any(name.endswith(".pdf") for name in first)
    assert any(name.endswith(".svg") for name in first)


def test_quarto_engine_runs_quarto_render(tmp_path: Path, monkeypatch) -> None:
    book = write_book(tmp_path / "book")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls.txt"
    fake = bin_dir / "quarto"
    fake.write_text(
        "#!/bin/sh\n"
        f'echo "$@" > {log}\n'
        f'mkdir -p "$2/_site" && echo "<html></html>" > "$2/_site/index.html"\n'
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")

    result = render_project(book, engine="quarto")

    assert log.read_text().split() == ["render", str(book.resolve())]
    assert result.engine == "quarto"
    assert [p.name for p in result.pages] == ["index.html"]


def test_quarto_engine_reports_quarto_failure(tmp_path: Path, monkeypatch) -> None:
    book = write_book(tmp_path / "book")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "quarto"
    fake.write_text("#!/bin/sh\necho 'ERROR: chapter one.qmd failed' >&2\nexit 3\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(NetreportError, match=r"exit code 3:\nERROR: chapter one"):
        render_project(book, engine="quarto")


def test_quarto_engine_without_quarto_points_to_embedded(
    tmp_path: Path, monkeypatch
) -> None:
    book = write_book(tmp_path / "book")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(NetreportError, match="Quarto CLI was not found.*embedded"):
        render_project(book, engine="quarto")


def test_unknown_engine_lists_the_engines(tmp_path: Path) -> None:
    with pytest.raises(NetreportError, match=r"allowed: embedded, quarto"):
        render_project(tmp_path, engine="latex")
