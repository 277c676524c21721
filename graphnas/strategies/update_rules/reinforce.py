"""`reinforce`: on-policy policy gradient with an EMA baseline, entropy bonus and top-K replay.

Each told batch of new architectures G_i with rewards r_i (raw, or 'cdf': the fraction of all
evaluations scoring at most r_i) moves the generator along sum_i (r_i - b) grad log p(G_i), where b
is an exponential moving average of the same rewards (reward and baseline in the same units), plus
an entropy bonus and, optionally, maximum likelihood on the top-K evaluated graphs (replay, as in
priority-queue training). The defaults are the ENAS controller's (Pham et al. 2018).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch

from graphnas.errors import ConfigError
from graphnas.strategies.update_rules.base import (
    UPDATE_RULES,
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
class ReinforceConfig:
    """Options of `reinforce`."""

    reward: str = "cdf"
    baseline_decay: float = 0.9
    entropy_weight: float = 0.01
    replay_weight: float = 0.0
    top_k: int = 10
    steps: int = 1
    grad_clip: float | None = 5.0

    def __post_init__(self) -> None:
        check_reward(self.reward)
        if not 0 <= self.baseline_decay < 1:
            raise ConfigError(
                f"update rule 'reinforce': baseline_decay must be in [0, 1), "
                f"got {self.baseline_decay}"
            )
        check_at_least("reinforce", 1, steps=self.steps, top_k=self.top_k)


@UPDATE_RULES.register("reinforce")
class Reinforce(UpdateRule):
    """REINFORCE with an EMA baseline, entropy bonus and optional top-K replay."""

    name = "reinforce"
    config = ReinforceConfig
    options: ReinforceConfig

    def __init__(self, options: ReinforceConfig) -> None:
        super().__init__(options)
        self.baseline: float | None = None

    def update(
        self,
        model: AutoregressiveGenerator,
        optimizer: torch.optim.Optimizer,
        context: UpdateContext,
    ) -> dict[str, float]:
        opts, history, trainable = self.options, context.history, context.trainable
        batch = trainable_pairs(context.new, trainable)
        if not batch:
            return {}
        rewards = [
            history.rank_reward(e.reward) if opts.reward == "cdf" else e.reward for _, e in batch
        ]
        mean = sum(rewards) / len(rewards)
        baseline = mean if self.baseline is None else self.baseline
        advantage = torch.tensor([r - baseline for r in rewards], device=model.device)
        self.baseline = opts.baseline_decay * baseline + (1 - opts.baseline_decay) * mean
        archs = [arch for arch, _ in batch]
        elite = [arch for arch, _ in trainable_pairs(history.top(opts.top_k), trainable)]
        for _ in range(opts.steps):
            log_prob, entropy, _ = model.score(archs)
            loss = -(advantage * log_prob).mean() - opts.entropy_weight * entropy.mean()
            if opts.replay_weight > 0 and elite:
                loss = loss - opts.replay_weight * model.score(elite)[0].mean()
            gradient_step(model, optimizer, loss, opts.grad_clip)
        return {
            "loss": float(loss.detach()),
            "entropy": float(entropy.detach().mean()),
            "baseline": self.baseline,
            "advantage": float(advantage.mean()),
        }

    def state_dict(self) -> dict[str, Any]:
        return {"baseline": self.baseline}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.baseline = state["baseline"]
