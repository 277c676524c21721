"""`elite`: the original GraphPNAS rule, rank-weighted maximum likelihood on the top-K graphs.

After each told batch that changed the top-K evaluated graphs, `steps` Adam steps on
-sum_i w_i log p(G_i) over the top-K (weights 1 for the best down to 1/K with 'cdf' rewards, the
reward over the best with 'raw'); `idle_steps` after a batch that left the top-K as it was. The
generator is kept across updates unless `reinit` asks for the original's fresh generator, refitted
whenever the top-K changes (the original also uses top_k about 15 and 20 steps per refit).
Its fixed point is a distribution over the K graphs: it does not spread (see `tempered`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch

from graphnas.errors import ConfigError
from graphnas.graph import ArchGraph
from graphnas.strategies.history import Entry, History
from graphnas.strategies.update_rules.base import (
    UPDATE_RULES,
    Trainable,
    UpdateContext,
    UpdateRule,
    check_at_least,
    check_reward,
    gradient_step,
    trainable_pairs,
)

if TYPE_CHECKING:
    from graphnas.generators.base import AutoregressiveGenerator


@dataclass(frozen=True)
class EliteConfig:
    """Options of `elite`; `idle_steps` None means `steps`."""

    reward: str = "cdf"
    top_k: int = 5
    steps: int = 10
    idle_steps: int | None = None
    entropy_weight: float = 0.0
    reinit: bool = False
    grad_clip: float | None = 5.0

    def __post_init__(self) -> None:
        check_reward(self.reward)
        check_at_least("elite", 1, steps=self.steps, top_k=self.top_k)
        if self.idle_steps is not None and self.idle_steps < 0:
            raise ConfigError(
                f"update rule 'elite': idle_steps must be >= 0, got {self.idle_steps}"
            )


@UPDATE_RULES.register("elite")
class Elite(UpdateRule):
    """Rank-weighted maximum likelihood on the top-K evaluated graphs."""

    name = "elite"
    config = EliteConfig
    options: EliteConfig

    def __init__(self, options: EliteConfig) -> None:
        super().__init__(options)
        self.last_elite: list[str] = []

    def weights(self, elite: Sequence[Entry]) -> list[float]:
        """Per graph, best first: rank weights 1, (K-1)/K, ..., 1/K, or rewards over the best."""
        k = len(elite)
        if self.options.reward == "cdf":
            return [(k - i) / k for i in range(k)]
        best = max(abs(e.reward) for e in elite) or 1.0
        return [max(e.reward, 0.0) / best for e in elite]

    def _elite(self, history: History, trainable: Trainable) -> list[tuple[ArchGraph, Entry]]:
        return trainable_pairs(history.top(self.options.top_k), trainable)

    def wants_fresh_generator(self, history: History, trainable: Trainable) -> bool:
        """With `reinit`: whether the top-K differs from the one of the last update."""
        if not self.options.reinit:
            return False
        return [e.hash for _, e in self._elite(history, trainable)] != self.last_elite

    def update(
        self,
        model: AutoregressiveGenerator,
        optimizer: torch.optim.Optimizer,
        context: UpdateContext,
    ) -> dict[str, float]:
        opts = self.options
        pairs = self._elite(context.history, context.trainable)
        if not pairs:
            return {}
        archs = [arch for arch, _ in pairs]
        weights = torch.tensor(self.weights([e for _, e in pairs]), device=model.device)
        weights = weights / weights.sum().clamp(min=math.ulp(1.0))
        elite = [e.hash for _, e in pairs]
        idle = opts.steps if opts.idle_steps is None else opts.idle_steps
        steps = opts.steps if elite != self.last_elite else idle
        self.last_elite = elite
        metrics: dict[str, float] = {"steps": float(steps)}
        for _ in range(steps):
            log_prob, entropy, _ = model.score(archs)
            loss = -(weights * log_prob).sum() - opts.entropy_weight * entropy.mean()
            gradient_step(model, optimizer, loss, opts.grad_clip)
            metrics.update(loss=float(loss.detach()), entropy=float(entropy.detach().mean()))
        return metrics

    def state_dict(self) -> dict[str, Any]:
        return {"last_elite": list(self.last_elite)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.last_elite = list(state.get("last_elite", []))
