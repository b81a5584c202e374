"""Fill a status template, safely, into the text of a Quarto document.

Templates are the users' to copy and edit, so they run in Jinja2's
`ImmutableSandboxedEnvironment`: a template sees only the report's context,
cannot reach Python internals (``__class__``, ``__globals__``), cannot
change the context, and has no access to files or the environment (it can
include other templates from its own folder, nothing else). Undefined names
are errors, not blanks. An error names the template and its line.

Jinja bounds ``range`` but not arithmetic, so the sandbox here also refuses
a power or a repetition whose result would be huge (``10 ** 10 ** 8``,
``"x" * 10 ** 9``): either would keep a worker busy for minutes, or take
all its memory, before the report failed.

The filled document may not contain ``{python}`` cells or inline
expressions: those would run code the sandbox exists to keep out.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import MAX_RANGE, ImmutableSandboxedEnvironment, SecurityError

from netreport.errors import NetreportError

__all__ = ["TemplateError", "fill_template"]

_CODE = re.compile(r"^\s*(`{3,}|~{3,})\s*\{python|`\{python\}", re.MULTILINE)
# The largest whole number a power may give, in binary digits (about 1,200
# decimal digits), and the most items a repetition may make (as for range).
_MAX_POWER_BITS = 4096
_MAX_REPEAT = MAX_RANGE


class TemplateError(NetreportError):
    """A status template failed: which template, which line, and why."""


def fill_template(template: Path, project_dir: Path, values: Mapping[str, Any]) -> str:
    """Render `template` (relative to `project_dir`) with `values`.

    Raises
    ------
    TemplateError
        For a syntax error, an undefined name, an unsafe operation, any
        other error an expression raises (including a recursion too deep),
        or a ``{python}`` cell in the output, naming the template and line.
    """
    environment = _environment(str((project_dir / template).parent.resolve()))
    shown = template.as_posix()
    try:
        text = environment.get_template(template.name).render(**values)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(
            f"{shown}, line {exc.lineno}: template syntax error: {exc.message}"
        ) from None
    except jinja2.TemplateNotFound as exc:
        line = _template_line(exc, environment, template.name)
        raise TemplateError(
            f"{shown}, line {line}: includes {exc.name!r}, which is not a "
            f"template in {template.parent.as_posix()}/ (templates can include "
            "only their neighbours)"
        ) from None
    except Exception as exc:
        # Whatever a template's expression raises (a division by zero, a
        # range the sandbox refuses, a macro that recurses without end) is
        # the template's mistake, so it is reported like any other: here,
        # and from a pool worker, which can send a TemplateError back whole.
        line = _template_line(exc, environment, template.name)
        raise TemplateError(f"{shown}, line {line}: {_reason(exc)}") from None
    match = _CODE.search(text)
    if match:
        raise TemplateError(
            f"{shown}: the filled document has a {{python}} cell or inline "
            "expression; status templates cannot run code, they print the "
            "values they are given"
        )
    return text


class _StatusSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, with ``**`` and ``*`` kept to a sane size."""

    intercepted_binops = frozenset({"**", "*"})

    def call_binop(self, context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            _check_power(left, right)
        else:
            _check_repeat(left, right)
        return super().call_binop(context, operator, left, right)


def _check_power(base: Any, exponent: Any) -> None:
    # Only whole numbers grow without bound; a float overflows at once.
    if not (isinstance(base, int) and isinstance(exponent, int)):
        return
    if abs(base) < 2 or exponent <= 0:
        return
    bits = exponent * math.log2(abs(base))
    if bits > _MAX_POWER_BITS:
        digits = bits * math.log10(2)
        raise SecurityError(
            f"{base} ** {exponent} would have about {digits:,.0f} digits; "
            f"a power may have up to {_MAX_POWER_BITS * math.log10(2):,.0f}"
        )


def _check_repeat(left: Any, right: Any) -> None:
    sequence, times = (right, left) if isinstance(left, int) else (left, right)
    if not isinstance(sequence, str | list | tuple) or not isinstance(times, int):
        return
    made = len(sequence) * times
    if made > _MAX_REPEAT:
        raise SecurityError(
            f"'*' would make a sequence of {made:,} items; a repetition may "
            f"make up to {_MAX_REPEAT:,}"
        )


@lru_cache(maxsize=32)
def _environment(folder: str) -> ImmutableSandboxedEnvironment:
    """One environment per template folder, so templates compile once per process."""
    return _StatusSandbox(
        loader=jinja2.FileSystemLoader(folder),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _reason(exc: Exception) -> str:
    """What went wrong, as the message after the template's line."""
    if isinstance(exc, SecurityError):
        return f"not allowed in a status template: {exc}"
    reason = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, RecursionError):
        reason += " (is it a macro that calls itself with no case that stops it?)"
    return reason


def _template_line(exc: BaseException, environment, name: str) -> str:
    """The template line the error was raised on, from Jinja's traceback."""
    filename = environment.get_template(name).filename
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    return "?" if line is None else str(line)
