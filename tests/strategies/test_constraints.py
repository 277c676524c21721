"""Hard constraints: no strategy ever gets an architecture above a limit evaluated."""

from __future__ import annotations

import pytest

from graphnas.compiler.cost_model import CostModel
from graphnas.config import BudgetConfig
from graphnas.evaluators import EVALUATORS
from graphnas.evaluators.base import EvalResult
from graphnas.evaluators.pool import SerialPool
from graphnas.search import SearchLoop
from graphnas.spaces import load_space
from graphnas.strategies import STRATEGIES
from graphnas.strategies.constrained import ConstrainedStrategy

SPACE = load_space("nb201")
MAX_PARAMS = 400_000  # NB201 cells range from 0.07M to 1.5M parameters: the limit binds
# Quick settings of the strategies whose defaults are sized for long runs.
TINY_SUPERNET = {
    "data": "synthetic:classes=3,train=24,size=8",
    "val_per_class": 8,
    "network": {"channels": 4, "cells_per_stage": 1},
    "batch_size": 8,
    "steps_per_ask": 1,
    "total_steps": 12,
}
QUICK = {
    "graphpnas": {"warmup": 4},
    "darts": TINY_SUPERNET,
    "gdas": TINY_SUPERNET,
    "stacnas": TINY_SUPERNET,
    "proxyless": {**TINY_SUPERNET, "cost_metric": "params"},
}


class RecordingEvaluator:
    """The NB201 table, remembering every architecture it was asked to score."""

    def __init__(self) -> None:
        self.table = EVALUATORS.build("nb201_table", {"dataset": "cifar10"}, {"space": SPACE})
        self.seen = []

    def evaluate(self, archs):
        self.seen.extend(archs)
        return self.table.evaluate(archs)


def _strategy(name: str, seed: int = 0):
    return STRATEGIES.build(
        name, QUICK.get(name, {}), {"space": SPACE, "seed": seed, "device": "cpu"}
    )


@pytest.mark.parametrize("name", sorted(STRATEGIES.names()))
def test_no_strategy_gets_a_violating_architecture_evaluated(name):
    costs = CostModel(SPACE)
    strategy = ConstrainedStrategy(_strategy(name), costs, {"max_params": MAX_PARAMS})
    evaluator = RecordingEvaluator()
    loop = SearchLoop(SPACE, strategy, SerialPool(evaluator), BudgetConfig(queries=12))
    loop.stall_limit = 200
    loop.run()
    assert evaluator.seen, name
    if name not in ("darts", "gdas", "stacnas", "proxyless"):  # few, mostly small derived cells
        assert strategy.rejected > 0  # the limit did bind
    assert all(costs.costs(a, ["params"])["params"] <= MAX_PARAMS for a in evaluator.seen)


def test_held_back_proposals_are_told_as_failures_in_order():
    class Fixed:
        def __init__(self):
            self.told = []

        def ask(self, n):
            return [
                SPACE.decode(
                    "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|"
                    "nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|"
                ),
                SPACE.decode("|skip_connect~0|+|none~0|none~1|+|none~0|none~1|skip_connect~2|"),
            ]

        def tell(self, archs, results, hashes=None):
            self.told.append((list(archs), list(results)))

        def metrics(self):
            return {}

        def state_dict(self):
            return {}

        def load_state_dict(self, state):
            pass

    inner = Fixed()
    strategy = ConstrainedStrategy(inner, CostModel(SPACE), {"max_params": MAX_PARAMS})
    asked = strategy.ask(2)
    assert len(asked) == 1 and SPACE.encode(asked[0]).startswith("|skip")
    state = strategy.state_dict()
    strategy.load_state_dict(state)  # the batch in progress survives a checkpoint
    strategy.tell(asked, [EvalResult(reward=50.0)])
    archs, results = inner.told[-1]
    assert len(archs) == 2 and not results[0].ok and "max_params" in results[0].error
    assert results[1].reward == 50.0
    assert strategy.metrics()["constraints/rejected"] == 1.0


def test_a_limit_nothing_meets_stops_the_search_instead_of_looping():
    strategy = ConstrainedStrategy(
        _strategy("random"), CostModel(SPACE), {"max_flops": 1.0}, max_rejected=50
    )
    loop = SearchLoop(SPACE, strategy, SerialPool(RecordingEvaluator()), BudgetConfig(queries=5))
    summary = loop.run()
    assert summary["queries"] == 0 and summary["stopped"] == "strategy proposed nothing"
