"""The compiled blocks compute what the papers define: each is checked against a direct
reference written from the graph (per edge / per node, no schedule), using the same weights."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from graphnas.compiler import compile_arch
from graphnas.compiler.nb101 import Vertex, vertex_channels
from graphnas.compiler.nb201 import NB201Cell
from graphnas.compiler.ops import FactorizedReduce, weighted_sum
from graphnas.compiler.program import Program, Step
from graphnas.compiler.randwire import build_stage
from graphnas.graph import ArchGraph
from graphnas.spaces import load_space

NB201 = load_space("nb201")


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """One intra-op thread: on a shared, loaded 2-core machine OpenMP workers that wait for
    each other make small ops 30-300x slower than single-threaded."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def _nb201_reference(cell: NB201Cell, arch: ArchGraph, x: Tensor) -> Tensor:
    """node t = sum over edges (j, t) of op(node j); conv modules taken in construction order."""
    convs = iter(cell.convs)
    edge_fn = {}
    for j in range(4):
        for e in sorted((e for e in arch.edges if e.src == j), key=lambda e: e.dst):
            if e.op in ("nor_conv_3x3", "nor_conv_1x1"):
                module = next(convs)
                edge_fn[(e.src, e.dst)] = lambda h, m=module: m(F.relu(h))
            elif e.op == "avg_pool_3x3":
                edge_fn[(e.src, e.dst)] = lambda h: F.avg_pool2d(
                    h, 3, 1, 1, count_include_pad=False
                )
            else:
                edge_fn[(e.src, e.dst)] = lambda h: h
    nodes = [x]
    for t in range(1, 4):
        value = x * 0.0  # the benchmark's Zero op keeps the graph connected
        for j in range(t):
            if (j, t) in edge_fn:
                value = value + edge_fn[(j, t)](nodes[j])
        nodes.append(value)
    return nodes[3]


@pytest.mark.parametrize(
    "arch_str",
    [
        "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_1x1~1|+|nor_conv_3x3~0|nor_conv_1x1~1|nor_conv_3x3~2|",
        "|skip_connect~0|+|skip_connect~0|nor_conv_3x3~1|+|avg_pool_3x3~0|skip_connect~1|skip_connect~2|",
        "|none~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|none~1|avg_pool_3x3~2|",
        "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|",
        "|avg_pool_3x3~0|+|avg_pool_3x3~0|avg_pool_3x3~1|+|skip_connect~0|avg_pool_3x3~1|nor_conv_1x1~2|",
    ],
)
def test_nb201_cell_matches_per_edge_reference(arch_str: str) -> None:
    arch = NB201.decode(arch_str)
    torch.manual_seed(0)
    cell = NB201Cell(arch, 6)
    for bn in (m for m in cell.modules() if isinstance(m, nn.BatchNorm2d)):
        nn.init.uniform_(bn.weight, 0.5, 1.5)
        nn.init.uniform_(bn.bias, -0.5, 0.5)
    x = torch.randn(3, 6, 8, 8, requires_grad=True)
    out = cell(x)
    ref = _nb201_reference(cell, arch, x)
    assert torch.allclose(out, ref, atol=1e-5)
    grad_out = torch.autograd.grad(out.square().sum(), x)[0]
    grad_ref = torch.autograd.grad(ref.square().sum(), x)[0]
    assert torch.allclose(grad_out, grad_ref, atol=1e-4)


def _randwire_reference(stage: Program, preds: list[list[int]], x: Tensor) -> Tensor:
    """Weighted sum -> ReLU -> sepconv -> BN per node; sources read ReLU(x); mean of sinks."""
    nodes: list[Tensor] = []
    for v, ps in enumerate(preds):
        node = stage.steps[1 + v]  # step 0 is the shared ReLU of the stage input
        if ps:
            weights = torch.sigmoid(node.edge_weights)
            agg = sum(weights[i] * nodes[u] for i, u in enumerate(ps))
            nodes.append(node.op(F.relu(agg)))
        else:
            nodes.append(node.op(F.relu(x)))
    has_out = {u for ps in preds for u in ps}
    sinks = [nodes[v] for v in range(len(preds)) if v not in has_out]
    return sum(sinks) / len(sinks)


@pytest.mark.parametrize("seed", range(4))
def test_randwire_stage_matches_per_node_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 7
    preds = [sorted(int(u) for u in np.flatnonzero(rng.random(v) < 0.4)) for v in range(n)]
    torch.manual_seed(seed)
    stage = build_stage(preds, 4, 6)
    for node in stage.steps[1 : 1 + n]:
        if node.edge_weights is not None:
            nn.init.normal_(node.edge_weights)
    x = torch.randn(2, 4, 10, 10, requires_grad=True)
    out, ref = stage(x), _randwire_reference(stage, preds, x)
    assert out.shape == (2, 6, 5, 5)
    assert torch.allclose(out, ref, atol=1e-5)
    params = [p for p in stage.parameters()]
    g_out = torch.autograd.grad(out.square().sum(), [x, *params])
    g_ref = torch.autograd.grad(ref.square().sum(), [x, *params])
    assert all(torch.allclose(a, b, atol=1e-4) for a, b in zip(g_out, g_ref, strict=True))


@pytest.mark.parametrize("memory_format", [torch.contiguous_format, torch.channels_last])
def test_weighted_sum_gradients(memory_format: torch.memory_format) -> None:
    inputs = [
        torch.randn(2, 3, 4, 5, dtype=torch.float64).contiguous(memory_format=memory_format)
        for _ in range(3)
    ]
    for t in inputs:
        t.requires_grad_()
    weights = torch.rand(3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda w, *xs: weighted_sum(xs, w), (weights, *inputs))
    expected = sum(w * x for w, x in zip(weights, inputs, strict=True))
    assert torch.allclose(weighted_sum(inputs, weights), expected)


def test_nb101_vertex_channels_follow_the_benchmark_rule() -> None:
    # input -> a, b, c -> output; each interior vertex feeds the output: 128 = 43 + 43 + 42.
    adjacency = [
        [0, 1, 1, 1, 0],
        [0, 0, 0, 0, 1],
        [0, 0, 0, 0, 1],
        [0, 0, 0, 0, 1],
        [0, 0, 0, 0, 0],
    ]
    assert vertex_channels(64, 128, adjacency) == [64, 43, 43, 42, 128]
    # a -> b -> output: a does not feed the output and takes its successor's width.
    chain = [[0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0]]
    assert vertex_channels(32, 64, chain) == [32, 64, 64, 64]
    # a feeds b (43 wide, say) and the output: a keeps its own share.
    mixed = [
        [0, 1, 1, 0, 0],
        [0, 0, 0, 1, 1],
        [0, 0, 0, 1, 1],
        [0, 0, 0, 0, 1],
        [0, 0, 0, 0, 0],
    ]
    assert vertex_channels(128, 128, mixed) == [128, 43, 43, 42, 128]


def test_nb101_vertices_truncate_wider_inputs() -> None:
    space = load_space("nb101")
    # 1 and 2 feed the output (64 channels each of 128), 1 also feeds 2: no truncation needed;
    # 1 feeds 3 (which is 43 wide in a 3-way split) -> truncated.
    matrix = [
        [0, 1, 0, 0, 0, 0, 0],
        [0, 0, 1, 1, 0, 0, 1],
        [0, 0, 0, 0, 0, 0, 1],
        [0, 0, 0, 0, 0, 0, 1],
        [0, 0, 0, 0, 0, 0, 0],
        [0, 0, 0, 0, 0, 0, 0],
        [0, 0, 0, 0, 0, 0, 0],
    ]
    ops = [
        "input",
        "conv3x3-bn-relu",
        "maxpool3x3",
        "conv1x1-bn-relu",
        "maxpool3x3",
        "maxpool3x3",
        "output",
    ]
    arch = space.from_matrix(matrix, ops)
    net = compile_arch(
        arch, space, network={"stem_channels": 128, "num_stacks": 1, "cells_per_stack": 1}
    )
    vertices = [m for m in net.modules() if isinstance(m, Vertex)]
    assert [v.channels for v in vertices] == [43, 43, 42]
    assert [v.truncate for v in vertices] == [(False,), (False,), (True,)]
    assert net(torch.randn(2, 3, 8, 8)).shape == (2, 10)


def test_enas_skips_concatenate_and_reductions_follow_readers() -> None:
    space = load_space("enas_macro")
    ops = ["conv_3x3"] * 12
    skips = [[0] * i for i in range(12)]
    skips[5][4] = 1  # chain+skip: layer 5 also concatenates layer 4's raw output
    skips[9][1] = 1  # layer 9 reads layer 1 across both reductions (after layers 3 and 7)
    arch = space.from_arc(ops, skips)
    net = compile_arch(arch, space, network={"channels": 4}, input_size=16)
    reductions = [m for m in net.modules() if isinstance(m, FactorizedReduce)]
    # after layer 3: layers 1 and 3 are read later; after layer 7: layers 1 and 7.
    assert len(reductions) == 4
    merge_inputs = sorted(
        m.conv.in_channels
        for m in net.modules()
        if getattr(m, "conv", None) is not None
        and m.conv.kernel_size == (1, 1)
        and m.conv.in_channels > m.conv.out_channels
    )
    assert merge_inputs == [16, 32]  # layer 5: 2 x 8 channels; layer 9: 2 x 16 channels
    assert net(torch.randn(2, 3, 16, 16)).shape == (2, 10)


def test_program_checks_and_releases_registers() -> None:
    class Add(nn.Module):
        def forward(self, a: Tensor, b: Tensor) -> Tensor:
            return a + b

    program = Program(
        [Step(nn.Identity(), (0,), 1), Step(Add(), (0, 1), 2), Step(Add(), (2, 2), 3)], result=3
    )
    assert [release for _, _, release in program.schedule] == [(), (0, 1), (2,)]
    assert torch.equal(program(torch.ones(2)), torch.full((2,), 4.0))
    with pytest.raises(ValueError, match="reads register"):
        Program([Step(Add(), (0, 5), 1)], result=1)


def test_weighted_sum_reduced_precision_and_mixed_inputs() -> None:
    inputs = [torch.randn(2, 3, 4, 4) for _ in range(3)]
    weights = torch.rand(3, requires_grad=True)
    low = [x.to(torch.bfloat16).requires_grad_() for x in inputs]
    out = weighted_sum(low, weights)
    assert out.dtype == torch.bfloat16
    out.float().sum().backward()
    expected = torch.stack([x.float().sum() for x in low])
    assert weights.grad is not None and weights.grad.dtype == torch.float32
    assert torch.allclose(weights.grad, expected, rtol=0.02, atol=0.05)
    mixed = [inputs[0], inputs[1].to(torch.bfloat16)]
    assert weighted_sum(mixed, weights[:2]).dtype == torch.float32
