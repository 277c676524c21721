"""The search build's cost hook (interface 10): constraints and objectives from the config.

`apply_cost_settings(config, space, strategy, pool, device)` returns the strategy and pool the
search runs with: unchanged when `config.constraints` sets no limit and `config.objective.mode`
is "reward"; otherwise the pool adds cost metrics (and the weighted reward) to every result
(`ObjectivePool`), the strategy is told Pareto standings (`ParetoStrategy`, pareto mode), and
the outermost `ConstrainedStrategy` keeps every proposal above a limit from being evaluated.
Costs use the objective's `network` overrides; a latency table is loaded only when a latency
limit or objective needs one (`objective.latency_table`, else the device's cached table).
"""

from __future__ import annotations

from typing import Any

from graphnas.compiler.cost_model import CostModel
from graphnas.compiler.latency import load_table_for
from graphnas.config import SearchConfig
from graphnas.evaluators.objective import ObjectivePool, WeightedObjective
from graphnas.evaluators.pool import EvalPool
from graphnas.spaces import SearchSpace
from graphnas.strategies.base import Strategy
from graphnas.strategies.constrained import LIMITS, ConstrainedStrategy
from graphnas.strategies.pareto import ParetoStrategy


def cost_limits(config: SearchConfig) -> dict[str, float]:
    """The limits the config sets (config key -> bound)."""
    return {k: v for k in LIMITS if (v := getattr(config.constraints, k)) is not None}


def cost_metrics_used(config: SearchConfig) -> set[str]:
    """The cost metrics the constraints and the objective read."""
    used = {LIMITS[k] for k in cost_limits(config)}
    if config.objective.mode == "weighted":
        used.add(config.objective.metric)
    if config.objective.mode == "pareto":
        used.update(config.objective.pareto_metrics)
    return used


def cost_model_for(config: SearchConfig, space: SearchSpace, device: Any) -> CostModel:
    """The cost model of the run (with the latency table when something reads latency)."""
    table = None
    if "latency_ms" in cost_metrics_used(config):
        table = load_table_for(device, config.objective.latency_table)
    return CostModel(space, config.objective.network, table)


def apply_cost_settings(
    config: SearchConfig, space: SearchSpace, strategy: Strategy, pool: EvalPool, device: Any
) -> tuple[Strategy, EvalPool]:
    """(strategy, pool) wrapped as the config's constraints and objective say."""
    limits = cost_limits(config)
    objective = config.objective
    if not limits and objective.mode == "reward":
        return strategy, pool
    costs = cost_model_for(config, space, device)
    weighted = None
    if objective.mode == "weighted":
        assert objective.target is not None  # SearchConfig.check
        weighted = WeightedObjective(
            objective.metric, objective.target, objective.alpha, objective.beta
        )
    pool = ObjectivePool(pool, costs, weighted)
    if objective.mode == "pareto":
        strategy = ParetoStrategy(strategy, costs, objective.pareto_metrics)
    if limits:
        strategy = ConstrainedStrategy(strategy, costs, limits)
    return strategy, pool
