"""Pareto fronts on hand-made points, and the Pareto mode wrapper."""

from __future__ import annotations

import math

import pytest

from graphnas.compiler.cost_model import CostModel
from graphnas.evaluators.base import EvalResult
from graphnas.export.pareto import dominates, pareto_front, plot_pareto
from graphnas.spaces import load_space
from graphnas.strategies.pareto import ParetoStrategy

# (accuracy up, params down)
POINTS = [
    (90.0, 1.0),  # 0 front
    (92.0, 2.0),  # 1 front
    (91.0, 3.0),  # 2 dominated by 1
    (94.0, 5.0),  # 3 front
    (89.0, 1.0),  # 4 dominated by 0
    (94.0, 5.0),  # 5 equal to 3: kept
    (93.0, 6.0),  # 6 dominated by 3
    (math.nan, 0.5),  # 7 skipped
    (95.0, 9.0),  # 8 front
]


def test_front_of_hand_made_points():
    assert pareto_front(POINTS) == [0, 1, 3, 5, 8]


def test_front_matches_brute_force_in_three_objectives():
    import itertools

    pts = [(a, b, c) for a, b, c in itertools.product([1, 2, 3], [1, 2, 3], [2, 1])][::3]
    up = (True, False, True)
    brute = [i for i, p in enumerate(pts) if not any(dominates(q, p, up) for q in pts)]
    assert pareto_front(pts, up) == brute


def test_dominance_is_strict():
    assert dominates((2, 1), (1, 1)) and not dominates((1, 1), (1, 1))
    assert not dominates((2, 2), (1, 1))  # better accuracy, worse cost
    with pytest.raises(ValueError):
        dominates((1, 2, 3), (1, 2))


def test_plot_is_an_svg():
    svg = plot_pareto({"a": [(c, r) for r, c in POINTS], "b": [(1.0, 1.0)]}, "params (M)")
    assert svg.startswith(b"<?xml") and b"Pareto front" in svg


class Recorder:
    def __init__(self, archs):
        self.archs, self.told = archs, []

    def ask(self, n):
        return self.archs[:n]

    def tell(self, archs, results, hashes=None):
        self.told.append(list(results))

    def metrics(self):
        return {}

    def state_dict(self):
        return {"n": len(self.told)}

    def load_state_dict(self, state):
        pass


def test_pareto_mode_tells_minus_the_dominator_count():
    space = load_space("nb201")
    small = space.decode("|skip_connect~0|+|none~0|none~1|+|none~0|none~1|skip_connect~2|")
    big = space.decode(
        "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|"
        "nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|"
    )
    inner = Recorder([small, big])
    strategy = ParetoStrategy(inner, CostModel(space), ["params"])
    # the small cell is better AND cheaper: it dominates the big one
    strategy.tell([small, big], [EvalResult(80.0), EvalResult(70.0)])
    told = inner.told[-1]
    assert [r.reward for r in told] == [0.0, -1.0]
    assert told[1].metrics["pareto/reward"] == 70.0
    assert [h for h, _ in strategy.front()] == [space.canonical_hash(small)]
    restored = ParetoStrategy(Recorder([]), CostModel(space), ["params"])
    restored.load_state_dict(strategy.state_dict())
    assert restored.front() == strategy.front()
    # a failure passes through unchanged
    strategy.tell([big], [EvalResult.failure("boom")])
    assert not inner.told[-1][0].ok


def test_pareto_plots_from_records_with_cost_metrics():
    from types import SimpleNamespace

    from graphnas.export.pareto import cost_points, pareto_plots

    records = [
        SimpleNamespace(ok=True, reward=r, metrics={"cost/params": c})
        for r, c in POINTS
        if not math.isnan(r)
    ] + [SimpleNamespace(ok=False, reward=None, metrics={"cost/params": 1.0})]
    assert len(cost_points(records, "cost/params")) == len(POINTS) - 1
    plots = pareto_plots({"run": records})
    assert list(plots) == ["params"] and plots["params"].startswith(b"<?xml")
    assert pareto_plots({"run": [SimpleNamespace(ok=True, reward=1.0, metrics={})]}) == {}
