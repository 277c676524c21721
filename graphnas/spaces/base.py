"""SearchSpace: a family of DAGs with its vocabulary, validity rules, prior, mutation and codecs."""

from __future__ import annotations

import hashlib
import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np

from graphnas.errors import ConfigError
from graphnas.graph import MAX_EDGES, MAX_NODES, ArchGraph, CanonicalId, InvalidArchError
from graphnas.registry import Registry

SPACE_KINDS: Registry[type[SearchSpace]] = Registry("space kind")


@dataclass(frozen=True)
class GenerationRules:
    """What a node-by-node generator must respect so every sample is valid by construction.

    Nodes are generated in id order; node t may only receive edges from nodes j < t with
    `allowed_edges[j][t]`. `forced_edges[j][t]` edges are always present. Node ops come from
    `node_ops` (node-labelled spaces) except where `fixed_ops` fixes them; edge ops come from
    `edge_ops` (edge-labelled spaces; an absent edge is the "none" op). With `stop_op` set, the
    graph ends at the first node given that op (at least `min_nodes` nodes); otherwise it has
    exactly `max_nodes` nodes. `edge_op_choices[j][t]`, when given, narrows the ops allowed on an
    edge j -> t (None there, or no table at all, allows every op of `edge_ops`).
    """

    max_nodes: int
    min_nodes: int
    node_ops: tuple[str, ...]
    edge_ops: tuple[str, ...]
    roles: tuple[str, ...]
    fixed_ops: Mapping[int, str | None]
    stages: tuple[int, ...]
    allowed_edges: tuple[tuple[bool, ...], ...]
    forced_edges: tuple[tuple[bool, ...], ...]
    max_edges: int | None = None
    max_in_degree: int | None = None
    stop_op: str | None = None
    require_in_edge: bool = False
    require_out_edge: bool = False
    notes: str = ""
    edge_op_choices: tuple[tuple[tuple[str, ...] | None, ...], ...] | None = None


@dataclass(frozen=True)
class ArchIdentity:
    """A proposal's identity in a space (`SearchSpace.identify`): `hash` (canonical, or
    "invalid:" + the hash of its JSON), `exact` (False: an approximate WL hash, which a match
    must confirm by isomorphism), `code` (the space's string form; None when invalid) and the
    `problems` that make it invalid (empty when valid)."""

    hash: str
    exact: bool
    code: str | None
    problems: tuple[str, ...]

    @property
    def valid(self) -> bool:
        return not self.problems


@dataclass
class SpaceDescription:
    """What `graphnas info` prints about a space."""

    name: str
    kind: str
    size: int
    ops_on: str
    vocabulary: tuple[str, ...]
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def log10_size(self) -> float:
        return math.log10(self.size) if self.size > 0 else float("-inf")


class SearchSpace(ABC):
    """Base class of every space kind; a concrete space is a kind plus its parameters.

    Subclasses set `kind` and `ops_on`, fill `node_ops`/`edge_ops`, and implement the rules,
    prior, mutation and generation rules. `network` holds the skeleton the compiler needs
    (channels, stages, input size, classes).
    """

    kind: ClassVar[str]
    ops_on: ClassVar[Literal["nodes", "edges"]]
    # True where `sample_prior` draws each of the `size()` encodings with probability 1/size().
    uniform_prior: ClassVar[bool] = False

    def __init__(self, name: str, network: Mapping[str, Any] | None = None) -> None:
        self.name = name
        self.network: dict[str, Any] = {**self.default_network(), **dict(network or {})}
        self.node_ops: tuple[str, ...] = ()
        self.edge_ops: tuple[str, ...] = ()

    # ---------------------------------------------------------------- skeleton and parameters
    @classmethod
    def default_network(cls) -> dict[str, Any]:
        """Default compiler skeleton for this kind (overridden per kind)."""
        return {}

    @abstractmethod
    def params(self) -> dict[str, Any]:
        """The kind's parameters, as in a space file (without kind, name, network)."""

    def to_config(self) -> dict[str, Any]:
        """A space-file dict that rebuilds this space with `space_from_config`."""
        return {"kind": self.kind, "name": self.name, **self.params(), "network": self.network}

    # ---------------------------------------------------------------- validity
    @abstractmethod
    def rule_problems(self, arch: ArchGraph) -> list[str]:
        """Space-specific problems of a structurally sound arch (empty when valid)."""

    def problems(self, arch: ArchGraph) -> list[str]:
        """Every problem of `arch` in this space: structural ones first, then the space rules."""
        problems = arch.structural_problems()
        if problems:
            return problems
        if arch.space and arch.space != self.name:
            problems.append(f"belongs to space {arch.space!r}, not {self.name!r}")
        return problems + self.rule_problems(arch)

    def validate(self, arch: ArchGraph, source: str = "architecture") -> ArchGraph:
        """Return `arch` if valid here, else raise InvalidArchError listing every problem."""
        problems = self.problems(arch)
        if problems:
            raise InvalidArchError(problems, source)
        return arch

    def is_valid(self, arch: ArchGraph) -> bool:
        return not self.problems(arch)

    # ---------------------------------------------------------------- sampling
    @abstractmethod
    def sample_prior(self, rng: np.random.Generator) -> ArchGraph:
        """One architecture from the space's prior (uniform, or the named random-graph model)."""

    @abstractmethod
    def mutate(self, arch: ArchGraph, rng: np.random.Generator) -> ArchGraph:
        """A valid architecture one small change away from `arch` (used by evolution)."""

    def first_new_child(
        self, arch: ArchGraph, rng: np.random.Generator, child: Callable[[], ArchGraph]
    ) -> ArchGraph:
        """The first of up to 1,000 `child()` draws that is valid and a different network from
        `arch`; a prior sample if none is (the retry loop of edit-until-different mutations)."""
        base = self.canonical_hash(arch)
        for _ in range(1000):
            candidate = child()
            if not self.rule_problems(candidate) and self.canonical_hash(candidate) != base:
                return candidate
        return self.sample_prior(rng)

    @abstractmethod
    def generation_rules(self) -> GenerationRules:
        """The masks and limits a generator obeys so that its samples are valid."""

    # ---------------------------------------------------------------- identity
    def normalize(self, arch: ArchGraph) -> ArchGraph:
        """The form whose isomorphism class identifies the network (default: pruned graph)."""
        return arch.prune()

    def canonical_id(self, arch: ArchGraph) -> CanonicalId:
        """Equal for architectures that compute the same network in this space (`exact` False
        where equal ids must still be confirmed with `is_isomorphic` of the normal forms).
        Computed once per architecture object and carried with it (`ArchGraph.derived`)."""
        return arch.derived(self, "canonical_id", lambda: self.compute_canonical_id(arch))

    def compute_canonical_id(self, arch: ArchGraph) -> CanonicalId:
        """What `canonical_id` computes (default: the graph identity of the normal form); a
        space with an exact rule of its own overrides this."""
        return self.normalize(arch).canonical_id()

    def canonical_hash(self, arch: ArchGraph) -> str:
        """The digest of `canonical_id`."""
        return self.canonical_id(arch).digest

    def identify(self, arch: ArchGraph) -> ArchIdentity:
        """Everything the search needs to know about a proposal, computed once: its problems in
        this space, and for a valid arch its canonical id and code (an invalid one gets the
        hash of its exact JSON, so that repeating it is recognised)."""
        problems = tuple(self.problems(arch))
        if problems:
            raw = hashlib.sha256(arch.to_json().encode()).hexdigest()[:32]
            return ArchIdentity(f"invalid:{raw}", True, None, problems)
        canonical = self.canonical_id(arch)
        return ArchIdentity(canonical.digest, canonical.exact, self.encode(arch), ())

    # ---------------------------------------------------------------- codecs
    def encode(self, arch: ArchGraph) -> str:
        """The space's compact string form (default: JSON)."""
        return arch.to_json()

    def decode(self, text: str) -> ArchGraph:
        """Inverse of `encode`; raises InvalidArchError on malformed input."""
        return self.validate(ArchGraph.from_json(text).replace(space=self.name))

    # ---------------------------------------------------------------- size and enumeration
    @abstractmethod
    def size(self) -> int:
        """Number of distinct architecture encodings in the space (exact integer)."""

    def enumerate(self) -> Iterator[ArchGraph]:
        """Every architecture, for spaces small enough to list (others raise)."""
        raise NotImplementedError(f"space {self.name!r} ({self.kind}) is too large to enumerate")

    def example(self) -> ArchGraph:
        """A fixed, representative architecture (the prior's draw under seed 0)."""
        return self.sample_prior(np.random.default_rng(0))

    def describe(self) -> SpaceDescription:
        vocab = self.node_ops if self.ops_on == "nodes" else self.edge_ops
        return SpaceDescription(
            self.name, self.kind, self.size(), self.ops_on, vocab, {**self.params()}
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, {self.params()})"


def full_mask(n: int, value: bool) -> tuple[tuple[bool, ...], ...]:
    """An n x n mask with `value` strictly above the diagonal (j < t) and False elsewhere."""
    return tuple(tuple(value and j < t for t in range(n)) for j in range(n))


# ---------------------------------------------------------------- parameter checks
# The most nodes a space may ask for such that its densest graph (every forward edge) still fits
# the hard limits of ArchGraph (MAX_NODES nodes, MAX_EDGES edges).
MAX_DENSE_NODES = min(MAX_NODES, int((1 + math.isqrt(1 + 8 * MAX_EDGES)) // 2))


def int_param(value: Any, name: str, low: int, high: int) -> int:
    """`value` as an int in low..high; ConfigError naming the parameter otherwise (bools and
    non-integral numbers are refused)."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, np.integer))
        or not low <= value <= high
    ):
        raise ConfigError(f"{name} must be an integer in {low}..{high}, got {_show(value)}")
    return int(value)


def probability_param(value: Any, name: str, positive: bool = False) -> float:
    """`value` as a float in [0, 1] (or (0, 1] with `positive`); ConfigError otherwise."""
    ok = not isinstance(value, bool) and isinstance(value, (int, float, np.integer, np.floating))
    if not ok or not (0.0 < value <= 1.0 if positive else 0.0 <= value <= 1.0):
        interval = "(0, 1]" if positive else "[0, 1]"
        raise ConfigError(f"{name} must be a number in {interval}, got {_show(value)}")
    return float(value)


def _show(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**18:
        return "an integer of more than 18 digits"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
