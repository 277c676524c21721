"""`reinforce`: on-policy policy gradient with an EMA baseline, entropy bonus and top-K replay.

Each told batch of new architectures G_i with rewards r_i (raw, or 'cdf': the fraction of all
evaluations scoring at most r_i) moves the generator along sum_i (r_i - b) grad log p(G_i), where b
is an exponential moving average of the same rewards (reward and baseline in the same units), plus
an entropy bonus and, optionally, maximum likelihood on the top-K evaluated graphs (replay, as in
priority-queue training). The defaults are the ENAS controller's (Pham et al. 2018).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import torch

from graphnas.strategies.update_rules.base import UPDATE_RULES, Fit, UpdateContext, UpdateRule
from graphnas.strategies.update_rules.options import REWARDS, Bound, RuleConfig

if TYPE_CHECKING:
    from graphnas.generators.base import AutoregressiveGenerator


@dataclass(frozen=True)
class ReinforceConfig(RuleConfig):
    """Options of `reinforce`."""

    rule: ClassVar[str] = "reinforce"
    choices: ClassVar = {"reward": REWARDS}
    bounds: ClassVar = {"baseline_decay": Bound(0, high=1), "steps": Bound(1), "top_k": Bound(1)}
    reward: str = "cdf"
    baseline_decay: float = 0.9
    entropy_weight: float = 0.01
    replay_weight: float = 0.0
    top_k: int = 10
    steps: int = 1
    grad_clip: float | None = 5.0


@UPDATE_RULES.register("reinforce")
class Reinforce(UpdateRule):
    """REINFORCE with an EMA baseline, entropy bonus and optional top-K replay."""

    name = "reinforce"
    config = ReinforceConfig
    options: ReinforceConfig

    def __init__(self, options: ReinforceConfig) -> None:
        super().__init__(options)
        self.baseline: float | None = None

    def fit(self, model: AutoregressiveGenerator, context: UpdateContext) -> Fit | None:
        opts, history, trainable = self.options, context.history, context.trainable
        batch = self.learnable(context.new, trainable)
        if not batch:
            return None
        rewards = [
            history.rank_reward(e.reward) if opts.reward == "cdf" else e.reward for _, e in batch
        ]
        mean = sum(rewards) / len(rewards)
        baseline = mean if self.baseline is None else self.baseline
        advantage = torch.tensor([r - baseline for r in rewards], device=model.device)
        self.baseline = opts.baseline_decay * baseline + (1 - opts.baseline_decay) * mean
        elite = [arch for arch, _ in self.learnable(history.top(opts.top_k), trainable)]
        reported_baseline = torch.tensor(self.baseline, dtype=torch.float64)

        def objective(
            log_prob: torch.Tensor, entropy: torch.Tensor
        ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
            loss = -(advantage * log_prob).mean() - opts.entropy_weight * entropy.mean()
            if opts.replay_weight > 0 and elite:
                loss = loss - opts.replay_weight * model.score(elite)[0].mean()
            return loss, {
                "loss": loss,
                "entropy": entropy.mean(),
                "baseline": reported_baseline,
                "advantage": advantage.mean(),
            }

        return Fit([arch for arch, _ in batch], opts.steps, objective)

    def state_dict(self) -> dict[str, Any]:
        return {"baseline": self.baseline}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.baseline = state["baseline"]
