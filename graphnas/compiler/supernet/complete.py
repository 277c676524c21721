"""Complete-DAG supernet: the compiled skeleton (stem, num_cells cells at C, 2C, ... joined by
residual reductions, head) with every op on every hidden node and every forward edge of each cell.

Decisions (shared by all cells): the op of each hidden node 1..N-2, then each forward edge u -> v
present or absent. A node computes op(sum of its present inputs); a node with no present input
has no value, and neither do edges leaving it, which is exactly the pruning the compiler applies
(nodes off every input -> output path do not reach the output). Nodes that cannot reach the
output under the selection are not computed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from torch import Tensor, nn

from graphnas.compiler.complete import SumThen, _op_module
from graphnas.compiler.ops import ClassifierHead, ConvBN, ResidualReduction
from graphnas.compiler.program import Program
from graphnas.compiler.supernet.base import (
    ABSENT,
    EDGE_CHOICES,
    PRESENT,
    SUPERNET_KINDS,
    Decision,
    Gate,
    Selection,
    Supernet,
    Weight,
    absence,
    accumulate,
    copy_module,
    gated,
    product,
    scaled,
    weight_of,
)
from graphnas.graph import ArchGraph
from graphnas.spaces.base import SearchSpace
from graphnas.spaces.complete import CompleteSpace


def live_nodes(n: int, edges: Sequence[tuple[int, int]]) -> list[int]:
    """Nodes on an input (0) -> output (n-1) path of the DAG, ascending (always 0 and n-1)."""
    forward, backward = {0}, {n - 1}
    for u, v in sorted(edges):
        if u in forward:
            forward.add(v)
    for u, v in sorted(edges, key=lambda e: -e[0]):
        if v in backward:
            backward.add(u)
    return sorted((forward & backward) | {0, n - 1})


class CompleteSuperCell(nn.Module):
    """Every op of every hidden node: [B, C, H, W] -> [B, C, H, W] for a selection."""

    def __init__(self, num_nodes: int, ops: Sequence[str], channels: int) -> None:
        super().__init__()
        self.num_nodes = num_nodes
        self.ops = nn.ModuleList(
            nn.ModuleList(_op_module(op, channels) for op in ops) for _ in range(num_nodes - 2)
        )

    def forward(
        self,
        x: Tensor,
        node_ops: Selection,
        edges: dict[tuple[int, int], Weight],
        absent: dict[tuple[int, int], Gate],
    ) -> Tensor:
        """node_ops[v-1]: the selected ops of hidden node v; edges[(u, v)]: the weight of a
        selected present edge (None = 1); absent[(u, v)]: the edge's absence gate. A hidden node
        is scaled by 1 - prod_u absent[(u, v)] (has any input), hard 1 on a single path."""
        n = self.num_nodes
        reaches_output = {n - 1}
        for u, v in sorted(edges, key=lambda e: -e[0]):
            if v in reaches_output:
                reaches_output.add(u)
        values: list[Tensor | None] = [x] + [None] * (n - 1)
        for v in range(1, n):
            if v not in reaches_output:
                continue
            total = None
            for u in range(v):
                if (u, v) in edges and values[u] is not None:
                    total = accumulate(total, scaled(values[u], edges[(u, v)]))
            if total is None or v == n - 1:
                values[v] = total
                continue
            no_input = product([absent[(u, v)] for u in range(v)])
            if isinstance(no_input, float) and no_input == 1.0:
                continue  # certainly no input: no value, as in the pruned graph
            out = None
            for k, w in node_ops[v - 1]:
                out = accumulate(out, scaled(self.ops[v - 1][k](total), w))
            assert out is not None, f"node {v} has no op selected"
            values[v] = gated(out, 1 - no_input) if isinstance(no_input, Tensor) else out
        assert values[n - 1] is not None, "the selection joins no path from input to output"
        return values[n - 1]


@SUPERNET_KINDS.register("complete")
class CompleteSupernet(Supernet):
    """Decisions: hidden-node ops (choices: the space's ops), then edges u -> v (absent/present)."""

    kind = "complete"

    def __init__(self, space: SearchSpace, network: Mapping[str, Any], **options: Any) -> None:
        super().__init__(space, network, **options)
        assert isinstance(space, CompleteSpace)
        c = int(network["channels"])
        layers: list[nn.Module] = [ConvBN(3, c, 3, relu_before=False)]
        for k in range(int(network["num_cells"])):
            if k > 0:
                layers.append(ResidualReduction(c, 2 * c))
                c *= 2
            layers.append(CompleteSuperCell(space.num_nodes, space.node_ops, c))
        layers.append(ClassifierHead(c, self.num_classes, pre_bn=True))
        self.body = nn.ModuleList(layers)
        self.finish_init()

    @property
    def edge_pairs(self) -> list[tuple[int, int]]:
        n = self.space.num_nodes  # type: ignore[attr-defined]
        return [(u, v) for v in range(n) for u in range(v)]

    def make_decisions(self) -> tuple[Decision, ...]:
        space = self.space
        assert isinstance(space, CompleteSpace)
        nodes = tuple(
            Decision(f"node {v} op", space.node_ops) for v in range(1, space.num_nodes - 1)
        )
        return nodes + tuple(Decision(f"edge {u}->{v}", EDGE_CHOICES) for u, v in self.edge_pairs)

    def encode(self, arch: ArchGraph) -> tuple[int, ...]:
        ops = tuple(self.space.node_ops.index(str(node.op)) for node in arch.nodes[1:-1])
        present = {(e.src, e.dst) for e in arch.edges}
        return ops + tuple(PRESENT if pair in present else ABSENT for pair in self.edge_pairs)

    def decode(self, choices: Sequence[int]) -> ArchGraph:
        space = self.space
        assert isinstance(space, CompleteSpace)
        hidden = space.num_nodes - 2
        ops = [space.node_ops[k] for k in choices[:hidden]]
        edges = [p for p, k in zip(self.edge_pairs, choices[hidden:], strict=True) if k == PRESENT]
        return space.build(ops, edges)

    def run(self, x: Tensor, selection: Selection) -> Tensor:
        hidden = self.space.num_nodes - 2  # type: ignore[attr-defined]
        edges, absent = {}, {}
        for pair, pairs in zip(self.edge_pairs, selection[hidden:], strict=True):
            active, w = weight_of(pairs, PRESENT)
            if active:
                edges[pair] = w
            absent[pair] = absence(pairs)
        for layer in self.body:
            x = (
                layer(x, selection[:hidden], edges, absent)
                if isinstance(layer, CompleteSuperCell)
                else layer(x)
            )
        return x

    def copy_into(self, body: nn.Module, arch: ArchGraph) -> None:
        choices = self.encode(arch)
        # The compiled cell is the pruned graph: step k computes the k-th live hidden node.
        live = live_nodes(arch.num_nodes, [(e.src, e.dst) for e in arch.edges])[1:-1]
        for target, source in zip(body, self.body, strict=True):
            if isinstance(source, CompleteSuperCell):
                assert isinstance(target, Program)
                for step, v in zip(target.steps, live, strict=False):
                    assert isinstance(step, SumThen)
                    copy_module(step.op, source.ops[v - 1][choices[v - 1]])
            else:
                copy_module(target, source)
