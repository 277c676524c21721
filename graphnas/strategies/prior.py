"""Fixed-prior baselines: sample the space's own prior, or RandWire's WS/ER/BA random graphs.

`prior` draws from the space's prior and never proposes a network already evaluated or proposed.
On RandWire spaces `model: ws|er|ba` switches to that random-graph model with the paper's settings
(Xie et al. 2019: WS(4, 0.75), ER(0.2), BA(5)), and `prior: {model: ..., k/p/m: ...}` to any
other setting.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from graphnas.errors import ConfigError
from graphnas.evaluators.base import EvalResult
from graphnas.graph import ArchGraph
from graphnas.seeding import make_rng, rng_state, set_rng_state
from graphnas.spaces.base import SearchSpace
from graphnas.spaces.loading import space_from_config
from graphnas.strategies.base import Hashes, Strategy
from graphnas.strategies.history import History
from graphnas.strategies.registry import STRATEGIES

PAPER_PRIORS = {
    "ws": {"model": "ws", "k": 4, "p": 0.75},
    "er": {"model": "er", "p": 0.2},
    "ba": {"model": "ba", "m": 5},
}
NOVEL_TRIES = 1000


def with_prior(space: SearchSpace, prior: dict[str, Any]) -> SearchSpace:
    """A RandWire space identical to `space` but drawing from `prior`."""
    if space.kind != "randwire":
        raise ConfigError(
            f"prior: a random-graph prior applies to randwire spaces, not {space.kind!r}"
        )
    config = space.to_config()
    config["prior"] = dict(prior)
    return space_from_config(config, "prior strategy")


@STRATEGIES.register("prior")
class PriorSearch(Strategy):
    """Draws novel architectures from a fixed prior; results never change what it proposes."""

    context_fields: ClassVar[tuple[str, ...]] = ("space", "seed")

    def __init__(
        self,
        space: SearchSpace,
        seed: int = 0,
        model: str | None = None,
        prior: dict[str, Any] | None = None,
    ) -> None:
        if model is not None and prior is not None:
            raise ConfigError("prior strategy: give either model or prior, not both")
        if model is not None:
            if model not in PAPER_PRIORS:
                raise ConfigError(f"prior model: {model!r} is not one of ws, er, ba")
            prior = PAPER_PRIORS[model]
        self.space = space
        self.sampler = with_prior(space, prior) if prior is not None else space
        self.rng = make_rng(seed)
        self.history = History(space)

    def ask(self, n: int) -> list[ArchGraph]:
        proposals = []
        for _ in range(n):
            arch = self.sampler.sample_prior(self.rng)
            for _ in range(NOVEL_TRIES):
                digest = self.history.hash(arch)
                if not self.history.known(digest):
                    self.history.pending.add(digest)
                    break
                arch = self.sampler.sample_prior(self.rng)
            proposals.append(arch)
        return proposals

    def tell(
        self, archs: Sequence[ArchGraph], results: Sequence[EvalResult], hashes: Hashes = None
    ) -> None:
        self.history.record(archs, results, hashes)

    def state_dict(self) -> dict[str, Any]:
        return {"rng": rng_state(self.rng), "history": self.history.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        set_rng_state(self.rng, state["rng"])
        self.history.load_state_dict(state["history"])
