"""Complete-DAG space (the ReNAS starting point): N nodes, any subset of forward edges, node ops."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from graphnas.errors import ConfigError
from graphnas.graph import ArchGraph, Edge, Node
from graphnas.spaces.base import (
    MAX_DENSE_NODES,
    SPACE_KINDS,
    GenerationRules,
    SearchSpace,
    full_mask,
    int_param,
    probability_param,
)

COMPLETE_OPS = ("conv_3x3", "conv_1x1", "sep_conv_3x3", "max_pool_3x3", "avg_pool_3x3", "identity")


@SPACE_KINDS.register("complete")
class CompleteSpace(SearchSpace):
    """Node 0 is the input, node N-1 the output, hidden nodes pick an op; a hidden node sums its
    inputs. The complete DAG (every forward edge) is the densest member; dropping edges and
    choosing ops spans the space. Nodes on no input-to-output path are pruned.
    """

    kind = "complete"
    ops_on = "nodes"

    def __init__(
        self,
        name: str = "complete",
        num_nodes: int = 8,
        ops: Sequence[str] = COMPLETE_OPS,
        prior_edge_prob: float = 0.5,
        network: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(name, network)
        self.num_nodes = int_param(num_nodes, "complete: num_nodes", 3, MAX_DENSE_NODES)
        if not isinstance(ops, (list, tuple)) or not all(isinstance(op, str) for op in ops):
            raise ConfigError("complete: ops must be a list of op names")
        unknown = [op for op in ops if op not in COMPLETE_OPS]
        if unknown or not ops or len(set(ops)) != len(ops):
            raise ConfigError(
                f"complete: ops must be distinct names from {', '.join(COMPLETE_OPS)}"
                + (f"; unknown: {', '.join(unknown)}" if unknown else "")
            )
        self.node_ops = tuple(ops)
        # Zero would make the prior's redraw-until-connected loop endless.
        self.prior_edge_prob = probability_param(
            prior_edge_prob, "complete: prior_edge_prob", positive=True
        )

    @classmethod
    def default_network(cls) -> dict[str, Any]:
        return {"channels": 32, "num_cells": 3, "num_classes": 10, "input_size": 32}

    def params(self) -> dict[str, Any]:
        return {
            "num_nodes": self.num_nodes,
            "ops": list(self.node_ops),
            "prior_edge_prob": self.prior_edge_prob,
        }

    def build(self, ops: Sequence[str], edges: Sequence[tuple[int, int]]) -> ArchGraph:
        """From the hidden nodes' ops (N-2 of them) and forward edges."""
        nodes = (Node(None, "input"), *tuple(Node(op) for op in ops), Node(None, "output"))
        return ArchGraph(nodes, tuple(Edge(u, v) for u, v in edges), self.name)

    def complete(self, ops: Sequence[str]) -> ArchGraph:
        """The complete DAG with the given hidden ops."""
        n = self.num_nodes
        return self.build(ops, [(u, v) for v in range(n) for u in range(v)])

    def rule_problems(self, arch: ArchGraph) -> list[str]:
        n = self.num_nodes
        if arch.num_nodes != n:
            return [f"expected {n} nodes, got {arch.num_nodes}"]
        problems = []
        if arch.nodes[0].role != "input" or arch.nodes[-1].role != "output":
            problems.append("node 0 must be the input and the last node the output")
        for i, node in enumerate(arch.nodes[1:-1], start=1):
            if node.role != "hidden" or node.op not in self.node_ops:
                problems.append(f"node {i} must be hidden with op in {', '.join(self.node_ops)}")
        if any(e.op is not None for e in arch.edges):
            problems.append("edges carry no ops in this space")
        if not problems and not arch.prune().edges:
            problems.append("no path joins the input to the output")
        return problems

    def _random_ops(self, rng: np.random.Generator) -> list[str]:
        picks = rng.integers(0, len(self.node_ops), size=self.num_nodes - 2)
        return [self.node_ops[k] for k in picks]

    def sample_prior(self, rng: np.random.Generator) -> ArchGraph:
        """Ops uniform; each forward edge kept with `prior_edge_prob`, redrawn until connected."""
        n = self.num_nodes
        while True:
            edges = [
                (u, v) for v in range(n) for u in range(v) if rng.random() < self.prior_edge_prob
            ]
            arch = self.build(self._random_ops(rng), edges)
            if not self.rule_problems(arch):
                return arch

    def mutate(self, arch: ArchGraph, rng: np.random.Generator) -> ArchGraph:
        """Flip one edge or change one op, until a valid, different network results."""
        ops = [str(node.op) for node in arch.nodes[1:-1]]
        edges = {(e.src, e.dst) for e in arch.edges}
        n = self.num_nodes

        def child() -> ArchGraph:
            new_ops, new_edges = list(ops), set(edges)
            if rng.random() < 0.5:
                k = int(rng.integers(0, n - 2))
                new_ops[k] = str(rng.choice([op for op in self.node_ops if op != ops[k]] or ops))
            else:
                u = int(rng.integers(0, n - 1))
                v = int(rng.integers(u + 1, n))
                new_edges.symmetric_difference_update({(u, v)})
            return self.build(new_ops, sorted(new_edges))

        return self.first_new_child(arch, rng, child)

    def generation_rules(self) -> GenerationRules:
        n = self.num_nodes
        return GenerationRules(
            max_nodes=n,
            min_nodes=n,
            node_ops=self.node_ops,
            edge_ops=(),
            roles=("input",) + ("hidden",) * (n - 2) + ("output",),
            fixed_ops={0: None, n - 1: None},
            stages=(0,) * n,
            allowed_edges=full_mask(n, True),
            forced_edges=full_mask(n, False),
            require_in_edge=True,
            require_out_edge=True,
            notes="every hidden node needs an in-edge and an out-edge, so no pruning is needed",
        )

    def size(self) -> int:
        n = self.num_nodes
        return 2 ** (n * (n - 1) // 2) * len(self.node_ops) ** (n - 2)
