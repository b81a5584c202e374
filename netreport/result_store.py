"""Slow results kept between builds, under a key of everything they depend on.

A chapter that runs again often recomputes what its changed inputs do not
touch: a recoded sub-theme changes no crosstab, yet every exact test and
figure of the chapter would be computed again. The steps that are slow and
depend only on the values passed to them (an exact p from an observed table,
seed and number of resamples; a figure's SVG from its data and the drawing
settings) ask the result store first.

An entry's name is the SHA-256 of its kind, its inputs as canonical JSON and
`netreport.rebuild.code_fingerprint` (netreport's code and its pinned
dependencies), so a change to any of them is a miss and the result is
computed again. Floats go into the key as Python writes them, which is
exact. A step whose result also depends on a file or on global state puts
that state in its inputs, or does not use the store. Fonts and
``matplotlibrc`` files of the machine are assumed unchanged, as the chapter
cache assumes.

The store is only consulted inside `using_store`, which the chapter cache
opens while a build runs a chapter (in ``.netreport/results/``); everywhere
else (tests, notebooks) `stored_value` and `stored_bytes` compute. Each
chapter's record lists the entries it used (`recording_results`), and a
build removes the entries no chapter's current results were made with.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

__all__ = [
    "ResultStore",
    "note_results",
    "recording_results",
    "stored_bytes",
    "stored_value",
    "using_store",
]

logger = logging.getLogger(__name__)

_store: ResultStore | None = None
_recorders: list[set[str]] = []


class ResultStore:
    """Results by the digest of what they were computed from, in `folder`.

    Parameters
    ----------
    folder
        Where entries are kept, one file each.
    code
        `netreport.rebuild.code_fingerprint` of this netreport; part of
        every key.
    refresh
        Compute every result and store it again, whatever the store holds
        (``netreport build --force``).
    """

    def __init__(self, folder: Path, code: str, *, refresh: bool = False) -> None:
        self.folder = folder
        self.code = code
        self.refresh = refresh

    def get(
        self, kind: str, inputs: Any, compute: Callable[[], bytes], suffix: str
    ) -> bytes:
        """The stored bytes of `kind` for `inputs`, or `compute`'s, stored."""
        name = self._name(kind, inputs, suffix)
        note_results([name])
        path = self.folder / name
        if not self.refresh:
            with contextlib.suppress(FileNotFoundError):
                return path.read_bytes()
        logger.debug("computing %s (%s)", kind, name)
        content = compute()
        self.folder.mkdir(parents=True, exist_ok=True)
        temporary = self.folder / f".{name}.{os.getpid()}.tmp"
        temporary.write_bytes(content)
        os.replace(temporary, path)
        return content

    def prune(self, keep: Iterable[str]) -> int:
        """Remove the entries not named in `keep`; how many were removed."""
        kept = set(keep)
        removed = 0
        if not self.folder.is_dir():
            return removed
        for path in self.folder.iterdir():
            if not path.name.startswith(".") and path.name not in kept:
                path.unlink(missing_ok=True)
                removed += 1
        return removed

    def _name(self, kind: str, inputs: Any, suffix: str) -> str:
        key = json.dumps(
            [kind, self.code, inputs], sort_keys=True, separators=(",", ":")
        )
        digest = hashlib.sha256(key.encode()).hexdigest()
        return f"{kind.replace(' ', '-')}-{digest}{suffix}"


@contextlib.contextmanager
def using_store(store: ResultStore) -> Iterator[ResultStore]:
    """Let `stored_value` and `stored_bytes` use `store` inside the block."""
    global _store
    previous, _store = _store, store
    try:
        yield store
    finally:
        _store = previous


@contextlib.contextmanager
def recording_results() -> Iterator[set[str]]:
    """Collect the names of the store entries used inside the block."""
    recorder: set[str] = set()
    _recorders.append(recorder)
    try:
        yield recorder
    finally:
        # By identity: an enclosing recorder may hold the same names, and
        # list.remove would take the first equal one.
        del _recorders[next(i for i, r in enumerate(_recorders) if r is recorder)]


def note_results(names: Iterable[str]) -> None:
    """Note that the code running now used the entries `names`.

    A computation that reuses its own earlier result (such as
    `netreport.analyses.run_analyses`) notes again the entries it used, so
    the store keeps them for every chapter that depends on them.
    """
    names = list(names)
    for recorder in _recorders:
        recorder.update(names)


def stored_bytes(
    kind: str, inputs: Any, compute: Callable[[], bytes], *, suffix: str = ""
) -> bytes:
    """`compute()`, or its earlier result for the same `kind` and `inputs`.

    Parameters
    ----------
    kind
        What the result is, e.g. ``"figure svg"``; part of the key.
    inputs
        Everything the result depends on besides netreport's code, as
        JSON-able values.
    compute
        Makes the result when the store does not hold it (or no store is
        in use).
    suffix
        The entry's file suffix, e.g. ``".svg"``.
    """
    if _store is None:
        return compute()
    return _store.get(kind, inputs, compute, suffix)


def stored_value(kind: str, inputs: Any, compute: Callable[[], Any]) -> Any:
    """Like `stored_bytes`, for a result that is a JSON value.

    Lists come back as lists and floats exactly as computed.
    """
    if _store is None:
        return compute()
    content = _store.get(
        kind, inputs, lambda: json.dumps(compute()).encode(), suffix=".json"
    )
    return json.loads(content)
