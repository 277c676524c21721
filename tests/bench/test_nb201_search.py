"""benchmarks/nb201_search.py: the reward optimum, and the table's counts and paired headroom."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphnas.evaluators.nb201_table import NB201TableEvaluator
from graphnas.spaces import load_space

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture()
def bench(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import nb201_search

    return nb201_search


def test_reward_optimum_is_the_best_reward_of_the_whole_table(bench) -> None:
    optimum = bench.reward_optimum("cifar10")
    evaluator = NB201TableEvaluator(load_space("nb201"), dataset="cifar10")
    rewards = evaluator.metric_column(None)
    assert optimum["reward"] == pytest.approx(float(rewards.max()), abs=1e-4)
    assert optimum["test_accuracy"] == pytest.approx(94.373, abs=1e-3)  # BENCHMARKS.md ceiling


def row(strategy: str, seed: int, test: float, reward: float) -> dict[str, object]:
    return {
        "dataset": "cifar10",
        "strategy": strategy,
        "seed": seed,
        "test_accuracy": test,
        "reward": reward,
    }


def test_table_counts_optima_and_pairs_headroom_by_seed(bench) -> None:
    optimum = {"reward": 91.0, "test_accuracy": 94.0}
    rows = [
        row(bench.RECIPE, 0, 94.0, 91.0),
        row(bench.RECIPE, 1, 94.0, 91.0),
        row(bench.RECIPE, 2, 93.0, 90.0),
        row("evolution", 0, 93.0, 90.0),
        row("evolution", 1, 92.0, 89.0),
        row("evolution", 2, 94.0, 91.0),
    ]
    text = bench.table(rows, "cifar10", [0, 1, 2], [bench.RECIPE, "evolution"], optimum)
    lines = {line.split(" | ")[0].lstrip("| "): line for line in text.splitlines()}
    # recipe: found 2 of 3; headroom diffs 0, 0, 1 -> mean 0.333, s.e. 0.577 / sqrt(3)
    assert lines[bench.RECIPE].endswith("| 2/3 | +0.333 ± 0.333 |")
    # evolution: diffs recipe - evo 1, 2, -1 (mean 0.667, s.e. 0.882: not beaten);
    # headroom 1, 2, 0 -> mean 1.000 ± 0.577
    assert "| +0.667 ± 0.882 | no | 1/3 | +1.000 ± 0.577 |" in lines["evolution"]
