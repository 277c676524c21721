"""The GraphPNAS strategy: the GNN generator trained by `elite` refits or by `reinforce`."""

from __future__ import annotations

from typing import Any, ClassVar

from graphnas.strategies.generator_strategy import GeneratorStrategy
from graphnas.strategies.registry import STRATEGIES


@STRATEGIES.register("graphpnas")
class GraphPNASStrategy(GeneratorStrategy):
    """GraphPNAS (Li et al. 2023) on any space; options in `GeneratorStrategy` and
    `update_rules.py`. The generator (`graphnas.generators.graphpnas`) takes its options from
    `generator: {hidden, layers, mixtures, temperature, edge_init_prob}`."""

    generator_kind = "graphpnas"
    default_update = "elite"
    loop_defaults: ClassVar[dict[str, Any]] = {"warmup": 20, "lr": 0.02, "pool": 64}
    rule_defaults: ClassVar[dict[str, dict[str, Any]]] = {
        "elite": {"top_k": 5, "steps": 10},
        "reinforce": {"steps": 2, "replay_weight": 1.0, "top_k": 5},
    }
