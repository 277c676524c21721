"""Sampling from a space's own prior (uniform, or RandWire's WS/ER/BA) with the generator API."""

from __future__ import annotations

import math

import numpy as np
import torch

from graphnas.generators.base import SampleBatch
from graphnas.spaces.base import SearchSpace


class PriorSampler:
    """`space.sample_prior` behind `sample(n, generator)`.

    The prior's probabilities are known only where the space declares it uniform
    (`space.uniform_prior`: every encoding has probability 1/size()); elsewhere `log_prob` and
    `entropy` are NaN.
    """

    def __init__(self, space: SearchSpace) -> None:
        self.space = space
        self._uniform_log_prob = -math.log(space.size()) if space.uniform_prior else math.nan

    def sample(self, n: int, generator: torch.Generator | None = None) -> SampleBatch:
        """n prior draws; the numpy stream is seeded from `generator` (or fresh entropy)."""
        if generator is not None:
            seed = int(torch.randint(0, 2**62, (1,), generator=generator))
            rng = np.random.default_rng(seed)
        else:
            rng = np.random.default_rng()
        archs = [self.space.sample_prior(rng) for _ in range(n)]
        log_prob = torch.full((n,), self._uniform_log_prob)
        entropy = torch.full((n,), -self._uniform_log_prob)
        return SampleBatch(archs, log_prob, entropy)
