"""A graphnas plug-in: a chain-layer op and a made-up benchmark with a known optimum.

Load it with `imports: [toy_bench]`, `graphnas --import toy_bench ...`, or install it (its
`graphnas.plugins` entry point then loads it by itself).
"""

import torch
from torch import Tensor, nn

from graphnas.compiler.chain_ops import register_chain_op
from graphnas.compiler.cost import Cost, bn_cost, conv_cost, conv_out
from graphnas.evaluators.base import EvalResult, NamedRewardMixin
from graphnas.evaluators.registry import EVALUATORS


class GhostConv(nn.Module):
    """1x1 conv to half the channels, a depthwise 3x3 of it for the other half, concat, BN."""

    def __init__(self, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        half = c_out // 2
        self.primary = nn.Conv2d(c_in, half, 1, stride, bias=False)
        self.cheap = nn.Conv2d(half, c_out - half, 3, 1, 1, groups=half, bias=False)
        self.bn = nn.BatchNorm2d(c_out)

    def forward(self, x: Tensor) -> Tensor:
        y = self.primary(x)
        return self.bn(torch.cat([y, self.cheap(y)], 1))


def ghost_cost(c_in: int, c_out: int, stride: int, hw: int) -> Cost:
    out, half = conv_out(hw, 1, stride), c_out // 2
    cheap = conv_cost(half, c_out - half, 3, out, groups=half)
    return conv_cost(c_in, half, 1, out) + cheap + bn_cost(c_out, out)


register_chain_op("ghost_conv", GhostConv, ghost_cost)


@EVALUATORS.register("toy_bench")
class ToyBench(NamedRewardMixin):
    """Made-up accuracy of a chain: 50 plus 50 x the share of layers holding op `target`."""

    context_fields = ("space",)
    reward_name = "toy_accuracy"

    def __init__(self, space, target: str = "1") -> None:
        self.space, self.target = space, target

    def evaluate(self, archs):
        codes = [self.space.encode(arch) for arch in archs]
        return [EvalResult(50 + 50 * c.count(self.target) / len(c), {"code": c}) for c in codes]

    def optimum(self, metric=None):
        best = self.space.decode(self.target * self.space.num_layers)
        code, digest = self.space.encode(best), self.space.canonical_hash(best)
        return {"code": code, "hash": digest, "reward": 100.0, "metrics": {"code": code}}
