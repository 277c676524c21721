"""DARTS (Liu et al. 2019), first order: a softmax over every decision's choices.

Every choice of every decision runs, weighted by softmax(alpha_d); the weights and alphas take
alternating gradient steps on the training and held-out batches (the first-order approximation:
the weight step's effect on the held-out loss is ignored). The derived architecture is the
argmax of each decision, 'none' included, as the NAS-Bench-201 authors derive DARTS cells.
"""

from __future__ import annotations

import torch

from graphnas.strategies.differentiable.base import AlphaSearch, Mixture
from graphnas.strategies.registry import STRATEGIES


@STRATEGIES.register("darts")
class DARTS(AlphaSearch):
    """First-order DARTS. Options: see BilevelSettings."""

    method = "darts"

    def mixture(self, phase: str) -> Mixture:
        weights = [torch.softmax(a, dim=0) for a in self.alphas]
        return ([w.detach() for w in weights] if phase == "weights" else weights), None
