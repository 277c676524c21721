"""Analytic cost of the primitive layers: parameter counts and FLOPs, without building anything.

FLOPs follow the NAS-Bench-201 counting rule (the one behind its published figures): a
convolution or linear layer costs its multiply-accumulates (plus one add per output element when
it has a bias), an average or max pooling window costs kernel_h * kernel_w per output element,
and element-wise work (BatchNorm, ReLU, additions, weighted sums, global pooling) is not counted.
All figures are per input sample.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Cost:
    """Parameters and FLOPs (multiply-accumulates, see the module docstring) of a network part."""

    params: int = 0
    flops: int = 0

    def __add__(self, other: Cost) -> Cost:
        return Cost(self.params + other.params, self.flops + other.flops)

    def __mul__(self, times: int) -> Cost:
        return Cost(self.params * times, self.flops * times)

    __rmul__ = __mul__


ZERO = Cost()


def conv_out(size: int, kernel: int, stride: int = 1, padding: int | None = None) -> int:
    """Output length of a convolution/pooling along one axis ('same' padding by default)."""
    pad = (kernel - 1) // 2 if padding is None else padding
    return (size + 2 * pad - kernel) // stride + 1


def conv_cost(
    c_in: int, c_out: int, kernel: int, out_hw: int, groups: int = 1, bias: bool = False
) -> Cost:
    """A square conv producing an out_hw x out_hw map."""
    weights = kernel * kernel * (c_in // groups) * c_out
    bias_params = c_out if bias else 0
    positions = out_hw * out_hw
    return Cost(weights + bias_params, (weights + bias_params) * positions)


def bn_cost(channels: int) -> Cost:
    """BatchNorm with affine scale and shift (running statistics are buffers, not parameters)."""
    return Cost(2 * channels, 0)


def pool_cost(channels: int, kernel: int, out_hw: int) -> Cost:
    """Average or max pooling: kernel^2 operations per output element."""
    return Cost(0, kernel * kernel * channels * out_hw * out_hw)


def linear_cost(d_in: int, d_out: int, bias: bool = True) -> Cost:
    return Cost(d_in * d_out + (d_out if bias else 0), d_in * d_out + (d_out if bias else 0))


def relu_conv_bn_cost(c_in: int, c_out: int, kernel: int, out_hw: int) -> Cost:
    """ReLU -> conv (no bias) -> BN, or conv -> BN (-> ReLU): the ReLU costs nothing."""
    return conv_cost(c_in, c_out, kernel, out_hw) + bn_cost(c_out)


def sep_conv_bn_cost(c_in: int, c_out: int, kernel: int, out_hw: int) -> Cost:
    """(ReLU ->) depthwise kxk -> pointwise 1x1 -> BN."""
    return (
        conv_cost(c_in, c_in, kernel, out_hw, groups=c_in)
        + conv_cost(c_in, c_out, 1, out_hw)
        + bn_cost(c_out)
    )


def scalars_cost(count: int) -> Cost:
    """Free scalar parameters (e.g. RandWire aggregation weights)."""
    return Cost(count, 0)
