"""The result store: a hit when nothing the result depends on changed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import netreport.chisquare as chisquare
import netreport.result_store as result_store
from netreport.chisquare import independence
from netreport.result_store import (
    ResultStore,
    note_results,
    recording_results,
    stored_bytes,
    stored_value,
    using_store,
)


class Counted:
    """A computation that counts its calls."""

    def __init__(self, value):
        self.value = value
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return self.value


@pytest.fixture
def store(tmp_path: Path) -> ResultStore:
    return ResultStore(tmp_path / "results", "code-1")


def test_public_names():
    assert sorted(result_store.__all__) == [
        "ResultStore",
        "note_results",
        "recording_results",
        "stored_bytes",
        "stored_value",
        "using_store",
    ]


def test_without_a_store_everything_is_computed():
    compute = Counted(0.25)
    assert stored_value("p", [1, 2], compute) == 0.25
    assert stored_value("p", [1, 2], compute) == 0.25
    assert compute.calls == 2


def test_same_inputs_hit_changed_inputs_miss(store):
    compute = Counted(["fisher", 0.1 + 0.2])
    with using_store(store):
        first = stored_value("exact p", {"counts": [[1, 2], [3, 4]]}, compute)
        again = stored_value("exact p", {"counts": [[1, 2], [3, 4]]}, compute)
        assert compute.calls == 1
        stored_value("exact p", {"counts": [[1, 2], [3, 5]]}, compute)
        stored_value("exact p", {"counts": [[1, 2], [3, 4]], "seed": 1}, compute)
        stored_value("chi-square p", {"counts": [[1, 2], [3, 4]]}, compute)
    assert compute.calls == 4
    # Floats come back exactly as computed.
    assert first == again == ["fisher", 0.30000000000000004]


def test_other_code_misses(tmp_path):
    compute = Counted(b"<svg/>")
    for code in ("code-1", "code-2", "code-1"):
        with using_store(ResultStore(tmp_path / "results", code)):
            assert stored_bytes("figure svg", [1], compute, suffix=".svg") == b"<svg/>"
    assert compute.calls == 2


def test_refresh_computes_and_stores_again(tmp_path):
    old, new = Counted(b"old"), Counted(b"new")
    with using_store(ResultStore(tmp_path / "results", "code")):
        stored_bytes("figure svg", [1], old)
    with using_store(ResultStore(tmp_path / "results", "code", refresh=True)):
        assert stored_bytes("figure svg", [1], new) == b"new"
    with using_store(ResultStore(tmp_path / "results", "code")):
        assert stored_bytes("figure svg", [1], old) == b"new"
    assert (old.calls, new.calls) == (1, 1)


def test_inputs_must_be_json():
    with (
        using_store(ResultStore(Path("unused"), "code")),
        pytest.raises(TypeError, match="not JSON serializable"),
    ):
        stored_value("p", {"table": object()}, Counted(1))


def test_entries_used_are_recorded_and_the_rest_pruned(store):
    with using_store(store):
        with recording_results() as outer:
            stored_value("p", [1], Counted(1))
            with recording_results() as inner:
                stored_value("p", [2], Counted(2))
        stored_value("p", [3], Counted(3))
    note_results(["not recorded: no recorder open"])
    assert len(inner) == 1 and inner < outer and len(outer) == 2
    assert len(list(store.folder.iterdir())) == 3
    assert store.prune(outer) == 1
    assert {p.name for p in store.folder.iterdir()} == outer


def test_a_nested_recorder_with_the_same_names_closes_only_itself(store):
    with using_store(store), recording_results() as outer:
        with recording_results() as inner:
            stored_value("p", [1], Counted(1))
        assert inner == outer
        stored_value("p", [2], Counted(2))
    assert len(inner) == 1 and len(outer) == 2


def test_exact_p_hit_and_miss(store, monkeypatch):
    computed = []

    def compute(counts, seed, resamples):
        computed.append(counts.tolist())
        return real(counts, seed, resamples)

    real = chisquare._compute_exact_p
    monkeypatch.setattr(chisquare, "_compute_exact_p", compute)
    table = [[3, 1, 0], [1, 4, 2]]
    with using_store(store):
        first = independence(table, exact=True, resamples=2000)
        again = independence(table, exact=True, resamples=2000)
        assert computed == [table]
        assert again.p == first.p and again.test == "fisher-monte-carlo"
        other_seed = independence(table, exact=True, resamples=2000, seed=7)
        changed = independence([[3, 1, 0], [1, 4, 3]], exact=True, resamples=2000)
    assert len(computed) == 3
    assert changed.p == independence([[3, 1, 0], [1, 4, 3]], exact=True,
                                     resamples=2000).p  # fmt: skip
    assert other_seed.p == independence(table, exact=True, resamples=2000, seed=7).p


_STORED_ONLY = """
import sys
from pathlib import Path
from netreport.chisquare import independence, per_code
from netreport.result_store import ResultStore, using_store

table = [[12, 5, 1], [4, 9, 2]]
with using_store(ResultStore(Path(sys.argv[1]), "code")):
    result = independence(table, exact=True, resamples=1000)
    family = per_code(table, exact=True)
print(result.p, family.p_holm[0], "scipy" in sys.modules)
"""


def test_p_values_all_stored_need_no_scipy(tmp_path):
    def run() -> list[str]:
        done = subprocess.run(
            [sys.executable, "-c", _STORED_ONLY, str(tmp_path / "results")],
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.split()

    first, second = run(), run()
    assert first[2] == "True"
    assert second == [*first[:2], "False"]
