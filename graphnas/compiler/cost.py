"""Analytic cost of the primitive layers: parameters and FLOPs, without building anything.

Two FLOP conventions are kept side by side, both per input sample:
- `flops` follows NAS-Bench-201's counter (the rule behind its published figures, and the usual
  "multiply-adds" of papers): a convolution or linear layer costs its multiply-accumulates plus
  one add per output element when it has a bias; average/max pooling costs kernel_h * kernel_w
  per output element; element-wise work (BatchNorm, ReLU, additions, weighted sums, global
  pooling) is free.
- `flops_elementwise` is the tensorwatch/torchstat rule used by the NAS-Bench-Suite-Zero tables
  (NASLib's zc_nasbench*.json): as above, except that BatchNorm costs 2 per element, ReLU 1 per
  input element, global average pooling (H+1)(W+1) per channel, and a linear layer's bias is free.
Where the element-wise terms are counted follows the benchmark networks' module layout (e.g. one
ReLU per NB201 conv edge), even where the compiled network shares one ReLU between edges.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Cost:
    """Parameters and FLOPs of a network part (see the module docstring for the conventions)."""

    params: int = 0
    flops: int = 0
    flops_elementwise: int = 0

    def __add__(self, other: Cost) -> Cost:
        return Cost(
            self.params + other.params,
            self.flops + other.flops,
            self.flops_elementwise + other.flops_elementwise,
        )

    def __mul__(self, times: int) -> Cost:
        return Cost(self.params * times, self.flops * times, self.flops_elementwise * times)

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
    per_position = kernel * kernel * (c_in // groups) * c_out + (c_out if bias else 0)
    params = kernel * kernel * (c_in // groups) * c_out + (c_out if bias else 0)
    flops = per_position * out_hw * out_hw
    return Cost(params, flops, flops)


def bn_cost(channels: int, hw: int) -> Cost:
    """BatchNorm with affine scale and shift (running statistics are buffers, not parameters)."""
    return Cost(2 * channels, 0, 2 * channels * hw * hw)


def relu_cost(channels: int, hw: int) -> Cost:
    return Cost(0, 0, channels * hw * hw)


def pool_cost(channels: int, kernel: int, out_hw: int) -> Cost:
    """Average or max pooling: kernel^2 operations per output element."""
    flops = kernel * kernel * channels * out_hw * out_hw
    return Cost(0, flops, flops)


def global_pool_cost(channels: int, hw: int) -> Cost:
    """Global average pooling to 1x1 (free under the NB201 rule)."""
    return Cost(0, 0, channels * (hw + 1) * (hw + 1))


def linear_cost(d_in: int, d_out: int, bias: bool = True) -> Cost:
    params = d_in * d_out + (d_out if bias else 0)
    return Cost(params, params, d_in * d_out)


def scalars_cost(count: int) -> Cost:
    """Free scalar parameters (e.g. RandWire aggregation weights)."""
    return Cost(count, 0, 0)


def relu_conv_bn_cost(c_in: int, c_out: int, kernel: int, in_hw: int, stride: int = 1) -> Cost:
    """ReLU -> conv kxk (no bias, 'same' padding) -> BN."""
    out_hw = conv_out(in_hw, kernel, stride)
    return relu_cost(c_in, in_hw) + conv_cost(c_in, c_out, kernel, out_hw) + bn_cost(c_out, out_hw)


def conv_bn_cost(
    c_in: int, c_out: int, kernel: int, in_hw: int, stride: int = 1, relu_after: bool = False
) -> Cost:
    """conv kxk (no bias, 'same' padding) -> BN [-> ReLU]."""
    out_hw = conv_out(in_hw, kernel, stride)
    total = conv_cost(c_in, c_out, kernel, out_hw) + bn_cost(c_out, out_hw)
    return total + relu_cost(c_out, out_hw) if relu_after else total


def sep_conv_bn_cost(c_in: int, c_out: int, kernel: int, in_hw: int, stride: int = 1) -> Cost:
    """ReLU -> depthwise kxk (stride) -> pointwise 1x1 -> BN."""
    out_hw = conv_out(in_hw, kernel, stride)
    return (
        relu_cost(c_in, in_hw)
        + conv_cost(c_in, c_in, kernel, out_hw, groups=c_in)
        + conv_cost(c_in, c_out, 1, out_hw)
        + bn_cost(c_out, out_hw)
    )
