"""Rebuild the shipped case data from the study's published figures.

The interviewees did not consent to sharing their data, so netreport ships a
reconstruction: rows generated from ``data/reconstruction.yml``, whose cell
counts reproduce every figure the study prints and fill the gaps with
assumptions written down in the data card. The same file and seed always give
the same bytes.

As with ``netreport import``, a data file that holds rows is only replaced
when the caller says so (``replace``), and the old one is kept beside it as
``<name>.previous``: it may be coded data a researcher edited or imported.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from netreport.codebook import Codebook
from netreport.coded_data import ARTIFACT_COLUMNS, MENTION_COLUMNS
from netreport.errors import NetreportError, counted

__all__ = ["ReconstructedFile", "reconstruct"]


@dataclass(frozen=True)
class ReconstructedFile:
    """One data file `reconstruct` made, and whether its bytes changed.

    Attributes
    ----------
    previous
        Where the file it replaced was kept, if it held rows.
    """

    path: Path
    changed: bool
    previous: Path | None = None


@dataclass(frozen=True)
class _Spec:
    """The parts of ``reconstruction.yml``, checked against the codebook."""

    path: Path
    raw: Mapping

    def get(self, *keys: str) -> object:
        node: object = self.raw
        for i, key in enumerate(keys):
            if not isinstance(node, Mapping) or key not in node:
                where = ".".join(keys[: i + 1])
                raise NetreportError(f"{self.path}: {where}: missing")
            node = node[key]
        return node


def reconstruct(
    spec_path: Path, codebook: Codebook, out_dir: Path, *, replace: bool = False
) -> dict[str, ReconstructedFile]:
    """Write ``artifacts.csv`` and ``mentions.csv`` from a reconstruction spec.

    Returns each file by name, with whether it changed: a file whose bytes
    are already right is left untouched (its date too).

    Parameters
    ----------
    replace
        Whether a data file that holds rows may be replaced by different
        content; the old file is then kept as ``<name>.previous``. A missing
        file, or one with a header and no rows, is written either way.

    Raises
    ------
    NetreportError
        When the spec is wrong, or when writing would replace rows and
        `replace` is False; nothing is written then.
    """
    spec = _Spec(spec_path, yaml.safe_load(spec_path.read_text(encoding="utf-8")))
    _check_codes(spec, codebook)
    rng = random.Random(spec.get("seed"))
    artifacts = _artifacts(spec, rng)
    mentions = _mentions(spec, rng, artifacts)
    texts = {
        out_dir / "artifacts.csv": _csv_text(ARTIFACT_COLUMNS, artifacts),
        out_dir / "mentions.csv": _csv_text(MENTION_COLUMNS, mentions),
    }
    changed = {path: text for path, text in texts.items() if _differs(path, text)}
    kept = [path for path in changed if _rows(path) != 0]
    if kept and not replace:
        raise NetreportError(_refusal(kept))
    for path, text in changed.items():
        _write(path, text, keep=path in kept)
    return {
        path.name: ReconstructedFile(
            path, path in changed, _previous(path) if path in kept else None
        )
        for path in texts
    }


def _differs(path: Path, text: str) -> bool:
    """Whether `path` holds anything but `text`, byte for byte."""
    return not path.exists() or path.read_bytes() != text.encode("utf-8")


def _rows(path: Path) -> int | None:
    """How many rows under the header `path` holds; None when unreadable.

    A missing file holds none, so it is written without asking.
    """
    if not path.exists():
        return 0
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        return None
    return max(sum(1 for row in csv.reader(io.StringIO(text)) if any(row)) - 1, 0)


def _shown_rows(path: Path) -> str:
    rows = _rows(path)
    return "not readable as UTF-8 text" if rows is None else counted(rows, "row")


def _previous(path: Path) -> Path:
    return path.with_name(path.name + ".previous")


def _refusal(kept: list[Path]) -> str:
    listing = "\n".join(
        f"  {path} ({_shown_rows(path)}, differs from the reconstruction)"
        for path in kept
    )
    return (
        "reconstruct would replace data files that hold rows:\n"
        f"{listing}\n"
        "Nothing was written. Run `netreport reconstruct --replace` to replace "
        "them (each old file is kept beside it as <name>.previous), or move "
        "them out of the data folder first."
    )


def _artifacts(spec: _Spec, rng: random.Random) -> list[dict[str, str]]:
    first, last = _school_year(spec)
    span = (last - first).days

    # Included artifacts: one row per counted cell, then kinds and secondary
    # uses dealt out at random within each intended use.
    included = [
        {"intended_use": c["intended_use"], "pressure": c["pressure"]}
        for c in spec.get("artifacts", "cells")
        for _ in range(c["n"])
    ]
    for use, kinds in spec.get("artifacts", "kinds").items():
        rows = [r for r in included if r["intended_use"] == use]
        _deal(rng, rows, "kind", kinds, spec.path, f"artifacts.kinds.{use}")
    # Spec order, not a set: a set of strings iterates in an order that
    # changes with PYTHONHASHSEED, and so would the bytes written.
    for use in dict.fromkeys(
        c["intended_use"] for c in spec.get("artifacts", "secondary")
    ):
        pairs = {
            c["secondary_intended_use"]: c["n"]
            for c in spec.get("artifacts", "secondary")
            if c["intended_use"] == use
        }
        rows = [r for r in included if r["intended_use"] == use]
        pairs[""] = len(rows) - sum(pairs.values())
        _deal(
            rng, rows, "secondary_intended_use", pairs, spec.path, "artifacts.secondary"
        )

    excluded = [
        {"excluded_by": criterion, "kind": kind}
        for criterion, kinds in spec.get("artifacts", "excluded").items()
        for kind, n in kinds.items()
        for _ in range(n)
    ]
    rows = included + excluded
    rng.shuffle(rows)
    dates = sorted(first + dt.timedelta(days=rng.randint(0, span)) for _ in rows)
    for i, (row, day) in enumerate(zip(rows, dates, strict=True), start=1):
        row["artifact_id"] = f"A{i:04d}"
        row["created"] = day.isoformat()
    return rows


def _mentions(
    spec: _Spec, rng: random.Random, artifacts: list[dict[str, str]]
) -> list[dict[str, str]]:
    rows = [
        {"context": c["context"], "actual_use": c["actual_use"], "pressure": p}
        for c in spec.get("mentions", "cells")
        for p in ("technical_rational", "sociopolitical")
        for _ in range(c.get(p, 0))
    ]
    for field in ("intended_use", "sub_theme"):
        for use, counts in spec.get("mentions", field).items():
            group = [r for r in rows if r["actual_use"] == use]
            _deal(rng, group, field, counts, spec.path, f"mentions.{field}.{use}")

    _assign_interviewees(spec, rng, rows)
    rng.shuffle(rows)
    rows.sort(key=lambda r: r["interviewee"])
    _link_artifacts(spec, rng, rows, artifacts)
    for i, row in enumerate(rows, start=1):
        row["mention_id"] = f"M{i:03d}"
    return rows


def _assign_interviewees(spec: _Spec, rng: random.Random, rows: list[dict]) -> None:
    # Every hub member spoke of district pressure to tie data to test
    # scores, so each gets one sociopolitical mention in the district
    # context before the rest are dealt out.
    quotas = dict(spec.get("mentions", "interviewees"))
    if sum(quotas.values()) != len(rows):
        raise NetreportError(
            f"{spec.path}: mentions.interviewees: the counts add up to "
            f"{sum(quotas.values())}, but the cells hold {len(rows)} mentions"
        )
    anchors = [
        r
        for r in rows
        if r["context"] == "district_leaders" and r["pressure"] == "sociopolitical"
    ]
    rng.shuffle(anchors)
    for person, row in zip(quotas, anchors, strict=False):
        row["interviewee"] = person
        quotas[person] -= 1
    rest = [r for r in rows if "interviewee" not in r]
    _deal(rng, rest, "interviewee", quotas, spec.path, "mentions.interviewees")


def _link_artifacts(
    spec: _Spec, rng: random.Random, rows: list[dict], artifacts: list[dict]
) -> None:
    pool: dict[str, list[str]] = {}
    for a in artifacts:
        if not a.get("excluded_by"):
            pool.setdefault(a["intended_use"], []).append(a["artifact_id"])
    linked = set(rng.sample(range(len(rows)), spec.get("mentions", "linked")))
    for i, row in enumerate(rows):
        row["artifact_id"] = (
            rng.choice(pool[row["intended_use"]]) if i in linked else ""
        )


def _deal(
    rng: random.Random,
    rows: list[dict],
    field: str,
    counts: Mapping[str, int],
    path: Path,
    where: str,
) -> None:
    """Give ``field`` to ``rows`` so that each value appears ``counts`` times."""
    values = [v for v, n in counts.items() for _ in range(n)]
    if len(values) != len(rows):
        raise NetreportError(
            f"{path}: {where}: the counts add up to {len(values)}, "
            f"but there are {len(rows)} rows to share them"
        )
    rng.shuffle(values)
    for row, value in zip(rows, values, strict=True):
        row[field] = value


def _school_year(spec: _Spec) -> tuple[dt.date, dt.date]:
    year = spec.get("school_year")
    return year["first_day"], year["last_day"]


def _check_codes(spec: _Spec, codebook: Codebook) -> None:
    """Every code the spec names must be a code of the right dimension."""
    problems = [
        f"{where}: {value!r} is not a code of {dim} "
        f"(allowed: {', '.join(codebook[dim].code_names)})"
        for where, dim, value in _named_codes(spec)
        if value not in codebook[dim].code_names
    ]
    if problems:
        listing = "\n".join(f"  {spec.path}: {p}" for p in problems)
        raise NetreportError(f"the reconstruction spec names unknown codes:\n{listing}")


def _named_codes(spec: _Spec) -> Iterator[tuple[str, str, str]]:
    for i, cell in enumerate(spec.get("artifacts", "cells")):
        for dim in ("intended_use", "pressure"):
            yield f"artifacts.cells[{i}].{dim}", dim, cell[dim]
    for i, cell in enumerate(spec.get("artifacts", "secondary")):
        for dim in ("intended_use", "secondary_intended_use"):
            yield f"artifacts.secondary[{i}].{dim}", dim, cell[dim]
    for i, cell in enumerate(spec.get("mentions", "cells")):
        for dim in ("context", "actual_use"):
            yield f"mentions.cells[{i}].{dim}", dim, cell[dim]
        # The other keys of a cell are pressures, each with its count.
        for key in cell:
            if key in ("context", "actual_use"):
                continue
            yield f"mentions.cells[{i}].{key}", "pressure", key
    for use, kinds in spec.get("artifacts", "kinds").items():
        yield "artifacts.kinds", "intended_use", use
        for kind in kinds:
            yield f"artifacts.kinds.{use}", "kind", kind
    for criterion, kinds in spec.get("artifacts", "excluded").items():
        yield "artifacts.excluded", "excluded_by", criterion
        for kind in kinds:
            yield f"artifacts.excluded.{criterion}", "kind", kind
    for field in ("intended_use", "sub_theme"):
        for use, counts in spec.get("mentions", field).items():
            yield f"mentions.{field}", "actual_use", use
            for code in counts:
                yield f"mentions.{field}.{use}", field, code


def _csv_text(columns: tuple[str, ...], rows: list[dict[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: row.get(c, "") for c in columns})
    return buffer.getvalue()


def _write(path: Path, text: str, *, keep: bool) -> None:
    """Write `text` to `path` in one step, first copying the old file if `keep`."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    if keep:
        shutil.copy2(path, _previous(path))
    tmp.replace(path)
