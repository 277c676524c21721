"""Layer ops of the chain space kind: names -> (module builder, analytic cost).

A chain op maps [B, c_in, H, W] to [B, c_out, ceil(H/stride), ceil(W/stride)]. Known names:

- `identity`, `skip_connect` (and the space's `identity_op`, whatever its name): the input, or
  the cheapest downsample where the layer changes stride or channels (mobile.Shortcut);
- `mbconv_e{E}_k{K}` and `mbconv_e{E}_k{K}_se`: inverted residual, expansion E (1-8), depthwise
  K x K (odd, 1-7), optionally with squeeze-and-excitation (mobile.MBConv);
- `conv_{K}x{K}`: ReLU -> conv K x K / stride -> BN; `sep_conv_{K}x{K}`: ReLU -> depthwise
  K x K / stride -> pointwise -> BN (as in the cell spaces);
- `max_pool_{K}x{K}`, `avg_pool_{K}x{K}`: pooling K x K / stride, then a 1x1 conv -> BN
  projection when the channels change.

A plug-in adds ops with `register_chain_op(name, build, cost)`; registered names win over the
families above.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from torch import Tensor, nn

from graphnas.compiler.cost import (
    ZERO,
    Cost,
    conv_out,
    pool_cost,
    relu_conv_bn_cost,
    sep_conv_bn_cost,
)
from graphnas.compiler.mobile import MBConv, Shortcut
from graphnas.compiler.ops import ConvBN, SepConvBN
from graphnas.errors import UnknownNameError
from graphnas.registry import Registry

Builder = Callable[[int, int, int], nn.Module]
Counter = Callable[[int, int, int, int], Cost]

IDENTITY_NAMES = ("identity", "skip_connect")
FAMILIES = (
    "mbconv_e{E}_k{K}[_se]",
    "conv_{K}x{K}",
    "sep_conv_{K}x{K}",
    "max_pool_{K}x{K}",
    "avg_pool_{K}x{K}",
)
_MBCONV = re.compile(r"mbconv_e([1-8])_k([1357])(_se)?")
_CONV = re.compile(r"(sep_conv|conv|max_pool|avg_pool)_([1357])x([1357])")


@dataclass(frozen=True)
class ChainOp:
    """build(c_in, c_out, stride) -> module; cost(c_in, c_out, stride, in_hw) -> its Cost."""

    build: Builder
    cost: Counter


CHAIN_OPS: Registry[ChainOp] = Registry("chain op")


def register_chain_op(name: str, build: Builder, cost: Counter) -> None:
    """Make `name` usable as a chain layer op (e.g. from a plug-in module)."""
    CHAIN_OPS.add(name, ChainOp(build, cost))


def chain_op(name: str) -> ChainOp:
    """The op a layer name stands for; UnknownNameError lists the known names otherwise."""
    if name in CHAIN_OPS:
        return CHAIN_OPS.get(name)
    if name in IDENTITY_NAMES:
        return ChainOp(Shortcut, Shortcut.cost)
    match = _MBCONV.fullmatch(name)
    if match:
        expand, kernel, se = int(match[1]), int(match[2]), bool(match[3])
        return ChainOp(
            lambda c_in, c_out, s: MBConv(c_in, c_out, kernel, s, expand, se),
            lambda c_in, c_out, s, hw: MBConv.cost(c_in, c_out, kernel, s, expand, se, hw),
        )
    match = _CONV.fullmatch(name)
    if match and match[2] == match[3]:
        return _conv_family(match[1], int(match[2]))
    raise UnknownNameError(
        f"unknown chain op {name!r}; known: {', '.join((*IDENTITY_NAMES, *CHAIN_OPS.names()))}, "
        f"{', '.join(FAMILIES)} (a plug-in can add more with register_chain_op)"
    )


def _conv_family(family: str, k: int) -> ChainOp:
    if family == "conv":
        return ChainOp(
            lambda c_in, c_out, s: ConvBN(c_in, c_out, k, stride=s),
            lambda c_in, c_out, s, hw: relu_conv_bn_cost(c_in, c_out, k, hw, stride=s),
        )
    if family == "sep_conv":
        return ChainOp(
            lambda c_in, c_out, s: SepConvBN(c_in, c_out, k, stride=s),
            lambda c_in, c_out, s, hw: sep_conv_bn_cost(c_in, c_out, k, hw, stride=s),
        )
    return ChainOp(
        lambda c_in, c_out, s: PoolLayer(family, k, c_in, c_out, s),
        lambda c_in, c_out, s, hw: PoolLayer.cost(k, c_in, c_out, s, hw),
    )


class PoolLayer(nn.Module):
    """Max or average pooling k x k / stride ('same' padding; the average excludes padding), then
    a 1x1 projection when channels change: [B, c_in, H, W] -> [B, c_out, ceil(H/s), ceil(W/s)]."""

    def __init__(self, family: str, kernel: int, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        pad = (kernel - 1) // 2
        self.pool = (
            nn.MaxPool2d(kernel, stride, pad)
            if family == "max_pool"
            else nn.AvgPool2d(kernel, stride, pad, count_include_pad=False)
        )
        self.project = Shortcut(c_in, c_out, 1) if c_in != c_out else None

    def forward(self, x: Tensor) -> Tensor:
        x = self.pool(x)
        return self.project(x) if self.project is not None else x

    @staticmethod
    def cost(kernel: int, c_in: int, c_out: int, stride: int, in_hw: int) -> Cost:
        out_hw = conv_out(in_hw, kernel, stride)
        projection = Shortcut.cost(c_in, c_out, 1, out_hw) if c_in != c_out else ZERO
        return pool_cost(c_in, kernel, out_hw) + projection
