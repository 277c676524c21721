"""Chain space: N layers in a row, each one op from a vocabulary of free names.

A macro space such as a MobileNet-style stack of blocks, or the layer chains that published
benchmark tables cover. Layer i is the edge i -> i+1 of the path input (node 0) -> ... -> output
(node N); its op is the edge label, so a generator can be told each layer's own `choices`. The code
(`encode()`) is one character per layer, the index of its op in `ops` (0-9, then a-z): `02012100`.

The skeleton (`network`) gives per-layer `stride` and `channels` (a number for every layer, or a
list of one per layer); the stem (3x3 conv, `stem_stride`) gives layer 0 `stem_channels`. With
`identity_op` set, that op at a stride-1 layer whose channels do not change is a no-op, and
`normalize` drops it, so that codes computing the same network (`0120` and `1020` when layers 0-1
have the same shape and op 0 is the identity) share one canonical hash. Op names mean nothing
here; the compiler maps known names (graphnas.compiler.chain_ops) and plug-ins register more.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from graphnas.errors import ConfigError
from graphnas.graph import MAX_NODES, ArchGraph, Edge, InvalidArchError, Node
from graphnas.spaces.base import SPACE_KINDS, GenerationRules, SearchSpace, int_param

CODE_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
# Enumerating more than this many codes is refused (a list, not a stream, is what users want).
MAX_ENUMERATE = 10**7


@dataclass(frozen=True)
class LayerShape:
    """What one layer maps: [B, c_in, H, W] -> [B, c_out, ceil(H/stride), ceil(W/stride)]."""

    c_in: int
    c_out: int
    stride: int


def layer_plan(network: Mapping[str, Any], num_layers: int) -> list[LayerShape]:
    """Per-layer shapes from a chain skeleton; ConfigError naming the key on a bad value."""
    channels = _per_layer(network.get("channels"), "channels", num_layers, (1, 1 << 16))
    strides = _per_layer(network.get("stride"), "stride", num_layers, (1, 2))
    c_in = _positive(network.get("stem_channels"), "stem_channels")
    plan = []
    for c_out, stride in zip(channels, strides, strict=True):
        plan.append(LayerShape(c_in, c_out, stride))
        c_in = c_out
    return plan


def _positive(value: Any, key: str) -> int:
    return int_param(value, f"network.{key}", 1, 1 << 16)


def _per_layer(value: Any, key: str, num_layers: int, bounds: tuple[int, int]) -> list[int]:
    if isinstance(value, (list, tuple)):
        if len(value) != num_layers:
            raise ConfigError(
                f"network.{key}: expected one value per layer ({num_layers}), got {len(value)}"
            )
        return [int_param(v, f"network.{key}[{i}]", *bounds) for i, v in enumerate(value)]
    return [int_param(value, f"network.{key}", *bounds)] * num_layers


@SPACE_KINDS.register("chain")
class ChainSpace(SearchSpace):
    """`num_layers` layers; layer i takes one op of `choices[i]` (default: every op of `ops`).

    `ops`: distinct free names (at most 36, one code character each). `choices`: None, or one
    entry per layer, each None (every op) or a list of op names. `identity_op`: the op name that
    is an identity, opting in to the no-op rule (see the module docstring).
    """

    kind = "chain"
    ops_on = "edges"

    def __init__(
        self,
        name: str = "chain",
        num_layers: int = 8,
        ops: Sequence[str] = ("identity", "mbconv_e3_k3", "mbconv_e6_k3"),
        choices: Sequence[Sequence[str] | None] | None = None,
        identity_op: str | None = None,
        network: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(name, network)
        self.num_layers = int_param(num_layers, "chain: num_layers", 1, MAX_NODES - 1)
        if (
            not isinstance(ops, (list, tuple))
            or not all(isinstance(op, str) and op.strip() == op and op for op in ops)
            or not 1 <= len(ops) <= len(CODE_DIGITS)
            or len(set(ops)) != len(ops)
        ):
            raise ConfigError(
                f"chain: ops must be 1 to {len(CODE_DIGITS)} distinct non-empty names, got "
                f"{_short(ops)}"
            )
        self.edge_ops = tuple(ops)
        self.choices = self._check_choices(choices)
        if identity_op is not None and identity_op not in self.edge_ops:
            raise ConfigError(f"chain: identity_op {identity_op!r} is not one of the ops")
        self.identity_op = identity_op
        if all(len(c) == 1 for c in self.choices):
            raise ConfigError("chain: every layer has a single choice; the space has one member")
        self.plan = layer_plan(self.network, self.num_layers)

    def _check_choices(self, choices: Any) -> tuple[tuple[str, ...], ...]:
        if choices is None:
            return (self.edge_ops,) * self.num_layers
        if not isinstance(choices, (list, tuple)) or len(choices) != self.num_layers:
            raise ConfigError(
                f"chain: choices must hold one entry per layer ({self.num_layers}), "
                f"got {_short(choices)}"
            )
        result = []
        for i, layer in enumerate(choices):
            if layer is None:
                result.append(self.edge_ops)
                continue
            if not isinstance(layer, (list, tuple)) or not layer:
                raise ConfigError(f"chain: choices[{i}] must be null or a list of op names")
            unknown = [op for op in layer if op not in self.edge_ops]
            if unknown or len(set(layer)) != len(layer):
                raise ConfigError(
                    f"chain: choices[{i}] must list distinct names from ops"
                    + (f"; unknown: {_short(unknown)}" if unknown else "")
                )
            # Kept in `ops` order, so codes and generator masks agree.
            result.append(tuple(op for op in self.edge_ops if op in layer))
        return tuple(result)

    @classmethod
    def default_network(cls) -> dict[str, Any]:
        return {
            "stem_channels": 16,
            "stem_stride": 1,
            "channels": 32,
            "stride": 1,
            "head_channels": 0,
            "num_classes": 10,
            "input_size": 32,
        }

    def params(self) -> dict[str, Any]:
        choices = None
        if any(c != self.edge_ops for c in self.choices):
            choices = [None if c == self.edge_ops else list(c) for c in self.choices]
        return {
            "num_layers": self.num_layers,
            "ops": list(self.edge_ops),
            "choices": choices,
            "identity_op": self.identity_op,
        }

    # ---------------------------------------------------------------- construction and codec
    def from_ops(self, ops: Sequence[str]) -> ArchGraph:
        """The chain whose layer i has op `ops[i]` (not validated)."""
        n = self.num_layers
        roles = ("input",) + ("hidden",) * (n - 1) + ("output",)
        edges = tuple(Edge(i, i + 1, op) for i, op in enumerate(ops))
        return ArchGraph(tuple(Node(None, role) for role in roles), edges, self.name)

    def to_ops(self, arch: ArchGraph) -> list[str]:
        """Layer ops in layer order (of a valid chain)."""
        return [str(e.op) for e in arch.edges]

    def encode(self, arch: ArchGraph) -> str:
        return "".join(CODE_DIGITS[self.edge_ops.index(op)] for op in self.to_ops(arch))

    def decode(self, text: str) -> ArchGraph:
        source = f"chain code {text[:100]!r}" + ("..." if len(text) > 100 else "")
        if len(text) != self.num_layers:
            raise InvalidArchError(
                [f"expected {self.num_layers} characters (one per layer), got {len(text)}"], source
            )
        digits = CODE_DIGITS[: len(self.edge_ops)]
        bad = [
            f"layer {i}: {ch!r} is not one of {digits}"
            for i, ch in enumerate(text)
            if ch not in digits
        ]
        if bad:
            raise InvalidArchError(bad, source)
        arch = self.from_ops([self.edge_ops[digits.index(ch)] for ch in text])
        return self.validate(arch, source)

    # ---------------------------------------------------------------- rules
    def rule_problems(self, arch: ArchGraph) -> list[str]:
        n = self.num_layers
        if arch.num_nodes != n + 1:
            return [f"a chain of {n} layers has {n + 1} nodes, got {arch.num_nodes}"]
        problems = []
        roles = ("input",) + ("hidden",) * (n - 1) + ("output",)
        if tuple(node.role for node in arch.nodes) != roles:
            problems.append("roles must be input, hidden..., output")
        if any(node.op is not None for node in arch.nodes):
            problems.append("chain ops live on edges; node ops must be null")
        if [(e.src, e.dst) for e in arch.edges] != [(i, i + 1) for i in range(n)]:
            problems.append(f"edges must be exactly i -> i+1 for i in 0..{n - 1}")
            return problems
        for i, e in enumerate(arch.edges):
            if e.op not in self.choices[i]:
                problems.append(f"layer {i} op {e.op!r} is not one of {', '.join(self.choices[i])}")
        return problems

    # ---------------------------------------------------------------- sampling
    def sample_prior(self, rng: np.random.Generator) -> ArchGraph:
        """Uniform over the codes: each layer's op uniform over its choices."""
        return self.from_ops([c[int(rng.integers(0, len(c)))] for c in self.choices])

    def mutate(self, arch: ArchGraph, rng: np.random.Generator) -> ArchGraph:
        """Change the op of one layer (among those with a choice) to another of its choices.

        One change always gives another network, no-op rule or not: the kept layers differ.
        """
        ops = self.to_ops(arch)
        layers = [i for i, c in enumerate(self.choices) if len(c) > 1]
        i = layers[int(rng.integers(0, len(layers)))]
        others = [op for op in self.choices[i] if op != ops[i]]
        ops[i] = others[int(rng.integers(0, len(others)))]
        return self.from_ops(ops)

    def generation_rules(self) -> GenerationRules:
        n = self.num_layers + 1
        path = tuple(tuple(t == j + 1 for t in range(n)) for j in range(n))
        return GenerationRules(
            max_nodes=n,
            min_nodes=n,
            node_ops=(),
            edge_ops=self.edge_ops,
            roles=("input",) + ("hidden",) * (n - 2) + ("output",),
            fixed_ops={i: None for i in range(n)},
            stages=(0,) * n,
            allowed_edges=path,
            forced_edges=path,
            edge_op_choices=tuple(
                tuple(self.choices[j] if t == j + 1 else None for t in range(n)) for j in range(n)
            ),
            notes="a path; edge i -> i+1 is layer i and takes one of that layer's choices",
        )

    # ---------------------------------------------------------------- identity
    def is_noop(self, layer: int, op: str) -> bool:
        """Whether `op` at `layer` computes the identity (only with `identity_op` set)."""
        shape = self.plan[layer]
        return op == self.identity_op and shape.stride == 1 and shape.c_in == shape.c_out

    def normalize(self, arch: ArchGraph) -> ArchGraph:
        """The kept layers as a node-labelled path input -> layers -> output, each node labelled
        with its op and shape (`op/s1/24-24`), so equal forms mean equal networks. Without
        `identity_op` every layer is kept."""
        kept = [
            f"{op}/s{shape.stride}/{shape.c_in}-{shape.c_out}"
            for i, (op, shape) in enumerate(zip(self.to_ops(arch), self.plan, strict=True))
            if not self.is_noop(i, op)
        ]
        nodes = (Node(None, "input"), *(Node(label) for label in kept), Node(None, "output"))
        edges = tuple(Edge(i, i + 1) for i in range(len(nodes) - 1))
        return ArchGraph(nodes, edges, self.name)

    # ---------------------------------------------------------------- size
    def size(self) -> int:
        return math.prod(len(c) for c in self.choices)

    def enumerate(self) -> Iterator[ArchGraph]:
        """Every code, in code order (layer 0 varies slowest)."""
        if self.size() > MAX_ENUMERATE:
            raise NotImplementedError(
                f"space {self.name!r} has {self.size()} codes; enumerating is limited to "
                f"{MAX_ENUMERATE}"
            )
        for ops in itertools.product(*self.choices):
            yield self.from_ops(ops)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
