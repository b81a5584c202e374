"""Read a YAML config file strictly and report every problem in it at once.

`load_yaml` turns a missing file or invalid YAML into a `NetreportError`
naming the file (and the line). `YamlProblems` walks the parsed value: each
check records a problem as a path into the file
(``status.audiences[2].threshold: expected a whole number ≥ 1``) and returns
a stand-in, so the reader carries on and `YamlProblems.raise_if_any` can
list every problem in one error.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from pathlib import Path
from typing import Any

import yaml

from netreport.errors import NetreportError, shorten

__all__ = ["YamlProblems", "load_yaml"]

# libyaml's safe loader where PyYAML was built with it (its wheels are):
# the same documents, read ten times faster than in pure Python.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(path: Path, missing: str) -> Any:
    """Parse the YAML file at `path`.

    Parameters
    ----------
    path
        The file to read (UTF-8, with or without a byte-order mark).
    missing
        What to say after the path when there is no such file.

    Raises
    ------
    NetreportError
        If the file is missing, is not UTF-8 or is not valid YAML.
    """
    if not path.is_file():
        raise NetreportError(f"{path}: {missing}")
    try:
        return yaml.load(path.read_text(encoding="utf-8-sig"), Loader=_SAFE_LOADER)
    except UnicodeDecodeError as err:
        raise NetreportError(f"{path}: not valid YAML: not UTF-8 ({err})") from None
    except yaml.YAMLError as err:
        raise NetreportError(f"{path}: not valid YAML{_where(err)}") from None


def _where(err: yaml.YAMLError) -> str:
    mark = getattr(err, "problem_mark", None)
    if mark is None:
        return f": {err}"
    text = f", line {mark.line + 1}, column {mark.column + 1}: {err.problem}"
    start = getattr(err, "context_mark", None)
    if err.context and start is not None:
        text += f" ({err.context} from line {start.line + 1})"
    return text


class YamlProblems:
    """The problems found in one YAML file, each a path and a message.

    Every check records what is wrong and returns a stand-in value (an empty
    mapping, list or text, or a default) so checking goes on.

    Parameters
    ----------
    path
        The file being checked; every listed problem starts with it.
    subject
        What the file is, for the heading: ``the codebook`` gives
        ``the codebook has 2 problem(s):``.
    """

    def __init__(self, path: Path, subject: str) -> None:
        self.path = path
        self.subject = subject
        self.problems: list[tuple[str, str]] = []

    def add(self, where: str, message: str) -> None:
        """Record that the value at `where` (``""`` for the top) is wrong."""
        self.problems.append((where or "(top)", message))

    def mapping(
        self,
        where: str,
        value: Any,
        known: Collection[str] | None = None,
        *,
        expected: str = "a mapping",
        empty: bool = True,
    ) -> dict[str, Any]:
        """`value` if it is a mapping whose keys are all `known`, else ``{}``.

        Each unknown key is a problem of its own, with the allowed keys.
        """
        if not isinstance(value, dict) or (not value and not empty):
            self.add(where, f"expected {expected}, found {_show(value)}")
            return {}
        allowed = shorten(sorted(known or ()), limit=12)
        for key in value:
            if known is not None and key not in known:
                at = f"{where}.{key}" if where else str(key)
                self.add(at, f"unknown key (allowed: {allowed})")
        return value

    def text(self, where: str, value: Any, *, blank: bool = True) -> str:
        """`value` if it is text (and not blank, unless `blank`), else ``""``."""
        if not isinstance(value, str) or (not blank and not value.strip()):
            self.add(where, f"expected text, found {_show(value)}")
            return ""
        return value

    def whole_number(
        self, where: str, value: Any, default: int, minimum: int | None = None
    ) -> int:
        """`value` if it is a whole number of at least `minimum`, else `default`."""
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or (minimum is not None and value < minimum)
        ):
            least = "" if minimum is None else f" ≥ {minimum}"
            self.add(where, f"expected a whole number{least}, found {_show(value)}")
            return default
        return value

    def number(
        self, where: str, value: Any, default: float, expected: str = "a number"
    ) -> float:
        """`value` if it is a finite number, else `default`.

        Text is not a number, even text that reads as one, as for
        `whole_number`; neither are ``.nan``, ``.inf`` and ``yes``.
        """
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or (isinstance(value, float) and not math.isfinite(value))
        ):
            self.add(where, f"expected {expected}, found {_show(value)}")
            return default
        return value

    def sequence(
        self, where: str, value: Any, expected: str = "a list", *, empty: bool = True
    ) -> list[Any]:
        """`value` if it is a list (and not empty, unless `empty`), else ``[]``."""
        if not isinstance(value, list) or (not value and not empty):
            self.add(where, f"expected {expected}, found {_show(value)}")
            return []
        return value

    def raise_if_any(self, advice: str) -> None:
        """Raise one `NetreportError` listing every problem, if there are any.

        Parameters
        ----------
        advice
            What to do next, the last line of the message.
        """
        if not self.problems:
            return
        lines = [f"{self.subject} has {len(self.problems)} problem(s):"]
        lines += [f"  {self.path}: {at}: {message}" for at, message in self.problems]
        lines.append(advice)
        raise NetreportError("\n".join(lines))


def _show(value: Any) -> str:
    return "nothing" if value is None else repr(value)
