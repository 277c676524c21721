"""Architectures shared by the graph tests: random DAGs, relabellings and a brute-force oracle."""

from __future__ import annotations

import itertools
import random

from graphnas.graph import ArchGraph, Edge, Node


def random_dag(rng: random.Random, n: int, p: float, node_ops=("a", "b"), edge_ops=(None,)):
    nodes = [Node(rng.choice(node_ops)) for _ in range(n)]
    edges = [
        Edge(i, j, rng.choice(edge_ops)) for j in range(n) for i in range(j) if rng.random() < p
    ]
    return ArchGraph(tuple(nodes), tuple(edges))


def relabel(arch: ArchGraph, perm: list[int]) -> ArchGraph:
    """The same graph with node i renamed perm[i] (ids need not stay topological)."""
    nodes: list[Node] = [Node(None)] * arch.num_nodes
    for i, node in enumerate(arch.nodes):
        nodes[perm[i]] = node
    edges = [Edge(perm[e.src], perm[e.dst], e.op) for e in arch.edges]
    return ArchGraph(tuple(nodes), tuple(edges))


def brute_force_isomorphic(a: ArchGraph, b: ArchGraph) -> bool:
    if (a.num_nodes, a.num_edges) != (b.num_nodes, b.num_edges):
        return False
    b_edges = {(e.src, e.dst, e.op) for e in b.edges}
    for perm in itertools.permutations(range(a.num_nodes)):
        if (
            all(a.nodes[i] == b.nodes[perm[i]] for i in range(a.num_nodes))
            and {(perm[e.src], perm[e.dst], e.op) for e in a.edges} == b_edges
        ):
            return True
    return False


def cell(ops, edges, roles=None):
    return ArchGraph.build(ops, edges, roles=roles)


def sample_archs() -> list[ArchGraph]:
    """Random DAGs plus one graph using every field (None ops, edge ops, roles, stages, meta)."""
    rng = random.Random(4)
    archs = [random_dag(rng, rng.randint(1, 7), 0.5, edge_ops=(None, "x")) for _ in range(30)]
    archs.append(
        ArchGraph.build(
            [None, "a", None],
            [(0, 1, "e1"), (1, 2, None)],
            space="demo",
            roles=["input", "hidden", "output"],
            stages=[0, 1, 1],
            meta={"reward": 0.5, "tags": ["x", 'quote"d']},
        )
    )
    return archs
