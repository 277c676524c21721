"""Complete-DAG space network: stem, num_cells cells (C, 2C, 4C, ...) joined by residual
reductions, head. Each cell is the pruned graph: a hidden node sums its inputs and applies its
op; the output node sums its inputs.

Ops: conv_3x3 / conv_1x1: ReLU -> conv -> BN; sep_conv_3x3: ReLU -> depthwise 3x3 -> pointwise
-> BN; max/avg_pool_3x3: stride 1 (average excludes padding); identity. Stem conv3x3 -> BN;
reductions are NB201's residual block; head BN -> ReLU -> global pool -> linear.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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
    sep_conv_bn_cost,
)
from graphnas.compiler.kinds import KIND_COMPILERS, KindCompiler, positive_ints
from graphnas.compiler.ops import (
    ClassifierHead,
    ConvBN,
    ResidualReduction,
    SepConvBN,
    avg_pool_3x3,
    max_pool_3x3,
)
from graphnas.compiler.program import Program, Step
from graphnas.graph import ArchGraph
from graphnas.spaces.base import SearchSpace


def _op_module(op: str, c: int) -> nn.Module:
    """[B, c, H, W] -> [B, c, H, W]."""
    if op == "conv_3x3":
        return ConvBN(c, c, 3)
    if op == "conv_1x1":
        return ConvBN(c, c, 1)
    if op == "sep_conv_3x3":
        return SepConvBN(c, c, 3)
    if op == "max_pool_3x3":
        return max_pool_3x3()
    if op == "avg_pool_3x3":
        return avg_pool_3x3()
    assert op == "identity", op
    return nn.Identity()


def _op_cost(op: str, c: int, hw: int) -> Cost:
    if op in ("conv_3x3", "conv_1x1"):
        return relu_conv_bn_cost(c, c, int(op[-1]), hw)
    if op == "sep_conv_3x3":
        return sep_conv_bn_cost(c, c, 3, hw)
    if op in ("max_pool_3x3", "avg_pool_3x3"):
        return pool_cost(c, 3, hw)
    return ZERO


class SumThen(nn.Module):
    """Sum of k inputs [B, C, H, W], then `op`."""

    def __init__(self, op: nn.Module) -> None:
        super().__init__()
        self.op = op

    def forward(self, *inputs: Tensor) -> Tensor:
        total = inputs[0]
        for x in inputs[1:]:
            total = total + x
        return self.op(total)


def build_cell(cell: ArchGraph, c: int) -> Program:
    """Register v holds node v (0 is the cell input)."""
    preds = cell.predecessors()
    last = cell.num_nodes - 1
    steps = [
        Step(SumThen(_op_module(str(node.op), c)), tuple(preds[v]), v)
        for v, node in enumerate(cell.nodes)
        if 0 < v < last
    ]
    steps.append(Step(SumThen(nn.Identity()), tuple(preds[last]), last))
    return Program(steps, result=last)


def build(arch: ArchGraph, space: SearchSpace, net: Mapping[str, Any]) -> nn.Sequential:
    cell = arch.prune()
    c = int(net["channels"])
    layers: list[nn.Module] = [ConvBN(3, c, 3, relu_before=False)]
    for k in range(int(net["num_cells"])):
        if k > 0:
            layers.append(ResidualReduction(c, 2 * c))
            c *= 2
        layers.append(build_cell(cell, c))
    layers.append(ClassifierHead(c, int(net["num_classes"]), pre_bn=True))
    return nn.Sequential(*layers)


def cost(arch: ArchGraph, space: SearchSpace, net: Mapping[str, Any]) -> Cost:
    cell = arch.prune()
    c, hw = int(net["channels"]), int(net["input_size"])
    total = conv_bn_cost(3, c, 3, hw)
    for k in range(int(net["num_cells"])):
        if k > 0:
            total += ResidualReduction.cost(c, 2 * c, hw)
            c, hw = 2 * c, conv_out(hw, 3, 2)
        for node in cell.nodes[1:-1]:
            total += _op_cost(str(node.op), c, hw)
    head = bn_cost(c, hw) + relu_cost(c, hw) + global_pool_cost(c, hw)
    return total + head + linear_cost(c, int(net["num_classes"]))


def check(space: SearchSpace, net: Mapping[str, Any]) -> list[str]:
    return positive_ints(net, "channels", "num_cells")


KIND_COMPILERS.add("complete", KindCompiler(build, cost, check))
