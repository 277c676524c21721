"""The results of a search by architecture identity: what makes two proposals one query.

A proposal's key is its canonical hash (`SearchSpace.identify`). Where that hash is exact, equal
keys mean isomorphic networks. Where it is an approximate WL hash, a match is confirmed by exact
isomorphism of the normal forms (`ArchGraph.is_isomorphic`), and a graph that is not isomorphic
to any graph already on that hash gets a key of its own (`<hash>#2`, `#3`, ... in the order the
search met them), so two different networks never share a result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from graphnas.evaluators.base import EvalResult
from graphnas.graph import ArchGraph
from graphnas.spaces import SearchSpace
from graphnas.spaces.base import ArchIdentity


@dataclass(frozen=True)
class Proposal:
    """One proposed architecture with its identity and its key in the cache."""

    arch: ArchGraph
    identity: ArchIdentity
    key: str


class ResultCache:
    """Evaluated architectures' results by key."""

    def __init__(self, space: SearchSpace) -> None:
        self.space = space
        self.results: dict[str, EvalResult] = {}
        self._forms: dict[str, list[tuple[str, ArchGraph]]] = {}  # WL hash -> (key, normal form)

    def __contains__(self, key: object) -> bool:
        return key in self.results

    def __getitem__(self, key: str) -> EvalResult:
        return self.results[key]

    def __len__(self) -> int:
        return len(self.results)

    def propose(self, archs: Sequence[ArchGraph]) -> list[Proposal]:
        """Each arch identified once, with its key (new graphs in `archs` count among the
        graphs met before the ones after them)."""
        proposals: list[Proposal] = []
        met: dict[str, list[tuple[str, ArchGraph]]] = {}
        for arch in archs:
            identity = self.space.identify(arch)
            key = identity.hash
            if not identity.exact:
                form = self.space.normalize(arch)
                known = self._forms.get(identity.hash, []) + met.get(identity.hash, [])
                key = next((k for k, other in known if form.is_isomorphic(other)), "")
                if not key:
                    key = identity.hash if not known else f"{identity.hash}#{len(known) + 1}"
                    met.setdefault(identity.hash, []).append((key, form))
            proposals.append(Proposal(arch, identity, key))
        return proposals

    def add(self, key: str, result: EvalResult, arch: ArchGraph | None, exact: bool) -> None:
        """Record the result of the architecture `arch` under `key` (`arch` is needed only
        where the key is not exact)."""
        self.results[key] = result
        if not exact and arch is not None:
            form = self.space.normalize(arch)
            self._forms.setdefault(key.split("#")[0], []).append((key, form))
