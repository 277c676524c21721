"""The GraphPNAS strategy: the GNN generator trained by an update rule (`elite` by default)."""

from __future__ import annotations

from graphnas.strategies.generator_strategy import GeneratorStrategy
from graphnas.strategies.registry import STRATEGIES


@STRATEGIES.register("graphpnas")
class GraphPNASStrategy(GeneratorStrategy):
    """GraphPNAS (Li et al. 2023) on any space; loop options in `GeneratorStrategy`, rules in
    `graphnas.strategies.update_rules`. The generator (`graphnas.generators.graphpnas`) takes its
    options from `generator: {hidden, layers, mixtures, temperature, edge_init_prob}`."""

    generator_kind = "graphpnas"
    default_update = "elite"
