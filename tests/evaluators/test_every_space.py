"""Every shipped search space can be scored by NASWOT through the compiler (real networks)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from graphnas.evaluators import EVALUATORS
from graphnas.spaces import load_space, shipped_space_names


@pytest.mark.parametrize("name", shipped_space_names())
def test_naswot_scores_a_prior_sample(name: str) -> None:
    space = load_space(name)
    evaluator = EVALUATORS.build(
        "naswot",
        {"data": "synthetic:classes=3,train=8,val=2,size=32", "batch_size": 6},
        {"space": space, "device": "cpu", "seed": 0},
    )
    arch = space.sample_prior(np.random.default_rng(0))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        first, again = evaluator.evaluate([arch, arch])
    finally:
        torch.set_num_threads(threads)
    assert first.ok, first.error
    assert math.isfinite(first.reward) and first.reward == again.reward
    assert first.metrics["relu_units"] > 0
