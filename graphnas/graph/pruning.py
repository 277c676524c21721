"""Pruning: drop the nodes that lie on no input -> output path (the NAS-Bench-101 rule)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from graphnas.graph.elements import Edge

if TYPE_CHECKING:
    from graphnas.graph.arch import ArchGraph


def prune(arch: ArchGraph) -> ArchGraph:
    """`arch` without the nodes on no input -> output path, renumbered in the same order.

    Graphs without input or output roles are returned unchanged. If no path joins an input to an
    output, the result keeps only the input and output nodes and no edges.
    """
    inputs, outputs = arch.nodes_with_role("input"), arch.nodes_with_role("output")
    if not inputs or not outputs:
        return arch
    forward = _reach(inputs, arch.successors())
    backward = _reach(outputs, arch.predecessors())
    keep_set = {i for i in range(arch.num_nodes) if i in forward and i in backward}
    keep = sorted(keep_set | set(inputs) | set(outputs))
    if len(keep) == arch.num_nodes and all(
        e.src in forward and e.dst in backward for e in arch.edges
    ):
        return arch
    new_id = {old: new for new, old in enumerate(keep)}
    nodes = tuple(arch.nodes[i] for i in keep)
    edges = tuple(
        Edge(new_id[e.src], new_id[e.dst], e.op)
        for e in arch.edges
        if e.src in forward and e.dst in backward and e.src in new_id and e.dst in new_id
    )
    return arch.replace(nodes=nodes, edges=edges)


def _reach(starts: Iterable[int], neighbours: list[list[int]]) -> set[int]:
    seen = set(starts)
    stack = list(seen)
    while stack:
        for w in neighbours[stack.pop()]:
            if w not in seen:
                seen.add(w)
                stack.append(w)
    return seen
