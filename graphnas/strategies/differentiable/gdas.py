"""GDAS (Dong & Yang 2019): one Gumbel-softmax-sampled path per decision and step.

Each step draws h_d = one_hot(argmax(log_softmax(alpha_d) + g_d)) with Gumbel noise g_d and
uses the straight-through weights h_d - p_d.detach() + p_d, p_d = softmax((log_softmax(alpha_d)
+ g_d) / tau): the forward runs only the sampled choice (hard), the backward reaches every
alpha through p_d (soft). Weights and alphas both train on the sampled path. The temperature
tau decays linearly from `tau_max` to `tau_min` over the run (GDAS: 10 -> 0.1). The derived
architecture is the argmax of each decision.
"""

from __future__ import annotations

from typing import Any

import torch

from graphnas.errors import ConfigError
from graphnas.spaces.base import SearchSpace
from graphnas.strategies.differentiable.base import AlphaSearch, Mixture, gumbel
from graphnas.strategies.registry import STRATEGIES


def gumbel_straight_through(
    alpha: torch.Tensor, noise: torch.Tensor, tau: float
) -> tuple[torch.Tensor, int]:
    """(straight-through weights [K]: one-hot forward, softmax backward; the chosen index)."""
    logits = (torch.log_softmax(alpha, dim=0) + noise.to(alpha.device)) / tau
    soft = torch.softmax(logits, dim=0)
    index = int(soft.argmax())
    hard = torch.zeros_like(soft)
    hard[index] = 1.0
    return hard - soft.detach() + soft, index


@STRATEGIES.register("gdas")
class GDAS(AlphaSearch):
    """GDAS. Options: tau_max, tau_min, plus BilevelSettings."""

    method = "gdas"

    def __init__(
        self,
        space: SearchSpace,
        seed: int = 0,
        device: torch.device | str = "cpu",
        tau_max: float = 10.0,
        tau_min: float = 0.1,
        **options: Any,
    ) -> None:
        if not 0 < tau_min <= tau_max:
            raise ConfigError(
                f"strategy 'gdas': need 0 < tau_min <= tau_max, got {tau_min}, {tau_max}"
            )
        super().__init__(space, seed, device, options)
        self.tau_max, self.tau_min = float(tau_max), float(tau_min)

    def tau(self) -> float:
        """tau_max - (tau_max - tau_min) * step / (total_steps - 1)."""
        progress = self.step / max(1, self.settings.total_steps - 1)
        return self.tau_max - (self.tau_max - self.tau_min) * min(1.0, progress)

    def mixture(self, phase: str) -> Mixture:
        weights, active = [], []
        tau = self.tau()
        for alpha in self.alphas:
            noise = gumbel(alpha.shape, self.generator)
            w, index = gumbel_straight_through(alpha, noise, tau)
            weights.append(w.detach() if phase == "weights" else w)
            active.append([index])
        return weights, active

    def method_metrics(self) -> dict[str, float]:
        return {"tau": self.tau()}
