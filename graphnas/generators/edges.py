"""Node t's in-edges: a K-component mixture of Bernoulli products decided under the rules' masks.

Given the masks of the step (`EdgeConstraints`, built by the rollout from the space's rules and
the graph so far) and the policy's logits, the component is drawn (sampling) or summed out
(scoring), and each free candidate j < t is decided in candidate order. Without edge budgets the
candidates are independent given the component; with budgets each Bernoulli is renormalised over
the choices still feasible, so a forced or blocked edge costs no probability.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch.nn import functional as F

from graphnas.generators.categorical import draw_categorical

UNLIMITED = 1 << 30


@dataclass
class EdgeConstraints:
    """Masks of step t over candidates j < t: `candidate`, `forced` [R, t] bool; `need_one` [R];
    `cap` [R] (most edges this step), `costly` [R, t] and `budget` [R] (most edges from nodes
    that already have a successor); `sequential` says whether budgets apply anywhere."""

    candidate: torch.Tensor
    forced: torch.Tensor
    need_one: torch.Tensor
    cap: torch.Tensor
    costly: torch.Tensor
    budget: torch.Tensor
    sequential: bool


def mixture_edges(
    mixture: torch.Tensor,
    present: torch.Tensor,
    cons: EdgeConstraints,
    given: torch.Tensor | None,
    temperature: float,
    rng: torch.Generator | None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Edges [R, t] bool from logits `mixture` [R, K] and `present` [R, K, t], drawn or read
    from `given` [R, t]; with their log-probability [R], entropy [R] (0 where no edge was
    decided) and `outside` [R] (a given row the masks cannot produce)."""
    log_alpha = F.log_softmax(mixture.double() / temperature, dim=-1)  # [R, K]
    theta = present.double() / temperature  # [R, K, t]
    coin = None
    if given is None:
        R, _, t = theta.shape
        component = draw_categorical(log_alpha.exp(), None, rng)
        chosen_theta = theta[torch.arange(R, device=theta.device), component]  # [R, t]
        u = torch.rand(R, t, generator=rng, device=theta.device)
        coin = u < torch.sigmoid(chosen_theta)  # each candidate's draw, were it free
    decide = _edges_in_order if cons.sequential else _edges_at_once
    edges, decided, outside = decide(cons, given, coin)
    on = edges.unsqueeze(1)  # [R, 1, t]
    log_on = F.logsigmoid(theta)
    log_off = log_on - theta  # log sigmoid(-x) = log sigmoid(x) - x
    per_k = (torch.where(on, log_on, log_off) * decided.unsqueeze(1)).sum(-1)  # [R, K]
    lp = torch.logsumexp(log_alpha + per_k, dim=-1)
    p = log_on.exp()
    bern_entropy = -(p * log_on + (1 - p) * log_off)
    alpha = log_alpha.exp()
    ent_k = (bern_entropy * decided.unsqueeze(1)).sum(-1)
    mix_entropy = -(alpha * log_alpha).sum(-1) + (alpha * ent_k).sum(-1)
    any_decision = decided.any(1)
    return (
        edges,
        torch.where(any_decision, lp, 0.0),
        torch.where(any_decision, mix_entropy, 0.0),
        outside,
    )


def _edges_at_once(
    cons: EdgeConstraints, given: torch.Tensor | None, coin: torch.Tensor | None
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """No budgets: free candidates are independent given the component, except that the last
    free one is forced on when an in-edge is required and none of the others was chosen.
    Returns (edges, decided, outside)."""
    R, t = cons.candidate.shape
    free = cons.candidate & ~cons.forced
    positions = torch.arange(t, device=free.device)
    last_free = torch.where(free, positions, -1).max(1).values  # [R]
    is_last = (positions[None, :] == last_free[:, None]) & cons.need_one[:, None]
    outside = torch.zeros(R, dtype=torch.bool, device=free.device)
    if given is None:
        assert coin is not None
        draws = free & coin
        none_before = ~(draws & ~is_last).any(1)
        rescue = is_last & none_before[:, None]
        edges = (draws & ~is_last) | rescue | (draws & is_last) | cons.forced
    else:
        edges = given & cons.candidate
        outside |= (given & ~cons.candidate).any(1)
        outside |= (cons.forced & ~given).any(1)
        outside |= cons.need_one & ~(given & cons.candidate).any(1)
        none_before = ~(edges & free & ~is_last).any(1)
        rescue = is_last & none_before[:, None]
    decided = free & ~rescue
    return edges, decided, outside


def _edges_in_order(
    cons: EdgeConstraints, given: torch.Tensor | None, coin: torch.Tensor | None
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Budgets apply: decide candidates in order, each renormalised over what stays feasible.
    Returns (edges, decided, outside)."""
    R, t = cons.candidate.shape
    dev = cons.candidate.device
    free = cons.candidate & ~cons.forced
    forced_after = _count_after(cons.forced)
    forced_costly_after = _count_after(cons.forced & cons.costly)
    positions = torch.arange(t, device=dev)
    cheap_free = free & ~(cons.costly & (cons.budget < 1)[:, None])
    last_free = torch.where(cheap_free, positions, -1).max(1).values
    k = torch.zeros(R, dtype=torch.long, device=dev)
    c = torch.zeros(R, dtype=torch.long, device=dev)
    edges = torch.zeros(R, t, dtype=torch.bool, device=dev)
    decided = torch.zeros(R, t, dtype=torch.bool, device=dev)
    outside = torch.zeros(R, dtype=torch.bool, device=dev)
    for j in range(t):
        forced_j, costly_j = cons.forced[:, j], cons.costly[:, j]
        room = (k + 1 + forced_after[:, j] <= cons.cap) & (
            ~costly_j | (c + 1 + forced_costly_after[:, j] <= cons.budget)
        )
        must = free[:, j] & cons.need_one & (k == 0) & (last_free == j)
        choose = free[:, j] & room & ~must
        if given is None:
            assert coin is not None
            on = forced_j | must | (choose & coin[:, j])
        else:
            on = given[:, j] & cons.candidate[:, j]
            outside |= given[:, j] & ~(forced_j | must | choose)
            outside |= ~given[:, j] & (forced_j | must)
        edges[:, j] = on
        decided[:, j] = choose
        k = k + on.long()
        c = c + (on & costly_j).long()
    if given is not None:
        outside |= cons.need_one & (k == 0)
    return edges, decided, outside


def _count_after(mask: torch.Tensor) -> torch.Tensor:
    """[R, t] number of True entries strictly after each position."""
    total = mask.long().flip(1).cumsum(1).flip(1)
    return total - mask.long()
