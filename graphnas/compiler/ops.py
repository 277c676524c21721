"""Primitive layers shared by the compiled networks. Tensors are [B, C, H, W] throughout.

Every module here is built from nn.Conv2d / nn.BatchNorm2d / nn.Linear / nn.AvgPool2d /
nn.MaxPool2d, so a hook-based counter sees exactly what `graphnas.compiler.cost` predicts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from graphnas.compiler.cost import (
    Cost,
    bn_cost,
    conv_cost,
    conv_out,
    pool_cost,
    relu_conv_bn_cost,
)


def _flat_dot(a: Tensor, b: Tensor) -> Tensor:
    """sum(a * b) as an fp32-or-wider scalar, without temporaries when both share a dense
    layout (fp32/fp64); reduced precisions multiply in place and accumulate in fp32."""
    if a.dtype not in (torch.float32, torch.float64):
        return (a * b).sum(dtype=torch.float32)
    if a.stride() == b.stride():
        if a.is_contiguous():
            return torch.dot(a.view(-1), b.view(-1))
        if a.dim() == 4 and a.is_contiguous(memory_format=torch.channels_last):
            return torch.dot(a.permute(0, 2, 3, 1).reshape(-1), b.permute(0, 2, 3, 1).reshape(-1))
    return (a * b).sum()


class _WeightedSum(torch.autograd.Function):
    """out = sum_i weights[i] * inputs[i], accumulated in place in one output buffer.

    Backward: grad_inputs[i] = grad * weights[i]; grad_weights[i] = <grad, inputs[i]> as a dot
    product (no temporaries), instead of autograd's mul + sum per input.
    """

    @staticmethod
    def forward(ctx: Any, weights: Tensor, *inputs: Tensor) -> Tensor:
        dtype = inputs[0].dtype
        if any(x.dtype != dtype for x in inputs):  # mixed precision: promote all inputs
            for x in inputs[1:]:
                dtype = torch.promote_types(dtype, x.dtype)
            inputs = tuple(x.to(dtype) for x in inputs)
        w = weights.to(dtype)
        out = inputs[0] * w[0]
        for i in range(1, len(inputs)):
            out.addcmul_(inputs[i], w[i])
        ctx.save_for_backward(w, *inputs)
        ctx.weights_dtype = weights.dtype
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Tensor | None, ...]:
        w, *inputs = ctx.saved_tensors
        grad_w = None
        if ctx.needs_input_grad[0]:
            grad_w = torch.stack([_flat_dot(grad, x) for x in inputs]).to(ctx.weights_dtype)
        grad_inputs = [
            grad * w[i] if ctx.needs_input_grad[1 + i] else None for i in range(len(inputs))
        ]
        return (grad_w, *grad_inputs)


def weighted_sum(inputs: Sequence[Tensor], weights: Tensor) -> Tensor:
    """sum_i weights[i] * inputs[i]: k same-shaped tensors, weights [k] -> one tensor.

    One fused pass forward and backward (see _WeightedSum); the result is a fresh tensor, so
    the caller may modify it in place.
    """
    return _WeightedSum.apply(weights, *inputs)


class ConvBN(nn.Module):
    """[ReLU ->] conv kxk (no bias) -> BN [-> ReLU]: [B, c_in, H, W] -> [B, c_out, H/s, W/s]."""

    def __init__(
        self,
        c_in: int,
        c_out: int,
        kernel: int,
        stride: int = 1,
        relu_before: bool = True,
        relu_after: bool = False,
    ) -> None:
        super().__init__()
        self.relu_before = relu_before
        self.relu_after = relu_after
        self.conv = nn.Conv2d(c_in, c_out, kernel, stride, (kernel - 1) // 2, bias=False)
        self.bn = nn.BatchNorm2d(c_out)

    def forward(self, x: Tensor) -> Tensor:
        if self.relu_before:
            x = F.relu(x)
        x = self.bn(self.conv(x))
        return F.relu(x) if self.relu_after else x


class SepConvBN(nn.Module):
    """[ReLU ->] depthwise kxk (stride s) -> pointwise 1x1 -> BN.

    [B, c_in, H, W] -> [B, c_out, H/s, W/s]."""

    def __init__(
        self, c_in: int, c_out: int, kernel: int, stride: int = 1, relu_before: bool = True
    ) -> None:
        super().__init__()
        self.relu_before = relu_before
        self.depthwise = nn.Conv2d(
            c_in, c_in, kernel, stride, (kernel - 1) // 2, groups=c_in, bias=False
        )
        self.pointwise = nn.Conv2d(c_in, c_out, 1, bias=False)
        self.bn = nn.BatchNorm2d(c_out)

    def forward(self, x: Tensor) -> Tensor:
        if self.relu_before:
            x = F.relu(x)
        return self.bn(self.pointwise(self.depthwise(x)))


def avg_pool_3x3() -> nn.AvgPool2d:
    """3x3 average pooling, stride 1, padding excluded from the average (as TF 'SAME')."""
    return nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)


def max_pool_3x3() -> nn.MaxPool2d:
    return nn.MaxPool2d(3, stride=1, padding=1)


class ResidualReduction(nn.Module):
    """NAS-Bench-201's reduction block (a stride-2 ResNet basic block):
    ReLU-conv3x3/2-BN -> ReLU-conv3x3-BN, plus shortcut avgpool2x2/2 -> conv1x1 (no BN).
    [B, c_in, H, W] -> [B, c_out, ceil(H/2), ceil(W/2)] (odd sizes: the last pool window is
    partial, so both paths agree)."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.conv_a = ConvBN(c_in, c_out, 3, stride=2)
        self.conv_b = ConvBN(c_out, c_out, 3)
        self.pool = nn.AvgPool2d(2, stride=2, ceil_mode=True)
        self.shortcut = nn.Conv2d(c_in, c_out, 1, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        return self.shortcut(self.pool(x)) + self.conv_b(self.conv_a(x))

    @staticmethod
    def cost(c_in: int, c_out: int, in_hw: int) -> Cost:
        out_hw = conv_out(in_hw, 3, 2)
        return (
            relu_conv_bn_cost(c_in, c_out, 3, in_hw, stride=2)
            + relu_conv_bn_cost(c_out, c_out, 3, out_hw)
            + pool_cost(c_in, 2, out_hw)
            + conv_cost(c_in, c_out, 1, out_hw)
        )


class FactorizedReduce(nn.Module):
    """ENAS factorized reduction: two 1x1 convs on the even and the odd pixel grids, concat, BN.
    [B, c_in, H, W] -> [B, c_out, ceil(H/2), ceil(W/2)]; c_out must be even."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.conv_even = nn.Conv2d(c_in, c_out // 2, 1, stride=2, bias=False)
        self.conv_odd = nn.Conv2d(c_in, c_out // 2, 1, stride=2, bias=False)
        self.bn = nn.BatchNorm2d(c_out)

    def forward(self, x: Tensor) -> Tensor:
        # The odd grid starts one pixel in; odd sizes get a zero row/column to keep ceil(H/2).
        shifted = x[:, :, 1:, 1:]
        if x.shape[-2] % 2 or x.shape[-1] % 2:
            shifted = F.pad(shifted, (0, x.shape[-1] % 2, 0, x.shape[-2] % 2))
        return self.bn(torch.cat([self.conv_even(x), self.conv_odd(shifted)], dim=1))

    @staticmethod
    def cost(c_in: int, c_out: int, in_hw: int) -> Cost:
        out_hw = conv_out(in_hw, 1, 2)
        return conv_cost(c_in, c_out // 2, 1, out_hw) * 2 + bn_cost(c_out, out_hw)


class ClassifierHead(nn.Module):
    """[BN -> ReLU ->] global average pool -> linear: [B, C, H, W] -> [B, num_classes]."""

    def __init__(self, channels: int, num_classes: int, pre_bn: bool, bias: bool = True) -> None:
        super().__init__()
        self.pre_bn = nn.BatchNorm2d(channels) if pre_bn else None
        self.fc = nn.Linear(channels, num_classes, bias=bias)

    def forward(self, x: Tensor) -> Tensor:
        if self.pre_bn is not None:
            x = F.relu(self.pre_bn(x))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))
