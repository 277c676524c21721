"""NAS-Bench-101 network (Ying et al. 2019), following the benchmark's model builder.

Skeleton: stem conv3x3-BN-ReLU (stem_channels), then num_stacks stacks of cells_per_stack
cells; every stack after the first starts with a 2x2/2 max pool and doubles the channels; then
global average pool and a linear classifier. The cell is the pruned graph:
- vertex channels follow the benchmark's rule: the output channels are split evenly (remainder
  to the first) over the vertices feeding the output; other vertices take the largest channel
  count of their successors;
- a vertex sums its inputs: other vertices truncated to its channel count (first channels), and
  the cell input through a 1x1 conv-BN-ReLU projection; then applies its op;
- the cell output concatenates the vertices feeding it, plus a projection of the cell input
  when the input feeds the output directly (the projection alone when nothing else does).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor, nn

from graphnas.compiler.cost import (
    ZERO,
    Cost,
    conv_bn_cost,
    conv_out,
    linear_cost,
    pool_cost,
)
from graphnas.compiler.kinds import KIND_COMPILERS, KindCompiler, positive_ints
from graphnas.compiler.ops import ClassifierHead, ConvBN
from graphnas.compiler.program import Program, Step
from graphnas.graph import ArchGraph
from graphnas.spaces.base import SearchSpace

OP_KERNELS = {"conv3x3-bn-relu": 3, "conv1x1-bn-relu": 1}


def vertex_channels(c_in: int, c_out: int, adjacency: list[list[int]]) -> list[int]:
    """Channels per vertex of a pruned cell (input c_in, output c_out), as the benchmark does."""
    n = len(adjacency)
    channels = [0] * n
    channels[0], channels[n - 1] = c_in, c_out
    if n == 2:
        return channels
    # In-degree of the output counts interior vertices only (the input path is a projection).
    fan_in = sum(adjacency[v][n - 1] for v in range(1, n - 1))
    base, extra = divmod(c_out, fan_in)
    for v in range(1, n - 1):
        if adjacency[v][n - 1]:
            channels[v] = base + (1 if extra > 0 else 0)
            extra -= 1
    for v in range(n - 2, 0, -1):
        if not adjacency[v][n - 1]:
            channels[v] = max(channels[w] for w in range(v + 1, n - 1) if adjacency[v][w])
    return channels


class Vertex(nn.Module):
    """Sum of inputs truncated to `channels`, then the op.

    k x [B, >= channels, H, W] -> [B, channels, H, W]."""

    def __init__(self, op: str, channels: int, input_channels: tuple[int, ...]) -> None:
        super().__init__()
        self.channels = channels
        self.truncate = tuple(c != channels for c in input_channels)
        self.op: nn.Module
        if op in OP_KERNELS:
            self.op = ConvBN(channels, channels, OP_KERNELS[op], relu_before=False, relu_after=True)
        else:
            self.op = nn.MaxPool2d(3, stride=1, padding=1)

    def forward(self, *inputs: Tensor) -> Tensor:
        total: Tensor | None = None
        for x, cut in zip(inputs, self.truncate, strict=True):
            if cut:
                x = x.narrow(1, 0, self.channels)
            total = x if total is None else total + x
        assert total is not None
        return self.op(total)


class CellOutput(nn.Module):
    """Concat of the vertices feeding the output [+ the input projection, if `add_last`]."""

    def __init__(self, add_last: bool) -> None:
        super().__init__()
        self.add_last = add_last

    def forward(self, *inputs: Tensor) -> Tensor:
        if self.add_last:
            *parts, projection = inputs
            return (torch.cat(parts, dim=1) if len(parts) > 1 else parts[0]) + projection
        return torch.cat(inputs, dim=1) if len(inputs) > 1 else inputs[0]


def build_cell(cell: ArchGraph, c_in: int, c_out: int) -> Program:
    """The pruned cell as a Program; register 0 is the cell input."""
    adjacency = cell.adjacency()
    n = len(adjacency)
    if n == 2:  # only input -> output survives pruning: the cell is the projection
        return Program([Step(_projection(c_in, c_out), (0,), 1)], result=1)
    channels = vertex_channels(c_in, c_out, adjacency)
    steps: list[Step] = []
    value_reg = [0] * n
    next_reg = 1

    def projection(width: int) -> int:
        nonlocal next_reg
        reg = next_reg
        next_reg += 1
        steps.append(Step(_projection(c_in, width), (0,), reg))
        return reg

    for t in range(1, n - 1):
        srcs = [s for s in range(1, t) if adjacency[s][t]]
        regs = [value_reg[s] for s in srcs]
        widths = [channels[s] for s in srcs]
        if adjacency[0][t]:
            regs.append(projection(channels[t]))
            widths.append(channels[t])
        value_reg[t] = next_reg
        next_reg += 1
        vertex = Vertex(str(cell.nodes[t].op), channels[t], tuple(widths))
        steps.append(Step(vertex, tuple(regs), value_reg[t]))
    feeding = [value_reg[t] for t in range(1, n - 1) if adjacency[t][n - 1]]
    direct = adjacency[0][n - 1]
    inputs = [*feeding, projection(c_out)] if direct else feeding
    steps.append(Step(CellOutput(direct), tuple(inputs), next_reg))
    return Program(steps, result=next_reg)


def _projection(c_in: int, c_out: int) -> ConvBN:
    """The benchmark's projection: conv1x1-BN-ReLU."""
    return ConvBN(c_in, c_out, 1, relu_before=False, relu_after=True)


def cell_cost(cell: ArchGraph, c_in: int, c_out: int, hw: int) -> Cost:
    adjacency = cell.adjacency()
    n = len(adjacency)
    channels = vertex_channels(c_in, c_out, adjacency)
    total = ZERO
    for t in range(1, n - 1):
        if adjacency[0][t]:
            total += conv_bn_cost(c_in, channels[t], 1, hw, relu_after=True)
        op = cell.nodes[t].op
        if op in OP_KERNELS:
            total += conv_bn_cost(channels[t], channels[t], OP_KERNELS[op], hw, relu_after=True)
        else:
            total += pool_cost(channels[t], 3, hw)
    if adjacency[0][n - 1]:
        total += conv_bn_cost(c_in, c_out, 1, hw, relu_after=True)
    return total


def _stack_plan(net: Mapping[str, Any]) -> list[tuple[bool, int, int]]:
    """(downsample first, c_in, c_out) per cell."""
    plan = []
    c_prev = int(net["stem_channels"])
    c = c_prev
    for stack in range(int(net["num_stacks"])):
        if stack > 0:
            c *= 2
        for cell in range(int(net["cells_per_stack"])):
            plan.append((stack > 0 and cell == 0, c_prev, c))
            c_prev = c
    return plan


def build(arch: ArchGraph, space: SearchSpace, net: Mapping[str, Any]) -> nn.Sequential:
    cell = arch.prune()
    stem = int(net["stem_channels"])
    layers: list[nn.Module] = [ConvBN(3, stem, 3, relu_before=False, relu_after=True)]
    c = stem
    for downsample, c_in, c_out in _stack_plan(net):
        if downsample:
            layers.append(nn.MaxPool2d(2, stride=2, ceil_mode=True))
        layers.append(build_cell(cell, c_in, c_out))
        c = c_out
    layers.append(ClassifierHead(c, int(net["num_classes"]), pre_bn=False))
    return nn.Sequential(*layers)


def cost(arch: ArchGraph, space: SearchSpace, net: Mapping[str, Any]) -> Cost:
    cell = arch.prune()
    stem, hw = int(net["stem_channels"]), int(net["input_size"])
    total = conv_bn_cost(3, stem, 3, hw, relu_after=True)
    c = stem
    for downsample, c_in, c_out in _stack_plan(net):
        if downsample:
            hw = conv_out(hw + 1, 2, 2, 0)  # ceil(hw / 2)
            total += pool_cost(c_in, 2, hw)
        total += cell_cost(cell, c_in, c_out, hw)
        c = c_out
    # The benchmark network averages with a mean, not a pooling layer: free in both conventions.
    return total + linear_cost(c, int(net["num_classes"]))


def check(space: SearchSpace, net: Mapping[str, Any]) -> list[str]:
    return positive_ints(net, "stem_channels", "num_stacks", "cells_per_stack")


KIND_COMPILERS.add("nb101", KindCompiler(build, cost, check))
