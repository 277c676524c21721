"""Regularized (aging) evolution, Real et al. 2019, "Regularized Evolution for Image Classifier
Architecture Search".

The first `population_size` proposals are prior samples. After that, each proposal is a mutation
(`space.mutate`) of the fittest of `sample_size` distinct members drawn uniformly from the
population (tournament selection). Every told result joins the population as its youngest member,
and the oldest member dies once the population exceeds `population_size` (aging, not fitness,
decides who is removed). A failed evaluation joins with fitness -inf, so it is never picked while
any member scored. Until a result has been told, proposals fall back to the prior.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from typing import Any, ClassVar

from graphnas.errors import ConfigError
from graphnas.evaluators.base import EvalResult
from graphnas.graph import ArchGraph
from graphnas.seeding import make_rng, rng_state, set_rng_state
from graphnas.spaces.base import SearchSpace
from graphnas.strategies.base import Hashes, Strategy
from graphnas.strategies.registry import STRATEGIES


@STRATEGIES.register("evolution")
class RegularizedEvolution(Strategy):
    """Aging evolution with tournament selection; see the module docstring."""

    context_fields: ClassVar[tuple[str, ...]] = ("space", "seed")

    def __init__(
        self,
        space: SearchSpace,
        seed: int = 0,
        population_size: int = 20,
        sample_size: int = 5,
    ) -> None:
        if population_size < 1:
            raise ConfigError(f"evolution population_size: must be >= 1, got {population_size}")
        if not 1 <= sample_size <= population_size:
            raise ConfigError(
                f"evolution sample_size: must be in 1..population_size ({population_size}), "
                f"got {sample_size}"
            )
        self.space = space
        self.population_size = int(population_size)
        self.sample_size = int(sample_size)
        self.rng = make_rng(seed)
        self.population: deque[tuple[ArchGraph, float]] = deque()
        self.initial_asked = 0

    def ask(self, n: int) -> list[ArchGraph]:
        proposals = []
        for _ in range(n):
            if self.initial_asked < self.population_size:
                self.initial_asked += 1
                proposals.append(self.space.sample_prior(self.rng))
            elif not self.population:  # initial proposals not told yet
                proposals.append(self.space.sample_prior(self.rng))
            else:
                proposals.append(self.space.mutate(self._tournament(), self.rng))
        return proposals

    def _tournament(self) -> ArchGraph:
        """The fittest of `sample_size` distinct members (the earliest drawn wins ties)."""
        size = min(self.sample_size, len(self.population))
        picks = self.rng.choice(len(self.population), size=size, replace=False)
        best = max(picks, key=lambda i: self.population[int(i)][1])
        return self.population[int(best)][0]

    def tell(
        self, archs: Sequence[ArchGraph], results: Sequence[EvalResult], hashes: Hashes = None
    ) -> None:
        if len(archs) != len(results):
            raise ValueError(f"tell: {len(archs)} architectures but {len(results)} results")
        for arch, result in zip(archs, results, strict=True):
            fitness = result.reward if result.ok else -math.inf
            self.population.append((arch, fitness))
            if len(self.population) > self.population_size:
                self.population.popleft()

    def state_dict(self) -> dict[str, Any]:
        return {
            "rng": rng_state(self.rng),
            "initial_asked": self.initial_asked,
            "population": [
                {"arch": arch.to_dict(), "fitness": None if math.isinf(fit) else fit}
                for arch, fit in self.population
            ],
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        set_rng_state(self.rng, state["rng"])
        self.initial_asked = int(state["initial_asked"])
        self.population = deque(
            (
                ArchGraph.from_dict(member["arch"], source="evolution state"),
                -math.inf if member["fitness"] is None else float(member["fitness"]),
            )
            for member in state["population"]
        )
