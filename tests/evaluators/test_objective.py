"""Cost metrics and the MnasNet/ProxylessNAS weighted reward on any pool; the build hook."""

from __future__ import annotations

import pytest

from graphnas.compiler.cost_model import CostModel
from graphnas.config import load_search_config
from graphnas.errors import GraphnasError
from graphnas.evaluators import EVALUATORS
from graphnas.evaluators.objective import ObjectivePool, WeightedObjective
from graphnas.evaluators.pool import SerialPool
from graphnas.spaces import load_space
from graphnas.strategies import STRATEGIES
from graphnas.strategies.constrained import ConstrainedStrategy
from graphnas.strategies.cost_aware import apply_cost_settings
from graphnas.strategies.pareto import ParetoStrategy

SPACE = load_space("nb201")
CELL = "|nor_conv_3x3~0|+|skip_connect~0|none~1|+|avg_pool_3x3~0|none~1|none~2|"


def _pool():
    return SerialPool(EVALUATORS.build("nb201_table", {"dataset": "cifar10"}, {"space": SPACE}))


def test_weighted_reward_follows_mnasnet():
    soft = WeightedObjective("params", 100.0, alpha=-0.07, beta=-0.07)
    assert soft.combine(80.0, 100.0) == 80.0
    assert soft.combine(80.0, 200.0) == pytest.approx(80.0 * 2**-0.07)
    hard = WeightedObjective("params", 100.0, alpha=0.0, beta=-1.0)
    assert hard.combine(80.0, 50.0) == 80.0  # under the target: no reward for being smaller
    assert hard.combine(80.0, 200.0) == 40.0


def test_pool_adds_costs_and_keeps_the_raw_reward():
    arch = SPACE.decode(CELL)
    costs = CostModel(SPACE)
    target = costs.costs(arch)["params"] / 2
    pool = ObjectivePool(_pool(), costs, WeightedObjective("params", target, -0.07, -0.07))
    pool.submit(7, arch)
    [(ticket, result)] = pool.collect()
    plain = _pool()
    plain.submit(0, arch)
    [(_, raw)] = plain.collect()
    assert ticket == 7 and pool.pending() == 0
    assert result.metrics["cost/params"] == costs.costs(arch)["params"]
    assert result.metrics["cost/flops"] > 0 and "cost/latency_ms" not in result.metrics
    assert result.metrics["objective/reward"] == raw.reward
    assert result.reward == pytest.approx(raw.reward * 2**-0.07)
    assert pool.evaluator is pool.inner.evaluator  # other attributes are the inner pool's


def _strategy():
    return STRATEGIES.build("random", {}, {"space": SPACE, "seed": 0})


def test_build_hook_wraps_only_when_asked():
    strategy, pool = _strategy(), _pool()
    config = load_search_config()
    assert apply_cost_settings(config, SPACE, strategy, pool, "cpu") == (strategy, pool)
    config = load_search_config(
        overrides=["constraints.max_params=500000", "objective.mode=pareto"]
    )
    wrapped, wrapped_pool = apply_cost_settings(config, SPACE, strategy, pool, "cpu")
    assert isinstance(wrapped, ConstrainedStrategy) and isinstance(wrapped.inner, ParetoStrategy)
    assert isinstance(wrapped_pool, ObjectivePool)


def test_latency_without_a_table_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("GRAPHNAS_CACHE", str(tmp_path))
    config = load_search_config(overrides=["constraints.max_latency_ms=5"])
    with pytest.raises(GraphnasError, match="no latency table") as err:
        apply_cost_settings(config, SPACE, _strategy(), _pool(), "cpu")
    assert "\n" not in str(err.value)
