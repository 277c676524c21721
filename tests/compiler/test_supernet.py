"""Supernets: a sub-network equals the compiled stand-alone network carrying the same weights."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from graphnas.compiler import arch_cost
from graphnas.compiler.supernet import PRESENT, build_supernet
from graphnas.errors import UnknownNameError
from graphnas.spaces import load_space
from graphnas.spaces.randwire import RandWireSpace

RANDWIRE = RandWireSpace(
    "rw_test",
    stage_nodes=(6, 5),
    prior={"model": "ws", "k": 2, "p": 0.5},
    network={
        "channels": 4,
        "stage_channel_mult": [1, 2],
        "stem": "tiny",
        "head_channels": 8,
        "num_classes": 5,
        "input_size": 16,
    },
)
# Small skeletons of every kind the supernet covers.
KINDS = {
    "nb201": (load_space("nb201"), {"channels": 4, "cells_per_stage": 1}),
    "complete": (load_space("complete"), {"channels": 4, "num_cells": 2}),
    "enas": (load_space("enas_macro"), {"channels": 4, "reduce_at": [2, 6]}),
    "randwire": (RANDWIRE, {}),
}


def randomised(net: torch.nn.Module) -> torch.nn.Module:
    """Random parameters and BN statistics, so a wrong copy or a wrong module shows."""
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * 0.5)
        for name, b in net.named_buffers():
            if name.endswith("running_var"):
                b.copy_(torch.rand(b.shape, generator=gen) + 0.5)
            elif name.endswith("running_mean"):
                b.copy_(torch.randn(b.shape, generator=gen) * 0.1)
    return net


@pytest.fixture(scope="module", params=sorted(KINDS))
def supernet(request: pytest.FixtureRequest):
    space, network = KINDS[request.param]
    return randomised(build_supernet(space, network=network))


def test_single_path_equals_standalone_network(supernet, device) -> None:
    rng = np.random.default_rng(0)
    x = torch.randn(3, 3, supernet.input_size, supernet.input_size, device=device)
    for i in range(4):
        arch = supernet.sample(rng) if i % 2 else supernet.space.sample_prior(rng)
        alone = supernet.standalone(arch).to(device)
        supernet.to(device)
        for train in (True, False):
            supernet.train(train)
            alone.train(train)
            with torch.no_grad():
                assert torch.equal(supernet(x, arch), alone(x)), (arch, train)
        assert alone.cost == arch_cost(arch, supernet.space, network=supernet.network)
        assert supernet.cost(arch) == alone.cost
    supernet.cpu()


def test_single_path_uses_only_its_own_ops(supernet) -> None:
    """Gradients of one path reach exactly the weights that the stand-alone network holds."""
    arch = supernet.sample(np.random.default_rng(3))
    supernet.zero_grad(set_to_none=True)
    supernet.train()
    supernet(torch.randn(2, 3, supernet.input_size, supernet.input_size), arch).sum().backward()
    # Sliced weights (ENAS merges, RandWire edge weights) get zero gradients outside the slice.
    touched = sum(int((p.grad != 0).sum()) for p in supernet.parameters() if p.grad is not None)
    alone = supernet.standalone(arch)
    own = sum(p.numel() for p in alone.parameters())
    assert touched <= own
    assert touched >= 0.5 * own  # convs, BNs, head: not a stray subset
    assert own < sum(p.numel() for p in supernet.parameters())


def test_mixed_forward_with_one_hot_weights_is_the_single_path(supernet) -> None:
    arch = supernet.sample(np.random.default_rng(5))
    choices = supernet.encode(arch)
    weights = [
        F.one_hot(torch.tensor(k), len(d.choices)).float()
        for k, d in zip(choices, supernet.decisions, strict=True)
    ]
    x = torch.randn(2, 3, supernet.input_size, supernet.input_size)
    supernet.eval()
    with torch.no_grad():
        single = supernet(x, arch)
        assert torch.allclose(supernet.forward_mixed(x, weights), single, atol=1e-5)
        only_chosen = [[k] for k in choices]
        assert torch.equal(supernet.forward_mixed(x, weights, only_chosen), single)


def test_mixed_forward_gradients_reach_every_weight(supernet) -> None:
    weights = [w.requires_grad_() for w in supernet.uniform_weights()]
    supernet.train()
    out = supernet.forward_mixed(
        torch.randn(2, 3, supernet.input_size, supernet.input_size), weights
    )
    assert out.shape == (2, supernet.num_classes)
    out.square().sum().backward()
    for decision, w in zip(supernet.decisions, weights, strict=True):
        assert w.grad is not None and torch.isfinite(w.grad).all(), decision
    assert any(float(w.grad.abs().max()) > 0 for w in weights)


def test_decode_inverts_encode(supernet) -> None:
    rng = np.random.default_rng(7)
    for _ in range(5):
        arch = supernet.space.sample_prior(rng)
        again = supernet.decode(supernet.encode(arch))
        assert supernet.space.canonical_hash(again) == supernet.space.canonical_hash(arch)
        assert supernet.encode(again) == supernet.encode(arch)


def test_uniform_sampling_covers_every_choice(supernet) -> None:
    rng = np.random.default_rng(11)
    seen = [set() for _ in supernet.decisions]
    for _ in range(150):
        for d, k in enumerate(supernet.encode(supernet.sample(rng))):
            seen[d].add(k)
    for decision, got in zip(supernet.decisions, seen, strict=True):
        assert got == set(range(len(decision.choices))), decision.name


def test_randwire_prior_sampling_follows_the_space_model() -> None:
    net = build_supernet(RANDWIRE)
    rng = np.random.default_rng(0)
    densities = [
        np.mean([k == PRESENT for k in net.encode(net.sample(rng, prior=True))]) for _ in range(10)
    ]
    # WS(k=2) rings have n edges per n-node stage: far sparser than uniform (half of all pairs).
    assert max(densities) < 0.45


def test_space_without_a_supernet_is_one_line_error() -> None:
    with pytest.raises(UnknownNameError, match="nb101"):
        build_supernet(load_space("nb101"))


def test_bf16_and_channels_last_paths_run() -> None:
    space, network = KINDS["nb201"]
    net = build_supernet(space, network=network, channels_last=True, precision="bf16")
    arch = net.sample(np.random.default_rng(0))
    out = net(torch.randn(2, 3, 32, 32), arch)
    assert out.shape == (2, 10) and torch.isfinite(out.float()).all()
    assert next(net.parameters()).dtype == torch.float32
