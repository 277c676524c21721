"""RandWire network (Xie et al. 2019): a conv stem, one random-DAG stage per graph stage, a head.

Stage semantics: node v of a stage with in-edges computes sum_u sigmoid(w_uv) * x_u over its
predecessors (learnable w, one per edge, initialised to 0), then ReLU -> 3x3 separable conv ->
BN. A node with no in-edges reads the stage input instead, with stride 2 and the channel change
of the stage (the paper's extra input node sends the same tensor to every such node, so no
weight is applied there). The stage output is the plain mean of the nodes with no out-edges.
An isolated node is therefore both: it reads the stage input and is averaged into the output.

Stems ('stem' in the skeleton), with C = channels:
  small   conv3x3/2 (3 -> C/2) + BN, then ReLU-conv3x3/2 (C/2 -> C) + BN  (the paper's small regime)
  tiny    conv3x3/1 (3 -> C/2) + BN, then ReLU-conv3x3/2 (C/2 -> C) + BN  (64x64 Tiny ImageNet)
  regular conv3x3/2 (3 -> C/2) + BN                                       (the regular regime)
Stage s has C * stage_channel_mult[s] channels. Head: ReLU-conv1x1 (-> head_channels)-BN, global
average pool, linear.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from graphnas.compiler.cost import (
    Cost,
    conv_bn_cost,
    conv_out,
    global_pool_cost,
    linear_cost,
    relu_conv_bn_cost,
    scalars_cost,
    sep_conv_bn_cost,
)
from graphnas.compiler.kinds import KIND_COMPILERS, KindCompiler, positive_ints
from graphnas.compiler.ops import ConvBN, SepConvBN, weighted_sum
from graphnas.compiler.program import Program, Step
from graphnas.graph import ArchGraph
from graphnas.spaces.base import SearchSpace
from graphnas.spaces.randwire import RandWireSpace

STEMS = ("small", "tiny", "regular")


class RandWireNode(nn.Module):
    """Aggregate (sigmoid-weighted sum), ReLU, separable 3x3 conv, BN.

    With in_degree 0 the node reads the stage input, already passed through ReLU once for all
    such nodes: forward(relu_x [B, c_in, H, W]) -> [B, c_out, H/stride, W/stride]. Otherwise
    forward(*inputs, each [B, c_in, H, W]) -> [B, c_out, H, W].
    """

    def __init__(self, in_degree: int, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        self.in_degree = in_degree
        self.edge_weights = nn.Parameter(torch.zeros(in_degree)) if in_degree else None
        self.op = SepConvBN(c_in, c_out, 3, stride=stride, relu_before=False)

    def forward(self, *inputs: Tensor) -> Tensor:
        if self.edge_weights is None:
            return self.op(inputs[0])
        # The weighted sum is a fresh tensor: the ReLU may overwrite it.
        return self.op(F.relu_(weighted_sum(inputs, torch.sigmoid(self.edge_weights))))


class Mean(nn.Module):
    """Plain mean of k same-shaped tensors (the stage output node)."""

    def __init__(self, count: int) -> None:
        super().__init__()
        self.register_buffer("weights", torch.full((count,), 1.0 / count), persistent=False)

    def forward(self, *inputs: Tensor) -> Tensor:
        if len(inputs) == 1:
            return inputs[0]
        return weighted_sum(inputs, self.weights)


def _stage_lists(arch: ArchGraph, space: RandWireSpace) -> list[list[list[int]]]:
    """preds[s][v]: local predecessor ids of local node v in stage s."""
    preds = [[[] for _ in range(n)] for n in space.stage_nodes]
    for e in arch.edges:
        s = arch.nodes[e.src].stage
        offset = space.offsets[s]
        preds[s][e.dst - offset].append(e.src - offset)
    return preds


def _sinks(preds: list[list[int]]) -> list[int]:
    has_out = [False] * len(preds)
    for ps in preds:
        for u in ps:
            has_out[u] = True
    return [v for v in range(len(preds)) if not has_out[v]]


def build_stage(preds: list[list[int]], c_in: int, c_out: int) -> Program:
    """A stage as a Program: register 0 input, 1 ReLU(input), 2 + v node v, 2 + n the mean."""
    n = len(preds)
    steps = [Step(nn.ReLU(), (0,), 1)]
    for v, ps in enumerate(preds):
        if ps:
            steps.append(
                Step(RandWireNode(len(ps), c_out, c_out, 1), tuple(2 + u for u in ps), 2 + v)
            )
        else:
            steps.append(Step(RandWireNode(0, c_in, c_out, 2), (1,), 2 + v))
    sinks = _sinks(preds)
    steps.append(Step(Mean(len(sinks)), tuple(2 + v for v in sinks), 2 + n))
    return Program(steps, result=2 + n)


def _channels(net: Mapping[str, Any], num_stages: int) -> tuple[int, list[int]]:
    c = int(net["channels"])
    stem_out = c // 2 if net["stem"] == "regular" else c
    return stem_out, [c * int(m) for m in net["stage_channel_mult"][:num_stages]]


def build(arch: ArchGraph, space: SearchSpace, net: Mapping[str, Any]) -> nn.Sequential:
    assert isinstance(space, RandWireSpace)
    stages = [functools.partial(build_stage, preds) for preds in _stage_lists(arch, space)]
    return nn.Sequential(*body_layers(net, int(net["num_classes"]), stages))


def body_layers(
    net: Mapping[str, Any], num_classes: int, stages: Sequence[Callable[[int, int], nn.Module]]
) -> list[nn.Module]:
    """Stem, one module `stage(c_in, c_out)` per stage, head (1x1 conv, pool, linear); modules
    in construction order (the parameter initialisation order)."""
    c = int(net["channels"])
    first_stride = 1 if net["stem"] == "tiny" else 2
    layers: list[nn.Module] = [ConvBN(3, c // 2, 3, stride=first_stride, relu_before=False)]
    if net["stem"] != "regular":
        layers.append(ConvBN(c // 2, c, 3, stride=2))
    c_prev, stage_channels = _channels(net, len(stages))
    for stage, c_stage in zip(stages, stage_channels, strict=True):
        layers.append(stage(c_prev, c_stage))
        c_prev = c_stage
    head = int(net["head_channels"])
    layers.append(ConvBN(c_prev, head, 1))
    layers.append(nn.AdaptiveAvgPool2d(1))
    layers.append(nn.Flatten(1))
    layers.append(nn.Linear(head, num_classes))
    return layers


def cost(arch: ArchGraph, space: SearchSpace, net: Mapping[str, Any]) -> Cost:
    assert isinstance(space, RandWireSpace)
    c, hw = int(net["channels"]), int(net["input_size"])
    first_stride = 1 if net["stem"] == "tiny" else 2
    total = conv_bn_cost(3, c // 2, 3, hw, stride=first_stride)
    hw = conv_out(hw, 3, first_stride)
    if net["stem"] != "regular":
        total += relu_conv_bn_cost(c // 2, c, 3, hw, stride=2)
        hw = conv_out(hw, 3, 2)
    c_prev, stage_channels = _channels(net, len(space.stage_nodes))
    for preds, c_stage in zip(_stage_lists(arch, space), stage_channels, strict=True):
        sources = sum(1 for ps in preds if not ps)
        total += sources * sep_conv_bn_cost(c_prev, c_stage, 3, hw, stride=2)
        hw = conv_out(hw, 3, 2)
        total += (len(preds) - sources) * sep_conv_bn_cost(c_stage, c_stage, 3, hw)
        total += scalars_cost(sum(len(ps) for ps in preds))
        c_prev = c_stage
    head = int(net["head_channels"])
    total += relu_conv_bn_cost(c_prev, head, 1, hw) + global_pool_cost(head, hw)
    return total + linear_cost(head, int(net["num_classes"]))


def check(space: SearchSpace, net: Mapping[str, Any]) -> list[str]:
    assert isinstance(space, RandWireSpace)
    problems = positive_ints(net, "channels", "head_channels")
    if net.get("stem") not in STEMS:
        problems.append(f"stem must be one of {', '.join(STEMS)}, got {net.get('stem')!r}")
    mults = net.get("stage_channel_mult")
    if not isinstance(mults, list | tuple) or len(mults) != len(space.stage_nodes):
        problems.append(
            f"stage_channel_mult must list one multiplier per stage ({len(space.stage_nodes)})"
        )
    elif any(isinstance(m, bool) or not isinstance(m, int) or m < 1 for m in mults):
        problems.append("stage_channel_mult entries must be positive integers")
    if not problems and int(net["channels"]) < 2:
        problems.append("channels must be at least 2 (the stem uses channels // 2)")
    return problems


KIND_COMPILERS.add("randwire", KindCompiler(build, cost, check))
