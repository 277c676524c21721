"""How a learned generator is trained from rewards: `reinforce` and `elite` (see DESIGN §5).

- `Reinforce`: on-policy policy gradient. Each told batch of new architectures G_i with rewards
  r_i (raw, or 'cdf': the fraction of all evaluations scoring at most r_i) moves the generator
  along sum_i (r_i - b) grad log p(G_i), where b is an exponential moving average of the same
  rewards (so reward and baseline are in the same units), plus an entropy bonus and, optionally,
  maximum likelihood on the top-K evaluated graphs (replay, as in priority-queue training).
- `Elite`: the original GraphPNAS behaviour: rank-weighted maximum likelihood on the top-K graphs
  evaluated so far (weight 1 for the best down to 1/K), for `steps` steps after each told batch
  that changed the top-K (`idle_steps` after one that did not). The generator is kept across
  updates unless `reinit` asks for the original's fresh generator, refitted whenever the top-K
  changes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import torch

from graphnas.errors import ConfigError
from graphnas.graph import ArchGraph
from graphnas.strategies.history import Entry, History

if TYPE_CHECKING:
    from graphnas.generators.base import AutoregressiveGenerator

REWARDS = ("raw", "cdf")


def _check_reward(reward: str) -> str:
    if reward not in REWARDS:
        raise ConfigError(f"reward: {reward!r} is not one of {', '.join(REWARDS)}")
    return reward


def _step(
    model: AutoregressiveGenerator,
    optimizer: torch.optim.Optimizer,
    loss: torch.Tensor,
    grad_clip: float | None,
) -> None:
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    if grad_clip:
        torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
    optimizer.step()


class Reinforce:
    """REINFORCE with an EMA baseline, entropy bonus and optional top-K replay."""

    name = "reinforce"

    def __init__(
        self,
        reward: str = "cdf",
        baseline_decay: float = 0.9,
        entropy_weight: float = 0.01,
        replay_weight: float = 0.0,
        top_k: int = 10,
        steps: int = 1,
        grad_clip: float | None = 5.0,
    ) -> None:
        if not 0 <= baseline_decay < 1:
            raise ConfigError(f"baseline_decay: must be in [0, 1), got {baseline_decay}")
        if steps < 1 or top_k < 1:
            raise ConfigError("steps and top_k must be >= 1")
        self.reward = _check_reward(reward)
        self.baseline_decay = float(baseline_decay)
        self.entropy_weight = float(entropy_weight)
        self.replay_weight = float(replay_weight)
        self.top_k = int(top_k)
        self.steps = int(steps)
        self.grad_clip = grad_clip
        self.baseline: float | None = None

    def update(
        self,
        model: AutoregressiveGenerator,
        optimizer: torch.optim.Optimizer,
        history: History,
        new: Sequence[Entry],
        trainable: Callable[[Entry], ArchGraph | None],
    ) -> dict[str, float]:
        batch = [(trainable(e), e) for e in new if e.ok]
        batch = [(arch, e) for arch, e in batch if arch is not None]
        if not batch:
            return {}
        rewards = [
            history.rank_reward(e.reward) if self.reward == "cdf" else e.reward for _, e in batch
        ]
        mean = sum(rewards) / len(rewards)
        baseline = mean if self.baseline is None else self.baseline
        advantage = torch.tensor([r - baseline for r in rewards], device=model.device)
        self.baseline = self.baseline_decay * baseline + (1 - self.baseline_decay) * mean
        archs = [arch for arch, _ in batch]
        elite = [a for a in (trainable(e) for e in history.top(self.top_k)) if a is not None]
        for _ in range(self.steps):
            log_prob, entropy, _ = model.score(archs)
            loss = -(advantage * log_prob).mean() - self.entropy_weight * entropy.mean()
            if self.replay_weight > 0 and elite:
                loss = loss - self.replay_weight * model.score(elite)[0].mean()
            _step(model, optimizer, loss, self.grad_clip)
        return {
            "loss": float(loss.detach()),
            "baseline": self.baseline,
            "advantage": float(advantage.mean()),
        }

    def state_dict(self) -> dict[str, Any]:
        return {"baseline": self.baseline}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.baseline = state["baseline"]


class Elite:
    """Rank-weighted maximum likelihood on the top-K evaluated graphs."""

    name = "elite"

    def __init__(
        self,
        reward: str = "cdf",
        top_k: int = 15,
        steps: int = 20,
        entropy_weight: float = 0.0,
        reinit: bool = False,
        grad_clip: float | None = 5.0,
        idle_steps: int | None = None,
    ) -> None:
        if steps < 1 or top_k < 1:
            raise ConfigError("steps and top_k must be >= 1")
        if idle_steps is not None and idle_steps < 0:
            raise ConfigError(f"idle_steps: must be >= 0, got {idle_steps}")
        self.reward = _check_reward(reward)
        self.top_k = int(top_k)
        self.steps = int(steps)
        self.idle_steps = self.steps if idle_steps is None else int(idle_steps)
        self.entropy_weight = float(entropy_weight)
        self.reinit = bool(reinit)
        self.grad_clip = grad_clip
        self.last_elite: list[str] = []

    def weights(self, elite: Sequence[Entry]) -> list[float]:
        """Per graph, best first: rank weights 1, (K-1)/K, ..., 1/K, or rewards over the best."""
        k = len(elite)
        if self.reward == "cdf":
            return [(k - i) / k for i in range(k)]
        best = max(abs(e.reward) for e in elite) or 1.0
        return [max(e.reward, 0.0) / best for e in elite]

    def _elite(
        self, history: History, trainable: Callable[[Entry], ArchGraph | None]
    ) -> list[tuple[ArchGraph, Entry]]:
        pairs = [(trainable(e), e) for e in history.top(self.top_k)]
        return [(arch, e) for arch, e in pairs if arch is not None]

    def elite_changed(
        self, history: History, trainable: Callable[[Entry], ArchGraph | None]
    ) -> bool:
        """Whether the top-K differs from the one of the last update."""
        return [e.hash for _, e in self._elite(history, trainable)] != self.last_elite

    def update(
        self,
        model: AutoregressiveGenerator,
        optimizer: torch.optim.Optimizer,
        history: History,
        new: Sequence[Entry],
        trainable: Callable[[Entry], ArchGraph | None],
    ) -> dict[str, float]:
        pairs = self._elite(history, trainable)
        if not pairs:
            return {}
        archs = [arch for arch, _ in pairs]
        weights = torch.tensor(self.weights([e for _, e in pairs]), device=model.device)
        weights = weights / weights.sum().clamp(min=math.ulp(1.0))
        elite = [e.hash for _, e in pairs]
        steps = self.steps if elite != self.last_elite else self.idle_steps
        self.last_elite = elite
        loss = torch.zeros(())
        for _ in range(steps):
            log_prob, entropy, _ = model.score(archs)
            loss = -(weights * log_prob).sum() - self.entropy_weight * entropy.mean()
            _step(model, optimizer, loss, self.grad_clip)
        return {"loss": float(loss.detach()), "steps": steps}

    def state_dict(self) -> dict[str, Any]:
        return {"last_elite": list(self.last_elite)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.last_elite = list(state.get("last_elite", []))


UPDATE_RULES: dict[str, type[Reinforce] | type[Elite]] = {"reinforce": Reinforce, "elite": Elite}


def build_update_rule(name: str, options: dict[str, Any]) -> Reinforce | Elite:
    """The update rule `name` with its options; unknown names or options are ConfigErrors."""
    if name not in UPDATE_RULES:
        raise ConfigError(f"update: {name!r} is not one of {', '.join(UPDATE_RULES)}")
    cls = UPDATE_RULES[name]
    try:
        return cls(**options)
    except TypeError as exc:
        raise ConfigError(f"update {name}: {exc}") from None
