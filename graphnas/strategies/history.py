"""What a learning strategy has evaluated: rewards by canonical hash, ranks and the top-K elite."""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from graphnas.evaluators.base import EvalResult
from graphnas.graph import ArchGraph
from graphnas.spaces.base import SearchSpace
from graphnas.strategies.base import Hashes


@dataclass
class Entry:
    """One evaluated architecture: `reward` is NaN when the evaluation failed."""

    arch: ArchGraph
    hash: str
    reward: float

    @property
    def ok(self) -> bool:
        return math.isfinite(self.reward)


class History:
    """Evaluated architectures (one entry per canonical hash) plus hashes proposed but not yet
    told, so that nothing known is proposed twice."""

    def __init__(self, space: SearchSpace) -> None:
        self.space = space
        self.entries: list[Entry] = []
        self.by_hash: dict[str, Entry] = {}
        self.pending: set[str] = set()
        self._sorted_rewards: list[float] = []

    def hash(self, arch: ArchGraph) -> str:
        return self.space.canonical_hash(arch)

    def known(self, digest: str) -> bool:
        return digest in self.by_hash or digest in self.pending

    def __len__(self) -> int:
        return len(self.entries)

    def record(
        self, archs: Sequence[ArchGraph], results: Sequence[EvalResult], hashes: Hashes = None
    ) -> list[Entry]:
        """Add told results under the told `hashes` (see `Strategy.tell`; an arch is hashed here
        only where its hash is None); returns the entries that are new (repeats of a hash are
        dropped)."""
        if len(archs) != len(results):
            raise ValueError(f"tell: {len(archs)} architectures but {len(results)} results")
        if hashes is None:
            hashes = [None] * len(archs)
        if len(hashes) != len(archs):
            raise ValueError(f"tell: {len(archs)} architectures but {len(hashes)} hashes")
        new = []
        for arch, result, told in zip(archs, results, hashes, strict=True):
            digest = self.hash(arch) if told is None else told
            self.pending.discard(digest)
            if digest in self.by_hash:
                continue
            entry = Entry(arch, digest, float(result.reward) if result.ok else math.nan)
            self._add(entry)
            new.append(entry)
        return new

    def _add(self, entry: Entry) -> None:
        self.entries.append(entry)
        self.by_hash[entry.hash] = entry
        if entry.ok:
            bisect.insort(self._sorted_rewards, entry.reward)

    def rank_reward(self, reward: float) -> float:
        """Fraction of successful evaluations with a reward <= `reward` (the 'cdf' reward)."""
        if not self._sorted_rewards:
            return 1.0
        return bisect.bisect_right(self._sorted_rewards, reward) / len(self._sorted_rewards)

    def top(self, k: int) -> list[Entry]:
        """The k best successful entries, best first (earlier entries win ties)."""
        ok = [e for e in self.entries if e.ok]
        return sorted(ok, key=lambda e: -e.reward)[:k]

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict[str, Any]:
        return {
            "entries": [
                {
                    "arch": e.arch.to_dict(),
                    "hash": e.hash,
                    "reward": e.reward if e.ok else None,
                }
                for e in self.entries
            ],
            "pending": sorted(self.pending),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.entries, self.by_hash, self._sorted_rewards = [], {}, []
        for item in state["entries"]:
            arch = ArchGraph.from_dict(item["arch"], source="strategy state")
            reward = math.nan if item["reward"] is None else float(item["reward"])
            self._add(Entry(arch, str(item["hash"]), reward))
        self.pending = set(state["pending"])
