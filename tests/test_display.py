"""How a cell's DataFrame becomes a Markdown table."""

from __future__ import annotations

import pandas as pd

from netreport.render._display import pipe_table


def _rule(frame: pd.DataFrame) -> list[str]:
    return pipe_table(frame).splitlines()[1].strip("| ").split(" | ")


def test_numbers_align_right_also_when_a_cell_wrote_them_as_text():
    frame = pd.DataFrame({
        "Code": ["Improvement", "Research"],
        "Count": [718, 41],
        "Difference": ["+6.2", "−2.0"],
        "p (Holm)": ["< .001", ".399"],
        "Share": ["85.6%", "4.9%"],
        "Total": ["1,089", "839"],
    })  # fmt: skip
    assert _rule(frame) == [":---", "---:", "---:", "---:", "---:", "---:"]


def test_text_that_is_not_all_numbers_stays_left():
    frame = pd.DataFrame({
        "Code": ["Improvement", "Research"],
        "Mixed": ["12", "n/a"],
        "Empty": ["", ""],
        "Version": ["1.2.3", "2.0.0"],
    })  # fmt: skip
    assert _rule(frame) == [":---", ":---", ":---", ":---"]
