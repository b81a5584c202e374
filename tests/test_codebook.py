"""The codebook: what it holds, how it reads spellings, how it fails."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from netreport.codebook import Codebook, load_codebook
from netreport.errors import NetreportError

SHIPPED = Path(__file__).parent.parent / "data" / "codebook.yml"

# A small valid codebook the error cases below break one entry at a time.
SMALL = """\
version: 2
dimensions:
  pressure:
    label: Pressure
    applies_to: [artifacts, mentions]
    codes:
      technical_rational: {label: Technical-rational}
      sociopolitical: {label: Sociopolitical, aliases: [institutional]}
  actual_use:
    label: Actual use
    applies_to: [mentions]
    codes:
      improvement: {label: Improvement}
      disuse: {label: Disuse, aliases: [not used]}
  sub_theme:
    label: Sub-theme
    applies_to: [mentions]
    codes:
      lack_of_capacity: {label: Lack of capacity, parent: disuse}
  secondary:
    label: Secondary
    applies_to: [artifacts]
    codes_from: actual_use
"""


@pytest.fixture(scope="module")
def codebook() -> Codebook:
    return load_codebook(SHIPPED)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "codebook.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_small_codebook_is_valid(tmp_path: Path) -> None:
    book = load_codebook(write(tmp_path, SMALL))
    assert list(book.dimensions) == ["pressure", "actual_use", "sub_theme", "secondary"]


# The shipped codebook --------------------------------------------------------


def test_dimensions_in_file_order(codebook: Codebook) -> None:
    assert list(codebook.dimensions) == [
        "pressure",
        "intended_use",
        "secondary_intended_use",
        "actual_use",
        "sub_theme",
        "context",
        "kind",
        "excluded_by",
    ]
    assert codebook.version == 2
    assert len(codebook.inclusion_criteria) == 4


def test_codes_in_display_order(codebook: Codebook) -> None:
    assert codebook["intended_use"].code_names == [
        "improvement",
        "administration",
        "research",
        "relationship_management",
    ]
    assert codebook["actual_use"].code_names[-1] == "disuse"
    assert codebook["context"].code_names == [
        "school_teams",
        "district_leaders",
        "network",
    ]


def test_borrowed_codes_are_the_lenders(codebook: Codebook) -> None:
    assert codebook["secondary_intended_use"].codes == codebook["intended_use"].codes
    assert codebook["secondary_intended_use"].applies_to == ("artifacts",)


def test_every_sub_theme_belongs_to_an_actual_use(codebook: Codebook) -> None:
    uses = set(codebook["actual_use"].code_names)
    parents = {c.parent for c in codebook["sub_theme"].codes}
    assert parents <= uses
    assert parents == uses - {"research"}


def test_datasets_and_their_dimensions(codebook: Codebook) -> None:
    artifacts = [d.name for d in codebook.for_dataset("artifacts")]
    mentions = [d.name for d in codebook.for_dataset("mentions")]
    assert artifacts == [
        "pressure",
        "intended_use",
        "secondary_intended_use",
        "kind",
        "excluded_by",
    ]
    assert mentions == [
        "pressure",
        "intended_use",
        "actual_use",
        "sub_theme",
        "context",
    ]


def test_labels(codebook: Codebook) -> None:
    assert codebook["pressure"].label_of("technical_rational") == "Technical-rational"
    assert codebook["context"].labels()["network"] == "Network"


def test_unknown_names_say_what_exists(codebook: Codebook) -> None:
    with pytest.raises(KeyError, match="no dimension 'colour'.*pressure, intended_use"):
        codebook["colour"]
    with pytest.raises(KeyError, match="context has no code 'school'"):
        codebook["context"].code("school")


@pytest.mark.parametrize(
    ("dimension", "written", "code", "renamed"),
    [
        ("pressure", "technical_rational", "technical_rational", False),
        ("pressure", "  Technical Rational ", "technical_rational", False),
        ("pressure", "TECHNICAL-RATIONAL", "technical_rational", False),
        ("pressure", "Socio-political", "sociopolitical", True),
        ("pressure", "institutional", "sociopolitical", True),
        ("intended_use", "Relationship management", "relationship_management", False),
        ("intended_use", "Accountability", "relationship_management", True),
        ("secondary_intended_use", "operations", "administration", True),
        ("actual_use", "not  used", "disuse", True),
        ("context", "District leader support", "district_leaders", True),
        ("sub_theme", "Lack of leadership buy-in", "lack_of_buy_in", False),
        ("context", "NA", None, False),
        ("context", "schools", None, False),
    ],
)
def test_resolve_written_values(
    codebook: Codebook, dimension: str, written: str, code: str | None, renamed: bool
) -> None:
    assert codebook[dimension].resolve(written) == (code, renamed)


# Errors, as paths into the YAML file ----------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "    label: Pressure\n",
            "    label: Pressure\n    colour: red\n",
            "dimensions.pressure.colour: unknown key "
            "(allowed: applies_to, codes, codes_from, definition, label)",
        ),
        (
            "version: 2\n",
            "version: 2\nauthor: us\n",
            "author: unknown key (allowed: dimensions, inclusion_criteria, version)",
        ),
        (
            "{label: Improvement}",
            "{label: Improvement, colour: blue}",
            "dimensions.actual_use.codes.improvement.colour: unknown key "
            "(allowed: aliases, definition, label, parent)",
        ),
        (
            "aliases: [institutional]",
            "aliases: [institutional, technical rational]",
            "dimensions.pressure.codes.sociopolitical: 'technical rational' also "
            "names 'technical_rational'; each spelling may name one code",
        ),
        (
            "{label: Disuse, aliases: [not used]}",
            "{label: Disuse, aliases: [Improvement]}",
            "dimensions.actual_use.codes.disuse: 'Improvement' also names "
            "'improvement'",
        ),
        (
            "{label: Technical-rational}",
            "{definition: no label here}",
            "dimensions.pressure.codes.technical_rational.label: missing "
            "(code number 1)",
        ),
        (
            "aliases: [not used]",
            "aliases: not used",
            "dimensions.actual_use.codes.disuse.aliases: expected a list, "
            "found 'not used'",
        ),
        (
            "codes_from: actual_use",
            "codes_from: actual_uses",
            "dimensions.secondary.codes_from: 'actual_uses' is not a dimension "
            "with codes (allowed: pressure, actual_use, sub_theme)",
        ),
        (
            "parent: disuse",
            "parent: unused",
            "dimensions.sub_theme.codes.lack_of_capacity.parent: 'unused' is not "
            "an actual use (allowed: disuse, improvement)",
        ),
        (
            "applies_to: [mentions]\n    codes:\n      improvement",
            "applies_to: [interviews]\n    codes:\n      improvement",
            "dimensions.actual_use.applies_to: found ['interviews']; expected a "
            "list drawn from artifacts, mentions",
        ),
        (
            "version: 2\n",
            "version: two\n",
            "version: expected a whole number, found 'two'",
        ),
    ],
    ids=[
        "dimension-key",
        "top-key",
        "code-key",
        "alias-names-two-codes",
        "alias-is-another-label",
        "missing-label",
        "aliases-not-a-list",
        "codes-from",
        "parent",
        "applies-to",
        "version",
    ],
)
def test_codebook_errors_are_yaml_paths(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    assert old in SMALL
    path = write(tmp_path, SMALL.replace(old, new, 1))
    with pytest.raises(NetreportError) as caught:
        load_codebook(path)
    text = str(caught.value)
    assert "the codebook has 1 problem(s):" in text
    assert f"{path}: {message}" in text
    assert text.endswith("Fix these entries in the codebook and build again.")


def test_every_codebook_problem_is_listed(tmp_path: Path) -> None:
    text = (
        SMALL.replace("    label: Pressure\n", "    label: Pressure\n    colour: red\n")
        .replace("parent: disuse", "parent: unused")
        .replace("version: 2", "version: two")
    )
    with pytest.raises(NetreportError, match=r"has 3 problem\(s\)") as caught:
        load_codebook(write(tmp_path, text))
    assert str(caught.value).count(str(tmp_path)) == 3


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- just\n- a list\n", "(top): expected a mapping with 'dimensions'"),
        ("version: 2\n", "dimensions: expected a mapping of dimension names"),
        ("dimensions: [pressure]\n", "dimensions: expected a mapping of dimension"),
        (
            "dimensions:\n  pressure: [a, b]\n",
            "dimensions.pressure: expected a mapping",
        ),
    ],
)
def test_codebook_shape_errors(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(NetreportError, match=re.escape(message)):
        load_codebook(write(tmp_path, text))


def test_invalid_yaml_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "dimensions: [unclosed\n")
    with pytest.raises(NetreportError, match=f"{path}: not valid YAML"):
        load_codebook(path)


def test_missing_codebook_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "codebook.yml"
    with pytest.raises(NetreportError) as caught:
        load_codebook(path)
    assert str(caught.value) == f"{path}: the codebook file does not exist"
