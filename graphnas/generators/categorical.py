"""Masked categorical decisions of a rollout: one draw or one teacher-forced read per row.

Draws are inverse-CDF on one uniform per row from the rollout's generator, so a seeded rollout
makes the same choices on every run; masked entries get logit `MASKED` (probability ~0, finite).
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

MASKED = -1e9


def masked_categorical(
    logits: torch.Tensor,
    mask: torch.Tensor,
    decide: torch.Tensor,
    given: torch.Tensor | None,
    rng: torch.Generator | None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Categorical over the last dim of `logits` [M, V] (float64), allowed where `mask` [M, V],
    for rows where `decide` [M]; drawn, or read from `given` [M] long (-1: none).

    Returns (choice [M] long, log-prob [M], entropy [M], outside [M] bool: a given choice the
    mask forbids); log-prob, entropy and outside are zero / False where not `decide`."""
    mask = mask | ~mask.any(-1, keepdim=True)  # rows with nothing allowed stay finite
    log_p = F.log_softmax(logits.masked_fill(~mask, MASKED), dim=-1)
    p = log_p.exp()
    if given is None:
        choice = draw_categorical(p, mask, rng)
        bad = torch.zeros_like(decide)
    else:
        choice = given.clamp(min=0)
        ok = mask.gather(1, choice[:, None]).squeeze(1) & (given >= 0)
        bad = decide & ~ok
    lp = log_p.gather(1, choice[:, None]).squeeze(1)
    ent = -(p * log_p).sum(-1)
    zero = torch.zeros_like(lp)
    return (
        choice,
        torch.where(decide & ~bad, lp, zero),
        torch.where(decide, ent, zero),
        bad,
    )


def draw_categorical(
    probs: torch.Tensor, mask: torch.Tensor | None, rng: torch.Generator | None
) -> torch.Tensor:
    """Inverse-CDF draw [M] long per row of `probs` [M, V] (never an index outside `mask`, or
    outside `probs > 0` without one)."""
    u = torch.rand(probs.shape[0], 1, generator=rng, device=probs.device)
    cdf = probs.detach().cumsum(-1)
    choice = (cdf < u).sum(-1)
    V = probs.shape[-1]
    allowed = mask if mask is not None else probs > 0
    positions = torch.arange(V, device=probs.device)
    last = torch.where(allowed, positions, -1).max(-1).values.clamp(min=0)
    return torch.minimum(choice, last)
