"""RandWire supernet: the compiled stem and head around stages that hold every possible wiring.

Per stage node v: one shared inner conv (ReLU -> sep 3x3 -> BN, used when v has inputs), one
entry conv (stride 2 with the stage's channel change, used when the wiring gives v no inputs: it
then reads the stage input), and one aggregation weight w_uv per possible edge u -> v (the
compiled node's sigmoid edge weight). A sampled wiring selects edges; node v sums
sigmoid(w_uv) * x_u over its present inputs, as compiled; the stage output is the mean of the
sinks.

Mixed forward over edge weights p_uv (present) and a_uv (absent): node v is
(1 - q_v) * inner(sum_u p_uv sigmoid(w_uv) x_u) + q_v * entry(x_in) with q_v = prod_u a_uv, and
the stage output is sum_v s_v x_v / sum_v s_v with s_v = prod_t a_vt; hard 0/1 weights give the
single path exactly.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from graphnas.compiler.ops import SepConvBN, weighted_sum
from graphnas.compiler.program import Program
from graphnas.compiler.randwire import RandWireNode, body_layers
from graphnas.compiler.supernet.base import (
    ABSENT,
    EDGE_CHOICES,
    PRESENT,
    SUPERNET_KINDS,
    Decision,
    Gate,
    Selection,
    Supernet,
    absence,
    accumulate,
    copy_module,
    gated,
    product,
    weight_of,
)
from graphnas.graph import ArchGraph
from graphnas.spaces.base import SearchSpace
from graphnas.spaces.randwire import RandWireSpace


class RandWireSuperStage(nn.Module):
    """Every wiring of an n-node stage: [B, c_in, H, W] -> [B, c_out, H/2, W/2]."""

    def __init__(self, n: int, c_in: int, c_out: int) -> None:
        super().__init__()
        self.n = n
        self.inner = nn.ModuleList(SepConvBN(c_out, c_out, 3, relu_before=False) for _ in range(n))
        self.entry = nn.ModuleList(
            SepConvBN(c_in, c_out, 3, stride=2, relu_before=False) for _ in range(n)
        )
        self.edge_weights = nn.Parameter(torch.zeros(n, n))  # [u, v], used for u < v

    def forward(self, x: Tensor, edges: Selection) -> Tensor:
        """edges[k]: the selection of the k-th pair (u, v), u < v, in (v, u) order."""
        n = self.n
        present: list[list[tuple[int, Any]]] = [[] for _ in range(n)]  # present[v] = [(u, w)]
        absent: dict[tuple[int, int], Gate] = {}
        pairs = iter(edges)
        for v in range(n):
            for u in range(v):
                selected = next(pairs)
                on, w = weight_of(selected, PRESENT)
                if on:
                    present[v].append((u, w))
                absent[(u, v)] = absence(selected)
        relu_x = F.relu(x)
        values: list[Tensor] = []
        for v in range(n):
            no_input = product([absent[(u, v)] for u in range(v)])
            out = None
            if present[v]:
                weights = torch.sigmoid(self.edge_weights[[u for u, _ in present[v]], v])
                if any(w is not None for _, w in present[v]):
                    scale = [
                        torch.ones((), device=x.device) if w is None else w for _, w in present[v]
                    ]
                    weights = weights * torch.stack(scale).to(weights.dtype)
                agg = F.relu_(weighted_sum([values[u] for u, _ in present[v]], weights))
                inner = self.inner[v](agg)
                out = (
                    inner if isinstance(no_input, float) else inner * (1 - no_input).to(inner.dtype)
                )
            if not (isinstance(no_input, float) and no_input == 0.0):
                out = accumulate(out, gated(self.entry[v](relu_x), no_input))
            assert out is not None
            values.append(out)
        sink = [product([absent[(v, t)] for t in range(v + 1, n)]) for v in range(n)]
        if all(isinstance(s, float) for s in sink):
            outputs = [values[v] for v in range(n) if sink[v] == 1.0]
            if len(outputs) == 1:
                return outputs[0]
            # The compiled stage's Mean: a plain mean in the same fused op.
            return weighted_sum(
                outputs, torch.full((len(outputs),), 1.0 / len(outputs), device=x.device)
            )
        gates = torch.stack(
            [torch.as_tensor(s, device=x.device, dtype=torch.float32) for s in sink]
        )
        return weighted_sum(values, gates / gates.sum())


@SUPERNET_KINDS.register("randwire")
class RandWireSupernet(Supernet):
    """Decisions: every within-stage pair u -> v (absent/present), stage by stage, v-major."""

    kind = "randwire"

    def __init__(self, space: SearchSpace, network: Mapping[str, Any], **options: Any) -> None:
        super().__init__(space, network, **options)
        assert isinstance(space, RandWireSpace)
        stages = [functools.partial(RandWireSuperStage, n) for n in space.stage_nodes]
        self.body = nn.ModuleList(body_layers(network, self.num_classes, stages))
        self.finish_init()

    def stage_pairs(self) -> list[tuple[int, int, int]]:
        """(stage, u, v) of every decision, in decision order."""
        space = self.space
        assert isinstance(space, RandWireSpace)
        return [
            (s, u, v) for s, n in enumerate(space.stage_nodes) for v in range(n) for u in range(v)
        ]

    def make_decisions(self) -> tuple[Decision, ...]:
        return tuple(
            Decision(f"stage {s} edge {u}->{v}", EDGE_CHOICES) for s, u, v in self.stage_pairs()
        )

    def encode(self, arch: ArchGraph) -> tuple[int, ...]:
        assert isinstance(self.space, RandWireSpace)
        present = {
            (s, u, v) for s, pairs in enumerate(self.space.stage_edges(arch)) for u, v in pairs
        }
        return tuple(PRESENT if key in present else ABSENT for key in self.stage_pairs())

    def decode(self, choices: Sequence[int]) -> ArchGraph:
        space = self.space
        assert isinstance(space, RandWireSpace)
        stages: list[list[tuple[int, int]]] = [[] for _ in space.stage_nodes]
        for (s, u, v), k in zip(self.stage_pairs(), choices, strict=True):
            if k == PRESENT:
                stages[s].append((u, v))
        return space.from_stage_edges([sorted(pairs) for pairs in stages])

    def run(self, x: Tensor, selection: Selection) -> Tensor:
        start = 0
        for layer in self.body:
            if isinstance(layer, RandWireSuperStage):
                count = layer.n * (layer.n - 1) // 2
                x = layer(x, selection[start : start + count])
                start += count
            else:
                x = layer(x)
        return x

    def copy_into(self, body: nn.Module, arch: ArchGraph) -> None:
        assert isinstance(self.space, RandWireSpace)
        stage_edges = iter(self.space.stage_edges(arch))
        for target, source in zip(body, self.body, strict=True):
            if not isinstance(source, RandWireSuperStage):
                copy_module(target, source)
                continue
            assert isinstance(target, Program)
            preds: list[list[int]] = [[] for _ in range(source.n)]
            for u, v in next(stage_edges):
                preds[v].append(u)
            nodes = [m for m in target.steps if isinstance(m, RandWireNode)]
            for v, (node, ps) in enumerate(zip(nodes, preds, strict=True)):
                if ps:
                    copy_module(node.op, source.inner[v])
                    assert node.edge_weights is not None
                    node.edge_weights.copy_(source.edge_weights[ps, v])
                else:
                    copy_module(node.op, source.entry[v])
