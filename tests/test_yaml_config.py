"""Strict YAML config files: each bad input beside the message it must give."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import netreport.yaml_config
from netreport.errors import NetreportError
from netreport.yaml_config import YamlProblems, load_yaml


def test_public_face() -> None:
    assert netreport.yaml_config.__all__ == ["YamlProblems", "load_yaml"]


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "status.yml"
    with pytest.raises(NetreportError) as caught:
        load_yaml(path, "no status.yml here")
    assert str(caught.value) == f"{path}: no status.yml here"


def test_invalid_yaml_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "status.yml"
    path.write_text("status:\n  network: [unclosed\n", encoding="utf-8")
    with pytest.raises(NetreportError) as caught:
        load_yaml(path, "missing")
    message = str(caught.value)
    assert message.startswith(f"{path}: not valid YAML, line 3, column 1: ")
    assert "flow sequence from line 2" in message


def test_a_byte_order_mark_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "netreport.yml"
    path.write_bytes(b"\xef\xbb\xbfcolumns: {}\n")
    assert load_yaml(path, "missing") == {"columns": {}}


def check(text: str, read) -> str:
    """The error message `read` gives for the YAML `text`, or ``""``."""
    problems = YamlProblems(Path("status.yml"), "the status config")
    read(problems, yaml.safe_load(text))
    try:
        problems.raise_if_any("Fix status.yml and run again.")
    except NetreportError as err:
        return str(err)
    return ""


@pytest.mark.parametrize(
    ("text", "read", "message"),
    [
        (
            "status: {colour: red}",
            lambda p, raw: p.mapping("status", raw["status"], {"network", "audiences"}),
            "status.yml: status.colour: unknown key (allowed: audiences, network)",
        ),
        (
            "colour: red",
            lambda p, raw: p.mapping("", raw, {"status"}),
            "status.yml: colour: unknown key (allowed: status)",
        ),
        (
            "- a list",
            lambda p, raw: p.mapping("", raw, {"status"}),
            "status.yml: (top): expected a mapping, found ['a list']",
        ),
        (
            "keys: [a, b, c, d, e, f, g, h, i, j, k, l, m, n]\nx: 1",
            lambda p, raw: p.mapping("", raw, raw["keys"] + ["keys"]),
            "x: unknown key (allowed: a, b, c, d, e, f, g, h, i, j, k, keys "
            "... and 3 more)",
        ),
        (
            "network: 12",
            lambda p, raw: p.text("status.network", raw["network"]),
            "status.yml: status.network: expected text, found 12",
        ),
        (
            "network: '  '",
            lambda p, raw: p.text("status.network", raw["network"], blank=False),
            "status.network: expected text, found '  '",
        ),
        (
            "threshold: ten",
            lambda p, raw: p.whole_number("threshold", raw["threshold"], 10, 1),
            "threshold: expected a whole number ≥ 1, found 'ten'",
        ),
        (
            "threshold: 0",
            lambda p, raw: p.whole_number("threshold", raw["threshold"], 10, 1),
            "threshold: expected a whole number ≥ 1, found 0",
        ),
        (
            "version: true",
            lambda p, raw: p.whole_number("version", raw["version"], 0),
            "version: expected a whole number, found True",
        ),
        (
            "value: fourteen",
            lambda p, raw: p.number("value", raw["value"], 0),
            "value: expected a number, found 'fourteen'",
        ),
        (
            "value: .nan",
            lambda p, raw: p.number("value", raw["value"], 0),
            "value: expected a number, found nan",
        ),
        (
            "value: yes",
            lambda p, raw: p.number("value", raw["value"], 0, "a share in %"),
            "value: expected a share in %, found True",
        ),
        (
            "audiences:",
            lambda p, raw: p.sequence("audiences", raw["audiences"], "a list"),
            "audiences: expected a list, found nothing",
        ),
        (
            "audiences: []",
            lambda p, raw: p.sequence("audiences", raw["audiences"], empty=False),
            "audiences: expected a list, found []",
        ),
    ],
)
def test_each_check_gives_a_path_and_a_message(text, read, message) -> None:
    assert message in check(text, read)


def test_good_values_are_returned_and_give_no_error() -> None:
    problems = YamlProblems(Path("status.yml"), "the status config")
    assert problems.mapping("status", {"network": "x"}, {"network"}) == {"network": "x"}
    assert problems.text("network", "x") == "x"
    assert problems.whole_number("threshold", 5, 10, 1) == 5
    assert problems.number("value", 85.6, 0) == 85.6
    assert problems.number("value", 839, 0) == 839
    assert problems.sequence("audiences", [1]) == [1]
    problems.raise_if_any("never shown")


def test_bad_values_give_stand_ins_so_checking_goes_on() -> None:
    problems = YamlProblems(Path("status.yml"), "the status config")
    assert problems.mapping("status", "x") == {}
    assert problems.text("network", None) == ""
    assert problems.whole_number("threshold", "ten", 10, 1) == 10
    assert problems.number("value", "fourteen", 0) == 0
    assert problems.sequence("audiences", {}) == []
    assert len(problems.problems) == 5


def test_every_problem_is_listed_in_one_error() -> None:
    def read(problems: YamlProblems, raw: dict) -> None:
        status = problems.mapping("status", raw["status"], {"threshold", "audiences"})
        problems.whole_number("status.threshold", status["threshold"], 10, 1)
        for i, entry in enumerate(
            problems.sequence("status.audiences", status["audiences"])
        ):
            problems.mapping(f"status.audiences[{i}]", entry, {"name"})

    text = (
        "status:\n  colour: red\n  threshold: ten\n"
        "  audiences: [{name: a}, {name: b, size: 3}]\n"
    )
    assert check(text, read) == (
        "the status config has 3 problem(s):\n"
        "  status.yml: status.colour: unknown key (allowed: audiences, threshold)\n"
        "  status.yml: status.threshold: expected a whole number ≥ 1, found 'ten'\n"
        "  status.yml: status.audiences[1].size: unknown key (allowed: name)\n"
        "Fix status.yml and run again."
    )


def test_no_problems_no_error() -> None:
    assert check("status: {}", lambda p, raw: p.mapping("status", raw["status"])) == ""
