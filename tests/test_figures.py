"""Figures: they draw, show the tables' numbers, describe them, repeat."""

from __future__ import annotations

import csv
import dataclasses
import io
import subprocess
import sys
from collections import Counter
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import plotnine.options  # noqa: E402
import pytest  # noqa: E402
from matplotlib.text import Text  # noqa: E402

import netreport.figures as figures  # noqa: E402
from netreport.coded_data import load_coded_data  # noqa: E402
from netreport.figures import (  # noqa: E402
    OKABE_ITO,
    plot_intended_vs_actual,
    plot_pressure,
    plot_use_by_context,
)
from netreport.render._display import save_svg  # noqa: E402
from netreport.result_store import ResultStore, using_store  # noqa: E402
from netreport.tables import tabulate_creation_vs_use, tabulate_crosstab  # noqa: E402

DATA = Path(__file__).parent.parent / "data"


def _csv_rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


ARTIFACTS = [r for r in _csv_rows("artifacts.csv") if not r["excluded_by"]]
MENTIONS = _csv_rows("mentions.csv")
PLOTS = [plot_intended_vs_actual, plot_use_by_context, plot_pressure]


@pytest.fixture(scope="module")
def data():
    return load_coded_data(DATA)


def _share(rows, column, code, where=None) -> str:
    rows = [r for r in rows if where is None or where(r)]
    n = Counter(r[column] for r in rows)[code]
    return f"{100 * n / len(rows):.1f}%"


def _svg(plot) -> bytes:
    figure = plot.draw(show=False)
    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": "test"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    plt.close(figure)
    return buffer.getvalue()


def test_public_names():
    assert sorted(figures.__all__) == [
        "OKABE_ITO",
        "Plot",
        "plot_intended_vs_actual",
        "plot_pressure",
        "plot_use_by_context",
    ]
    for name in figures.__all__:
        assert hasattr(figures, name)


@pytest.mark.parametrize("plot", PLOTS)
def test_figures_draw_at_a_fixed_size_in_the_palette(data, plot):
    p = plot(data).ggplot()
    figure = p.draw(show=False)
    try:
        assert figure.get_size_inches()[0] == pytest.approx(6.5)
        texts = {t.get_text() for t in figure.findobj(Text) if t.get_text()}
    finally:
        plt.close(figure)
    fills = {str(f).upper() for f in p.layers[0].data["fill"]}
    assert fills <= set(OKABE_ITO.values())
    # Labels, never code names, reach the reader.
    shown = "Sociopolitical" if plot is plot_pressure else "Relationship management"
    assert shown in texts
    names = {c for d in data.codebook.dimensions.values() for c in d.code_names}
    assert not any(n in t for n in names if "_" in n for t in texts)


def test_intended_vs_actual_shows_the_table(data):
    p = plot_intended_vs_actual(data)
    table = tabulate_creation_vs_use(data)
    shown = {(r.code, r.side): r.percent for r in p.data.itertuples()}
    assert ("disuse", "creation") not in shown
    assert shown[("disuse", "use")] == pytest.approx(table.percent("disuse", "use"))
    for code in ("improvement", "administration", "research"):
        for side in ("creation", "use"):
            assert shown[(code, side)] == pytest.approx(table.percent(code, side))
    assert len(shown) == 9
    top_down = list(p.data["label"].cat.categories)[::-1]
    assert top_down == list(data.codebook["actual_use"].labels().values())


def test_intended_vs_actual_alt_text_has_the_numbers(data):
    alt = plot_intended_vs_actual(data).alt_text
    assert alt.startswith("Grouped bar chart")
    assert "Intended use of 839 artifacts: improvement 85.6%" in alt
    assert "Actual use in 176 mentions:" in alt
    for code, label in [
        ("improvement", "improvement"),
        ("relationship_management", "relationship management"),
        ("disuse", "disuse"),
    ]:
        assert f"{label} {_share(MENTIONS, 'actual_use', code)}" in alt
    made = _share(ARTIFACTS, "intended_use", "relationship_management")
    assert f"relationship management {made}" in alt
    assert alt.count("disuse") == 1


def test_use_by_context_shows_row_shares(data):
    p = plot_use_by_context(data)
    table = tabulate_crosstab(data, "mentions", "context", "actual_use", percent="row")
    assert len(p.data) == 15
    for r in p.data.itertuples():
        assert r.percent == pytest.approx(table.percent(r.context, r.use))
        in_context = _share(
            MENTIONS, "actual_use", r.use, lambda m, c=r.context: m["context"] == c
        )
        assert r.text == in_context
    assert p.data.groupby("context")["percent"].sum().round(6).eq(100).all()
    alt = p.alt_text
    assert "School teams and teachers (65 mentions): improvement 52.3%" in alt
    assert "District leaders (70 mentions)" in alt
    assert "relationship management 41.5%" in alt


def test_pressure_alt_text_and_data(data):
    p = plot_pressure(data)
    socio_made = _share(ARTIFACTS, "pressure", "sociopolitical")
    socio_used = _share(MENTIONS, "pressure", "sociopolitical")
    assert (
        f"Pressure for creation of 839 artifacts: technical-rational 98.3%, "
        f"sociopolitical {socio_made}." in p.alt_text
    )
    assert f"sociopolitical {socio_used}" in p.alt_text
    assert sorted(p.data["text"]) == sorted(
        [
            "98.3%",
            socio_made,
            _share(MENTIONS, "pressure", "technical_rational"),
            socio_used,
        ]
    )


def test_alt_text_survives_adding_to_the_plot(data):
    from plotnine import labs

    p = plot_pressure(data) + labs(title="Changed")
    assert p.alt_text.startswith("Grouped bar chart")


@pytest.mark.parametrize("plot", PLOTS)
def test_same_data_same_svg_bytes(data, plot):
    first = _svg(plot(data))
    second = _svg(plot(data))
    assert first == second
    assert first.startswith(b"<?xml")


# Stored figures -------------------------------------------------------------


class CountedDrawing:
    """Counts how often the figures are drawn (not taken from the store)."""

    def __init__(self, monkeypatch):
        self.calls = 0
        draw = figures.Plot.draw

        def counted(plot, show=False):
            self.calls += 1
            return draw(plot, show)

        monkeypatch.setattr(figures.Plot, "draw", counted)


def test_a_figure_is_drawn_once_for_the_same_data(data, tmp_path, monkeypatch):
    drawn = CountedDrawing(monkeypatch)
    store = ResultStore(tmp_path / "results", "code")
    with using_store(store):
        save_svg(plot_pressure(data), tmp_path / "first.svg")
        save_svg(plot_pressure(data), tmp_path / "again.svg")
    assert drawn.calls == 1
    assert (tmp_path / "again.svg").read_bytes() == (
        tmp_path / "first.svg"
    ).read_bytes()
    save_svg(plot_pressure(data), tmp_path / "unstored.svg")
    assert (tmp_path / "unstored.svg").read_bytes() == (
        tmp_path / "first.svg"
    ).read_bytes()


def test_choosing_the_backend_keeps_the_stored_figure(data, tmp_path, monkeypatch):
    # The engine chooses Agg with matplotlib.use, which also clears
    # backend_fallback; neither changes an SVG.
    drawn = CountedDrawing(monkeypatch)
    with using_store(ResultStore(tmp_path / "results", "code")):
        with matplotlib.rc_context({"backend_fallback": True}):
            save_svg(plot_pressure(data), tmp_path / "figure.svg")
        with matplotlib.rc_context():
            matplotlib.use("Agg")
            assert not matplotlib.rcParams["backend_fallback"]
            save_svg(plot_pressure(data), tmp_path / "figure.svg")
    assert drawn.calls == 1


def _one_mention_moved(data):
    mentions = data.mentions.copy()
    first = mentions.index[mentions["pressure"] == "technical_rational"][0]
    mentions.loc[first, "pressure"] = "sociopolitical"
    return dataclasses.replace(data, mentions=mentions)


def test_changed_data_or_settings_draw_again(data, tmp_path, monkeypatch):
    drawn = CountedDrawing(monkeypatch)
    svg = tmp_path / "figure.svg"
    with using_store(ResultStore(tmp_path / "results", "code")):
        save_svg(plot_pressure(data), svg)
        before = svg.read_bytes()
        save_svg(plot_pressure(_one_mention_moved(data)), svg)
        assert drawn.calls == 2
        assert svg.read_bytes() != before
        # Another height, another figure.
        taller = dataclasses.replace(plot_pressure(data), height=3.0)
        save_svg(taller, svg)
        assert drawn.calls == 3
        # A cell that changes matplotlib's settings changes the figure.
        with matplotlib.rc_context({"font.size": 14}):
            save_svg(plot_pressure(data), svg)
        assert drawn.calls == 4
        # So does one that changes plotnine's options.
        with monkeypatch.context() as patch:
            patch.setattr(plotnine.options, "base_family", "serif")
            save_svg(plot_pressure(data), svg)
        assert drawn.calls == 5
        save_svg(plot_pressure(data), svg)
    assert drawn.calls == 5
    assert svg.read_bytes() == before


_SAVE = """
import sys
from pathlib import Path
from netreport.coded_data import load_coded_data
from netreport.figures import plot_use_by_context
from netreport.render._display import save_svg
from netreport.result_store import ResultStore, using_store

data = load_coded_data(sys.argv[2])
if sys.argv[3] == "matplotlib loaded":
    import matplotlib.pyplot
with using_store(ResultStore(Path(sys.argv[1]), "code")):
    save_svg(plot_use_by_context(data), Path(sys.argv[1]).parent / "figure.svg")
print("plotnine" in sys.modules, "matplotlib" in sys.modules)
"""


@pytest.mark.parametrize("state", ["matplotlib loaded", "nothing loaded"])
def test_a_stored_figure_is_not_drawn_in_a_new_process(tmp_path, state):
    def run() -> list[str]:
        done = subprocess.run(
            [sys.executable, "-c", _SAVE, str(tmp_path / "results"), str(DATA), state],
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.split()

    loaded = "True" if state == "matplotlib loaded" else "False"
    assert run() == ["True", "True"]
    drawn = (tmp_path / "figure.svg").read_bytes()
    assert run() == ["False", loaded]
    assert (tmp_path / "figure.svg").read_bytes() == drawn
