"""The strategy contract: ask for architectures, be told their results (ask/tell)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from graphnas.evaluators.base import EvalResult
from graphnas.graph import ArchGraph

# What `tell` is given as the told architectures' hashes: one per architecture, or none at all.
Hashes = Sequence[str | None] | None


@runtime_checkable
class Strategy(Protocol):
    """A search strategy. `ask(n)` proposes n architectures; `tell` reports their results in order,
    with `hashes`: each architecture's canonical hash (`SearchSpace.canonical_hash`) as the search
    computed it, None where it computed none (an invalid proposal, or no `hashes` at all); a
    strategy that keys anything by hash takes it from there instead of hashing again.

    Strategies must be deterministic given their seed and the sequence of results told to them, and
    must round-trip their full state (including RNG state) through `state_dict`/`load_state_dict`.
    """

    def ask(self, n: int) -> list[ArchGraph]: ...

    def tell(
        self, archs: Sequence[ArchGraph], results: Sequence[EvalResult], hashes: Hashes = None
    ) -> None: ...

    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state: dict[str, Any]) -> None: ...

    def metrics(self) -> dict[str, float]:
        """Numbers describing the last `tell` (e.g. the update rule's loss, the generator's
        entropy), logged by the search as `strategy/<key>`; `{}` when there is nothing to say."""
        return {}

    def search_cost_s(self) -> float:
        """Cumulative seconds of the strategy's own compute that count as evaluation cost (e.g.
        training a supernet inside `ask`); the loop adds them to the budget's cost. Default 0."""
        return 0.0
