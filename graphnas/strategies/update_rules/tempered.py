"""`tempered`: reward-tempered maximum likelihood over every evaluated graph, entropy-regularised.

After each told batch, `steps` Adam steps on

    loss = -sum_i w_i log p(G_i) - entropy_weight * sum_i w_i H_i,   w_i ∝ exp((u_i - 1) / tau)

over all successfully evaluated graphs G_i, where u_i in (0, 1] is G_i's reward rank (the fraction
of evaluations scoring at most its reward; 1 for the best) and H_i the generator's entropy along
G_i's decisions. `tau` sets how many graphs carry weight (about tau * N of N), so the target widens
as the search learns more instead of shrinking to a top-K; the entropy term keeps each decision on
a good graph's path open, so the distribution spreads over the neighbourhood of the good graphs
rather than collapsing onto the evaluated ones (whose likelihood alone has a point-mass-like fixed
point). With `dream` > 0 the targets also include that many of the generator's own samples
(drawn at `dream_temperature`, so broader than the generator) weighted in the same way by the
rank their surrogate-predicted reward would have among the evaluations, times `dream_weight`:
the generator then learns the surrogate's good region, including cells nobody has evaluated.
The predicted reward is the GP's lower confidence bound mean - `dream_confidence` * std (0: the
mean), so with `dream_confidence` > 0 a dream far from every evaluation, where the GP only
guesses, ranks low.
`elite` is the original rule.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import torch

from graphnas.graph import ArchGraph
from graphnas.strategies.update_rules.base import UPDATE_RULES, Fit, UpdateContext, UpdateRule
from graphnas.strategies.update_rules.options import Bound, RuleConfig

if TYPE_CHECKING:
    from graphnas.generators.base import AutoregressiveGenerator


@dataclass(frozen=True)
class TemperedConfig(RuleConfig):
    """Options of `tempered`."""

    rule: ClassVar[str] = "tempered"
    bounds: ClassVar = {
        "tau": Bound(0, strict=True),
        "dream_temperature": Bound(0, strict=True),
        "entropy_weight": Bound(0),
        "dream": Bound(0),
        "dream_weight": Bound(0),
        "dream_confidence": Bound(0),
        "steps": Bound(1),
    }

    tau: float = 0.2
    entropy_weight: float = 0.02
    steps: int = 10
    dream: int = 0
    dream_weight: float = 1.0
    dream_temperature: float = 1.5
    dream_confidence: float = 0.0
    grad_clip: float | None = 5.0


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

    def _dreams(
        self, model: AutoregressiveGenerator, context: UpdateContext, pairs: list
    ) -> tuple[list[ArchGraph], list[float]]:
        """Distinct generator samples not evaluated yet and the rank of their predicted reward."""
        opts, history = self.options, context.history
        if not opts.dream or context.surrogate is None or not context.surrogate.fit(pairs):
            return [], []
        batch = model.sample(opts.dream, context.rng, opts.dream_temperature)
        known = {e.hash for e in history.entries}
        fresh = list({a: None for a in batch.archs if history.hash(a) not in known})
        if not fresh:
            return [], []
        mean, std = context.surrogate.predict(fresh)
        bound = mean - opts.dream_confidence * std
        return fresh, [history.rank_reward(float(b)) for b in bound]

    def fit(self, model: AutoregressiveGenerator, context: UpdateContext) -> Fit | None:
        opts, history = self.options, context.history
        pairs = self.learnable(history.entries, context.trainable)
        if not pairs:
            return None
        dreams, dream_ranks = self._dreams(model, context, pairs)
        archs = [arch for arch, _ in pairs] + dreams
        ranks = [history.rank_reward(e.reward) for _, e in pairs] + dream_ranks
        scale = [1.0] * len(pairs) + [opts.dream_weight] * len(dreams)
        raw = torch.tensor(rank_weights(ranks, opts.tau), device=model.device)
        weights = raw * torch.tensor(scale, device=model.device)
        weights = weights / weights.sum()
        metrics = {
            "effective_targets": float(1.0 / (weights**2).sum()),
            "dreams": float(len(dreams)),
        }

        def objective(
            log_prob: torch.Tensor, entropy: torch.Tensor
        ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
            nll = -(weights * log_prob).sum()
            weighted_entropy = (weights * entropy).sum()
            loss = nll - opts.entropy_weight * weighted_entropy
            return loss, {"loss": loss, "nll": nll, "entropy": weighted_entropy}

        return Fit(archs, opts.steps, objective, metrics)
