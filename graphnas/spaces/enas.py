"""ENAS macro space (Pham et al. 2018): a chain of L layers, each an op plus skip inputs."""

from __future__ import annotations

from typing import Any

import numpy as np

from graphnas.graph import ArchGraph, Edge, InvalidArchError, Node
from graphnas.spaces.base import (
    MAX_DENSE_NODES,
    SPACE_KINDS,
    GenerationRules,
    SearchSpace,
    int_param,
    probability_param,
)

ENAS_OPS = ("conv_3x3", "conv_5x5", "sep_conv_3x3", "sep_conv_5x5", "max_pool_3x3", "avg_pool_3x3")
CHAIN, CHAIN_SKIP, SKIP = "chain", "chain+skip", "skip"


@SPACE_KINDS.register("enas")
class ENASMacroSpace(SearchSpace):
    """Layer i applies its op to layer i-1's output (the chain edge) and adds any subset of the
    outputs of layers 0..i-1 as skip inputs. A skip from layer j < i-1 is an edge labelled
    'skip'; a skip from layer i-1 itself labels the chain edge 'chain+skip' instead of 'chain'.
    That gives 6^L * 2^(L(L-1)/2) architectures, as in the paper (1.6e29 for L = 12).
    """

    kind = "enas"
    ops_on = "nodes"

    def __init__(
        self,
        name: str = "enas",
        num_layers: int = 12,
        skip_prob: float = 0.5,
        network: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(name, network)
        self.num_layers = int_param(num_layers, "enas: num_layers", 2, MAX_DENSE_NODES)
        self.skip_prob = probability_param(skip_prob, "enas: skip_prob")
        self.node_ops = ENAS_OPS

    @classmethod
    def default_network(cls) -> dict[str, Any]:
        return {"channels": 36, "reduce_at": [3, 7], "num_classes": 10, "input_size": 32}

    def params(self) -> dict[str, Any]:
        return {"num_layers": self.num_layers, "skip_prob": self.skip_prob}

    def _roles(self) -> list[str]:
        return ["input"] + ["hidden"] * (self.num_layers - 2) + ["output"]

    def from_arc(self, ops: list[str], skips: list[list[int]]) -> ArchGraph:
        """Build from per-layer ops and skip bits; skips[i] has i bits for layers 0..i-1."""
        nodes = tuple(Node(op, role) for op, role in zip(ops, self._roles(), strict=True))
        edges = []
        for i in range(1, self.num_layers):
            bits = skips[i]
            edges.append(Edge(i - 1, i, CHAIN_SKIP if bits[i - 1] else CHAIN))
            edges.extend(Edge(j, i, SKIP) for j in range(i - 1) if bits[j])
        return ArchGraph(nodes, tuple(edges), self.name)

    def to_arc(self, arch: ArchGraph) -> tuple[list[str], list[list[int]]]:
        ops = [str(node.op) for node in arch.nodes]
        skips = [[0] * i for i in range(self.num_layers)]
        for e in arch.edges:
            if e.op in (SKIP, CHAIN_SKIP):
                skips[e.dst][e.src] = 1
        return ops, skips

    def encode(self, arch: ArchGraph) -> str:
        """ENAS arc: per layer, the op index then its skip bits, all space-separated."""
        ops, skips = self.to_arc(arch)
        return " ".join(
            " ".join([str(ENAS_OPS.index(op))] + [str(b) for b in bits])
            for op, bits in zip(ops, skips, strict=True)
        )

    def decode(self, text: str) -> ArchGraph:
        tokens = text.split()
        expected = self.num_layers + self.num_layers * (self.num_layers - 1) // 2
        # ASCII digits only (str.isdigit also accepts '²', which int() rejects), and short.
        if len(tokens) != expected or not all(
            t.isascii() and t.isdigit() and len(t) <= 18 for t in tokens
        ):
            raise InvalidArchError(
                [f"expected {expected} non-negative integers for {self.num_layers} layers"],
                "ENAS arc",
            )
        values = [int(t) for t in tokens]
        ops, skips, pos = [], [], 0
        for i in range(self.num_layers):
            if values[pos] >= len(ENAS_OPS):
                raise InvalidArchError(
                    [f"layer {i}: op index {values[pos]} out of range"], "ENAS arc"
                )
            ops.append(ENAS_OPS[values[pos]])
            skips.append([min(v, 1) for v in values[pos + 1 : pos + 1 + i]])
            pos += 1 + i
        return self.validate(self.from_arc(ops, skips), "ENAS arc")

    def rule_problems(self, arch: ArchGraph) -> list[str]:
        if arch.num_nodes != self.num_layers:
            return [f"expected {self.num_layers} layers, got {arch.num_nodes}"]
        problems = []
        roles = self._roles()
        for i, node in enumerate(arch.nodes):
            if node.op not in ENAS_OPS:
                problems.append(f"layer {i} op {node.op!r} is not one of {', '.join(ENAS_OPS)}")
            if node.role != roles[i]:
                problems.append(f"layer {i} must have role {roles[i]}")
        present = {(e.src, e.dst): e.op for e in arch.edges}
        for i in range(1, self.num_layers):
            if present.get((i - 1, i)) not in (CHAIN, CHAIN_SKIP):
                problems.append(f"layer {i} needs the chain edge from layer {i - 1}")
        for (j, i), op in present.items():
            if j < i - 1 and op != SKIP:
                problems.append(f"edge {j}->{i} must be labelled 'skip'")
        return problems

    def sample_prior(self, rng: np.random.Generator) -> ArchGraph:
        """Ops uniform; each skip present with probability `skip_prob`."""
        ops = [ENAS_OPS[k] for k in rng.integers(0, len(ENAS_OPS), size=self.num_layers)]
        skips = [[int(b) for b in rng.random(i) < self.skip_prob] for i in range(self.num_layers)]
        return self.from_arc(ops, skips)

    def mutate(self, arch: ArchGraph, rng: np.random.Generator) -> ArchGraph:
        """Change one layer's op or flip one skip bit."""
        ops, skips = self.to_arc(arch)
        if rng.random() < 0.5:
            i = int(rng.integers(0, self.num_layers))
            ops[i] = str(rng.choice([op for op in ENAS_OPS if op != ops[i]]))
        else:
            i = int(rng.integers(1, self.num_layers))
            j = int(rng.integers(0, i))
            skips[i][j] = 1 - skips[i][j]
        return self.from_arc(ops, skips)

    def generation_rules(self) -> GenerationRules:
        n = self.num_layers
        return GenerationRules(
            max_nodes=n,
            min_nodes=n,
            node_ops=ENAS_OPS,
            edge_ops=(CHAIN, CHAIN_SKIP, SKIP),
            roles=tuple(self._roles()),
            fixed_ops={},
            stages=(0,) * n,
            allowed_edges=tuple(tuple(j < t for t in range(n)) for j in range(n)),
            forced_edges=tuple(tuple(j == t - 1 for t in range(n)) for j in range(n)),
            edge_op_choices=tuple(
                tuple(
                    (CHAIN, CHAIN_SKIP) if j == t - 1 else (SKIP,) if j < t - 1 else None
                    for t in range(n)
                )
                for j in range(n)
            ),
            notes="chain edge j=t-1 is 'chain' or 'chain+skip'; other present edges are 'skip'",
        )

    def size(self) -> int:
        n = self.num_layers
        return len(ENAS_OPS) ** n * 2 ** (n * (n - 1) // 2)
