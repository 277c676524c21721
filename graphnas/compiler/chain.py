"""The chain space kind as a network: stem -> one block per layer -> head.

Stem: 3x3 conv / `stem_stride` -> BN -> ReLU to `stem_channels`. Layer i is its op (see
graphnas.compiler.chain_ops) from the previous layer's channels to `channels[i]` at
`stride[i]`. Head: [1x1 conv -> BN -> ReLU to `head_channels`, when > 0] -> global average pool
-> linear (with bias). Images [B, 3, S, S] -> logits [B, num_classes].
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from torch import nn

from graphnas.compiler.chain_ops import ChainOp, chain_op
from graphnas.compiler.cost import Cost, conv_bn_cost, conv_out, global_pool_cost, linear_cost
from graphnas.compiler.kinds import KIND_COMPILERS, KindCompiler
from graphnas.compiler.mobile import Shortcut
from graphnas.compiler.ops import ClassifierHead, ConvBN
from graphnas.errors import ConfigError, UnknownNameError
from graphnas.graph import ArchGraph
from graphnas.spaces.base import SearchSpace, int_param
from graphnas.spaces.chain import ChainSpace, layer_plan


def layer_op(space: ChainSpace, name: str) -> ChainOp:
    """The op of a layer name in this space (its `identity_op` is always the shortcut)."""
    if name == space.identity_op:
        return ChainOp(Shortcut, Shortcut.cost)
    return chain_op(name)


def _space(space: SearchSpace) -> ChainSpace:
    assert isinstance(space, ChainSpace), space
    return space


def build(arch: ArchGraph, space: SearchSpace, net: Mapping[str, Any]) -> nn.Sequential:
    chain = _space(space)
    plan = layer_plan(net, chain.num_layers)
    stem = ConvBN(3, plan[0].c_in, 3, int(net["stem_stride"]), relu_before=False, relu_after=True)
    layers = [
        layer_op(chain, op).build(shape.c_in, shape.c_out, shape.stride)
        for op, shape in zip(chain.to_ops(arch), plan, strict=True)
    ]
    c, head_c = plan[-1].c_out, int(net["head_channels"])
    parts: list[nn.Module] = [stem, nn.Sequential(*layers)]
    if head_c:
        parts.append(ConvBN(c, head_c, 1, relu_before=False, relu_after=True))
        c = head_c
    parts.append(ClassifierHead(c, int(net["num_classes"]), pre_bn=False, bias=True))
    return nn.Sequential(*parts)


def cost(arch: ArchGraph, space: SearchSpace, net: Mapping[str, Any]) -> Cost:
    chain = _space(space)
    plan = layer_plan(net, chain.num_layers)
    hw, stride = int(net["input_size"]), int(net["stem_stride"])
    total = conv_bn_cost(3, plan[0].c_in, 3, hw, stride, relu_after=True)
    hw = conv_out(hw, 3, stride)
    for op, shape in zip(chain.to_ops(arch), plan, strict=True):
        total += layer_op(chain, op).cost(shape.c_in, shape.c_out, shape.stride, hw)
        hw = conv_out(hw, 1, shape.stride)
    c, head_c = plan[-1].c_out, int(net["head_channels"])
    if head_c:
        total += conv_bn_cost(c, head_c, 1, hw, relu_after=True)
        c = head_c
    return total + global_pool_cost(c, hw) + linear_cost(c, int(net["num_classes"]))


def check(space: SearchSpace, net: Mapping[str, Any]) -> list[str]:
    chain = _space(space)
    problems = []
    for key, low, high in (("stem_stride", 1, 2), ("head_channels", 0, 1 << 16)):
        try:
            int_param(net.get(key), key, low, high)
        except ConfigError as err:
            problems.append(str(err))
    try:
        layer_plan(net, chain.num_layers)
    except ConfigError as err:
        problems.append(str(err))
    for name in chain.edge_ops:
        try:
            layer_op(chain, name)
        except UnknownNameError as err:
            problems.append(str(err))
            break
    return problems


KIND_COMPILERS.add("chain", KindCompiler(build, cost, check))
