"""Random search: every proposal is an independent draw from the space's prior."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from graphnas.evaluators.base import EvalResult
from graphnas.graph import ArchGraph
from graphnas.seeding import make_rng, rng_state, set_rng_state
from graphnas.spaces.base import SearchSpace
from graphnas.strategies.base import Hashes, Strategy
from graphnas.strategies.registry import STRATEGIES


@STRATEGIES.register("random")
class RandomSearch(Strategy):
    """Samples `space.sample_prior(rng)`; results do not change what it proposes."""

    context_fields: ClassVar[tuple[str, ...]] = ("space", "seed")

    def __init__(self, space: SearchSpace, seed: int = 0) -> None:
        self.space = space
        self.rng = make_rng(seed)
        self.told = 0

    def ask(self, n: int) -> list[ArchGraph]:
        return [self.space.sample_prior(self.rng) for _ in range(n)]

    def tell(
        self, archs: Sequence[ArchGraph], results: Sequence[EvalResult], hashes: Hashes = None
    ) -> None:
        if len(archs) != len(results):
            raise ValueError(f"tell: {len(archs)} architectures but {len(results)} results")
        self.told += len(archs)

    def state_dict(self) -> dict[str, Any]:
        return {"rng": rng_state(self.rng), "told": self.told}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        set_rng_state(self.rng, state["rng"])
        self.told = int(state["told"])
