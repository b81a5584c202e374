"""A chapter's data-dependent sentence stops the build once the data disagree."""

from __future__ import annotations

from pathlib import Path

import pytest
from site_projects import snapshot, write_tiny_book

from netreport import claims
from netreport.claims import claim
from netreport.errors import NetreportError
from netreport.render import CellError, render_project

# The sentence claims one context leads; the cell above it checks.
CHAPTER = """\
# One

```{{python}}
#| include: false
from netreport.claims import claim

mentions = {{"district_leaders": {leaders}, "school_teams": 65}}
```

```{{python}}
#| include: false
claim(
    max(mentions, key=mentions.get) == "district_leaders",
    "most mentions are of work with district leaders",
)
```

Hub members talked most about work with district leaders.
"""


def test_public_names() -> None:
    assert claims.__all__ == ["claim"]


def test_a_claim_that_holds_adds_nothing() -> None:
    assert claim(True, "the distributions differ") == ""


def test_a_claim_that_fails_quotes_the_statement() -> None:
    with pytest.raises(NetreportError) as caught:
        claim(False, "the distributions differ")

    assert str(caught.value) == (
        "the chapter's sentence no longer matches the data: "
        "'the distributions differ' is not true of it. Rewrite the sentence, "
        "or let the data choose its wording."
    )


def test_false_claim_fails_the_build_and_keeps_the_site(tmp_path: Path) -> None:
    write_tiny_book(tmp_path, CHAPTER.format(leaders=70))
    chapter = tmp_path / "chapters" / "one.qmd"
    render_project(tmp_path)
    before = snapshot(tmp_path / "_site")

    # New data: school teams now have the most mentions.
    chapter.write_text(CHAPTER.format(leaders=40))
    with pytest.raises(CellError) as caught:
        render_project(tmp_path)

    assert str(caught.value) == (
        "chapters/one.qmd, line 12: the chapter's sentence "
        "no longer matches the data: 'most mentions are of work with district "
        "leaders' is not true of it. Rewrite the sentence, or let the data "
        "choose its wording."
    )
    assert snapshot(tmp_path / "_site") == before


def test_real_data_stops_the_shipped_book_at_the_reconstruction_section(
    tmp_path: Path,
) -> None:
    import shutil

    from netreport.rebuild import build

    root = Path(__file__).parent.parent
    for name in ("_quarto.yml", "index.qmd", "references.qmd", "references.bib"):
        shutil.copy(root / name, tmp_path / name)
    for name in ("chapters", "data"):
        shutil.copytree(root / name, tmp_path / name)
    build(tmp_path)
    before = snapshot(tmp_path / "_site")
    (tmp_path / "data" / "reconstruction.yml").unlink()  # as a user's data has none

    # The chapter read whether the data is a reconstruction, so it runs again.
    with pytest.raises(CellError, match=r"^index\.qmd, line \d+: .*reconstruction"):
        build(tmp_path)
    assert snapshot(tmp_path / "_site") == before


def test_one_build_names_every_untrue_sentence_of_every_chapter(
    tmp_path: Path,
) -> None:
    # Two false claims in the chapter (one inline), one in the preface.
    chapter = CHAPTER.format(leaders=40) + (
        "\nAnd `{python} claim(False, 'school teams spoke least')` so.\n"
    )
    write_tiny_book(tmp_path, chapter)
    (tmp_path / "index.qmd").write_text(
        "# Preface {.unnumbered}\n\n```{python}\n#| include: false\n"
        "from netreport.claims import claim\n\nclaim(1 > 2, 'one is more than two')\n"
        "```\n\nHello.\n"
    )

    with pytest.raises(CellError) as caught:
        render_project(tmp_path)

    assert str(caught.value) == (
        "index.qmd, line 7: the chapter's sentence no longer matches the data: "
        "'one is more than two' is not true of it. Rewrite the sentence, or let "
        "the data choose its wording.\n"
        "2 more no longer match the data either:\n"
        "  chapters/one.qmd, line 12: 'most mentions are of work with district "
        "leaders'\n"
        "  chapters/one.qmd, line 20: 'school teams spoke least'"
    )
    assert not (tmp_path / "_site").exists()
