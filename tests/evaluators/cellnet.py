"""A small stand-in network builder for evaluator tests: a stem, one NB201-style cell whose edges
apply the architecture's ops (ReLU-conv-BN, skip, average pool, none), global pooling, a linear
classifier. Different cells give different networks, which is all the evaluator tests need; the
real networks come from graphnas.compiler.
"""

from __future__ import annotations

import os

import torch
from torch import nn

from graphnas.graph import ArchGraph
from graphnas.spaces.base import SearchSpace

WIDTH = 8


def _edge_op(op: str) -> nn.Module:
    if op == "nor_conv_3x3":
        return nn.Sequential(
            nn.ReLU(), nn.Conv2d(WIDTH, WIDTH, 3, padding=1, bias=False), nn.BatchNorm2d(WIDTH)
        )
    if op == "nor_conv_1x1":
        return nn.Sequential(
            nn.ReLU(), nn.Conv2d(WIDTH, WIDTH, 1, bias=False), nn.BatchNorm2d(WIDTH)
        )
    if op == "avg_pool_3x3":
        return nn.AvgPool2d(3, stride=1, padding=1)
    return nn.Identity()


class CellNet(nn.Module):
    def __init__(self, arch: ArchGraph, num_classes: int) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, WIDTH, 3, padding=1, bias=False), nn.BatchNorm2d(WIDTH)
        )
        self.edges = [(e.src, e.dst) for e in arch.edges if e.op != "none"]
        self.ops = nn.ModuleList(_edge_op(e.op) for e in arch.edges if e.op != "none")
        self.num_nodes = arch.num_nodes
        self.head = nn.Sequential(
            nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(WIDTH, num_classes)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        start = self.stem(x)
        nodes = [start] + [torch.zeros_like(start) for _ in range(self.num_nodes - 1)]
        for (src, dst), op in zip(self.edges, self.ops, strict=True):
            nodes[dst] = nodes[dst] + op(nodes[src])
        return self.head(nodes[-1])


def cell_network(
    arch: ArchGraph,
    space: SearchSpace,
    num_classes: int,
    input_size: int,
    network: dict | None = None,
) -> nn.Module:
    return CellNet(arch, num_classes)


def crashing_network(
    arch: ArchGraph,
    space: SearchSpace,
    num_classes: int,
    input_size: int,
    network: dict | None = None,
) -> nn.Module:
    """Like cell_network, but the process dies hard on cells with an average pool, and on the
    first cell with a 1x1 convolution while the file named by $CRASH_ONCE_MARKER is absent."""
    if any(e.op == "avg_pool_3x3" for e in arch.edges):
        os._exit(3)
    marker = os.environ.get("CRASH_ONCE_MARKER")
    if marker and any(e.op == "nor_conv_1x1" for e in arch.edges) and not os.path.exists(marker):
        open(marker, "w").close()
        os._exit(4)
    return CellNet(arch, num_classes)
