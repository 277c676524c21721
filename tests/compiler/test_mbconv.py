"""Mobile blocks and chain networks: analytic params/FLOPs equal the built modules', shapes,
the residual rule, plug-in ops, and a MobileNetV2-style chain that trains."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from graphnas.compiler import arch_cost, compile_arch, count_parameters, measure_flops
from graphnas.compiler.chain_ops import CHAIN_OPS, chain_op, register_chain_op
from graphnas.compiler.cost import conv_cost, conv_out
from graphnas.compiler.mobile import MBConv, Shortcut
from graphnas.errors import ConfigError
from graphnas.spaces import load_space

OPS = [
    "identity",
    "mbconv_e1_k3",
    "mbconv_e6_k5",
    "mbconv_e3_k3_se",
    "conv_3x3",
    "sep_conv_5x5",
    "max_pool_3x3",
    "avg_pool_3x3",
]


def _count(module: nn.Module, c_in: int, hw: int) -> tuple[int, int, tuple[int, ...]]:
    """Params, hook-counted FLOPs and output shape of a block on a [1, c_in, hw, hw] input."""
    wrapped = nn.Sequential(nn.Conv2d(3, c_in, 1, bias=False), module)
    flops = measure_flops(wrapped, hw, batch=1) - 3 * c_in * hw * hw
    out = module.eval()(torch.randn(1, c_in, hw, hw))
    return count_parameters(module), flops, tuple(out.shape)


@pytest.mark.parametrize("name", OPS)
@pytest.mark.parametrize(
    ("c_in", "c_out", "stride", "hw"), [(8, 8, 1, 9), (8, 12, 2, 9), (6, 6, 2, 8)]
)
def test_every_op_cost_twin_matches_the_module(name, c_in, c_out, stride, hw) -> None:
    op = chain_op(name)
    params, flops, shape = _count(op.build(c_in, c_out, stride), c_in, hw)
    cost = op.cost(c_in, c_out, stride, hw)
    assert (params, flops) == (cost.params, cost.flops)
    assert shape == (1, c_out, -(-hw // stride), -(-hw // stride))


def test_mbconv_residual_only_where_shapes_agree() -> None:
    assert MBConv(8, 8, 3, 1, 6).residual and not MBConv(8, 8, 3, 2, 6).residual
    assert not MBConv(8, 16, 3, 1, 6).residual
    block = MBConv(8, 8, 3, 1, 6, se=True).eval()
    x = torch.randn(2, 8, 5, 5)
    with torch.no_grad():
        for p in block.project.parameters():
            p.zero_()
    assert torch.equal(block(x), x)  # a zero branch leaves the residual only
    assert count_parameters(MBConv(8, 8, 3, 1, 1)) < count_parameters(MBConv(8, 8, 3, 1, 2))
    assert count_parameters(Shortcut(8, 8, 1)) == 0 and count_parameters(Shortcut(8, 8, 2)) == 0


def test_unknown_op_is_refused_at_compile_and_a_plug_in_op_compiles() -> None:
    space = load_space({"kind": "chain", "num_layers": 2, "ops": ["conv_3x3", "my_ghost_op"]})
    with pytest.raises(ConfigError, match="unknown chain op 'my_ghost_op'"):
        compile_arch(space.decode("01"), space)
    register_chain_op(
        "my_ghost_op",
        lambda c_in, c_out, s: nn.Sequential(nn.Conv2d(c_in, c_out, 1, s, bias=False)),
        lambda c_in, c_out, s, hw: conv_cost(c_in, c_out, 1, conv_out(hw, 1, s)),
    )
    try:
        net = compile_arch(space.decode("01"), space)
        assert count_parameters(net) == net.cost.params
        assert measure_flops(net, 32) == net.cost.flops
    finally:
        CHAIN_OPS._entries.pop("my_ghost_op")


def test_mobilenet_v2_chain_compiles_and_trains(device: torch.device) -> None:
    space = load_space("chain_mobile")
    arch = space.decode("512150135")
    network = {"head_channels": 32}
    for precision in ("fp32", "bf16"):
        net = compile_arch(
            arch,
            space,
            network=network,
            input_size=16,
            num_classes=4,
            channels_last=True,
            precision=precision,
        )
        assert arch_cost(arch, space, network=network, input_size=16, num_classes=4) == net.cost
    net = compile_arch(arch, space, network=network, input_size=16, num_classes=4).to(device)
    assert count_parameters(net) == net.cost.params
    assert measure_flops(net, 16) == net.cost.flops
    torch.manual_seed(0)
    x = torch.randn(16, 3, 16, 16, device=device)
    y = torch.arange(16, device=device) % 4
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    losses = []
    for _ in range(30):
        loss = nn.functional.cross_entropy(net(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
