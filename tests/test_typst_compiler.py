"""A thread's Typst compiler is reused, and nothing of one PDF carries over."""

from __future__ import annotations

import pypdfium2 as pdfium

from netreport.render._typst import compile_pdf

HEAD = '#set document(title: "t")\n#set text(lang: "en")\n'


def _text(pdf) -> str:
    document = pdfium.PdfDocument(str(pdf))
    try:
        return document[0].get_textpage().get_text_range()
    finally:
        document.close()


def test_a_rewritten_source_and_image_are_read_again(tmp_path):
    for word in ("earlier", "later"):
        (tmp_path / "report.typ").write_text(
            HEAD + f'{word} #image("figure.svg", alt: "a figure")'
        )
        (tmp_path / "figure.svg").write_text(
            '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="10">'
            f'<text y="9">{word}-figure</text></svg>'
        )
        compile_pdf(
            tmp_path / "report.typ", tmp_path / "report.pdf", root=tmp_path, timestamp=0
        )
        assert _text(tmp_path / "report.pdf").split() == [word, f"{word}-figure"]


def test_each_compile_has_its_own_root_and_time(tmp_path):
    pdfs = []
    for name, when in (("a", 0), ("b", 86400)):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "doc.typ").write_text(HEAD + f"document {name}")
        compile_pdf(folder / "doc.typ", folder / "doc.pdf", root=folder, timestamp=when)
        pdfs.append(folder / "doc.pdf")
    assert _text(pdfs[0]).strip() == "document a"
    assert _text(pdfs[1]).strip() == "document b"
    assert b"19700101" in pdfs[0].read_bytes()
    assert b"19700102" in pdfs[1].read_bytes()
