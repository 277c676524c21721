"""Message-passing layer of the GraphPNAS generator (PyTorch Geometric)."""

from __future__ import annotations

import torch
from torch import nn
from torch_geometric.nn import MessagePassing


class GatedGRUConv(MessagePassing):
    """Gated message passing with a GRU update (GRAN's layer, one propagation step).

    For an edge j -> i of type k the message is sigmoid(g(z)) * m(z), where g and m are two-layer
    MLPs of z = [x_j, x_i, e_k] sharing nothing but their input; messages are summed at i and
    the target is updated by a GRU cell: x_i' = GRU(sum, x_i). Edge types index a learned
    embedding e_k (node offsets, edge ops). The first layer of both MLPs is linear in z, so it is
    applied per node (W_s x_j, W_t x_i) and per type rather than per edge: identical maths at a
    fraction of the cost on dense candidate sets.

    Sources and targets may be different node sets (bipartite): `x_src` [N_src, D], `x_dst`
    [N_dst, D], `edge_index` [2, E] (row 0 indexes x_src, row 1 x_dst), `edge_type` [E] long.
    Returns [N_dst, D].
    """

    def __init__(self, dim: int, num_edge_types: int, hidden: int | None = None) -> None:
        super().__init__(aggr="add")
        self.hidden = hidden or dim
        self.source = nn.Linear(dim, 2 * self.hidden)
        self.target = nn.Linear(dim, 2 * self.hidden, bias=False)
        self.edge_type = nn.Embedding(num_edge_types, 2 * self.hidden)
        nn.init.normal_(self.edge_type.weight, std=dim**-0.5)
        self.gate_out = nn.Linear(self.hidden, dim)
        self.message_out = nn.Linear(self.hidden, dim)
        self.gru = nn.GRUCell(dim, dim)

    def forward(
        self,
        x_src: torch.Tensor,
        x_dst: torch.Tensor,
        edge_index: torch.Tensor,
        edge_type: torch.Tensor,
    ) -> torch.Tensor:
        summed = self.propagate(
            edge_index,
            a=(self.source(x_src), self.target(x_dst)),
            kind=edge_type,
            size=(x_src.shape[0], x_dst.shape[0]),
        )
        return self.gru(summed, x_dst)

    def message(self, a_j: torch.Tensor, a_i: torch.Tensor, kind: torch.Tensor) -> torch.Tensor:
        gate, message = torch.relu(a_j + a_i + self.edge_type(kind)).chunk(2, dim=-1)
        return torch.sigmoid(self.gate_out(gate)) * self.message_out(message)
