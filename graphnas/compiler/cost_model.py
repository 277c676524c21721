"""Cost metrics of architectures: analytic parameters and FLOPs, table-predicted latency.

`CostModel(space).costs(arch)` gives {"params": ..., "flops": ..., "latency_ms": ...} for the
network the compiler builds from `arch` with the space's skeleton (or `network` overrides):
params and FLOPs from `graphnas.compiler.arch_cost` (NB201 FLOP convention, per sample),
latency from a measured `LatencyTable` (only when one is given).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from graphnas.compiler.compile import arch_cost, resolve_network
from graphnas.compiler.latency import LatencyTable
from graphnas.config import COST_METRIC_NAMES
from graphnas.graph import ArchGraph
from graphnas.spaces import SearchSpace

COST_METRICS = COST_METRIC_NAMES


class CostModel:
    """Costs of architectures of one space on one skeleton (see the module docstring)."""

    def __init__(
        self,
        space: SearchSpace,
        network: Mapping[str, Any] | None = None,
        latency: LatencyTable | None = None,
    ) -> None:
        self.space = space
        self.network = resolve_network(space, network)
        self.latency = latency

    def costs(self, arch: ArchGraph, metrics: Iterable[str] = COST_METRICS) -> dict[str, float]:
        """The requested metrics of `arch` (latency only when the model has a table)."""
        wanted = set(metrics)
        out: dict[str, float] = {}
        if wanted & {"params", "flops"}:
            cost = arch_cost(arch, self.space, network=self.network, validate=False)
            if "params" in wanted:
                out["params"] = float(cost.params)
            if "flops" in wanted:
                out["flops"] = float(cost.flops)
        if "latency_ms" in wanted and self.latency is not None:
            out["latency_ms"] = self.latency.arch_latency_ms(arch, self.space, self.network)
        return out
