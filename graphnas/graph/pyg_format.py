"""PyTorch Geometric form of an ArchGraph (op ids in given vocabularies): writer and reader."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from graphnas.graph.arch import ArchGraph
from graphnas.graph.elements import ROLES, Edge, InvalidArchError, Node

if TYPE_CHECKING:
    from torch_geometric.data import Data


def arch_to_pyg(arch: ArchGraph, node_vocab: Sequence[str], edge_vocab: Sequence[str] = ()) -> Data:
    """PyG Data: x [n] long op ids in node_vocab (-1 for None), edge_index [2, E] long,
    edge_attr [E] long op ids in edge_vocab (-1 for None), role [n] long, stage [n] long."""
    import torch
    from torch_geometric.data import Data

    node_ids = {op: i for i, op in enumerate(node_vocab)}
    edge_ids = {op: i for i, op in enumerate(edge_vocab)}
    missing = sorted({n.op for n in arch.nodes if n.op is not None and n.op not in node_ids})
    missing += sorted({e.op for e in arch.edges if e.op is not None and e.op not in edge_ids})
    if missing:
        raise InvalidArchError([f"ops not in the vocabulary: {', '.join(missing)}"])
    x = torch.tensor([node_ids[n.op] if n.op is not None else -1 for n in arch.nodes])
    edge_index = torch.tensor([[e.src for e in arch.edges], [e.dst for e in arch.edges]])
    edge_index = edge_index.reshape(2, -1).long()
    edge_attr = torch.tensor([edge_ids[e.op] if e.op is not None else -1 for e in arch.edges])
    role = torch.tensor([ROLES.index(n.role) for n in arch.nodes])
    stage = torch.tensor([n.stage for n in arch.nodes])
    return Data(
        x=x.long(),
        edge_index=edge_index,
        edge_attr=edge_attr.long(),
        role=role.long(),
        stage=stage.long(),
        num_nodes=arch.num_nodes,
    )


def arch_from_pyg(
    data: Data, node_vocab: Sequence[str], edge_vocab: Sequence[str] = (), space: str = ""
) -> ArchGraph:
    """Inverse of arch_to_pyg."""
    x = data.x.tolist()
    role = data.role.tolist()
    stage = data.stage.tolist()
    nodes = tuple(
        Node(node_vocab[x[i]] if x[i] >= 0 else None, ROLES[role[i]], stage[i])
        for i in range(len(x))
    )
    src, dst = data.edge_index.tolist()
    attr = data.edge_attr.tolist()
    edges = tuple(
        Edge(s, d, edge_vocab[a] if a >= 0 else None)
        for s, d, a in zip(src, dst, attr, strict=True)
    )
    return ArchGraph(nodes, edges, space)
