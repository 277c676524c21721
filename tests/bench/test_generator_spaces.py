"""benchmarks/generator_spaces.py: the sample score weighting and one small search per rule."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import pytest

from graphnas.evaluators.base import EvalResult

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture()
def bench(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import generator_spaces

    return generator_spaces


class ValueAsScore:
    """Scores an 'architecture' (a float) by its value; negative values fail."""

    def __init__(self) -> None:
        self.calls = 0

    def evaluate_one(self, arch: float) -> EvalResult:
        self.calls += 1
        return EvalResult(arch) if arch >= 0 else EvalResult.failure("negative")


def test_mean_score_weights_distinct_samples_by_count_and_skips_failures(bench) -> None:
    evaluator = ValueAsScore()
    archs = [1.0, 3.0, 1.0, 9.0, -1.0, -1.0]
    hashes = ["a", "b", "a", None, "c", "c"]  # 9.0 is invalid, -1.0 fails
    assert bench.mean_score(evaluator, archs, hashes) == pytest.approx((1 + 3 + 1) / 3)
    assert evaluator.calls == 3  # each distinct valid sample scored once


@pytest.mark.parametrize("variant", ["prior", "tempered"])
def test_a_small_search_on_the_complete_space_is_described(bench, variant) -> None:
    args = argparse.Namespace(queries=6, samples=30, seed=0)
    row = bench.describe("complete", variant, args)
    assert row["queries"] == 6
    assert 0 <= row["novel_distinct"] <= row["distinct"] <= 30 and row["distinct"] >= 1
    assert math.isfinite(row["mean_naswot"]) and math.isfinite(row["best"])
    assert row["support"] >= 1
    expected = "plug-in" if variant == "prior" else "monte-carlo"
    assert row["support_method"] == expected
