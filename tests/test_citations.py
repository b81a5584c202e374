"""Citations: citeproc sees only the citations, with the same result as the book."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from pandoc_cli import pandoc_cli

from netreport.render._book import _Chapter, _cite_book
from netreport.render._config import BookConfig, ChapterEntry
from netreport.render._crossref import plain_text
from netreport.render._pandoc import markdown_to_ast

BIBLIOGRAPHY = """\
@article{smith2019, author={Smith, Ann}, title={Data use in networks},
  journal={Journal of Improvement}, year={2019}}
@article{smith2019b, author={Smith, Ann}, title={Artifacts of a hub},
  journal={Journal of Improvement}, year={2019}}
@book{lee2021, author={Lee, Bo}, title={Continuous improvement}, year={2021}}
"""

FIRST = """\
# Creation {#sec-creation}

Artifacts were made for improvement [@smith2019; see @lee2021, p. 4].
@smith2019b says more.^[A note that cites @lee2021.]

| Source | Claim |
|--------|-------|
| @smith2019 | A table cell cites too. |

::: {#refs}
:::

After the list, [-@smith2019b].
"""

# A note style: citations in the text become footnotes, those already in a
# note do not, and a work cited again is shortened.
NOTE_STYLE = """\
<?xml version="1.0" encoding="utf-8"?>
<style xmlns="http://purl.org/net/xbiblio/csl" class="note" version="1.0">
  <info><title>Notes</title><id>notes</id><updated>2024-01-01T00:00:00+00:00</updated></info>
  <citation>
    <layout suffix="." delimiter="; ">
      <choose>
        <if position="subsequent"><text variable="title" prefix="again: "/></if>
        <else><names variable="author"/><text variable="title" prefix=", "/></else>
      </choose>
    </layout>
  </citation>
  <bibliography>
    <layout><names variable="author"/><text variable="title" prefix=". "/></layout>
  </bibliography>
</style>
"""

SECOND = """\
# Use

Use follows creation [@smith2019b; @smith2019].
"""


def _chapters() -> list[_Chapter]:
    return [
        _Chapter(ChapterEntry(Path(f"{name}.qmd")), f"{name}.qmd", f"{name}.html",
                 markdown_to_ast(text, what=name)["blocks"])
        for name, text in (("creation", FIRST), ("use", SECOND))
    ]  # fmt: skip


def _whole_book(chapters: list[_Chapter], config: BookConfig, api) -> list[list]:
    """citeproc run over the whole book, as the engine once did."""
    wrapped = [{"t": "Div", "c": [["", [], []], c.blocks]} for c in chapters]
    doc = {"pandoc-api-version": api, "meta": {}, "blocks": wrapped}
    args = ["-f", "json", "-t", "json", "--citeproc", "-M", "link-citations=true"]
    args += ["-M", "lang=en", f"--bibliography={config.bibliography[0]}"]
    if config.csl:
        args.append(f"--csl={config.csl}")
    output = pandoc_cli(json.dumps(doc), *args)
    return [div["c"][1] for div in json.loads(output)["blocks"]]


@pytest.mark.parametrize("style", ["default", "notes"])
def test_citations_render_as_when_citeproc_reads_the_whole_book(tmp_path, style):
    bib = tmp_path / "refs.bib"
    bib.write_text(BIBLIOGRAPHY)
    csl = None
    if style == "notes":
        csl = tmp_path / "notes.csl"
        csl.write_text(NOTE_STYLE)
    config = BookConfig(
        tmp_path, "Book", (), tmp_path, "book", bibliography=(bib,), csl=csl
    )
    api = markdown_to_ast("x", what="t")["pandoc-api-version"]
    chapters = _chapters()
    expected = _whole_book(copy.deepcopy(chapters), config, api)

    _cite_book(chapters, config, api)

    assert [c.blocks for c in chapters] == expected
    text = plain_text(chapters[0].blocks)
    if style == "default":
        assert "Smith 2019b" in text and "Lee 2021" in text  # disambiguated
    else:
        assert "again: Continuous improvement" in text  # cited before
    assert json.dumps(chapters[0].blocks).count('"ref-lee2021"') == 1  # one entry


def test_stored_citations_are_reused_until_a_citation_or_file_changes(
    tmp_path, monkeypatch
):
    import netreport.render._book as book
    from netreport.result_store import ResultStore, using_store

    bib = tmp_path / "refs.bib"
    bib.write_text(BIBLIOGRAPHY)
    config = BookConfig(tmp_path, "Book", (), tmp_path, "book", bibliography=(bib,))
    api = markdown_to_ast("x", what="t")["pandoc-api-version"]
    calls = []
    real = book.citeproc
    monkeypatch.setattr(
        book, "citeproc", lambda *a, **k: calls.append(1) or real(*a, **k)
    )

    def cited() -> list[list]:
        chapters = _chapters()
        with using_store(ResultStore(tmp_path / "results", "code")):
            _cite_book(chapters, config, api)
        return [c.blocks for c in chapters]

    first = cited()
    assert cited() == first and len(calls) == 1
    bib.write_text(BIBLIOGRAPHY.replace("Data use in networks", "Data in networks"))
    assert "Data in Networks" in plain_text(cited()[0]) and len(calls) == 2
