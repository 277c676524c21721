"""Pareto mode for any strategy: it is told each result's standing against the evaluated set.

`ParetoStrategy(inner, costs, metrics)` keeps every successful result as a point (reward to
maximise, the cost `metrics` to minimise, from `CostModel`) and tells `inner`, instead of the
reward, minus the number of points evaluated so far that dominate it (0 for a point on the
current front; SPEA's raw fitness), so any single-objective strategy climbs towards the front.
The evaluator's reward stays in the told metrics as `pareto/reward`. `front()` is the current
non-dominated set; the state holds every point, so a resumed run ranks exactly as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from graphnas.compiler.cost_model import CostModel
from graphnas.evaluators.base import EvalResult
from graphnas.export.pareto import dominators, pareto_front
from graphnas.graph import ArchGraph
from graphnas.strategies.base import Hashes, Strategy


class ParetoStrategy:
    """Wraps `inner`; see the module docstring. `metrics`: cost metric names (minimised)."""

    def __init__(self, inner: Strategy, costs: CostModel, metrics: Sequence[str]) -> None:
        self.inner = inner
        self.costs = costs
        self.cost_metrics = tuple(metrics)
        self.maximize = (True,) + (False,) * len(self.cost_metrics)
        self.points: dict[str, tuple[float, ...]] = {}  # canonical hash -> (reward, *costs)

    def point(self, arch: ArchGraph, result: EvalResult) -> tuple[float, ...]:
        values = self.costs.costs(arch, self.cost_metrics)
        return (float(result.reward), *(values[m] for m in self.cost_metrics))

    def ask(self, n: int) -> list[ArchGraph]:
        return self.inner.ask(n)

    def tell(
        self, archs: Sequence[ArchGraph], results: Sequence[EvalResult], hashes: Hashes = None
    ) -> None:
        if len(archs) != len(results):
            raise ValueError(f"tell: {len(archs)} architectures but {len(results)} results")
        told_hashes = [None] * len(archs) if hashes is None else list(hashes)
        scored: list[tuple[int, tuple[float, ...]]] = []
        for i, (arch, result) in enumerate(zip(archs, results, strict=True)):
            if result.ok:
                point = self.point(arch, result)
                digest = told_hashes[i]
                if digest is None:
                    digest = self.costs.space.canonical_hash(arch)
                self.points.setdefault(digest, point)
                scored.append((i, point))
        told = list(results)
        everything = list(self.points.values())
        for i, point in scored:
            rank = -float(dominators(point, everything, self.maximize))
            metrics = {**results[i].metrics, "pareto/reward": results[i].reward}
            told[i] = replace(results[i], reward=rank, metrics=metrics)
        self.inner.tell(archs, told, hashes)

    def front(self) -> list[tuple[str, tuple[float, ...]]]:
        """The non-dominated (hash, (reward, *costs)) pairs among everything evaluated."""
        items = list(self.points.items())
        return [items[i] for i in pareto_front([p for _, p in items], self.maximize)]

    def metrics(self) -> dict[str, float]:
        return {**self.inner.metrics(), "pareto/front_size": float(len(self.front()))}

    def search_cost_s(self) -> float:
        return float(getattr(self.inner, "search_cost_s", lambda: 0.0)())

    def state_dict(self) -> dict[str, Any]:
        return {
            "inner": self.inner.state_dict(),
            "points": {k: list(v) for k, v in self.points.items()},
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.inner.load_state_dict(state["inner"])
        self.points = {str(k): tuple(float(x) for x in v) for k, v in state["points"].items()}
