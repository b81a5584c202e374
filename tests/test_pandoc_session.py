"""The pandoc session: one long-running pandoc for many conversions."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from pandoc_cli import pandoc_cli

from netreport.errors import NetreportError
from netreport.render import _pandoc
from netreport.render._pandoc import (
    HTML_OPTIONS,
    PANDOC_MARKDOWN,
    citeproc,
    markdown_to_ast,
    write_ast,
)

# A pipe table whose rows are wider than 72 characters: pandoc's command
# line gives it relative column widths, and the session must too.
WIDE_TABLE = """\
| Intended use of the artifact | Artifacts made | Share of all artifacts made |
|:-----------------------------|---------------:|----------------------------:|
| Improvement                  |            412 |                       49.1% |
| Relationship management      |            251 |                       29.9% |

Some *emphasis*, a [link](#x) and $x^2$ in math.
"""


def _session_pids() -> set[int]:
    return {session.process.pid for session in _pandoc._idle}


def test_reads_markdown_as_the_command_line_does():
    expected = pandoc_cli(WIDE_TABLE, "-f", PANDOC_MARKDOWN, "-t", "json")
    assert markdown_to_ast(WIDE_TABLE, what="t") == json.loads(expected)


def test_writes_html_as_the_command_line_does():
    doc = markdown_to_ast(WIDE_TABLE, what="t")
    expected = pandoc_cli(
        json.dumps(doc), "-f", "json", "-t", "html5", "--mathml", "--wrap=none"
    )
    written = write_ast(doc, "html5", options=HTML_OPTIONS, what="t")
    # The command line ends its output with a newline; a page's template does.
    assert written + "\n" == expected
    assert '<col style="width: 38%" />' in written
    assert "<math" in written


def test_a_template_makes_the_output_standalone():
    doc = markdown_to_ast("Body text.", what="t")
    doc["meta"] = {"title": {"t": "MetaInlines", "c": [{"t": "Str", "c": "Hello"}]}}
    written = write_ast(doc, "html5", template="<h1>$title$</h1>\n$body$", what="t")
    assert written == "<h1>Hello</h1>\n<p>Body text.</p>"


def test_citeproc_warns_of_this_document_only(tmp_path):
    bib = tmp_path / "refs.bib"
    bib.write_text("@book{lee2021, author={Lee, Bo}, title={Improvement}, year={2021}}")
    meta = {
        "bibliography": {"t": "MetaList", "c": [{"t": "MetaString", "c": str(bib)}]}
    }
    missing = {**markdown_to_ast("See @nobody2020.", what="t"), "meta": meta}
    found = {**markdown_to_ast("See @lee2021.", what="t"), "meta": meta}

    _, warnings = citeproc(missing, what="t")
    processed, later = citeproc(found, what="t")

    assert warnings == ["Citeproc: citation nobody2020 not found"]
    assert later == []
    assert "Lee" in json.dumps(processed["blocks"])


def test_conversions_reuse_one_process():
    markdown_to_ast("one", what="t")
    before = _session_pids()
    for text in ("two", "three", "four"):
        markdown_to_ast(text, what="t")
    assert _session_pids() == before


def test_a_failed_conversion_names_what_and_keeps_the_session():
    markdown_to_ast("warm", what="t")
    before = _session_pids()
    with pytest.raises(NetreportError, match=r"^chapters/use\.qmd: pandoc failed: "):
        write_ast({"blocks": "not a document"}, "html5", what="chapters/use.qmd")
    assert _session_pids() == before
    assert markdown_to_ast("*after*", what="t")["blocks"][0]["t"] == "Para"


def test_an_unknown_format_is_an_error():
    doc = markdown_to_ast("text", what="t")
    with pytest.raises(NetreportError, match="report.html: pandoc failed: .*nonsense"):
        write_ast(doc, "nonsense", what="report.html")


def test_sessions_that_died_are_dropped_and_replaced():
    with _pandoc._session(), _pandoc._session():  # two sessions, both idle after
        pass
    killed = list(_pandoc._idle)
    assert len(killed) >= 2
    for session in killed:
        session.process.kill()
        session.process.wait()
    assert markdown_to_ast("*alive*", what="t")["blocks"][0]["t"] == "Para"
    assert _pandoc._idle and not set(_pandoc._idle) & set(killed)
    assert all(s.process.poll() is None for s in _pandoc._idle)


def test_threads_never_share_a_session():
    texts = [f"Paragraph number {i}, *emphasised*." for i in range(40)]
    expected = [markdown_to_ast(text, what="t") for text in texts]
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(lambda text: markdown_to_ast(text, what="t"), texts))
    assert got == expected
    assert len(_pandoc._idle) <= 4


def test_sessions_end_with_the_process():
    markdown_to_ast("warm", what="t")
    sessions = list(_pandoc._idle)
    _pandoc._close_sessions()
    assert _pandoc._idle == []
    assert all(session.process.poll() == 0 for session in sessions)
