"""Guards for the sentences of a chapter that the data could make false.

A number printed in a chapter is computed, so it is right whatever the
data. A sentence such as "both hold after Holm's adjustment" is typed, and
stays in the report when new data makes it untrue. Where the wording cannot
come from the data, a chapter states the condition beside the sentence with
`claim`, and the build stops when the condition no longer holds. The render
engine names the chapter file and line of the failing cell.

While the engine runs a chapter (`collecting_claims`), a false claim is
noted with where it was made, and the chapter goes on: the build then
lists every sentence the new data makes untrue, in every chapter, at once.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from dataclasses import dataclass

from netreport.errors import NetreportError

__all__ = ["claim"]


@dataclass(frozen=True)
class FalseClaim:
    """A claim that did not hold: its statement, and the code that made it
    (the file name its code was compiled under, and the line in it)."""

    statement: str
    filename: str
    line: int


_collectors: list[list[FalseClaim]] = []


@contextlib.contextmanager
def collecting_claims() -> Iterator[list[FalseClaim]]:
    """Inside the block a false claim is noted in the list, not raised."""
    found: list[FalseClaim] = []
    _collectors.append(found)
    try:
        yield found
    finally:
        # By identity: another collector may be an equal (empty) list.
        del _collectors[next(i for i, c in enumerate(_collectors) if c is found)]


def untrue_message(statement: str) -> str:
    """What a false claim says to the user."""
    return (
        f"the chapter's sentence no longer matches the data: {statement!r} "
        "is not true of it. Rewrite the sentence, or let the data choose "
        "its wording."
    )


def claim(holds: bool, statement: str) -> str:
    """Stop the build when a sentence of the chapter no longer fits the data.

    Parameters
    ----------
    holds
        The condition under which the sentence is true, computed from the
        data.
    statement
        What the sentence asserts, in words, quoted in the error.

    Returns
    -------
    str
        ``""``, so a call can also stand inline in the prose.

    Raises
    ------
    NetreportError
        When `holds` is false, outside a chapter the engine runs; inside
        one, the engine raises once the chapter is done, for all of them.

    Examples
    --------
    In a hidden cell just above the paragraph it guards::

        ```{python}
        #| include: false
        claim(use_test.p < .05, "the distributions of use differ")
        ```
    """
    if holds:
        return ""
    if _collectors:
        caller = sys._getframe(1)
        where = FalseClaim(statement, caller.f_code.co_filename, caller.f_lineno)
        _collectors[-1].append(where)
        return ""
    raise NetreportError(untrue_message(statement))
