"""Errors and warnings a researcher can act on.

Every failure caused by the user's input is an `InputError` carrying one
`Problem` per bad cell, so a whole spreadsheet is checked at once and the
message reads as a table: file, row, column, the value found, the values
allowed, and what to do. Code bugs stay ordinary exceptions.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "InputError",
    "NetreportError",
    "NetreportWarning",
    "Problem",
    "closest",
    "counted",
    "shorten",
]


class NetreportError(Exception):
    """An error caused by the user's data, configuration or chapters."""


class NetreportWarning(UserWarning):
    """netreport chose something for the user; the message says how to change it.

    A strict build (``netreport build --strict``) turns these into errors.
    """


def shorten(values: Iterable[object], limit: int = 8) -> str:
    """Join values for a message, cutting a long list short.

    >>> shorten(["a", "b", "c"], limit=2)
    'a, b ... and 1 more'
    """
    items = [str(v) for v in values]
    if len(items) <= limit:
        return ", ".join(items)
    return f"{', '.join(items[:limit])} ... and {len(items) - limit} more"


def closest(value: str, choices: Iterable[str]) -> str | None:
    """The choice `value` is most likely a misspelling of, if any is close.

    >>> closest("interviewe", ["mention_id", "interviewee"])
    'interviewee'
    """
    nearest = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.6)
    return nearest[0] if nearest else None


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """A count with its noun in the right number.

    >>> counted(1, "cell"), counted(3, "cell"), counted(2, "figure", "figures")
    ('1 cell', '3 cells', '2 figures')
    """
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


@dataclass(frozen=True)
class Problem:
    """One bad value in one place of one input file."""

    file: str
    row: int | None
    column: str | None
    value: object
    allowed: str
    reason: str

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "allowed": self.allowed,
            "reason": self.reason,
        }


class InputError(NetreportError):
    """Input that cannot be used, with every problem found in it.

    Parameters
    ----------
    problems
        Every problem found, in file order.
    advice
        What the user should do next, printed under the table.
    """

    def __init__(self, problems: Sequence[Problem], advice: str) -> None:
        self.problems = list(problems)
        self.advice = advice
        super().__init__(self._message())

    def __reduce__(self):
        # Sent back whole from a pool or Dask worker that loaded the data.
        return type(self), (self.problems, self.advice)

    def _message(self) -> str:
        lines = [f"{counted(len(self.problems), 'problem')} in the input:"]
        for p in self.problems[:50]:
            where = p.file
            if p.row is not None:
                where += f", row {p.row}"
            if p.column is not None:
                where += f", column {p.column!r}"
            lines.append(
                f"  {where}: found {_show(p.value)}; {p.reason}"
                + (f" (allowed: {p.allowed})" if p.allowed else "")
            )
        if len(self.problems) > 50:
            lines.append(f"  ... and {len(self.problems) - 50} more")
        lines.append(self.advice)
        return "\n".join(lines)


def _show(value: object) -> str:
    if value is None:
        return "nothing"
    text = str(value)
    if text == "":
        return "an empty cell"
    return repr(text) if len(text) <= 60 else repr(text[:57] + "...")
