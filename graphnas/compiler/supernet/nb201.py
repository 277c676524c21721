"""NAS-Bench-201 supernet: the compiled skeleton (stem, 3 stages of N cells, residual reductions,
head) with all five ops on each of the six edges of every cell (the cell's decisions are shared
by all 3N cells, as in the benchmark and in DARTS/GDAS on it).

Cell semantics are the compiled cell's (graphnas.compiler.nb201): node t sums op(node j) over its
edges; 'none' contributes nothing; a node with no contribution is x * 0, and its out-edges still
run their ops on it. The ReLU in front of the conv edges leaving a node is computed once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch.nn.functional as F
from torch import Tensor, nn

from graphnas.compiler.nb201 import CONV_KERNELS, NUM_NODES, NB201Cell, body_layers
from graphnas.compiler.ops import ConvBN, avg_pool_3x3
from graphnas.compiler.supernet.base import (
    SUPERNET_KINDS,
    Decision,
    Selection,
    Supernet,
    accumulate,
    copy_module,
    scaled,
)
from graphnas.graph import ArchGraph
from graphnas.spaces.base import SearchSpace
from graphnas.spaces.nb201 import EDGE_ORDER, NB201_OPS, NB201Space

EDGE_INDEX = {pair: d for d, pair in enumerate(EDGE_ORDER)}
OP_INDEX = {op: k for k, op in enumerate(NB201_OPS)}
CONV_CHOICES = tuple(OP_INDEX[op] for op in CONV_KERNELS)
SKIP, POOL = OP_INDEX["skip_connect"], OP_INDEX["avg_pool_3x3"]


class NB201SuperCell(nn.Module):
    """Every candidate op of the six edges: [B, C, H, W] -> [B, C, H, W] for a selection."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.convs = nn.ModuleList(
            nn.ModuleDict(
                {
                    str(OP_INDEX[op]): ConvBN(channels, channels, k, relu_before=False)
                    for op, k in CONV_KERNELS.items()
                }
            )
            for _ in EDGE_ORDER
        )
        self.pool = avg_pool_3x3()

    def forward(self, x: Tensor, selection: Selection) -> Tensor:
        nodes: list[Tensor | None] = [x, None, None, None]
        for j in range(NUM_NODES - 1):
            h = nodes[j] if nodes[j] is not None else x.mul(0.0)
            outgoing = [(t, selection[EDGE_INDEX[(j, t)]]) for t in range(j + 1, NUM_NODES)]
            # The compiled cell's order per source node: skips, convs, pools.
            terms = [(t, h, w) for t, pairs in outgoing for k, w in pairs if k == SKIP]
            if any(k in CONV_CHOICES for _, pairs in outgoing for k, _ in pairs):
                r = F.relu(h)
                convs = self.convs
                terms += [
                    (t, convs[EDGE_INDEX[(j, t)]][str(k)](r), w)
                    for t, pairs in outgoing
                    for k, w in pairs
                    if k in CONV_CHOICES
                ]
            terms += [(t, self.pool(h), w) for t, pairs in outgoing for k, w in pairs if k == POOL]
            for t, value, w in terms:
                nodes[t] = accumulate(nodes[t], scaled(value, w))
        out = nodes[NUM_NODES - 1]
        return x.mul(0.0) if out is None else out


@SUPERNET_KINDS.register("nb201")
class NB201Supernet(Supernet):
    """Decisions: the six edges in the official order, choices NB201_OPS (none first)."""

    kind = "nb201"

    def __init__(self, space: SearchSpace, network: Mapping[str, Any], **options: Any) -> None:
        super().__init__(space, network, **options)
        channels, cells = int(network["channels"]), int(network["cells_per_stage"])
        self.body = nn.ModuleList(body_layers(channels, cells, self.num_classes, NB201SuperCell))
        self.finish_init()

    def make_decisions(self) -> tuple[Decision, ...]:
        return tuple(Decision(f"edge {j}->{t}", NB201_OPS) for j, t in EDGE_ORDER)

    def encode(self, arch: ArchGraph) -> tuple[int, ...]:
        assert isinstance(self.space, NB201Space)
        return tuple(OP_INDEX[op] for op in self.space.to_ops(arch))

    def decode(self, choices: Sequence[int]) -> ArchGraph:
        assert isinstance(self.space, NB201Space)
        return self.space.from_ops([NB201_OPS[k] for k in choices])

    def run(self, x: Tensor, selection: Selection) -> Tensor:
        for layer in self.body:
            x = layer(x, selection) if isinstance(layer, NB201SuperCell) else layer(x)
        return x

    def copy_into(self, body: nn.Module, arch: ArchGraph) -> None:
        # NB201Cell.convs lists the conv edges by source node, then in arch.edges order.
        conv_edges = [
            (EDGE_INDEX[(e.src, e.dst)], str(OP_INDEX[str(e.op)]))
            for j in range(NUM_NODES)
            for e in arch.edges
            if e.src == j and e.op in CONV_KERNELS
        ]
        for target, source in zip(body, self.body, strict=True):
            if isinstance(source, NB201SuperCell):
                assert isinstance(target, NB201Cell)
                for conv, (d, k) in zip(target.convs, conv_edges, strict=True):
                    copy_module(conv, source.convs[d][k])
            else:
                copy_module(target, source)
