"""The rollout (rollout.py, edges.py, categorical.py): per-decision log-probabilities and
entropies add up to the row totals, masks are obeyed, teacher forcing reads what sampling drew."""

from __future__ import annotations

import math
from typing import Any

import pytest
import torch
from torch.nn import functional as F

from graphnas.generators.categorical import draw_categorical, masked_categorical
from graphnas.generators.edges import EdgeConstraints, mixture_edges
from graphnas.generators.rollout import EdgeLogits, NodeChoice, Rollout
from graphnas.generators.structure import GenerationStructure
from graphnas.spaces import load_space

CPU = torch.device("cpu")


class FixedPolicy:
    """A policy whose logits never depend on the graph: edge ops `edge_op` [V_e], one mixture
    component with edge logit `present`; records every committed node."""

    def __init__(self, edge_op: torch.Tensor, present: float = 0.0) -> None:
        self.edge_op, self.present = edge_op, present
        self.committed: list[NodeChoice] = []

    def begin(self, roll: Rollout) -> Any:
        return None

    def op_logits(self, ctx: Any, roll: Rollout, t: int) -> torch.Tensor:
        return torch.zeros(roll.rows, max(len(roll.structure.node_vocab), 1))

    def edge_logits(self, ctx: Any, roll: Rollout, t: int, op: torch.Tensor) -> EdgeLogits:
        present = torch.full((roll.rows, 1, t), self.present)
        edge_op = self.edge_op.expand(roll.rows, t, -1)
        return EdgeLogits(torch.zeros(roll.rows, 1), present, edge_op)

    def commit(self, ctx: Any, roll: Rollout, node: NodeChoice) -> None:
        self.committed.append(node)


def test_nb201_log_prob_is_the_sum_of_each_edge_op_decision() -> None:
    structure = GenerationStructure(load_space("nb201"), CPU)
    edge_op = torch.tensor([0.5, -1.0, 2.0, 0.0])
    policy = FixedPolicy(edge_op, present=40.0)  # every edge on, at a cost of ~1e-17 nats
    result = Rollout(structure, 50, generator=torch.Generator().manual_seed(0)).run(policy)
    log_p = F.log_softmax(edge_op.double(), -1)
    chosen = result.tensors.edge_op[result.tensors.adj]
    assert len(chosen) == 50 * 6
    expected = log_p[chosen].view(50, 6).sum(1)
    assert torch.allclose(result.log_prob, expected, rtol=0, atol=1e-12)
    assert len(set(map(tuple, chosen.view(50, 6).tolist()))) > 20  # the ops really vary
    entropy = -(log_p.exp() * log_p).sum()
    assert torch.allclose(
        result.entropy, torch.full((50,), 6 * float(entropy), dtype=torch.float64), atol=1e-9
    )
    assert [node.t for node in policy.committed] == [0, 1, 2, 3]


def test_teacher_forcing_reads_back_what_sampling_drew() -> None:
    structure = GenerationStructure(load_space("nb101"), CPU)
    policy = FixedPolicy(torch.zeros(1), present=0.3)
    drawn = Rollout(structure, 40, generator=torch.Generator().manual_seed(1)).run(policy)
    read = Rollout(structure, 40, given=drawn.tensors).run(FixedPolicy(torch.zeros(1), 0.3))
    assert torch.equal(read.tensors.adj, drawn.tensors.adj)
    assert torch.equal(read.log_prob, drawn.log_prob) and not read.outside.any()


def test_a_rollout_needs_a_positive_temperature() -> None:
    structure = GenerationStructure(load_space("nb201"), CPU)
    with pytest.raises(ValueError, match="temperature must be > 0, got 0"):
        Rollout(structure, 1, temperature=0)


def test_masked_categorical_never_draws_a_masked_op_and_flags_a_given_one() -> None:
    logits = torch.zeros(1000, 3, dtype=torch.float64)
    mask = torch.tensor([True, False, True]).expand(1000, 3)
    decide = torch.ones(1000, dtype=torch.bool)
    choice, lp, ent, bad = masked_categorical(
        logits, mask, decide, None, torch.Generator().manual_seed(0)
    )
    assert set(choice.tolist()) == {0, 2} and not bad.any()
    assert torch.allclose(lp, torch.full_like(lp, math.log(0.5)))
    assert torch.allclose(ent, torch.full_like(ent, math.log(2)))
    given = torch.tensor([1, 2])
    _, lp, _, bad = masked_categorical(logits[:2], mask[:2], decide[:2], given, None)
    assert bad.tolist() == [True, False] and lp.tolist() == [0.0, math.log(0.5)]


def test_inverse_cdf_draws_follow_the_probabilities() -> None:
    probs = torch.tensor([[0.1, 0.6, 0.3]]).expand(20000, 3)
    choice = draw_categorical(probs, None, torch.Generator().manual_seed(0))
    frequencies = torch.bincount(choice, minlength=3).double() / 20000
    assert torch.allclose(
        frequencies, torch.tensor([0.1, 0.6, 0.3], dtype=torch.float64), atol=0.01
    )


def free_constraints(rows: int, t: int, **masks: torch.Tensor) -> EdgeConstraints:
    none = torch.zeros(rows, t, dtype=torch.bool)
    big = torch.full((rows,), 1 << 30)
    fields = {"candidate": ~none, "forced": none, "need_one": torch.zeros(rows, dtype=torch.bool)}
    fields.update(masks)
    return EdgeConstraints(cap=big, costly=none, budget=big, sequential=False, **fields)


@pytest.mark.parametrize("sequential", [False, True])
def test_one_component_edges_are_independent_bernoullis(sequential) -> None:
    theta = torch.tensor([[0.5, -1.0, 2.0]])
    given = torch.tensor([[True, False, False]])
    cons = free_constraints(1, 3)
    cons.sequential = sequential
    edges, lp, ent, outside = mixture_edges(
        torch.zeros(1, 1), theta[:, None], cons, given, 1.0, None
    )
    p = torch.sigmoid(theta.double())
    expected = torch.log(p[0, 0]) + torch.log(1 - p[0, 1]) + torch.log(1 - p[0, 2])
    assert torch.equal(edges, given) and not outside.any()
    assert float(lp[0]) == pytest.approx(float(expected), abs=1e-12)
    bernoulli = -(p * p.log() + (1 - p) * (1 - p).log()).sum()
    assert float(ent[0]) == pytest.approx(float(bernoulli), abs=1e-12)


def test_a_forced_edge_costs_nothing_and_a_missing_one_is_outside() -> None:
    forced = torch.tensor([[True, False]])
    cons = free_constraints(1, 2, forced=forced)
    theta = torch.tensor([[[3.0, 0.0]]])
    on = torch.tensor([[True, False]])
    _, lp, _, outside = mixture_edges(torch.zeros(1, 1), theta, cons, on, 1.0, None)
    assert float(lp[0]) == pytest.approx(math.log(0.5)) and not outside.any()
    _, _, _, outside = mixture_edges(torch.zeros(1, 1), theta, cons, ~on, 1.0, None)
    assert outside.all()


def test_a_required_in_edge_is_drawn_even_when_every_coin_says_no() -> None:
    cons = free_constraints(500, 3, need_one=torch.ones(500, dtype=torch.bool))
    theta = torch.full((500, 1, 3), -30.0)
    for sequential in (False, True):
        cons.sequential = sequential
        edges, *_ = mixture_edges(
            torch.zeros(500, 1), theta, cons, None, 1.0, torch.Generator().manual_seed(0)
        )
        assert edges.sum(1).eq(1).all() and edges[:, 2].all()
