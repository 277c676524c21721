"""Hard cost constraints for any strategy: a proposal above a limit is never evaluated.

`ConstrainedStrategy(inner, costs, limits)` asks `inner`, keeps back every proposal whose cost
(`CostModel`: analytic params/FLOPs, table latency) exceeds a limit, and hands the loop only the
feasible ones. When the loop tells their results, `inner` is told its whole batch in order: the
held-back proposals as failed results naming the limit they broke. A batch with no feasible
proposal is told at once and `inner` is asked again (up to `max_rejected` proposals in a row;
then the strategy proposes nothing and the search stops). Invalid proposals are passed through
(the loop records them as failed). State: the inner state plus the batch in progress.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from graphnas.compiler.cost_model import CostModel
from graphnas.evaluators.base import EvalResult
from graphnas.graph import ArchGraph
from graphnas.strategies.base import Hashes, Strategy

# Config key -> the cost metric it limits.
LIMITS = {"max_params": "params", "max_flops": "flops", "max_latency_ms": "latency_ms"}
DEFAULT_MAX_REJECTED = 10_000


class ConstrainedStrategy:
    """Wraps `inner` so that no proposal above `limits` (config key -> bound) is evaluated."""

    def __init__(
        self,
        inner: Strategy,
        costs: CostModel,
        limits: Mapping[str, float | None],
        max_rejected: int = DEFAULT_MAX_REJECTED,
    ) -> None:
        self.inner = inner
        self.costs = costs
        self.limits = {LIMITS[k]: float(v) for k, v in limits.items() if v is not None}
        self.names = {LIMITS[k]: k for k in limits}
        self.max_rejected = int(max_rejected)
        self.pending: tuple[list[ArchGraph], list[str | None]] | None = None
        self.rejected = 0  # proposals held back so far
        self.rejected_in_a_row = 0

    def violation(self, arch: ArchGraph) -> str | None:
        """Why `arch` may not be evaluated (the first limit it breaks), or None."""
        if self.costs.space.problems(arch):
            return None  # the loop records it as an invalid proposal
        values = self.costs.costs(arch, self.limits)
        for metric, bound in self.limits.items():
            if values[metric] > bound:
                return f"constraint: {metric} {values[metric]:.6g} > {self.names[metric]} {bound:g}"
        return None

    def ask(self, n: int) -> list[ArchGraph]:
        if self.pending is not None:
            raise RuntimeError("ask: the previous batch has not been told yet")
        while self.rejected_in_a_row < self.max_rejected:
            batch = list(self.inner.ask(n))
            if not batch:
                return []
            verdicts = [self.violation(arch) for arch in batch]
            held = sum(v is not None for v in verdicts)
            self.rejected += held
            if held < len(batch):
                self.rejected_in_a_row = 0
                self.pending = (batch, verdicts)
                return [arch for arch, v in zip(batch, verdicts, strict=True) if v is None]
            self.rejected_in_a_row += held
            self.inner.tell(batch, [EvalResult.failure(str(v)) for v in verdicts])
        return []

    def tell(
        self, archs: Sequence[ArchGraph], results: Sequence[EvalResult], hashes: Hashes = None
    ) -> None:
        """`inner` is told the whole batch; the held-back proposals, which the search never
        hashed, with no hash."""
        if self.pending is None:
            raise RuntimeError("tell: nothing was asked")
        batch, verdicts = self.pending
        feasible = [i for i, v in enumerate(verdicts) if v is None]
        if len(archs) != len(feasible) or len(results) != len(archs):
            raise ValueError(
                f"tell: {len(archs)} architectures and {len(results)} results for "
                f"{len(feasible)} feasible proposals"
            )
        told = [EvalResult.failure(str(v)) if v is not None else None for v in verdicts]
        digests: list[str | None] = [None] * len(batch)
        for j, (i, result) in enumerate(zip(feasible, results, strict=True)):
            told[i] = result
            digests[i] = None if hashes is None else hashes[j]
        self.pending = None
        self.inner.tell(batch, told, digests)  # type: ignore[arg-type]

    def metrics(self) -> dict[str, float]:
        return {**self.inner.metrics(), "constraints/rejected": float(self.rejected)}

    def search_cost_s(self) -> float:
        return float(getattr(self.inner, "search_cost_s", lambda: 0.0)())

    def state_dict(self) -> dict[str, Any]:
        pending = None
        if self.pending is not None:
            batch, verdicts = self.pending
            pending = {"archs": [a.to_dict() for a in batch], "verdicts": list(verdicts)}
        return {
            "inner": self.inner.state_dict(),
            "pending": pending,
            "rejected": self.rejected,
            "rejected_in_a_row": self.rejected_in_a_row,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.inner.load_state_dict(state["inner"])
        pending = state["pending"]
        self.pending = None
        if pending is not None:
            archs = [ArchGraph.from_dict(a) for a in pending["archs"]]
            self.pending = (archs, [None if v is None else str(v) for v in pending["verdicts"]])
        self.rejected = int(state["rejected"])
        self.rejected_in_a_row = int(state["rejected_in_a_row"])
