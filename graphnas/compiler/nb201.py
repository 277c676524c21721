"""NAS-Bench-201 network: stem, 3 stages of N cells at C, 2C, 4C, residual reductions, head.

Cell semantics are the benchmark's: node t is the sum over edges (j, t) of op(node j); 'none' is
an absent edge, and a node without in-edges is zero, computed as x * 0 like the benchmark's Zero
op so gradients (zeros) still reach earlier layers. Edges into nodes that never reach the output
are computed as in the benchmark network (they are part of its parameter and FLOP counts).

Execution follows a per-cell plan fixed at construction: for each node in order, the ReLU in
front of all conv edges leaving it is computed once and shared, and node sums accumulate in
place into tensors the cell itself produced (never into a tensor reached by a skip edge).
(Running same-kernel edges as one wider convolution was measured and dropped: no gain in NCHW,
and a large loss in channels_last, where channel slices are not dense.)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch.nn.functional as F
from torch import Tensor, nn

from graphnas.compiler.cost import (
    ZERO,
    Cost,
    bn_cost,
    conv_bn_cost,
    conv_out,
    global_pool_cost,
    linear_cost,
    pool_cost,
    relu_conv_bn_cost,
    relu_cost,
)
from graphnas.compiler.kinds import KIND_COMPILERS, KindCompiler, positive_ints
from graphnas.compiler.ops import ClassifierHead, ConvBN, ResidualReduction, avg_pool_3x3
from graphnas.graph import ArchGraph
from graphnas.spaces.base import SearchSpace

NUM_NODES = 4
CONV_KERNELS = {"nor_conv_3x3": 3, "nor_conv_1x1": 1}


def _edges_from(arch: ArchGraph) -> list[list[tuple[int, str]]]:
    """out[j] = [(t, op), ...] for the present edges leaving node j, in target order."""
    out: list[list[tuple[int, str]]] = [[] for _ in range(NUM_NODES)]
    for e in arch.edges:
        out[e.src].append((e.dst, str(e.op)))
    return out


class NB201Cell(nn.Module):
    """One cell: [B, C, H, W] -> [B, C, H, W]. The plan is fixed at construction."""

    def __init__(self, arch: ArchGraph, channels: int) -> None:
        super().__init__()
        has_input = [False] * NUM_NODES
        has_input[0] = True
        for e in arch.edges:
            has_input[e.dst] = True
        self.convs = nn.ModuleList()
        self.pool = avg_pool_3x3()
        plan = []
        for j, edges in enumerate(_edges_from(arch)):
            if not edges:
                continue
            convs = []
            for t, op in edges:
                if op in CONV_KERNELS:
                    convs.append((len(self.convs), t))
                    self.convs.append(
                        ConvBN(channels, channels, CONV_KERNELS[op], relu_before=False)
                    )
            pools = tuple(t for t, op in edges if op == "avg_pool_3x3")
            skips = tuple(t for t, op in edges if op == "skip_connect")
            plan.append((j, not has_input[j], tuple(convs), pools, skips))
        self.plan = tuple(plan)

    def forward(self, x: Tensor) -> Tensor:
        nodes: list[Tensor | None] = [x, None, None, None]
        owned = [False] * NUM_NODES  # nodes[t] is a fresh tensor of this cell: add in place
        for j, is_zero, convs, pools, skips in self.plan:
            h = x.mul(0.0) if is_zero else nodes[j]
            assert h is not None
            contributions = [(t, h, False) for t in skips]
            if convs:
                r = F.relu(h)
                contributions.extend((t, self.convs[k](r), True) for k, t in convs)
            contributions.extend((t, self.pool(h), True) for t in pools)
            for t, value, fresh in contributions:
                acc = nodes[t]
                if acc is None:
                    nodes[t], owned[t] = value, fresh
                elif owned[t]:
                    acc.add_(value)
                else:
                    nodes[t], owned[t] = acc + value, True
        out = nodes[NUM_NODES - 1]
        return x.mul(0.0) if out is None else out

    @staticmethod
    def cost(arch: ArchGraph, channels: int, hw: int) -> Cost:
        total = ZERO
        for e in arch.edges:
            if e.op in CONV_KERNELS:
                total += relu_conv_bn_cost(channels, channels, CONV_KERNELS[e.op], hw)
            elif e.op == "avg_pool_3x3":
                total += pool_cost(channels, 3, hw)
        return total


def _skeleton(net: Mapping[str, Any]) -> tuple[int, int, int, int]:
    return (
        int(net["channels"]),
        int(net["cells_per_stage"]),
        int(net["num_classes"]),
        int(net["input_size"]),
    )


def build(arch: ArchGraph, space: SearchSpace, net: Mapping[str, Any]) -> nn.Sequential:
    """Stem conv3x3+BN, 3 stages of N cells (C, 2C, 4C) joined by residual reductions, head."""
    channels, cells, num_classes, _ = _skeleton(net)
    return nn.Sequential(*body_layers(channels, cells, num_classes, lambda c: NB201Cell(arch, c)))


def body_layers(
    channels: int, cells: int, num_classes: int, cell: Callable[[int], nn.Module]
) -> list[nn.Module]:
    """Stem, 3 stages of `cells` cells `cell(C)` at C, 2C, 4C joined by residual reductions,
    head; modules in construction order (the parameter initialisation order)."""
    layers: list[nn.Module] = [ConvBN(3, channels, 3, relu_before=False)]
    c = channels
    for stage in range(3):
        if stage > 0:
            layers.append(ResidualReduction(c, 2 * c))
            c *= 2
        layers.extend(cell(c) for _ in range(cells))
    layers.append(ClassifierHead(c, num_classes, pre_bn=True))
    return layers


def cost(arch: ArchGraph, space: SearchSpace, net: Mapping[str, Any]) -> Cost:
    channels, cells, num_classes, hw = _skeleton(net)
    total = conv_bn_cost(3, channels, 3, hw)
    c = channels
    for stage in range(3):
        if stage > 0:
            total += ResidualReduction.cost(c, 2 * c, hw)
            c, hw = 2 * c, conv_out(hw, 3, 2)
        total += NB201Cell.cost(arch, c, hw) * cells
    head = bn_cost(c, hw) + relu_cost(c, hw) + global_pool_cost(c, hw)
    return total + head + linear_cost(c, num_classes)


def check(space: SearchSpace, net: Mapping[str, Any]) -> list[str]:
    return positive_ints(net, "channels", "cells_per_stage")


KIND_COMPILERS.add("nb201", KindCompiler(build, cost, check))
