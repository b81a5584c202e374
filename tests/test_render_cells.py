"""Cell options decide what a chapter shows, as in Quarto."""

from __future__ import annotations

from pathlib import Path

import pytest

from netreport.errors import NetreportError
from netreport.render import render_project

BOOK_YML = """\
project:
  type: book
book:
  title: Cells
  chapters:
    - index.qmd
    - cells.qmd
"""
CELLS = """\
---
title: Cells
---

```{python}
#| echo: true
shown_code = 1
```

```{python}
#| include: false
print("hidden by include")
```

```{python}
#| eval: false
#| echo: true
raise RuntimeError("never run")
```

```{python}
#| output: false
print("hidden by output")
```

```{python}
#| error: true
{}["missing"]
```

```{python}
#| label: fig-line
#| fig-cap: A line
#| fig-alt: A straight line rising from left to right.
import matplotlib.pyplot as plt

plt.plot([0, 1], [0, 1])
plt.gca().set_title("line")
```

```{python}
import warnings

warnings.warn("careful", UserWarning)
```

```{python}
#| warning: false
warnings.warn("silenced", UserWarning)
```

```{python}
6 * 7;
```
"""


@pytest.fixture(scope="module")
def cells_page(tmp_path_factory: pytest.TempPathFactory) -> str:
    book = tmp_path_factory.mktemp("cells")
    (book / "_quarto.yml").write_text(BOOK_YML)
    (book / "index.qmd").write_text("# Start {.unnumbered}\n")
    (book / "cells.qmd").write_text(CELLS)
    result = render_project(book)
    return (result.output_dir / "cells.html").read_text()


def test_echo_shows_the_code(cells_page: str) -> None:
    assert "shown_code" in cells_page
    assert "never run" in cells_page  # eval: false, echo: true


def test_include_and_output_false_hide_output(cells_page: str) -> None:
    assert "hidden by include" not in cells_page
    assert "hidden by output" not in cells_page


def test_error_true_shows_the_error(cells_page: str) -> None:
    assert "KeyError: &#39;missing&#39;" in cells_page


def test_pyplot_figure_with_fig_alt(cells_page: str) -> None:
    assert 'alt="A straight line rising from left to right."' in cells_page
    assert "Figure 1.1:" in cells_page


def test_warnings_show_unless_silenced(cells_page: str) -> None:
    assert "UserWarning: careful" in cells_page
    assert "silenced" not in cells_page


def test_trailing_semicolon_hides_the_value(cells_page: str) -> None:
    assert "42" not in cells_page


def test_labelled_figure_needs_a_caption(tmp_path: Path) -> None:
    (tmp_path / "_quarto.yml").write_text(BOOK_YML)
    (tmp_path / "index.qmd").write_text("# Start\n")
    (tmp_path / "cells.qmd").write_text(
        "# Cells\n\n```{python}\n#| label: fig-x\nimport matplotlib.pyplot as plt\n"
        "plt.plot([1])\n```\n"
    )
    with pytest.raises(NetreportError, match=r"cells\.qmd, line 3: cell fig-x has no"):
        render_project(tmp_path)
