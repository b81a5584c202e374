"""Prove that a built site publishes nothing confidential.

The study's participants did not consent to sharing their data, so before a
build replaces ``_site/`` every file of the staged site is read as a reader
(or a crawler) would: HTML and SVG as text, the PDF's text and metadata,
images' metadata, search indexes and any other copied resource. The build
fails when any of these is found:

data file
    A file whose bytes equal a data file of the case, a file named like one
    (``mentions.csv``), or any tabular data file (``.csv``, ``.xlsx``, ...).
interviewee id
    Any value of the mentions' ``interviewee`` column, as a whole token,
    case-sensitive (``H1`` matches, ``h1`` and ``H12`` do not).
excerpt
    Any run of six consecutive words of a mention's ``excerpt`` (the whole
    excerpt when it is shorter, from three words up), ignoring case,
    punctuation, hyphenation and line breaks.
raw row
    An artifact or mention id followed, before the next id, by at least three
    of that row's other values (codes, their labels, dates): a data row
    printed as text. An id alone, or a count, is not a row.

Messages name the file and what was found without repeating a confidential
value in full.
"""

from __future__ import annotations

import hashlib
import html
import logging
import re
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from netreport.case import Case
from netreport.coded_data import CodedData
from netreport.errors import NetreportError, shorten

__all__ = ["Leak", "PublishCheckError", "SiteCheck", "check_site", "find_leaks"]

logger = logging.getLogger(__name__)

#: Extensions of files that hold data rows; none belongs in a site.
DATA_EXTENSIONS = frozenset(
    {".csv", ".tsv", ".xlsx", ".xls", ".ods", ".parquet", ".feather", ".arrow",
     ".sav", ".dta", ".rds", ".rdata", ".sqlite", ".db", ".jsonl"}
)  # fmt: skip
_MARKUP = frozenset({".html", ".htm", ".xhtml", ".svg", ".xml"})
_IMAGES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".webp", ".tif", ".tiff"})
_SHINGLE = 6  # words of an excerpt that count as quoting it
_MIN_EXCERPT_WORDS = 3
_ROW_VALUES = 3  # a row's own values after its id that make it a printed row
_MIN_VALUE_CHARS = 3
_SHOWN = 10
_TOKEN = re.compile(r"[A-Za-z0-9_]+")


@dataclass(frozen=True)
class Leak:
    """One confidential thing found in one file of the site."""

    path: str  # relative to the site, posix
    kind: str  # "data file", "interviewee id", "excerpt", "raw row"
    detail: str  # what was found, with confidential values masked

    def __str__(self) -> str:
        return f"{self.path}: {self.kind}: {self.detail}"


class PublishCheckError(NetreportError):
    """The staged site holds confidential data; it was not published.

    `source` says what wrote it, for the advice: the chapters, or a status
    template.
    """

    def __init__(self, leaks: list[Leak], source: str = "the chapters") -> None:
        self.leaks = leaks
        self.source = source
        lines = [f"  {leak}" for leak in leaks[:_SHOWN]]
        if len(leaks) > _SHOWN:
            lines.append(f"  ... and {len(leaks) - _SHOWN} more")
        super().__init__(
            f"publish check: the site would publish confidential data "
            f"({len(leaks)} finding{'s' if len(leaks) != 1 else ''}); the previous "
            "site was left in place.\n" + "\n".join(lines) + "\nRemove these "
            f"from {source} (show counts and shares, never rows, excerpts or "
            "interviewee ids) and run again."
        )

    def __reduce__(self):
        # From a pool worker the error comes back whole, not rebuilt from its
        # message (which made each character a finding).
        return type(self), (self.leaks, self.source)


def check_site(
    site_dir: Path, case: Case | CodedData, *, source: str = "the chapters"
) -> None:
    """Raise `PublishCheckError` if `site_dir` holds anything confidential.

    Parameters
    ----------
    site_dir
        The built (staged) site.
    case
        The case the site was built from; its rows are what must not appear.
    source
        What wrote the site, as the error's advice names it.
    """
    SiteCheck(case, source=source)(site_dir)


def find_leaks(site_dir: Path, case: Case | CodedData) -> list[Leak]:
    """Every confidential thing in `site_dir`, file by file, in path order."""
    return SiteCheck(case).leaks(site_dir)


class SiteCheck:
    """The publish check of one staged site, which may start before it is done.

    A build calls `read_pages` while the PDF compiles, to check the pages
    written so far, then calls the check itself on the finished site: that reads
    every file again, checks the text of those that are new or whose bytes
    changed since, and raises `PublishCheckError` for anything found in any
    file.

    Parameters
    ----------
    case
        The case the site is built from; its rows are what must not appear.
    source
        What wrote the site, as the error's advice names it.
    """

    def __init__(self, case: Case | CodedData, *, source: str = "the chapters") -> None:
        self._secrets = _secrets_of(case.data if isinstance(case, Case) else case)
        self._source = source
        # path -> (SHA-256 of the bytes checked, what was found in them)
        self._found: dict[Path, tuple[str, list[tuple[str, str]]]] = {}

    def __call__(self, site_dir: Path) -> None:
        leaks = self.leaks(site_dir)
        if leaks:
            raise PublishCheckError(leaks, self._source)
        logger.info("publish check: no raw rows, excerpts, ids or data files")

    def leaks(self, site_dir: Path) -> list[Leak]:
        """Every confidential thing in `site_dir`, file by file, in path order."""
        paths = self.read(site_dir)
        return [
            Leak(path.relative_to(site_dir).as_posix(), kind, detail)
            for path in paths
            for kind, detail in self._found[path][1]
        ]

    def read_pages(self, site_dir: Path) -> None:
        """Check the files of `site_dir` a build has finished while its PDF
        compiles: all but PDFs and hidden working files (a Typst source)."""
        self._read(site_dir, early=True)

    def read(self, site_dir: Path) -> list[Path]:
        """Check the files of `site_dir` not yet checked as they are; list all."""
        return self._read(site_dir, early=False)

    def _read(self, site_dir: Path, *, early: bool) -> list[Path]:
        # Loaded now, not when the first PDF is read: a build's first call
        # comes while its PDF compiles, when the main thread only waits.
        import pypdfium2  # noqa: F401

        paths = sorted(p for p in Path(site_dir).rglob("*") if p.is_file())
        if early:
            paths = [
                p
                for p in paths
                if p.suffix.lower() != ".pdf" and not p.name.startswith(".")
            ]
        digests = {p: _sha256(p.read_bytes()) for p in paths}
        new = [p for p in paths if self._found.get(p, ("",))[0] != digests[p]]
        pdfs = [p for p in new if p.suffix.lower() == ".pdf"]
        # PDFium lets go of the GIL while it reads, so PDFs are read on a
        # second thread (one: PDFium is not thread-safe) while the other files
        # are checked, and their text is checked last.
        with ThreadPoolExecutor(max_workers=1) as reader:
            texts = {p: reader.submit(_pdf_text, p) for p in pdfs}
            for path in [*(p for p in new if p not in texts), *pdfs]:
                found = list(_file_leaks(path, digests[path], self._secrets))
                if not found:  # a copied data file is one finding, not a row each
                    text = texts[path].result() if path in texts else _text_of(path)
                    found = list(self._secrets.text_leaks(text))
                self._found[path] = (digests[path], found)
        return paths


# -- what is confidential ---------------------------------------------------------

# A status run checks report after report made from the same data, so what
# is secret is worked out once per data object (held here, so that its id
# cannot be reused by another).
_RECENT: list[tuple[CodedData, _Secrets]] = []


def _secrets_of(data: CodedData) -> _Secrets:
    for known, secrets in _RECENT:
        if known is data:
            return secrets
    secrets = _Secrets.of(data)
    _RECENT[:] = [(data, secrets), *_RECENT[:3]]
    return secrets


@dataclass
class _Secrets:
    data_digests: dict[str, str]  # sha256 -> data file name
    data_names: frozenset[str]
    interviewees: dict[str, str]  # id -> a mention it appears in
    interviewee_pattern: re.Pattern[str] | None
    shingles: dict[tuple[str, ...], str]  # words -> mention id
    shingle_sizes: frozenset[int]
    rows: dict[str, frozenset[str]]  # id -> the row's other values, folded

    @classmethod
    def of(cls, data: CodedData) -> _Secrets:
        row_files = [
            data.files[r] for r in ("artifacts", "mentions") if r in data.files
        ]
        folder_files = [
            p
            for folder in {f.parent for f in row_files}
            for p in folder.iterdir()
            if p.is_file() and p.suffix.lower() in DATA_EXTENSIONS
        ]
        files = {p.resolve() for p in [*row_files, *folder_files] if p.exists()}
        mentions = data.mentions
        interviewees = _first_mention(mentions, "interviewee")
        shingles = _excerpt_shingles(mentions)
        return cls(
            data_digests={_sha256(p.read_bytes()): p.name for p in files},
            data_names=frozenset(p.name.lower() for p in files),
            interviewees=interviewees,
            interviewee_pattern=_token_pattern(interviewees),
            shingles=shingles,
            shingle_sizes=frozenset(len(k) for k in shingles),
            rows={**_row_values(data.artifacts, "artifact_id", data),
                  **_row_values(mentions, "mention_id", data)},
        )  # fmt: skip

    def text_leaks(self, text: str) -> Iterator[tuple[str, str]]:
        if not text:
            return
        yield from self._interviewee_leaks(text)
        yield from self._excerpt_leaks(text)
        yield from self._row_leaks(text)

    def _interviewee_leaks(self, text: str) -> Iterator[tuple[str, str]]:
        if self.interviewee_pattern is None:
            return
        found = {m.group(0) for m in self.interviewee_pattern.finditer(text)}
        for value in sorted(found):
            yield (
                "interviewee id",
                (
                    f"{_masked(value)} (the interviewee of mention "
                    f"{self.interviewees[value]})"
                ),
            )

    def _excerpt_leaks(self, text: str) -> Iterator[tuple[str, str]]:
        words = _words(text)
        quoted: dict[str, int] = {}
        for size in sorted(self.shingle_sizes, reverse=True):
            # Every run of `size` words, looked up without a Python loop.
            runs = zip(*(words[i:] for i in range(size)), strict=False)
            for run in filter(self.shingles.__contains__, runs):
                quoted.setdefault(self.shingles[run], size)
        if quoted:
            first, size = next(iter(quoted.items()))
            yield (
                "excerpt",
                (
                    f"text of the excerpts of {len(quoted)} mention(s) "
                    f"({_listed(quoted)}), e.g. {size} consecutive words of {first}"
                ),
            )

    def _row_leaks(self, text: str) -> Iterator[tuple[str, str]]:
        # Most files name no row at all; a set of tokens says so quickly.
        if self.rows.keys().isdisjoint(re.findall(_TOKEN, text)):
            return
        tokens = list(re.finditer(_TOKEN, text))
        at_ids = [(m, m.group(0)) for m in tokens if m.group(0) in self.rows]
        printed: dict[str, list[str]] = {}
        for i, (match, row_id) in enumerate(at_ids):
            end = at_ids[i + 1][0].start() if i + 1 < len(at_ids) else len(text)
            window = _folded(text[match.end() : min(end, match.end() + 400)])
            shown = sorted(v for v in self.rows[row_id] if _contains(window, v))
            if len(shown) >= _ROW_VALUES:
                printed.setdefault(row_id, shown)
        if printed:
            first, shown = next(iter(printed.items()))
            values = ", ".join(shown[:3])
            yield (
                "raw row",
                (
                    f"{len(printed)} data row(s) printed ({_listed(printed)}); "
                    f"row {first} with {len(shown)} of its values ({values} ...)"
                ),
            )


def _first_mention(mentions: pd.DataFrame, column: str) -> dict[str, str]:
    if column not in mentions:
        return {}
    first: dict[str, str] = {}
    for mention, value in zip(mentions["mention_id"], mentions[column], strict=True):
        if isinstance(value, str) and value.strip():
            first.setdefault(value.strip(), str(mention))
    return first


def _token_pattern(values: Iterable[str]) -> re.Pattern[str] | None:
    ordered = sorted(values, key=len, reverse=True)
    if not ordered:
        return None
    alternatives = "|".join(re.escape(v) for v in ordered)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")


def _excerpt_shingles(mentions: pd.DataFrame) -> dict[tuple[str, ...], str]:
    shingles: dict[tuple[str, ...], str] = {}
    for excerpt, mention in _first_mention(mentions, "excerpt").items():
        words = _words(excerpt)
        if len(words) < _MIN_EXCERPT_WORDS:
            logger.debug("excerpt of mention %s too short to search for", mention)
            continue
        size = min(_SHINGLE, len(words))
        for start in range(len(words) - size + 1):
            shingles.setdefault(tuple(words[start : start + size]), mention)
    return shingles


def _row_values(
    frame: pd.DataFrame, id_column: str, data: CodedData
) -> dict[str, frozenset[str]]:
    labels = {
        code.name: code.label
        for dimension in data.codebook.dimensions.values()
        for code in dimension.codes
    }
    # Column by column, and each distinct text folded once: a status run
    # works this out for every data folder it reports on.
    folded: dict[str, frozenset[str]] = {}

    def forms(text: str) -> frozenset[str]:
        if text not in folded:
            shown = {text, labels.get(text, text)}
            folded[text] = frozenset(
                _folded(v) for v in shown if len(v) >= _MIN_VALUE_CHARS
            )
        return folded[text]

    columns = [_texts(frame[column]) for column in frame.columns if column != id_column]
    return {
        str(row_id): frozenset().union(*(forms(t) for t in texts if t is not None))
        for row_id, *texts in zip(frame[id_column], *columns, strict=True)
    }


def _texts(column: pd.Series) -> list[str | None]:
    """A column's values as the site would print them; None where missing."""
    if pd.api.types.is_datetime64_any_dtype(column):
        text = column.dt.strftime("%Y-%m-%d")
    else:
        text = column.astype(object).map(str, na_action="ignore")
    return [
        None if missing else t for t, missing in zip(text, column.isna(), strict=True)
    ]


# -- reading the site ------------------------------------------------------------


def _file_leaks(
    path: Path, digest: str, secrets: _Secrets
) -> Iterator[tuple[str, str]]:
    copied = secrets.data_digests.get(digest)
    if copied:
        yield "data file", f"a byte-for-byte copy of the data file {copied}"
    elif path.name.lower() in secrets.data_names:
        yield "data file", "named like a data file of the case"
    elif path.suffix.lower() in DATA_EXTENSIONS:
        yield (
            "data file",
            f"a {path.suffix.lower()} file; data files are never published",
        )


def _text_of(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        return _pdf_text(path)
    if suffix in _IMAGES:
        return _image_metadata(path)
    text = path.read_bytes().decode("utf-8", errors="replace")
    if suffix in _MARKUP:
        # Tags become spaces so that table cells stay apart; attribute values
        # (alt text, titles) and comments are read as text too: matplotlib
        # draws a figure's words as shapes and writes each in a comment.
        attributes = " ".join(re.findall(r"=\s*\"([^\"]*)\"", text))
        comments = " ".join(re.findall(r"<!--(.*?)-->", text, flags=re.DOTALL))
        text = re.sub(r"<!--.*?-->", " ", text, flags=re.DOTALL)
        text = re.sub(r"<[^>]*>", " ", text) + f" {attributes} {comments}"
        return html.unescape(text)
    return text


def _pdf_text(path: Path) -> str:
    # PDFium extracts the text of the book in a small fraction of the time
    # pure-Python readers take, and this check runs on every build.
    import pypdfium2

    document = pypdfium2.PdfDocument(path)
    try:
        parts = [page.get_textpage().get_text_range() for page in document]
        parts += [str(v) for v in document.get_metadata_dict().values()]
    finally:
        document.close()
    return "\n".join(parts)


def _image_metadata(path: Path) -> str:
    from PIL import Image

    with Image.open(path) as image:
        values = [*image.info.values(), *image.getexif().values()]
    return " ".join(
        v.decode("utf-8", errors="replace") if isinstance(v, bytes) else str(v)
        for v in values
        if isinstance(v, str | bytes | int)
    )


# -- text normal forms -------------------------------------------------------------


def _words(text: str) -> list[str]:
    # Hyphens and soft hyphens go first, so that "well-\nknown" in a PDF and
    # "well-known" in the data give the same word.
    text = re.sub(r"[-\u00ad\u2010\u2011]\s*", "", text.casefold())
    return re.findall(r"\w+", text)


def _folded(text: str) -> str:
    return " ".join(_words(text))


def _contains(window: str, value: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(value)}(?!\w)", window) is not None


def _listed(ids: Iterable[str]) -> str:
    return shorten(list(ids), limit=3)


def _masked(value: str) -> str:
    return f"'{value[:1]}…' ({len(value)} characters)"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
