"""DARTS (Liu et al. 2019): a softmax over every decision's choices, first or second order.

Every choice of every decision runs, weighted by softmax(alpha_d); the weights and alphas take
alternating gradient steps on the training and held-out batches. First order (`order: 1`) ignores
the weight step's effect on the held-out loss. Second order (`order: 2`) differentiates through
one unrolled SGD step w' = w - xi * dL_train(w, alpha)/dw (xi: the weights' current learning
rate), with the paper's finite-difference Hessian-vector product:
dL_val(w', alpha)/dalpha - xi * (dL_train(w+, alpha)/dalpha - dL_train(w-, alpha)/dalpha) / 2eps,
w+- = w +- eps * dL_val(w', alpha)/dw', eps = 0.01 / ||dL_val/dw'||. It costs about four forward-
backward passes more per step and one extra training batch. The derived architecture is the
argmax of each decision, 'none' included, as the NAS-Bench-201 authors derive DARTS cells.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from graphnas.errors import ConfigError
from graphnas.strategies.differentiable.base import AlphaSearch, Mixture
from graphnas.strategies.registry import STRATEGIES


@dataclass(frozen=True)
class DartsOptions:
    """DARTS's own option: the order of the architecture gradient (1 or 2)."""

    order: int = 1

    def check(self, owner: str) -> None:
        if self.order not in (1, 2):
            raise ConfigError(f"{owner}: order must be 1 or 2, got {self.order}")


@STRATEGIES.register("darts")
class DARTS(AlphaSearch):
    """DARTS. Options: order (1: first order, 2: unrolled), plus BilevelSettings."""

    method = "darts"
    own_options = DartsOptions

    def mixture(self, phase: str) -> Mixture:
        weights = [torch.softmax(a, dim=0) for a in self.alphas]
        return ([w.detach() for w in weights] if phase == "weights" else weights), None

    def arch_backward(self) -> tuple[Tensor, Tensor]:
        if self.own.order == 1:
            return super().arch_backward()
        x_val, y_val = self.task.arch.next()
        x_train, y_train = self.task.weights.next()
        xi = self.settings.lr_at(self.step)
        loss, accuracy, grads = self.unrolled_alpha_grads(x_train, y_train, x_val, y_val, xi)
        for alpha, grad in zip(self.alphas, grads, strict=True):
            alpha.grad = grad
        return loss, accuracy

    def unrolled_alpha_grads(
        self,
        x_train: Tensor,
        y_train: Tensor,
        x_val: Tensor,
        y_val: Tensor,
        xi: float,
        fd_scale: float = 0.01,
    ) -> tuple[Tensor, Tensor, list[Tensor]]:
        """(held-out loss at w', its accuracy, the second-order gradient [K_d] per alpha), with
        eps = fd_scale / ||dL_val/dw'|| (the paper's 0.01); the weights are left as they were."""
        params = [p for p in self.supernet.parameters() if p.requires_grad]
        original = [p.detach().clone() for p in params]
        train_loss, _ = self._loss("weights", x_train, y_train)
        step = torch.autograd.grad(train_loss, params, allow_unused=True)
        with torch.no_grad():
            for p, g in zip(params, step, strict=True):
                if g is not None:
                    p.sub_(xi * g)
        loss, accuracy = self._loss("arch", x_val, y_val)
        found = torch.autograd.grad(loss, [*self.alphas, *params], allow_unused=True)
        d_alpha = [
            g if g is not None else torch.zeros_like(a)
            for g, a in zip(found[: len(self.alphas)], self.alphas, strict=True)
        ]
        d_w = [
            g if g is not None else torch.zeros_like(p)
            for g, p in zip(found[len(self.alphas) :], params, strict=True)
        ]
        eps = fd_scale / max(float(torch.cat([g.flatten() for g in d_w]).norm()), 1e-12)
        hessian = []
        for sign in (1.0, -1.0):
            with torch.no_grad():
                for p, w, g in zip(params, original, d_w, strict=True):
                    p.copy_(w + sign * eps * g)
            shifted, _ = self._loss("arch", x_train, y_train)
            hessian.append(torch.autograd.grad(shifted, self.alphas, allow_unused=True))
        with torch.no_grad():
            for p, w in zip(params, original, strict=True):
                p.copy_(w)
        grads = []
        for d, (plus, minus) in enumerate(zip(*hessian, strict=True)):
            term = torch.zeros_like(d_alpha[d]) if plus is None else (plus - minus) / (2 * eps)
            grads.append(d_alpha[d] - xi * term)
        return loss, accuracy, grads
