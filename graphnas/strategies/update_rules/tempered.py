"""`tempered`: reward-tempered maximum likelihood over every evaluated graph, entropy-regularised.

After each told batch, `steps` Adam steps on

    loss = -sum_i w_i log p(G_i) - entropy_weight * sum_i w_i H_i,   w_i ∝ exp((u_i - 1) / tau)

over all successfully evaluated graphs G_i, where u_i in (0, 1] is G_i's reward rank (the fraction
of evaluations scoring at most its reward; 1 for the best) and H_i the generator's entropy along
G_i's decisions. `tau` sets how many graphs carry weight (about tau * N of N), so the target widens
as the search learns more instead of shrinking to a top-K; the entropy term keeps each decision on
a good graph's path open, so the distribution spreads over the neighbourhood of the good graphs
rather than collapsing onto the evaluated ones (whose likelihood alone has a point-mass-like fixed
point). `elite` is the original rule; this one is what the NB201 recipe uses.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch

from graphnas.errors import ConfigError
from graphnas.strategies.history import Entry, History
from graphnas.strategies.update_rules.base import (
    UPDATE_RULES,
    Trainable,
    UpdateRule,
    check_at_least,
    gradient_step,
    trainable_pairs,
)

if TYPE_CHECKING:
    from graphnas.generators.base import AutoregressiveGenerator


@dataclass(frozen=True)
class TemperedConfig:
    """Options of `tempered`."""

    tau: float = 0.1
    entropy_weight: float = 0.05
    steps: int = 5
    grad_clip: float | None = 5.0

    def __post_init__(self) -> None:
        if not self.tau > 0:
            raise ConfigError(f"update rule 'tempered': tau must be > 0, got {self.tau}")
        if self.entropy_weight < 0:
            raise ConfigError(
                f"update rule 'tempered': entropy_weight must be >= 0, got {self.entropy_weight}"
            )
        check_at_least("tempered", 1, steps=self.steps)


def rank_weights(ranks: Sequence[float], tau: float) -> list[float]:
    """Normalised weights exp((u - 1) / tau) of reward ranks u in (0, 1]; they sum to 1."""
    raw = [math.exp((u - 1.0) / tau) for u in ranks]
    total = sum(raw)
    return [w / total for w in raw]


@UPDATE_RULES.register("tempered")
class Tempered(UpdateRule):
    """Rank-tempered likelihood over all evaluated graphs plus a weighted entropy bonus."""

    name = "tempered"
    config = TemperedConfig
    options: TemperedConfig

    def update(
        self,
        model: AutoregressiveGenerator,
        optimizer: torch.optim.Optimizer,
        history: History,
        new: Sequence[Entry],
        trainable: Trainable,
    ) -> dict[str, float]:
        opts = self.options
        pairs = trainable_pairs(history.entries, trainable)
        if not pairs:
            return {}
        archs = [arch for arch, _ in pairs]
        ranks = [history.rank_reward(e.reward) for _, e in pairs]
        weights = torch.tensor(rank_weights(ranks, opts.tau), device=model.device)
        metrics = {"effective_targets": float(1.0 / (weights**2).sum())}
        for _ in range(opts.steps):
            log_prob, entropy, _ = model.score(archs)
            nll = -(weights * log_prob).sum()
            weighted_entropy = (weights * entropy).sum()
            loss = nll - opts.entropy_weight * weighted_entropy
            gradient_step(model, optimizer, loss, opts.grad_clip)
            metrics.update(
                loss=float(loss.detach()),
                nll=float(nll.detach()),
                entropy=float(weighted_entropy.detach()),
            )
        return metrics
