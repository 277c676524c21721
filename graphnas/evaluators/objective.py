"""Cost-aware results: every pool's results get cost metrics and, if asked, a combined reward.

`ObjectivePool(inner, costs, ...)` wraps any evaluation pool (serial, process, Ray), so the
evaluator itself stays unchanged in every worker. Each successful result gains the metrics
`cost/params`, `cost/flops` and (with a latency table) `cost/latency_ms` of its architecture.
With a `WeightedObjective` the reward becomes MnasNet's / ProxylessNAS's

    reward * (cost / target) ** (alpha if cost <= target else beta)

and the evaluator's own reward stays in the metrics as `objective/reward`. Failed results pass
through unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from graphnas.compiler.cost_model import CostModel
from graphnas.evaluators.base import EvalResult
from graphnas.evaluators.pool import EvalPool
from graphnas.graph import ArchGraph


@dataclass(frozen=True)
class WeightedObjective:
    """reward * (cost / target) ** w, w = alpha at or under the target, beta above it."""

    metric: str
    target: float
    alpha: float = -0.07
    beta: float = -0.07

    def combine(self, reward: float, cost: float) -> float:
        exponent = self.alpha if cost <= self.target else self.beta
        return reward * (cost / self.target) ** exponent


class ObjectivePool:
    """An EvalPool adding cost metrics (and a weighted reward) to `inner`'s results."""

    def __init__(
        self, inner: EvalPool, costs: CostModel, weighted: WeightedObjective | None = None
    ) -> None:
        self.inner = inner
        self.costs = costs
        self.weighted = weighted
        self.archs: dict[int, ArchGraph] = {}

    def result_for(self, arch: ArchGraph, result: EvalResult) -> EvalResult:
        """`result` with the cost metrics of `arch` (and the weighted reward)."""
        if not result.ok:
            return result
        values = self.costs.costs(arch)
        metrics = {**result.metrics, **{f"cost/{k}": v for k, v in values.items()}}
        if self.weighted is None:
            return replace(result, metrics=metrics)
        metrics["objective/reward"] = result.reward
        reward = self.weighted.combine(result.reward, values[self.weighted.metric])
        return replace(result, reward=reward, metrics=metrics)

    def submit(self, ticket: int, arch: ArchGraph) -> None:
        self.inner.submit(ticket, arch)
        self.archs[ticket] = arch

    def collect(self, block: bool = True) -> list[tuple[int, EvalResult]]:
        return [
            (ticket, self.result_for(self.archs.pop(ticket), result))
            for ticket, result in self.inner.collect(block)
        ]

    def pending(self) -> int:
        return self.inner.pending()

    def close(self) -> None:
        self.archs.clear()
        self.inner.close()

    def __getattr__(self, name: str) -> Any:
        """Everything else (the evaluator, timeouts, ...) is the wrapped pool's."""
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)
