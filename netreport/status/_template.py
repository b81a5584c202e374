"""Fill a status template, safely, into the text of a Quarto document.

Templates are the users' to copy and edit, so they run in Jinja2's
`ImmutableSandboxedEnvironment`: a template sees only the report's context,
cannot reach Python internals (``__class__``, ``__globals__``), cannot
change the context, and has no access to files or the environment (it can
include other templates from its own folder, nothing else). Undefined names
are errors, not blanks. An error names the template and its line, and a
name the template lacks is reported with the names it has instead (and, for
a value of a section the audience does not list, with that section).

A section that ``status.yml`` lists for the audience but the template never
shows is an error too, found from the template's syntax tree (and those of
the templates it includes): the template must name at least one of the
section's values (``tables.disuse``), or use ``tables`` as a whole
(``tables[name]``, ``tables.items()``), for the section to count as shown.
The shipped templates and every name a template can use are described in
``templates/status/README.md``.

Jinja bounds ``range`` but not arithmetic, so the sandbox here also refuses
a power, product or repetition whose result would be huge (``10 ** 10 **
8``, ``"x" * 10 ** 9``), a filled text of over a million characters, and,
on the main thread (a build, a pool worker), filling that takes over 30 s:
any of these would keep a worker busy for minutes, or take all its memory,
before the report failed.

The filled document may not contain ``{python}`` cells or inline
expressions: those would run code the sandbox exists to keep out.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import jinja2
from jinja2 import nodes
from jinja2.sandbox import MAX_RANGE, ImmutableSandboxedEnvironment, SecurityError
from jinja2.utils import missing

from netreport.errors import NetreportError, closest, counted, shorten
from netreport.status._context import SECTION_VALUES
from netreport.timeouts import time_limit

__all__ = ["TemplateError", "fill_template"]

_CODE = re.compile(r"^\s*(`{3,}|~{3,})\s*\{python|`\{python\}", re.MULTILINE)
# The largest whole number a power may give, in binary digits (about 1,200
# decimal digits), and the most items a repetition may make (as for range).
_MAX_POWER_BITS = 4096
_MAX_REPEAT = MAX_RANGE
# A filled template longer than this, or slower to fill, is a runaway loop:
# the shipped ones fill in a few milliseconds to some thousand characters.
_MAX_TEXT = 1_000_000
_MAX_SECONDS = 30.0
_TOO_SLOW = (
    f"filling the template took over {_MAX_SECONDS:.0f} s (it takes "
    "milliseconds); is a loop running far longer than meant?"
)
# Where a template author reads what each name means.
_GUIDE = "templates/status/README.md"
# The context's mappings whose values depend on the audience's sections.
_ROOTS = ("facts", "tables", "figures")
# A method of a mapping reads it as a whole (facts.items(), tables.get(x)).
_WHOLE = frozenset(name for name in dir(dict) if not name.startswith("_"))
_SECTION_OF = {
    name: section for section, names in SECTION_VALUES.items() for name in names
}
# The values of the template being filled, for messages about a missing name.
_FILLING: ContextVar[Mapping[str, Any]] = ContextVar("_FILLING")


class TemplateError(NetreportError):
    """A status template failed: which template, which line, and why."""


def fill_template(template: Path, project_dir: Path, values: Mapping[str, Any]) -> str:
    """Render `template` (relative to `project_dir`) with `values`.

    Raises
    ------
    TemplateError
        For a syntax error, an undefined name, an unsafe operation, any
        other error an expression raises (including a recursion too deep),
        or a ``{python}`` cell in the output, naming the template and line;
        or for a section that ``values["sections"]`` lists and the template
        never shows.
    """
    environment = _environment(str((project_dir / template).parent.resolve()))
    shown = template.as_posix()
    named = _named(values)
    filling = _FILLING.set(named)
    try:
        with time_limit(_MAX_SECONDS, SecurityError(_TOO_SLOW)):
            text = _filled(environment.get_template(template.name), named)
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
        where = shown if line == "?" else f"{shown}, line {line}"
        raise TemplateError(f"{where}: {_reason(exc)}") from None
    finally:
        _FILLING.reset(filling)
    match = _CODE.search(text)
    if match:
        raise TemplateError(
            f"{shown}: the filled document has a {{python}} cell or inline "
            "expression; status templates cannot run code, they print the "
            "values they are given"
        )
    _check_sections(environment, template, named)
    return text


def _filled(template: jinja2.Template, values: Mapping[str, Any]) -> str:
    """The template's text, refused once it is longer than any report."""
    parts, length = [], 0
    for part in template.generate(**values):
        length += len(part)
        if length > _MAX_TEXT:
            raise SecurityError(
                f"the filled report passes {_MAX_TEXT:,} characters (a report "
                "is some thousands); is a loop printing far more than meant?"
            )
        parts.append(part)
    return "".join(parts)


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
    if isinstance(left, int) and isinstance(right, int):
        # A product has as many binary digits as its factors together.
        if left.bit_length() + right.bit_length() > _MAX_POWER_BITS:
            raise SecurityError(
                f"a product of numbers of {len(str(abs(left))):,} and "
                f"{len(str(abs(right))):,} digits is larger than a status "
                "template may make"
            )
        return
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
        undefined=_Missing,
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


# -- names a template lacks --------------------------------------------------------


class _Values(dict):
    """One mapping of the context (``facts``, ``tables``, ...) that knows its
    name, so that a key missing from it is reported as ``facts.key``.

    A dict, so that the sandbox keeps it read-only as it does the others.
    """

    __slots__ = ("_name",)

    def __init__(self, name: str, values: Mapping[str, Any]) -> None:
        super().__init__(values)
        self._name = name


def _named(values: Mapping[str, Any]) -> dict[str, Any]:
    return {
        key: _Values(key, value) if isinstance(value, Mapping) else value
        for key, value in values.items()
    }


class _Missing(jinja2.StrictUndefined):
    """An undefined name whose error says which names exist instead."""

    __slots__ = ()

    @property
    def _undefined_message(self) -> str:
        owner, name = self._undefined_obj, self._undefined_name
        if self._undefined_hint or not isinstance(name, str):
            return super()._undefined_message
        if owner is missing:
            return _unknown_variable(name)
        if isinstance(owner, _Values):
            return _missing_value(owner, name)
        if dataclasses.is_dataclass(owner) and not isinstance(owner, type):
            return _missing_field(owner, name)
        return super()._undefined_message


def _unknown_variable(name: str) -> str:
    known = sorted(_FILLING.get({}))
    if name in known:
        # Jinja imports a neighbour's macros without the caller's names.
        return (
            f"{name!r} is undefined here: a neighbour imported or included "
            "without context does not see the report's values; write "
            '{% from "x.qmd.j2" import m with context %}'
        )
    return (
        f"{name!r} is undefined{_did_you_mean(name, known)} "
        f"(a status template has: {shorten(known, 10)}; see {_GUIDE})"
    )


def _missing_value(owner: _Values, key: str) -> str:
    where = f"{owner._name}.{key}"
    has = _has(owner._name, list(owner))
    section = _SECTION_OF.get(where)
    if section is None:
        known = [*owner, *(n.split(".", 1)[1] for n in _names_of(owner._name))]
        return f"{owner._name} has no {key!r}{_did_you_mean(key, known)} ({has})"
    return (
        f"{where} exists only when the audience's sections in status.yml list "
        f'{section}: use it inside {{% if "{section}" in sections %}} ... '
        f"{{% endif %}}, or add {section} to those sections ({has})"
    )


def _missing_field(owner: Any, key: str) -> str:
    where = _path_of(owner) or type(owner).__name__
    fields = [field.name for field in dataclasses.fields(owner)]
    return f"{where} has no {key!r} ({_has(where, fields)})"


def _has(where: str, names: list[str]) -> str:
    listed = shorten(names, 10) if names else "nothing, in this report"
    return f"{where} has: {listed}; see {_GUIDE}"


def _did_you_mean(name: str, known: Iterable[str]) -> str:
    nearest = closest(name, set(known) - {name})
    return f" (did you mean {nearest!r}?)" if nearest else ""


def _names_of(root: str) -> list[str]:
    return [name for name in _SECTION_OF if name.startswith(f"{root}.")]


def _path_of(value: Any) -> str | None:
    """Where in the context being filled `value` sits, e.g. ``tables.trend``."""
    for root, mapping in _FILLING.get({}).items():
        if isinstance(mapping, _Values):
            for key, item in mapping.items():
                if item is value:
                    return f"{root}.{key}"
    return None


# -- sections a template never shows -----------------------------------------------


class _References(NamedTuple):
    """What one template names: section values, mappings read whole, and the
    neighbours it includes, imports or extends (None: one it works out as it
    runs, which could name anything)."""

    values: frozenset[str]
    whole: frozenset[str]
    neighbours: tuple[str | None, ...]


def _check_sections(environment, template: Path, values: Mapping[str, Any]) -> None:
    """Refuse a template that shows none of the values of a listed section."""
    listed = values.get("sections")
    if not listed:
        return
    used, whole = _named_in(environment, template.name)
    unshown = [
        section
        for section in listed
        if section in SECTION_VALUES
        and not any(
            name in used or name.split(".", 1)[0] in whole
            for name in SECTION_VALUES[section]
        )
    ]
    if unshown:
        raise TemplateError(_unshown_message(template, values, unshown))


def _unshown_message(template: Path, values: Mapping[str, Any], unshown) -> str:
    audience = values.get("report", {}).get("audience")
    whose = f"the audience {audience!r}" if audience else "this audience"
    lines = [
        f"{template.as_posix()} never shows "
        f"{counted(len(unshown), 'section')} that status.yml lists for {whose}:"
    ]
    lines += [
        f"  {section}: the template names none of {', '.join(SECTION_VALUES[section])}"
        for section in unshown
    ]
    first = unshown[0]
    names = SECTION_VALUES[first]
    example = next((n for n in names if n.startswith("tables.")), names[0])
    lines.append(
        f"Add a block to the template that shows them, such as "
        f'{{% if "{first}" in sections %}} ... {{{{ {example} }}}} ... '
        f"{{% endif %}}, or take the section out of the audience's sections in "
        f"status.yml (see {_GUIDE})."
    )
    return "\n".join(lines)


def _named_in(environment, name: str) -> tuple[set[str], set[str]]:
    """The section values a template and its neighbours name, and the
    mappings they read whole; every mapping when a neighbour is unknown."""
    named: set[str] = set()
    whole: set[str] = set()
    todo: list[str | None] = [name]
    seen: set[str] = set()
    while todo:
        current = todo.pop()
        if current is None:
            whole.update(_ROOTS)
            continue
        if current in seen:
            continue
        seen.add(current)
        try:
            source = environment.loader.get_source(environment, current)[0]
        except jinja2.TemplateNotFound:
            continue  # only named in a branch the report did not take
        found = _references(environment, current, source)
        named |= found.values
        whole |= found.whole
        todo.extend(found.neighbours)
    return named, whole


@lru_cache(maxsize=64)
def _references(environment, name: str, source: str) -> _References:
    tree = environment.parse(source, name)
    values, keyed = set(), set()
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        root = node.node
        if not (isinstance(root, nodes.Name) and root.name in _ROOTS):
            continue
        key = node.attr if isinstance(node, nodes.Getattr) else _constant(node.arg)
        if isinstance(key, str) and key not in _WHOLE:
            values.add(f"{root.name}.{key}")
            keyed.add(id(root))
    whole = {
        node.name
        for node in tree.find_all(nodes.Name)
        if node.name in _ROOTS and node.ctx == "load" and id(node) not in keyed
    }
    neighbours = [
        target
        for node in tree.find_all(
            (nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)
        )
        for target in _template_names(node.template)
    ]
    return _References(frozenset(values), frozenset(whole), tuple(neighbours))


def _constant(node: nodes.Node) -> Any:
    return node.value if isinstance(node, nodes.Const) else None


def _template_names(node: nodes.Node) -> list[str | None]:
    """The templates an include names: one, a list to try, or unknown (None)."""
    if isinstance(node, nodes.List | nodes.Tuple):
        return [name for item in node.items for name in _template_names(item)]
    value = _constant(node)
    return [value if isinstance(value, str) else None]
