"""ENAS macro network (Pham et al. 2018), the fixed-architecture model that is retrained.

Layer i applies its op to layer i-1's output (layer 0 to the stem). From layer 1 on, the outputs
of its skip inputs and the op's output are concatenated (skip inputs in layer order, the op
output last) and merged by ReLU -> 1x1 conv -> BN back to C channels, as the official code does.
After every layer listed in `reduce_at` the channels double and every earlier output that a
later layer still reads is reduced by a factorized reduction (two 1x1/2 convs on shifted pixel
grids, concatenated, BN).

Op choices (stated; the paper names the ops, the official code adds the 1x1 in front): every op
starts with ReLU -> 1x1 conv -> BN, then conv_kxk: ReLU -> kxk conv -> BN; sep_conv_kxk:
ReLU -> depthwise kxk -> pointwise -> BN; max/avg_pool_3x3: 3x3 pooling, stride 1.
Stem: 3x3 conv -> BN. Head: global average pool -> linear without bias (official). Reductions
are built only for outputs that are read later, so every parameter receives a gradient.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor, nn

from graphnas.compiler.cost import (
    Cost,
    conv_bn_cost,
    conv_out,
    global_pool_cost,
    linear_cost,
    pool_cost,
    relu_conv_bn_cost,
    sep_conv_bn_cost,
)
from graphnas.compiler.kinds import KIND_COMPILERS, KindCompiler, positive_ints
from graphnas.compiler.ops import (
    ClassifierHead,
    ConvBN,
    FactorizedReduce,
    SepConvBN,
    avg_pool_3x3,
    max_pool_3x3,
)
from graphnas.compiler.program import Program, Step
from graphnas.graph import ArchGraph
from graphnas.spaces.base import SearchSpace
from graphnas.spaces.enas import CHAIN_SKIP, SKIP, ENASMacroSpace


def _op_module(op: str, c: int) -> nn.Module:
    """The layer op after its 1x1 input conv: [B, c, H, W] -> [B, c, H, W]."""
    kind, _, size = op.rpartition("_")
    k = int(size.split("x")[0])
    if op.startswith("conv_"):
        return ConvBN(c, c, k)
    if op.startswith("sep_conv_"):
        return SepConvBN(c, c, k)
    assert kind in ("max_pool", "avg_pool"), op
    return max_pool_3x3() if kind == "max_pool" else avg_pool_3x3()


def _op_cost(op: str, c: int, hw: int) -> Cost:
    k = int(op.rpartition("_")[2].split("x")[0])
    if op.startswith("conv_"):
        return relu_conv_bn_cost(c, c, k, hw)
    if op.startswith("sep_conv_"):
        return sep_conv_bn_cost(c, c, k, hw)
    return pool_cost(c, 3, hw)


class Concat(nn.Module):
    """[B, c_1, H, W], ..., [B, c_k, H, W] -> [B, sum c_i, H, W]."""

    def forward(self, *inputs: Tensor) -> Tensor:
        return torch.cat(inputs, dim=1)


def _skip_inputs(arch: ArchGraph) -> list[list[int]]:
    """skips[i]: layers whose outputs layer i concatenates (chain+skip counts its source)."""
    skips: list[list[int]] = [[] for _ in arch.nodes]
    for e in arch.edges:
        if e.op in (SKIP, CHAIN_SKIP):
            skips[e.dst].append(e.src)
    return [sorted(s) for s in skips]


def _last_reader(arch: ArchGraph) -> list[int]:
    """last[j]: the last layer that reads layer j's output (j itself if none)."""
    last = list(range(arch.num_nodes))
    for e in arch.edges:
        last[e.src] = max(last[e.src], e.dst)
    return last


def build(arch: ArchGraph, space: SearchSpace, net: Mapping[str, Any]) -> nn.Sequential:
    c = int(net["channels"])
    reduce_at = set(net["reduce_at"])
    skips, last = _skip_inputs(arch), _last_reader(arch)
    steps: list[Step] = []
    current = [0] * arch.num_nodes  # register holding each layer's output at the current size
    next_reg = 1

    def emit(module: nn.Module, inputs: tuple[int, ...]) -> int:
        nonlocal next_reg
        steps.append(Step(module, inputs, next_reg))
        next_reg += 1
        return next_reg - 1

    for i, node in enumerate(arch.nodes):
        source = current[i - 1] if i > 0 else 0
        out = emit(nn.Sequential(ConvBN(c, c, 1), _op_module(str(node.op), c)), (source,))
        if i > 0:
            if skips[i]:
                out = emit(Concat(), (*(current[j] for j in skips[i]), out))
            out = emit(ConvBN((len(skips[i]) + 1) * c, c, 1), (out,))
        current[i] = out
        if i in reduce_at:
            for j in range(i + 1):
                if last[j] > i:
                    current[j] = emit(FactorizedReduce(c, 2 * c), (current[j],))
            c *= 2
    body = Program(steps, result=current[-1])
    stem = ConvBN(3, int(net["channels"]), 3, relu_before=False)
    head = ClassifierHead(c, int(net["num_classes"]), pre_bn=False, bias=False)
    return nn.Sequential(stem, body, head)


def cost(arch: ArchGraph, space: SearchSpace, net: Mapping[str, Any]) -> Cost:
    c, hw = int(net["channels"]), int(net["input_size"])
    reduce_at = set(net["reduce_at"])
    skips, last = _skip_inputs(arch), _last_reader(arch)
    total = conv_bn_cost(3, c, 3, hw)
    for i, node in enumerate(arch.nodes):
        total += relu_conv_bn_cost(c, c, 1, hw) + _op_cost(str(node.op), c, hw)
        if i > 0:
            total += relu_conv_bn_cost((len(skips[i]) + 1) * c, c, 1, hw)
        if i in reduce_at:
            reduced = sum(1 for j in range(i + 1) if last[j] > i)
            total += reduced * FactorizedReduce.cost(c, 2 * c, hw)
            c, hw = 2 * c, conv_out(hw, 1, 2)
    return total + global_pool_cost(c, hw) + linear_cost(c, int(net["num_classes"]), bias=False)


def check(space: SearchSpace, net: Mapping[str, Any]) -> list[str]:
    assert isinstance(space, ENASMacroSpace)
    problems = positive_ints(net, "channels")
    reduce_at = net.get("reduce_at")
    valid = range(space.num_layers - 1)
    if not isinstance(reduce_at, list | tuple) or any(
        isinstance(i, bool) or not isinstance(i, int) or i not in valid for i in reduce_at
    ):
        problems.append(
            f"reduce_at must list layer indices in 0..{space.num_layers - 2}, got {reduce_at!r}"
        )
    elif len(set(reduce_at)) != len(reduce_at):
        problems.append(f"reduce_at lists a layer twice: {reduce_at!r}")
    return problems


KIND_COMPILERS.add("enas", KindCompiler(build, cost, check))
