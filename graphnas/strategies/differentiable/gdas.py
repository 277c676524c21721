"""GDAS (Dong & Yang 2019): one Gumbel-softmax-sampled path per decision and step.

Each step draws h_d = one_hot(argmax(log_softmax(alpha_d) + g_d)) with Gumbel noise g_d and
uses the straight-through weights h_d - p_d.detach() + p_d, p_d = softmax((log_softmax(alpha_d)
+ g_d) / tau): the forward runs only the sampled choice (hard), the backward reaches every
alpha through p_d (soft). Weights and alphas both train on the sampled path. The temperature
tau decays linearly from `tau_max` to `tau_min` over the run (GDAS: 10 -> 0.1). The derived
architecture is the argmax of each decision.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from graphnas.errors import ConfigError
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


@dataclass(frozen=True)
class GumbelSchedule:
    """GDAS's own options: the temperature decays linearly from tau_max to tau_min."""

    tau_max: float = 10.0
    tau_min: float = 0.1

    def check(self, owner: str) -> None:
        if not 0 < self.tau_min <= self.tau_max:
            raise ConfigError(
                f"{owner}: need 0 < tau_min <= tau_max, got {self.tau_min}, {self.tau_max}"
            )


@STRATEGIES.register("gdas")
class GDAS(AlphaSearch):
    """GDAS. Options: tau_max, tau_min, plus BilevelSettings."""

    method = "gdas"
    own_options = GumbelSchedule

    def tau(self) -> float:
        """tau_max - (tau_max - tau_min) * step / (total_steps - 1)."""
        progress = self.step / max(1, self.settings.total_steps - 1)
        tau_max, tau_min = self.own.tau_max, self.own.tau_min
        return tau_max - (tau_max - tau_min) * min(1.0, progress)

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
