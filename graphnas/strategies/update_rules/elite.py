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
from typing import TYPE_CHECKING, Any, ClassVar

import torch

from graphnas.graph import ArchGraph
from graphnas.strategies.history import Entry, History
from graphnas.strategies.update_rules.base import UPDATE_RULES, Fit, UpdateContext, UpdateRule
from graphnas.strategies.update_rules.options import REWARDS, Bound, RuleConfig

if TYPE_CHECKING:
    from graphnas.generators.base import AutoregressiveGenerator
    from graphnas.strategies.update_rules.base import Trainable


@dataclass(frozen=True)
class EliteConfig(RuleConfig):
    """Options of `elite`; `idle_steps` None means `steps`."""

    rule: ClassVar[str] = "elite"
    choices: ClassVar = {"reward": REWARDS}
    bounds: ClassVar = {"steps": Bound(1), "top_k": Bound(1), "idle_steps": Bound(0)}
    reward: str = "cdf"
    top_k: int = 5
    steps: int = 10
    idle_steps: int | None = None
    entropy_weight: float = 0.0
    reinit: bool = False
    grad_clip: float | None = 5.0


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
        return self.learnable(history.top(self.options.top_k), trainable)

    def wants_fresh_generator(self, history: History, trainable: Trainable) -> bool:
        """With `reinit`: whether the top-K differs from the one of the last update."""
        if not self.options.reinit:
            return False
        return [e.hash for _, e in self._elite(history, trainable)] != self.last_elite

    def fit(self, model: AutoregressiveGenerator, context: UpdateContext) -> Fit | None:
        opts = self.options
        pairs = self._elite(context.history, context.trainable)
        if not pairs:
            return None
        weights = torch.tensor(self.weights([e for _, e in pairs]), device=model.device)
        weights = weights / weights.sum().clamp(min=math.ulp(1.0))
        elite = [e.hash for _, e in pairs]
        idle = opts.steps if opts.idle_steps is None else opts.idle_steps
        steps = opts.steps if elite != self.last_elite else idle
        self.last_elite = elite

        def objective(
            log_prob: torch.Tensor, entropy: torch.Tensor
        ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
            loss = -(weights * log_prob).sum() - opts.entropy_weight * entropy.mean()
            return loss, {"loss": loss, "entropy": entropy.mean()}

        return Fit([arch for arch, _ in pairs], steps, objective, {"steps": float(steps)})

    def state_dict(self) -> dict[str, Any]:
        return {"last_elite": list(self.last_elite)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.last_elite = list(state.get("last_elite", []))
