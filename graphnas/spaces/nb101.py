"""NAS-Bench-101 cell space: up to 7 nodes and 9 edges, node ops, pruned as the benchmark does."""

from __future__ import annotations

import json
import operator
from typing import Any

import numpy as np

from graphnas.graph import MAX_EDGES, ArchGraph, Edge, InvalidArchError, Node
from graphnas.spaces.base import (
    MAX_DENSE_NODES,
    SPACE_KINDS,
    GenerationRules,
    SearchSpace,
    full_mask,
    int_param,
)

NB101_OPS = ("conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3")
INPUT, OUTPUT = "input", "output"
# Unique valid cells in NAS-Bench-101 (Ying et al. 2019).
NB101_UNIQUE_CELLS = 423_624


@SPACE_KINDS.register("nb101")
class NB101Space(SearchSpace):
    """The NAS-Bench-101 cell: node 0 input, last node output, hidden nodes take one of three ops.

    Dangling nodes are allowed in an encoding and removed by pruning, as in the benchmark; the
    limits apply to the pruned cell, which must join input to output.
    """

    kind = "nb101"
    ops_on = "nodes"

    def __init__(
        self,
        name: str = "nb101",
        max_nodes: int = 7,
        max_edges: int = 9,
        network: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(name, network)
        self.max_nodes = int_param(max_nodes, "nb101: max_nodes", 2, MAX_DENSE_NODES)
        self.max_edges = int_param(max_edges, "nb101: max_edges", 1, MAX_EDGES)
        self.node_ops = NB101_OPS

    @classmethod
    def default_network(cls) -> dict[str, Any]:
        return {
            "stem_channels": 128,
            "num_stacks": 3,
            "cells_per_stack": 3,
            "num_classes": 10,
            "input_size": 32,
        }

    def params(self) -> dict[str, Any]:
        return {"max_nodes": self.max_nodes, "max_edges": self.max_edges}

    # ---------------------------------------------------------------- matrix + ops codec
    def from_matrix(self, matrix: list[list[int]], ops: list[str]) -> ArchGraph:
        """Build from the benchmark's upper-triangular matrix and op list (input ... output)."""
        if not isinstance(ops, (list, tuple)) or not all(isinstance(op, str) for op in ops):
            raise InvalidArchError(["ops must be a list of strings"], "NB101 matrix")
        n = len(ops)
        problems = []
        rows = _binary_rows(matrix, n)
        if rows is None:
            problems.append(f"matrix must be a {n}x{n} matrix of 0/1 to match {n} ops")
        if n < 2 or ops[0] != INPUT or ops[-1] != OUTPUT:
            problems.append("ops must start with 'input' and end with 'output'")
        if problems or rows is None:
            raise InvalidArchError(problems, "NB101 matrix")
        nodes = tuple(
            Node(None, INPUT) if i == 0 else Node(None, OUTPUT) if i == n - 1 else Node(op)
            for i, op in enumerate(ops)
        )
        edges = []
        for i in range(n):
            for j in range(n):
                if rows[i][j]:
                    edges.append(Edge(i, j))
        return ArchGraph(nodes, tuple(edges), self.name)

    def to_matrix(self, arch: ArchGraph) -> tuple[list[list[int]], list[str]]:
        """The benchmark's (matrix, ops) form."""
        ops = [
            INPUT if node.role == INPUT else OUTPUT if node.role == OUTPUT else str(node.op)
            for node in arch.nodes
        ]
        return arch.adjacency(), ops

    def encode(self, arch: ArchGraph) -> str:
        matrix, ops = self.to_matrix(arch)
        return json.dumps({"matrix": matrix, "ops": ops}, separators=(",", ":"))

    def decode(self, text: str) -> ArchGraph:
        try:
            data = json.loads(text)
            matrix, ops = data["matrix"], data["ops"]
        except (ValueError, KeyError, TypeError, RecursionError):
            raise InvalidArchError(
                ['expected JSON {"matrix": [[...]], "ops": [...]}'], "NB101 encoding"
            ) from None
        return self.validate(self.from_matrix(matrix, ops), "NB101 encoding")

    # ---------------------------------------------------------------- rules
    def rule_problems(self, arch: ArchGraph) -> list[str]:
        problems = []
        n = arch.num_nodes
        if n < 2 or n > self.max_nodes:
            problems.append(f"a cell has 2..{self.max_nodes} nodes, got {n}")
            return problems
        if arch.nodes[0].role != INPUT or arch.nodes[-1].role != OUTPUT:
            problems.append("node 0 must be the input and the last node the output")
        for i, node in enumerate(arch.nodes[1:-1], start=1):
            if node.role != "hidden" or node.op not in NB101_OPS:
                problems.append(f"node {i} must be a hidden node with op in {', '.join(NB101_OPS)}")
        if any(e.op is not None for e in arch.edges):
            problems.append("NB101 edges carry no ops")
        if problems:
            return problems
        pruned = arch.prune()
        if not pruned.edges:
            problems.append("no path joins the input to the output")
        elif pruned.num_edges > self.max_edges:
            problems.append(f"{pruned.num_edges} edges after pruning exceed {self.max_edges}")
        return problems

    # ---------------------------------------------------------------- sampling
    def sample_prior(self, rng: np.random.Generator) -> ArchGraph:
        """Uniform over encodings: random upper-triangular 7x7 matrix and ops, until valid."""
        n = self.max_nodes
        while True:
            matrix = np.triu(rng.integers(0, 2, size=(n, n)), k=1).tolist()
            ops = [INPUT] + [NB101_OPS[i] for i in rng.integers(0, 3, size=n - 2)] + [OUTPUT]
            arch = self.from_matrix(matrix, ops)
            if not self.rule_problems(arch):
                return arch

    def mutate(self, arch: ArchGraph, rng: np.random.Generator) -> ArchGraph:
        """Flip one edge or change one hidden op, until a valid, different cell results."""
        matrix, ops = self.to_matrix(arch)
        n = len(ops)

        def child() -> ArchGraph:
            new_matrix = [row[:] for row in matrix]
            new_ops = ops[:]
            if n > 2 and rng.random() < 0.5:
                k = int(rng.integers(1, n - 1))
                new_ops[k] = str(rng.choice([op for op in NB101_OPS if op != ops[k]]))
            else:
                i = int(rng.integers(0, n - 1))
                j = int(rng.integers(i + 1, n))
                new_matrix[i][j] = 1 - new_matrix[i][j]
            return self.from_matrix(new_matrix, new_ops)

        return self.first_new_child(arch, rng, child)

    def generation_rules(self) -> GenerationRules:
        n = self.max_nodes
        return GenerationRules(
            max_nodes=n,
            min_nodes=2,
            node_ops=NB101_OPS,
            edge_ops=(),
            roles=(INPUT,) + ("hidden",) * (n - 2) + (OUTPUT,),
            fixed_ops={0: None},
            stages=(0,) * n,
            allowed_edges=full_mask(n, True),
            forced_edges=full_mask(n, False),
            max_edges=self.max_edges,
            stop_op=OUTPUT,
            require_in_edge=True,
            require_out_edge=True,
            notes="the node given the 'output' op ends the cell; generated cells need no pruning",
        )

    def size(self) -> int:
        """The official number of unique valid cells (7 nodes, 9 edges, three ops)."""
        return NB101_UNIQUE_CELLS


def _binary_rows(matrix: Any, n: int) -> list[list[int]] | None:
    """`matrix` as n rows of n ints in {0, 1}, or None when it is not such a matrix."""
    try:
        rows = [[operator.index(value) for value in row] for row in matrix]
    except TypeError:
        return None
    if len(rows) != n or any(len(row) != n or not set(row) <= {0, 1} for row in rows):
        return None
    return rows
