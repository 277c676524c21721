"""ProxylessNAS (Cai et al. 2019): binarised paths, two sampled paths per update, a cost term.

Weight step: one path per decision is sampled from p_d = softmax(alpha_d) and only it runs
(binary gate 1). Architecture step: two distinct paths i, j are sampled per decision from p_d,
one of them is kept with the renormalised probabilities q = softmax(alpha_d[i, j]), and the
gates g (one-hot over i, j) enter the forward as g - q.detach() + q, so both paths run and
dL/dalpha_i = sum_j dL/dg_j q_j (delta_ij - q_i): the paper's BinaryConnect-style estimate.
The loss adds `cost_weight * E[cost] / E_uniform[cost]`, E[cost] = sum_d sum_k p_dk c_dk, with
c_dk the cost of choice k at decision d: measured latency from the device's latency table
(`cost_metric: latency_ms`, ProxylessNAS's latency loss) or the compiler's FLOPs or params,
each the change of the network's cost when that one decision changes (additive for NB201 and
for node ops of the complete space). The derived architecture is the argmax of each decision.
"""

from __future__ import annotations

from typing import Any

import torch

from graphnas.compiler.cost_model import COST_METRICS, CostModel
from graphnas.compiler.latency import load_table_for
from graphnas.compiler.supernet import EDGE_CHOICES, PRESENT
from graphnas.errors import ConfigError
from graphnas.spaces.base import SearchSpace
from graphnas.strategies.differentiable.base import AlphaSearch, Mixture
from graphnas.strategies.registry import STRATEGIES


@STRATEGIES.register("proxyless")
class ProxylessNAS(AlphaSearch):
    """ProxylessNAS. Options: cost_metric (latency_ms, flops, params), cost_weight,
    latency_table (a file; default the device's cached table), plus BilevelSettings."""

    method = "proxyless"

    def __init__(
        self,
        space: SearchSpace,
        seed: int = 0,
        device: torch.device | str = "cpu",
        cost_metric: str = "latency_ms",
        cost_weight: float = 0.1,
        latency_table: str | None = None,
        **options: Any,
    ) -> None:
        if cost_metric not in COST_METRICS:
            raise ConfigError(
                f"strategy 'proxyless': cost_metric {cost_metric!r} unknown; valid: "
                f"{', '.join(COST_METRICS)}"
            )
        if not cost_weight >= 0:
            raise ConfigError(f"strategy 'proxyless': cost_weight must be >= 0, got {cost_weight}")
        super().__init__(space, seed, device, **options)
        table = load_table_for(self.device, latency_table) if cost_metric == "latency_ms" else None
        self.costs = CostModel(space, self.supernet.network, table)
        self.cost_metric = cost_metric
        self.cost_weight = float(cost_weight)
        self.choice_costs = [c.to(self.device) for c in self.marginal_costs()]
        uniform = sum(float(c.mean()) for c in self.choice_costs)
        self.reference = uniform if uniform > 0 else 1.0

    def _cost(self, choices: list[int]) -> float:
        return self.costs.costs(self.supernet.decode(choices), [self.cost_metric])[self.cost_metric]

    def marginal_costs(self) -> list[torch.Tensor]:
        """c_dk: the cost change when decision d alone takes choice k, from a dense reference
        (every edge present, first op elsewhere; the space's example if that is invalid)."""
        decisions = self.supernet.decisions
        ref = [PRESENT if d.choices == EDGE_CHOICES else 0 for d in decisions]
        if not self.space.is_valid(self.supernet.decode(ref)):
            ref = list(self.supernet.encode(self.space.example()))
        base = self._cost(ref)
        out = []
        for d, decision in enumerate(decisions):
            values = [
                self._cost([*ref[:d], k, *ref[d + 1 :]]) - base
                for k in range(len(decision.choices))
            ]
            low = min(values)
            out.append(torch.tensor([v - low for v in values]))
        return out

    def expected_cost(self) -> torch.Tensor:
        """sum_d sum_k softmax(alpha_d)_k c_dk (differentiable in the alphas)."""
        return sum(
            (torch.softmax(a, dim=0) * c).sum()
            for a, c in zip(self.alphas, self.choice_costs, strict=True)
        )

    def sample_path(self, tries: int = 20) -> list[int]:
        """One choice per decision drawn from softmax(alpha_d), redrawn (up to `tries` times)
        until it is a valid architecture (a path joins input and output); else the most
        probable valid one."""
        probs = [torch.softmax(a.detach(), dim=0).cpu() for a in self.alphas]
        for _ in range(tries):
            choices = [int(torch.multinomial(p, 1, generator=self.generator)) for p in probs]
            if self.space.is_valid(self.supernet.decode(choices)):
                return choices
        return self.derive_choices()

    def mixture(self, phase: str) -> Mixture:
        weights, active = [], []
        if phase == "weights":
            for alpha, k in zip(self.alphas, self.sample_path(), strict=True):
                gate = torch.zeros_like(alpha)
                gate[k] = 1.0
                weights.append(gate)
                active.append([k])
            return weights, active
        for alpha in self.alphas:
            probs = torch.softmax(alpha.detach(), dim=0).cpu()
            pair = torch.multinomial(probs, min(2, len(probs)), generator=self.generator).tolist()
            q = torch.softmax(alpha[pair], dim=0)
            kept = int(torch.multinomial(q.detach().cpu(), 1, generator=self.generator))
            hard = torch.zeros_like(q)
            hard[kept] = 1.0
            index = torch.tensor(pair, device=alpha.device)
            weights.append(torch.zeros_like(alpha).scatter(0, index, hard - q.detach() + q))
            active.append(pair)
        return weights, active

    def arch_penalty(self) -> torch.Tensor | None:
        if self.cost_weight == 0:
            return None
        return self.cost_weight * self.expected_cost() / self.reference

    def method_metrics(self) -> dict[str, float]:
        choices = self.derive_choices()
        return {
            f"expected_{self.cost_metric}": float(self.expected_cost().detach()),
            f"derived_{self.cost_metric}": self._cost(choices),
        }
