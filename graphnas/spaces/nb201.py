"""NAS-Bench-201 cell space: 4 nodes, 6 edges, each edge one of five ops ('none' = no edge)."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterator
from typing import Any

import numpy as np

from graphnas.graph import ArchGraph, CanonicalId, Edge, InvalidArchError, Node
from graphnas.spaces.base import SPACE_KINDS, GenerationRules, SearchSpace, full_mask

NONE = "none"
NB201_OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
NUM_NODES = 4
# Edge order of the official arch string: (0,1) | (0,2) (1,2) | (0,3) (1,3) (2,3).
EDGE_ORDER = tuple((j, t) for t in range(1, NUM_NODES) for j in range(t))


@SPACE_KINDS.register("nb201")
class NB201Space(SearchSpace):
    """The NAS-Bench-201 (NATS topology) cell. Present edges carry one of the four real ops."""

    kind = "nb201"
    ops_on = "edges"
    uniform_prior = True

    def __init__(self, name: str = "nb201", network: dict[str, Any] | None = None) -> None:
        super().__init__(name, network)
        self.edge_ops = NB201_OPS[1:]

    @classmethod
    def default_network(cls) -> dict[str, Any]:
        return {"channels": 16, "cells_per_stage": 5, "num_classes": 10, "input_size": 32}

    def params(self) -> dict[str, Any]:
        return {}

    # ---------------------------------------------------------------- construction and codec
    def from_ops(self, ops: tuple[str, ...] | list[str]) -> ArchGraph:
        """Build a cell from six ops in the official edge order."""
        edges = [Edge(j, t, op) for (j, t), op in zip(EDGE_ORDER, ops, strict=True) if op != NONE]
        roles = ("input", "hidden", "hidden", "output")
        return ArchGraph(tuple(Node(None, r) for r in roles), tuple(edges), self.name)

    def to_ops(self, arch: ArchGraph) -> tuple[str, ...]:
        """The six ops in the official edge order ('none' for an absent edge)."""
        present = {(e.src, e.dst): e.op for e in arch.edges}
        return tuple(present.get(pair, NONE) or NONE for pair in EDGE_ORDER)

    def encode(self, arch: ArchGraph) -> str:
        """Official string, e.g. |nor_conv_3x3~0|+|skip_connect~0|none~1|+|...~0|...~1|...~2|."""
        ops = iter(self.to_ops(arch))
        return "+".join(
            "|" + "|".join(f"{next(ops)}~{j}" for j in range(t)) + "|" for t in range(1, NUM_NODES)
        )

    def decode(self, text: str) -> ArchGraph:
        source = f"NB201 string {text[:100]!r}" + ("..." if len(text) > 100 else "")
        parts = text.strip().split("+")
        ops: list[str] = []
        problems: list[str] = []
        if len(parts) != NUM_NODES - 1:
            raise InvalidArchError(
                [f"expected 3 '+'-separated node groups, got {len(parts)}"], source
            )
        for t, part in enumerate(parts, start=1):
            tokens = [tok for tok in part.strip("|").split("|")]
            if len(tokens) != t:
                problems.append(f"node {t} needs {t} inputs, got {len(tokens)}")
                continue
            for j, tok in enumerate(tokens):
                op, _, src = tok.partition("~")
                if op not in NB201_OPS:
                    problems.append(f"unknown op {op!r} (valid: {', '.join(NB201_OPS)})")
                if src != str(j):
                    problems.append(f"input {tok!r} of node {t} should come from node {j}")
                ops.append(op)
        if problems:
            raise InvalidArchError(problems, source)
        return self.from_ops(ops)

    # ---------------------------------------------------------------- rules
    def rule_problems(self, arch: ArchGraph) -> list[str]:
        problems = []
        if arch.num_nodes != NUM_NODES:
            problems.append(f"an NB201 cell has {NUM_NODES} nodes, got {arch.num_nodes}")
            return problems
        expected_roles = ("input", "hidden", "hidden", "output")
        if tuple(n.role for n in arch.nodes) != expected_roles:
            problems.append(f"roles must be {', '.join(expected_roles)}")
        if any(n.op is not None for n in arch.nodes):
            problems.append("NB201 ops live on edges; node ops must be null")
        for e in arch.edges:
            if e.op not in self.edge_ops:
                problems.append(
                    f"edge {e.src}->{e.dst} op {e.op!r} is not one of {', '.join(self.edge_ops)}"
                )
        return problems

    # ---------------------------------------------------------------- sampling
    def sample_prior(self, rng: np.random.Generator) -> ArchGraph:
        """Uniform over the 5^6 = 15,625 cells."""
        return self.from_ops([NB201_OPS[i] for i in rng.integers(0, len(NB201_OPS), size=6)])

    def mutate(self, arch: ArchGraph, rng: np.random.Generator) -> ArchGraph:
        """Change the op of one uniformly chosen edge to a different op."""
        ops = list(self.to_ops(arch))
        k = int(rng.integers(0, len(ops)))
        choices = [op for op in NB201_OPS if op != ops[k]]
        ops[k] = choices[int(rng.integers(0, len(choices)))]
        return self.from_ops(ops)

    def generation_rules(self) -> GenerationRules:
        roles = ("input", "hidden", "hidden", "output")
        return GenerationRules(
            max_nodes=NUM_NODES,
            min_nodes=NUM_NODES,
            node_ops=(),
            edge_ops=self.edge_ops,
            roles=roles,
            fixed_ops={i: None for i in range(NUM_NODES)},
            stages=(0,) * NUM_NODES,
            allowed_edges=full_mask(NUM_NODES, True),
            forced_edges=full_mask(NUM_NODES, False),
            notes="an absent edge is the 'none' op",
        )

    # ---------------------------------------------------------------- identity
    def unique_str(self, arch: ArchGraph) -> str:
        """The official isomorphism-canonical expression of the cell (NAS-Bench-201 rule).

        Each node's value is the sorted '+'-join of one term per input edge: 'none' (or an input
        whose value is exactly zero) gives '#', skip_connect gives the input's value string as is,
        any other op gives '(x)@op'. Cells with the same string compute the same function.
        """
        ops = dict(zip(EDGE_ORDER, self.to_ops(arch), strict=True))
        values = ["0"]
        for t in range(1, NUM_NODES):
            terms: list[str] = []
            for j in range(t):
                op, source = ops[(j, t)], values[j]
                if op == NONE or source == "#":
                    terms.append("#")
                elif op == "skip_connect":
                    terms.append(source)
                else:
                    terms.append("(" + source + ")@" + op)
            values.append("+".join(sorted(terms)))
        return values[-1]

    def compute_canonical_id(self, arch: ArchGraph) -> CanonicalId:
        digest = hashlib.sha256(self.unique_str(arch).encode()).hexdigest()[:32]
        return CanonicalId("e:" + digest, exact=True)

    # ---------------------------------------------------------------- size
    def size(self) -> int:
        return len(NB201_OPS) ** len(EDGE_ORDER)

    def enumerate(self) -> Iterator[ArchGraph]:
        for ops in itertools.product(NB201_OPS, repeat=len(EDGE_ORDER)):
            yield self.from_ops(ops)
