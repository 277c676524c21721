"""Mobile blocks: the inverted residual (MBConv) with optional squeeze-and-excitation, and the
identity / downsample shortcut. Tensors are [B, C, H, W]; each module has an analytic `cost`
twin following graphnas.compiler.cost's conventions (the hook counter in measure.py agrees).

A stride-s layer maps H to ceil(H / s) whichever block it holds, so blocks can be swapped freely
within a chain. Element-wise products (the SE scaling) and additions (the residual) are free
under both FLOP conventions, as every other addition in graphnas is.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from graphnas.compiler.cost import (
    ZERO,
    Cost,
    bn_cost,
    conv_cost,
    conv_out,
    global_pool_cost,
    pool_cost,
    relu_cost,
)


def _conv_bn(c_in: int, c_out: int, kernel: int, stride: int = 1, groups: int = 1) -> nn.Sequential:
    conv = nn.Conv2d(c_in, c_out, kernel, stride, (kernel - 1) // 2, groups=groups, bias=False)
    return nn.Sequential(conv, nn.BatchNorm2d(c_out))


class SqueezeExcite(nn.Module):
    """x * sigmoid(W2 relu(W1 avgpool(x))): [B, C, H, W] -> [B, C, H, W], W1: C -> `reduced`."""

    def __init__(self, channels: int, reduced: int) -> None:
        super().__init__()
        self.reduce = nn.Conv2d(channels, reduced, 1, bias=True)
        self.expand = nn.Conv2d(reduced, channels, 1, bias=True)

    def forward(self, x: Tensor) -> Tensor:
        scale = F.adaptive_avg_pool2d(x, 1)
        scale = self.expand(F.relu(self.reduce(scale)))
        return x * scale.sigmoid()

    @staticmethod
    def cost(channels: int, reduced: int, hw: int) -> Cost:
        return (
            global_pool_cost(channels, hw)
            + conv_cost(channels, reduced, 1, 1, bias=True)
            + relu_cost(reduced, 1)
            + conv_cost(reduced, channels, 1, 1, bias=True)
        )


class MBConv(nn.Module):
    """Inverted residual block (MobileNetV2; SE as in MnasNet/EfficientNet).

    [expand 1x1 -> BN -> ReLU6] (skipped when expand == 1) -> depthwise kxk / stride -> BN ->
    ReLU6 -> [SE, reduced to max(1, c_in // 4) channels] -> project 1x1 -> BN (linear
    bottleneck), plus the input when stride == 1 and c_in == c_out.
    [B, c_in, H, W] -> [B, c_out, ceil(H/stride), ceil(W/stride)].
    """

    def __init__(
        self, c_in: int, c_out: int, kernel: int, stride: int, expand: int, se: bool = False
    ) -> None:
        super().__init__()
        mid = c_in * expand
        self.expand = _conv_bn(c_in, mid, 1) if expand != 1 else None
        self.depthwise = _conv_bn(mid, mid, kernel, stride, groups=mid)
        self.se = SqueezeExcite(mid, se_channels(c_in)) if se else None
        self.project = _conv_bn(mid, c_out, 1)
        self.residual = stride == 1 and c_in == c_out

    def forward(self, x: Tensor) -> Tensor:
        y = F.relu6(self.expand(x)) if self.expand is not None else x
        y = F.relu6(self.depthwise(y))
        if self.se is not None:
            y = self.se(y)
        y = self.project(y)
        return x + y if self.residual else y

    @staticmethod
    def cost(
        c_in: int, c_out: int, kernel: int, stride: int, expand: int, se: bool, in_hw: int
    ) -> Cost:
        mid = c_in * expand
        out_hw = conv_out(in_hw, kernel, stride)
        total = ZERO
        if expand != 1:
            total += conv_cost(c_in, mid, 1, in_hw) + bn_cost(mid, in_hw) + relu_cost(mid, in_hw)
        total += conv_cost(mid, mid, kernel, out_hw, groups=mid) + bn_cost(mid, out_hw)
        total += relu_cost(mid, out_hw)
        if se:
            total += SqueezeExcite.cost(mid, se_channels(c_in), out_hw)
        return total + conv_cost(mid, c_out, 1, out_hw) + bn_cost(c_out, out_hw)


def se_channels(c_in: int) -> int:
    """Squeeze width of an SE block in a block with `c_in` input channels (ratio 0.25)."""
    return max(1, c_in // 4)


class Shortcut(nn.Module):
    """The identity where it can be one, else the cheapest downsample that fits.

    stride 1 and c_in == c_out: the input itself. Otherwise: average pooling stride x stride
    (ceil mode, so H -> ceil(H/stride)) when stride > 1, then a 1x1 conv -> BN projection when the
    channels change. [B, c_in, H, W] -> [B, c_out, ceil(H/stride), ceil(W/stride)].
    """

    def __init__(self, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        self.pool = nn.AvgPool2d(stride, stride, ceil_mode=True) if stride > 1 else None
        self.project = _conv_bn(c_in, c_out, 1) if c_in != c_out else None

    def forward(self, x: Tensor) -> Tensor:
        if self.pool is not None:
            x = self.pool(x)
        return self.project(x) if self.project is not None else x

    @staticmethod
    def cost(c_in: int, c_out: int, stride: int, in_hw: int) -> Cost:
        out_hw = conv_out(in_hw, 1, stride)
        total = pool_cost(c_in, stride, out_hw) if stride > 1 else ZERO
        if c_in != c_out:
            total += conv_cost(c_in, c_out, 1, out_hw) + bn_cost(c_out, out_hw)
        return total
