"""networkx.DiGraph form of an ArchGraph (node attrs op/role/stage, edge attr op, graph attrs
space/meta): writer and reader."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from graphnas.graph.arch import ArchGraph
from graphnas.graph.elements import Edge, Node, none_if_empty

if TYPE_CHECKING:
    import networkx as nx


def arch_to_networkx(arch: ArchGraph) -> nx.DiGraph:
    """DiGraph with node attrs op/role/stage, edge attr op and graph attrs space/meta."""
    import networkx as nx

    g = nx.DiGraph(space=arch.space, meta=dict(arch.meta))
    for i, node in enumerate(arch.nodes):
        g.add_node(i, op=node.op, role=node.role, stage=node.stage)
    for e in arch.edges:
        g.add_edge(e.src, e.dst, op=e.op)
    return g


def arch_from_networkx(g: nx.DiGraph, space: str | None = None) -> ArchGraph:
    """Inverse of arch_to_networkx; node keys are relabelled 0..n-1 in sorted order."""
    order = sorted(g.nodes)
    index = {key: i for i, key in enumerate(order)}
    nodes = tuple(
        Node(
            none_if_empty(g.nodes[k].get("op")),
            str(g.nodes[k].get("role", "hidden")),
            int(g.nodes[k].get("stage", 0)),
        )
        for k in order
    )
    edges = tuple(
        Edge(index[u], index[v], none_if_empty(d.get("op"))) for u, v, d in g.edges(data=True)
    )
    meta = g.graph.get("meta") or {}
    if isinstance(meta, str):
        meta = json.loads(meta) if meta else {}
    return ArchGraph(
        nodes, edges, space if space is not None else str(g.graph.get("space", "")), meta
    )
