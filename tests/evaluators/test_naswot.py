"""NASWOT (final, Hamming-kernel version): exact kernel, every ReLU form, evaluator determinism."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from cellnet import cell_network
from torch import nn

from graphnas.evaluators import EVALUATORS
from graphnas.evaluators.naswot import NaswotEvaluator, naswot_score
from graphnas.spaces import load_space


class ThreeReluForms(nn.Module):
    """nn.ReLU module, in-place F.relu and torch.relu, with BatchNorm in between."""

    def __init__(self) -> None:
        super().__init__()
        self.c1 = nn.Conv2d(3, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.relu = nn.ReLU()
        self.c2 = nn.Conv2d(4, 5, 3, padding=1)
        self.fc = nn.Linear(5 * 8 * 8, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.relu(self.bn(self.c1(x)))
        h = F.relu(self.c2(h), inplace=True)
        return self.fc(torch.relu(h - 0.1).flatten(1))


def brute_force_logdet(model: ThreeReluForms, x: torch.Tensor) -> tuple[float, int]:
    """log det of K_H = N_A - Hamming distance, from explicitly collected binary codes."""
    with torch.no_grad():
        mean = model.c1(x).mean(dim=(0, 2, 3), keepdim=True)
        var = model.c1(x).var(dim=(0, 2, 3), unbiased=False, keepdim=True)
        a1 = (model.c1(x) - mean) / torch.sqrt(var + model.bn.eps)  # train-mode BN (init affine)
        a2 = model.c2(torch.relu(a1))
        a3 = torch.relu(a2) - 0.1
    codes = torch.cat([(a > 0).flatten(1) for a in (a1, a2, a3)], dim=1).double()
    units = codes.shape[1]
    hamming = (codes[:, None, :] != codes[None, :, :]).sum(-1).double()
    sign, logdet = np.linalg.slogdet((units - hamming).numpy())
    assert sign > 0
    return float(logdet), units


def test_score_equals_the_hamming_kernel_logdet(device: torch.device) -> None:
    torch.manual_seed(0)
    model, x = ThreeReluForms(), torch.randn(12, 3, 8, 8)
    expected, units = brute_force_logdet(model, x)
    score, counted = naswot_score(model.to(device), x.to(device))
    assert counted == units == 4 * 64 + 5 * 64 * 2
    assert score == pytest.approx(expected, rel=1e-9, abs=1e-6)


def test_singular_kernel_and_no_relu() -> None:
    torch.manual_seed(0)
    x = torch.randn(4, 3, 8, 8)
    x[3] = x[2]  # two identical images share every code: K_H is singular
    assert naswot_score(ThreeReluForms(), x)[0] == -math.inf
    score, units = naswot_score(nn.Sequential(nn.Flatten(), nn.Linear(192, 2)), x)
    assert math.isnan(score) and units == 0


@pytest.fixture(scope="module")
def nb201():
    return load_space("nb201")


def _evaluator(space, **options) -> NaswotEvaluator:
    defaults = dict(
        data="synthetic:classes=4,train=16,size=16", batch_size=24, seed=5, builder=cell_network
    )
    return EVALUATORS.build("naswot", {**defaults, **options}, {"space": space, "device": "cpu"})


def test_evaluator_is_seeded_per_architecture(nb201) -> None:
    archs = [nb201.sample_prior(np.random.default_rng(i)) for i in range(4)]
    first = _evaluator(nb201)
    state = torch.get_rng_state()
    forward = [r.reward for r in first.evaluate(archs)]
    assert torch.equal(torch.get_rng_state(), state)  # the global RNG is left alone
    backward = [r.reward for r in _evaluator(nb201).evaluate(archs[::-1])][::-1]
    assert forward == backward and len(set(forward)) == 4
    other_seed = [r.reward for r in _evaluator(nb201, seed=6).evaluate(archs)]
    assert other_seed != forward
    result = first.evaluate(archs[:1])[0]
    assert result.ok and result.metrics["naswot"] == result.reward and result.cost_s > 0
    assert result.metrics["relu_units"] > 0


def test_evaluator_batch_is_real_images_spread_over_classes(nb201) -> None:
    evaluator = _evaluator(nb201, batch_size=8, resolution=12)
    batch = evaluator.batch()
    assert batch.shape == (8, 3, 12, 12) and batch.dtype == torch.float32
    assert abs(float(batch.mean())) < 0.5
