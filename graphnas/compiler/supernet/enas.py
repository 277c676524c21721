"""ENAS macro supernet (Pham et al. 2018): the compiled chain with all six ops at every layer,
every skip input, and one merge per layer over every input it could read.

Layer i applies each selected op (1x1 ConvBN + op, as compiled) to layer i-1's output. From
layer 1 on, the compiled network concatenates the skip inputs and the op output and merges them
by ReLU -> 1x1 conv -> BN; the supernet's merge conv spans all i + 1 possible inputs, and a
sub-network uses the input-channel slices of its present inputs, which is the compiled merge.
After a reduction layer every earlier output still read later has its own factorized reduction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from graphnas.compiler.enas import Concat, _op_module
from graphnas.compiler.ops import ClassifierHead, ConvBN, FactorizedReduce
from graphnas.compiler.program import Program
from graphnas.compiler.supernet.base import (
    ABSENT,
    EDGE_CHOICES,
    PRESENT,
    SUPERNET_KINDS,
    Decision,
    Selection,
    Supernet,
    accumulate,
    copy_module,
    scaled,
    weight_of,
)
from graphnas.graph import ArchGraph
from graphnas.spaces.base import SearchSpace
from graphnas.spaces.enas import ENAS_OPS, ENASMacroSpace


class SlicedMerge(nn.Module):
    """ReLU -> 1x1 conv over any subset of `num_inputs` [B, c, H, W] inputs -> BN: [B, c, H, W].

    The conv spans num_inputs * c input channels; input slot s uses channels [s*c, (s+1)*c).
    """

    def __init__(self, num_inputs: int, c: int) -> None:
        super().__init__()
        self.c = c
        self.conv = nn.Conv2d(num_inputs * c, c, 1, bias=False)
        self.bn = nn.BatchNorm2d(c)

    def slot_weight(self, slots: Sequence[int]) -> Tensor:
        c = self.c
        return torch.cat([self.conv.weight[:, s * c : (s + 1) * c] for s in slots], dim=1)

    def forward(self, inputs: Sequence[tuple[int, Tensor]]) -> Tensor:
        slots = [s for s, _ in inputs]
        x = F.relu(torch.cat([t for _, t in inputs], dim=1))
        return self.bn(F.conv2d(x, self.slot_weight(slots)))


@SUPERNET_KINDS.register("enas")
class ENASSupernet(Supernet):
    """Decisions: layer ops (ENAS_OPS), then skip j -> i for every j < i (absent/present)."""

    kind = "enas"

    def __init__(self, space: SearchSpace, network: Mapping[str, Any], **options: Any) -> None:
        super().__init__(space, network, **options)
        assert isinstance(space, ENASMacroSpace)
        c = int(network["channels"])
        self.reduce_at = tuple(sorted(int(i) for i in network["reduce_at"]))
        self.stem = ConvBN(3, c, 3, relu_before=False)
        ops, merges, reductions = [], [], {}
        for i in range(space.num_layers):
            ops.append(nn.ModuleList(_op_module_with_input(op, c) for op in ENAS_OPS))
            merges.append(SlicedMerge(i + 1, c) if i > 0 else nn.Identity())
            if i in self.reduce_at:
                for j in range(i + 1):
                    reductions[f"{i}_{j}"] = FactorizedReduce(c, 2 * c)
                c *= 2
        self.ops = nn.ModuleList(ops)
        self.merges = nn.ModuleList(merges)
        self.reductions = nn.ModuleDict(reductions)
        self.head = ClassifierHead(c, self.num_classes, pre_bn=False, bias=False)
        self.finish_init()

    @property
    def skip_pairs(self) -> list[tuple[int, int]]:
        n = self.space.num_layers  # type: ignore[attr-defined]
        return [(j, i) for i in range(1, n) for j in range(i)]

    def make_decisions(self) -> tuple[Decision, ...]:
        n = self.space.num_layers  # type: ignore[attr-defined]
        layers = tuple(Decision(f"layer {i} op", ENAS_OPS) for i in range(n))
        return layers + tuple(Decision(f"skip {j}->{i}", EDGE_CHOICES) for j, i in self.skip_pairs)

    def encode(self, arch: ArchGraph) -> tuple[int, ...]:
        assert isinstance(self.space, ENASMacroSpace)
        ops, skips = self.space.to_arc(arch)
        bits = tuple(PRESENT if skips[i][j] else ABSENT for j, i in self.skip_pairs)
        return tuple(ENAS_OPS.index(op) for op in ops) + bits

    def decode(self, choices: Sequence[int]) -> ArchGraph:
        assert isinstance(self.space, ENASMacroSpace)
        n = self.space.num_layers
        skips = [[0] * i for i in range(n)]
        for (j, i), k in zip(self.skip_pairs, choices[n:], strict=True):
            skips[i][j] = int(k == PRESENT)
        return self.space.from_arc([ENAS_OPS[k] for k in choices[:n]], skips)

    def run(self, x: Tensor, selection: Selection) -> Tensor:
        n = self.space.num_layers  # type: ignore[attr-defined]
        skips: list[list[tuple[int, Any]]] = [[] for _ in range(n)]
        for (j, i), pairs in zip(self.skip_pairs, selection[n:], strict=True):
            active, w = weight_of(pairs, PRESENT)
            if active:
                skips[i].append((j, w))
        last = list(range(n))
        for i in range(1, n):
            last[i - 1] = max(last[i - 1], i)
            for j, _ in skips[i]:
                last[j] = max(last[j], i)
        current: list[Tensor] = []
        h = self.stem(x)
        for i in range(n):
            source = current[i - 1] if i > 0 else h
            out = None
            for k, w in selection[i]:
                out = accumulate(out, scaled(self.ops[i][k](source), w))
            assert out is not None, f"layer {i} has no op selected"
            if i > 0:
                inputs = [(j, scaled(current[j], w)) for j, w in skips[i]]
                out = self.merges[i]([*inputs, (i, out)])
            current.append(out)
            if i in self.reduce_at:
                for j in range(i + 1):
                    if last[j] > i:
                        current[j] = self.reductions[f"{i}_{j}"](current[j])
        return self.head(current[-1])

    def copy_into(self, body: nn.Module, arch: ArchGraph) -> None:
        stem, program, head = body  # type: ignore[misc]
        copy_module(stem, self.stem)
        copy_module(head, self.head)
        assert isinstance(program, Program) and isinstance(self.space, ENASMacroSpace)
        ops, skips = self.space.to_arc(arch)
        present = [[j for j in range(i) if skips[i][j]] for i in range(len(ops))]
        last = list(range(len(ops)))
        for i, js in enumerate(present):
            for j in (*js, i - 1) if i > 0 else ():
                last[j] = max(last[j], i)
        # The compiled schedule: op, [Concat], merge (from layer 1), then the reductions.
        steps = iter(program.steps)
        for i, op in enumerate(ops):
            copy_module(next(steps), self.ops[i][ENAS_OPS.index(op)])
            if i > 0:
                merge = next(steps)
                if isinstance(merge, Concat):
                    merge = next(steps)
                assert isinstance(merge, ConvBN)
                merge.conv.weight.copy_(self.merges[i].slot_weight([*present[i], i]))
                copy_module(merge.bn, self.merges[i].bn)
            if i in self.reduce_at:
                for j in range(i + 1):
                    if last[j] > i:
                        copy_module(next(steps), self.reductions[f"{i}_{j}"])


def _op_module_with_input(op: str, c: int) -> nn.Sequential:
    """The compiled layer op: 1x1 ConvBN then the op, [B, c, H, W] -> [B, c, H, W]."""
    return nn.Sequential(ConvBN(c, c, 1), _op_module(op, c))
