"""compile_arch over every shipped space and many sampled architectures: forward and backward,
shapes, finiteness, determinism, layouts and precisions, and agreement of the analytic cost with
the built network (parameters counted, FLOPs measured by hooks)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from graphnas.compiler import (
    CompiledNet,
    arch_cost,
    compile_arch,
    count_parameters,
    measure_flops,
)
from graphnas.errors import ConfigError
from graphnas.graph import ArchGraph, InvalidArchError
from graphnas.spaces import load_space, shipped_space_names

# Small skeletons keep the tests fast; the structure (graph, stages, reductions) is unchanged.
SMALL = {
    "nb201": {"channels": 4, "cells_per_stage": 2},
    "nb101": {"stem_channels": 8},
    "randwire_small": {"channels": 8, "head_channels": 16},
    "randwire_tiny": {"channels": 8, "head_channels": 16},
    "enas_macro": {"channels": 6},
    "complete": {"channels": 6},
    "chain_mobile": {
        "stem_channels": 4,
        "channels": [4, 4, 4, 6, 6, 6, 8, 8, 8],
        "head_channels": 8,
    },
}
SIZE = {"nb201": 16, "nb101": 16, "randwire_small": 32, "randwire_tiny": 32, "enas_macro": 16}
# The shipped RandWire spaces have 3 x 32 nodes; more draws run on a small ER space below.
SEEDS = {name: range(3) if name.startswith("randwire") else range(6) for name in SMALL}
CASES = [(name, seed) for name in sorted(SMALL) for seed in SEEDS[name]]
SMALL_RANDWIRE = {
    "kind": "randwire",
    "name": "randwire_er_test",
    "stage_nodes": [5, 7, 6],
    "prior": {"model": "er", "p": 0.3},  # sparse enough to draw isolated nodes
    "network": {"channels": 6, "head_channels": 12, "num_classes": 4, "input_size": 32},
}


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """One intra-op thread: on a shared, loaded 2-core machine OpenMP workers that wait for
    each other make small ops 30-300x slower than single-threaded."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def _small_net(name: str, arch: ArchGraph, **kwargs) -> CompiledNet:
    return compile_arch(
        arch,
        name,
        network=SMALL[name],
        input_size=SIZE.get(name, 16),
        num_classes=7,
        **kwargs,
    )


def _arch(name: str, seed: int) -> ArchGraph:
    return load_space(name).sample_prior(np.random.default_rng(seed))


def _live_nb201(arch: ArchGraph) -> bool:
    """Every node of the cell reaches the output (so every parameter gets a gradient)."""
    reach = {3}
    for e in sorted(arch.edges, key=lambda e: -e.src):
        if e.dst in reach:
            reach.add(e.src)
    return reach == {0, 1, 2, 3}


def test_every_shipped_space_is_covered() -> None:
    assert set(SMALL) == set(shipped_space_names())


@pytest.mark.parametrize(("name", "seed"), CASES)
def test_forward_backward_and_cost(name: str, seed: int, device: torch.device) -> None:
    arch = _arch(name, seed)
    torch.manual_seed(seed)
    net = _small_net(name, arch).to(device)
    size = net.input_size
    assert count_parameters(net) == net.cost.params
    assert measure_flops(net, size) == net.cost.flops
    x = torch.randn(3, 3, size, size, device=device)
    y = net(x)
    assert y.shape == (3, 7)
    assert torch.isfinite(y).all()
    y.square().mean().backward()
    grads = [p.grad for p in net.parameters()]
    assert all(g is None or torch.isfinite(g).all() for g in grads)
    if name != "nb201" or _live_nb201(arch):
        assert all(g is not None for g in grads), "a parameter got no gradient"


@pytest.mark.parametrize("name", sorted(SMALL))
def test_analytic_cost_matches_built_network_on_many_archs(name: str) -> None:
    space = load_space(name)
    for seed in range(100, 103 if name.startswith("randwire") else 112):
        arch = space.sample_prior(np.random.default_rng(seed))
        size = SIZE.get(name, 16) + seed % 3  # odd sizes too
        net = compile_arch(arch, space, network=SMALL[name], input_size=size, num_classes=5)
        expected = arch_cost(arch, space, network=SMALL[name], input_size=size, num_classes=5)
        assert net.cost == expected
        assert count_parameters(net) == expected.params
        assert measure_flops(net, size, batch=1) == expected.flops
        assert expected.flops_elementwise > expected.flops > 0


def test_small_randwire_many_draws_including_isolated_nodes() -> None:
    space = load_space(SMALL_RANDWIRE)
    isolated = 0
    for seed in range(12):
        arch = space.sample_prior(np.random.default_rng(seed))
        degree = [0] * arch.num_nodes
        for e in arch.edges:
            degree[e.src] += 1
            degree[e.dst] += 1
        isolated += degree.count(0)
        net = compile_arch(arch, space)
        assert count_parameters(net) == net.cost.params
        assert measure_flops(net, 32) == net.cost.flops
        y = net(torch.randn(2, 3, 32, 32))
        assert y.shape == (2, 4) and torch.isfinite(y).all()
        y.sum().backward()
        assert all(p.grad is not None for p in net.parameters())
    assert isolated > 0, "the draws should exercise the isolated-node rule"


@pytest.mark.parametrize("name", sorted(SMALL))
def test_deterministic_under_a_seed(name: str) -> None:
    arch = _arch(name, 3)
    outputs = []
    for _ in range(2):
        torch.manual_seed(11)
        net = _small_net(name, arch)
        torch.manual_seed(12)
        x = torch.randn(2, 3, net.input_size, net.input_size)
        outputs.append((net(x), net.state_dict()))
    (y1, s1), (y2, s2) = outputs
    assert torch.equal(y1, y2)
    assert s1.keys() == s2.keys()
    assert all(torch.equal(s1[k], s2[k]) for k in s1)


@pytest.mark.parametrize("name", ["nb201", "randwire_tiny", "enas_macro", "nb101", "complete"])
def test_channels_last_and_bf16_match_fp32(name: str, device: torch.device) -> None:
    arch = _arch(name, 5)
    base = _small_net(name, arch).to(device)
    x = torch.randn(4, 3, base.input_size, base.input_size, device=device)
    reference = base(x)
    for options in ({"channels_last": True}, {"precision": "bf16"}):
        net = _small_net(name, arch, **options).to(device)
        net.load_state_dict(base.state_dict())
        y = net(x)
        assert y.dtype in (torch.float32, torch.bfloat16)
        tolerance = 1e-4 if "channels_last" in options else 0.25
        assert torch.allclose(y.float(), reference, atol=tolerance, rtol=tolerance), options
        y.float().sum().backward()
        assert all(torch.isfinite(p.grad).all() for p in net.parameters() if p.grad is not None)


def test_state_dict_holds_each_tensor_once() -> None:
    net = _small_net("nb201", _arch("nb201", 2))
    keys = list(net.state_dict())
    assert all(k.startswith("body.") for k in keys)
    assert (
        sum(
            v.numel()
            for k, v in net.state_dict().items()
            if "running" not in k and "num_batches" not in k
        )
        == net.cost.params
    )


def test_deepcopy_and_pickle_round_trip(tmp_path) -> None:
    import copy

    net = _small_net("randwire_tiny", _arch("randwire_tiny", 1))
    x = torch.randn(2, 3, net.input_size, net.input_size)
    net.eval()
    clone = copy.deepcopy(net)
    assert clone.arch == net.arch and torch.equal(clone(x), net(x))
    torch.save(net, tmp_path / "net.pt")
    loaded = torch.load(tmp_path / "net.pt", weights_only=False)
    assert loaded.arch == net.arch and torch.equal(loaded(x), net(x))


def test_input_size_and_classes_are_parameters() -> None:
    arch = load_space("nb201").decode(
        "|nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|skip_connect~0|none~1|nor_conv_3x3~2|"
    )
    for size, classes in ((16, 120), (24, 100), (32, 10)):
        net = compile_arch(
            arch, "nb201", network={"channels": 4}, input_size=size, num_classes=classes
        )
        assert net(torch.randn(2, 3, size, size)).shape == (2, classes)
        assert (net.input_size, net.num_classes) == (size, classes)


def test_randwire_stem_variants() -> None:
    arch = _arch("randwire_tiny", 0)
    sizes = {}
    for stem in ("small", "tiny", "regular"):
        network = {**SMALL["randwire_tiny"], "stem": stem}
        net = compile_arch(arch, "randwire_tiny", network=network, input_size=32)
        sizes[stem] = net
        assert net(torch.randn(2, 3, 32, 32)).shape == (2, 200)
        assert measure_flops(net, 32) == net.cost.flops
    # tiny keeps full resolution in its first conv: 4x the stage work of small.
    assert sizes["tiny"].cost.flops > 3 * sizes["small"].cost.flops


# ----------------------------------------------------------------------------- errors
def test_unknown_override_is_one_clear_error() -> None:
    arch = _arch("nb201", 0)
    with pytest.raises(ConfigError, match=r"width.*valid: cells_per_stage, channels"):
        compile_arch(arch, "nb201", network={"width": 3})


@pytest.mark.parametrize(
    ("name", "network", "message"),
    [
        ("nb201", {"channels": 0}, "channels must be a positive integer"),
        ("randwire_tiny", {"stem": "huge"}, "stem must be one of"),
        ("randwire_tiny", {"stage_channel_mult": [1, 2]}, "one multiplier per stage"),
        ("enas_macro", {"reduce_at": [3, 11]}, "reduce_at must list layer indices"),
        ("nb101", {"num_stacks": -1}, "num_stacks must be a positive integer"),
    ],
)
def test_bad_skeleton_values(name: str, network: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        compile_arch(_arch(name, 0), name, network=network)


def test_invalid_arch_and_precision_are_rejected() -> None:
    wrong = _arch("nb101", 0)
    with pytest.raises(InvalidArchError):
        compile_arch(wrong, "nb201")
    with pytest.raises(ConfigError, match="precision"):
        compile_arch(_arch("nb201", 0), "nb201", precision="int4")


@pytest.mark.slow
def test_torch_compile_option_gives_the_same_outputs() -> None:
    arch = _arch("nb201", 1)
    torch.manual_seed(0)
    eager = _small_net("nb201", arch)
    compiled = _small_net("nb201", arch, torch_compile=True)
    compiled.load_state_dict(eager.state_dict())
    x = torch.randn(2, 3, 16, 16)
    assert torch.allclose(compiled(x), eager(x), atol=1e-5)
