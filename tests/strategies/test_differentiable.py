"""Differentiable strategies: mixed op = weighted sum of the compiled ops, GDAS is one path with
gradients to every alpha, derived cells are valid, state round trips, a search runs in the loop."""

from __future__ import annotations

import pytest
import torch

from graphnas.compiler.latency import build_latency_table
from graphnas.config import BudgetConfig
from graphnas.evaluators import EVALUATORS
from graphnas.evaluators.pool import SerialPool
from graphnas.search import SearchLoop
from graphnas.spaces import load_space
from graphnas.strategies import STRATEGIES
from graphnas.strategies.differentiable.gdas import gumbel_straight_through
from graphnas.strategies.differentiable.stacnas import average_linkage

NB201 = load_space("nb201")
SMALL = {
    "data": "synthetic:classes=3,train=24,size=8",
    "val_per_class": 8,
    "network": {"channels": 4, "cells_per_stage": 1},
    "batch_size": 8,
    "steps_per_ask": 2,
    "total_steps": 6,
}
METHODS = {
    "darts": {},
    "gdas": {},
    "stacnas": {"warmup_steps": 1, "similarity_batches": 1},
    "proxyless": {"cost_metric": "flops"},
}


def build(name, space=NB201, seed=0, device="cpu", **extra):
    params = {**SMALL, **METHODS[name], **extra}
    if space.kind == "complete":
        params["network"] = {"channels": 4, "num_cells": 1}
    return STRATEGIES.build(name, params, {"space": space, "seed": seed, "device": device})


def test_mixed_op_is_the_weighted_sum_of_its_ops(device):
    """An output edge spread over its choices (the others fixed) gives sum_k w_k * (cell with
    choice k) plus (1 - sum w) * (cell without the edge): the output node sums its edges."""
    strategy = build("darts", device=device)
    net = strategy.supernet.eval()
    cell = net.body[1]
    code = "|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|avg_pool_3x3~0|none~1|nor_conv_3x3~2|"
    selection = [((k, None),) for k in net.encode(NB201.decode(code))]
    h = torch.randn(2, 4, 8, 8, device=device)
    w = torch.tensor([0.1, 0.2, 0.3, 0.15, 0.05], device=device)
    for d in (3, 4, 5):  # the edges into the cell's output node (a plain sum, no ReLU after)
        with torch.no_grad():
            mixed = cell(
                h, [*selection[:d], tuple((k, w[k]) for k in range(5)), *selection[d + 1 :]]
            )
            paths = [cell(h, [*selection[:d], ((k, None),), *selection[d + 1 :]]) for k in range(5)]
            without = cell(h, [*selection[:d], (), *selection[d + 1 :]])
        want = sum(w[k] * (paths[k] - without) for k in range(5)) + without
        torch.testing.assert_close(mixed, want, rtol=1e-4, atol=1e-5)
    # and the single path is the compiled stand-alone network
    x = torch.randn(2, 3, 8, 8, device=device)
    with torch.no_grad():
        torch.testing.assert_close(
            net(x, NB201.decode(code)), net.standalone(NB201.decode(code)).to(device).eval()(x)
        )


def test_gdas_forward_is_one_path_and_its_gradient_reaches_every_alpha():
    alpha = torch.randn(5, requires_grad=True)
    gen = torch.Generator().manual_seed(0)
    noise = -torch.log(-torch.log(torch.rand(5, generator=gen)))
    weights, index = gumbel_straight_through(alpha, noise, tau=1.0)
    assert weights.detach().tolist() == [1.0 if k == index else 0.0 for k in range(5)]
    (weights * torch.arange(1.0, 6.0)).sum().backward()
    assert alpha.grad is not None and bool((alpha.grad != 0).all())

    # In the supernet: a sampled 'none' (or a path cut off downstream) passes no gradient in
    # that draw, as in GDAS; over a few draws every alpha of every decision gets one.
    strategy = build("gdas")
    reached = [torch.zeros(5, dtype=torch.bool) for _ in strategy.alphas]
    for _ in range(8):
        weights, active = strategy.mixture("arch")
        assert all(len(a) == 1 for a in active)  # one path per decision
        x, y = strategy.task.arch.next()
        logits = strategy.supernet.forward_mixed(x, weights, active)
        torch.nn.functional.cross_entropy(logits, y).backward()
        for r, a in zip(reached, strategy.alphas, strict=True):
            if a.grad is not None:
                r |= a.grad.cpu() != 0
            a.grad = None
    assert all(bool(r.all()) for r in reached)


def test_proxyless_runs_two_paths_and_binary_gates():
    strategy = build("proxyless")
    weights, active = strategy.mixture("arch")
    assert all(len(a) == 2 and len(set(a)) == 2 for a in active)
    assert all(sorted(w.detach().tolist()) == [0.0] * 4 + [1.0] for w in weights)
    weights, active = strategy.mixture("weights")
    assert all(len(a) == 1 for a in active)
    assert strategy.arch_penalty() is not None and strategy.arch_penalty().item() > 0


def test_proxyless_latency_term_uses_the_latency_table(tmp_path):
    table = build_latency_table(
        "nb201",
        network={"channels": 4, "cells_per_stage": 1, "input_size": 8, "num_classes": 3},
        repeats=1,
        warmup=0,
    )
    path = table.save(tmp_path / "t.json")
    strategy = build("proxyless", cost_metric="latency_ms", latency_table=str(path))
    assert any(float(c.max()) > 0 for c in strategy.choice_costs)


@pytest.mark.parametrize("name", sorted(METHODS))
@pytest.mark.parametrize("space_name", ["nb201", "complete"])
def test_derived_architectures_are_valid_and_the_run_ends(name, space_name):
    space = load_space(space_name)
    strategy = build(name, space=space)
    proposals = []
    while archs := strategy.ask(1):
        proposals += archs
    assert len(proposals) == 3 and strategy.step == SMALL["total_steps"]
    assert all(space.is_valid(a) for a in proposals)
    assert strategy.search_cost_s() > 0
    assert "alpha_entropy" in strategy.metrics()


@pytest.mark.parametrize("name", sorted(METHODS))
def test_state_round_trip_continues_bit_for_bit(name):
    first = build(name)
    first.ask(1)
    state = first.state_dict()
    second = build(name)
    second.load_state_dict(state)
    a, b = first.ask(1), second.ask(1)
    assert NB201.encode(a[0]) == NB201.encode(b[0])
    for p, q in zip(first.supernet.parameters(), second.supernet.parameters(), strict=True):
        assert torch.equal(p, q)
    assert all(
        torch.equal(p, q)
        for p, q in zip(first.probabilities(), second.probabilities(), strict=True)
    )


def test_stacnas_clusters_by_similarity():
    sim = torch.tensor([[1.0, 0.9, 0.1], [0.9, 1.0, 0.0], [0.1, 0.0, 1.0]])
    assert average_linkage(sim, 0.5) == [[0, 1], [2]]
    assert average_linkage(sim, 0.95) == [[0], [1], [2]]
    strategy = build("stacnas")
    strategy.ask(1)
    assert strategy.stage >= 1 and all(
        sorted(k for cat in cats for k in cat) == list(range(5))
        for cat in [strategy.categories[0]]
        for cats in [cat]
    )


def test_a_search_in_the_loop_ledgers_the_derived_cells():
    strategy = build("darts")
    evaluator = EVALUATORS.build("nb201_table", {"dataset": "cifar10"}, {"space": NB201})
    loop = SearchLoop(NB201, strategy, SerialPool(evaluator), BudgetConfig(queries=10))
    summary = loop.run()
    assert summary["stopped"] == "strategy proposed nothing"
    assert 1 <= summary["queries"] <= 3 and summary["best"] is not None


def test_unknown_options_are_one_line():
    from graphnas.errors import GraphnasError

    with pytest.raises(GraphnasError, match="unknown option"):
        build("darts", nonsense=1)
    with pytest.raises(GraphnasError, match="tau_min"):
        build("gdas", tau_min=0.0)
    with pytest.raises(GraphnasError, match=r"accepted: tau_max, tau_min, data"):
        build("gdas", nonsense=1)  # the method's own options are named as accepted
    with pytest.raises(GraphnasError, match="similarity_batches must be >= 1"):
        build("stacnas", similarity_batches=0)
    with pytest.raises(GraphnasError, match="stage1_fraction"):
        build("stacnas", stage1_fraction="half")  # a mistyped own option


@pytest.mark.parametrize(
    "recipe", ["nb201_darts", "nb201_gdas", "nb201_stacnas", "complete_proxyless"]
)
def test_recipes_load_and_name_valid_options(recipe, repo_root):
    from graphnas.config import load_search_config
    from graphnas.strategies.differentiable.settings import BilevelSettings

    config = load_search_config(repo_root / "experiments" / f"{recipe}.yaml")
    assert config.budget.seconds is not None
    own = {
        "tau_max",
        "tau_min",
        "similarity_threshold",
        "stage1_fraction",
        "cost_metric",
        "cost_weight",
        "latency_table",
    }
    shared = {k: v for k, v in config.strategy.params.items() if k not in own}
    BilevelSettings.of(config.strategy.name, shared)  # raises on an unknown or mistyped option


def test_second_order_darts_alpha_gradient_matches_autograd_through_the_unrolled_step():
    """order 2: dL_val(w - xi dL_train(w, alpha)/dw, alpha)/dalpha by the finite-difference
    Hessian-vector product equals autograd's exact gradient through the unrolled step."""
    from torch.func import functional_call

    strategy = build("darts", order=2)
    net = strategy.supernet.train().double()  # float64 and a small eps: this net's gradient is
    # far from linear in w at the paper's eps = 0.01 / ||v|| (BN on 8 images)
    gen = torch.Generator().manual_seed(0)
    strategy.alphas[:] = [
        torch.randn(a.shape, generator=gen, dtype=torch.float64).requires_grad_()
        for a in strategy.alphas
    ]
    x_train, y_train = strategy.task.weights.next()
    x_val, y_val = strategy.task.arch.next()
    x_train, x_val = x_train.double(), x_val.double()
    xi = 0.5
    names = [n for n, p in net.named_parameters() if p.requires_grad]
    weights = [dict(net.named_parameters())[n] for n in names]
    before = [w.detach().clone() for w in weights]

    class Wrapped(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.net = net

        def forward(self, x, mix):
            return self.net.forward_mixed(x, mix, None)

    wrapped = Wrapped()

    def loss(params, x, y):
        mix = [torch.softmax(a, dim=0) for a in strategy.alphas]
        logits = functional_call(
            wrapped, {f"net.{n}": p for n, p in zip(names, params, strict=True)}, (x, mix)
        )
        return torch.nn.functional.cross_entropy(logits, y)

    step = torch.autograd.grad(loss(weights, x_train, y_train), weights, create_graph=True)
    unrolled = [w - xi * g for w, g in zip(weights, step, strict=True)]
    exact = torch.autograd.grad(loss(unrolled, x_val, y_val), strategy.alphas)
    first_order = torch.autograd.grad(loss(weights, x_val, y_val), strategy.alphas)
    _, _, approx = strategy.unrolled_alpha_grads(x_train, y_train, x_val, y_val, xi, 1e-6)
    exact_flat, approx_flat = torch.cat(exact), torch.cat(approx)
    error = (approx_flat - exact_flat).norm() / exact_flat.norm()
    assert error < 1e-3, float(error)
    # the second-order term matters here: the first-order gradient is further away
    assert (torch.cat(first_order) - exact_flat).norm() / exact_flat.norm() > 5 * error
    assert all(
        torch.equal(w.detach(), b) for w, b in zip(weights, before, strict=True)
    )  # w restored


def test_darts_order_is_checked_and_second_order_searches():
    from graphnas.errors import GraphnasError

    with pytest.raises(GraphnasError, match="order must be 1 or 2"):
        build("darts", order=3)
    strategy = build("darts", order=2)
    start = [a.detach().clone() for a in strategy.alphas]
    [arch] = strategy.ask(1)
    assert NB201.is_valid(arch) and strategy.step == SMALL["steps_per_ask"]
    assert any(not torch.equal(a.detach(), s) for a, s in zip(strategy.alphas, start, strict=True))


def test_proxyless_weight_paths_stay_connected_when_edges_lean_absent():
    """A sampled single path with every edge absent joins no input to output: it is redrawn
    (or the most probable valid path is taken), so the weight step always runs."""
    from graphnas.compiler.supernet import ABSENT, EDGE_CHOICES

    space = load_space("complete")
    strategy = build("proxyless", space=space)
    with torch.no_grad():
        for alpha, decision in zip(strategy.alphas, strategy.supernet.decisions, strict=True):
            if decision.choices == EDGE_CHOICES:
                alpha[ABSENT] = 3.0  # absent ~95 % per edge
    x, y = strategy.task.weights.next()
    for _ in range(10):
        choices = strategy.sample_path()
        assert space.is_valid(strategy.supernet.decode(choices))
        loss, _ = strategy._loss("weights", x, y)
        assert torch.isfinite(loss)
