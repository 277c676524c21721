"""The Supernet base class: decisions, selections, single-path and mixed forwards, export.

A supernet holds every candidate op of every decision of a space. An architecture is one choice
per decision; a *selection* generalises that to several weighted choices per decision:
`selection[d]` lists `(choice, weight)` pairs, weight a 0-d tensor or None (= 1, nothing
multiplied). Every kind implements one forward over a selection, so the single path (one
unweighted choice per decision) and the mixed forward (any weights, any subset) are the same code.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch
from torch import Tensor, nn

from graphnas.compiler.compile import PRECISIONS, CompiledNet, compile_arch, resolve_network
from graphnas.compiler.cost import Cost
from graphnas.compiler.kinds import KIND_COMPILERS
from graphnas.errors import ConfigError
from graphnas.graph import ArchGraph
from graphnas.registry import Registry
from graphnas.spaces.base import SearchSpace

Weight = Tensor | None
Selection = Sequence[Sequence[tuple[int, Weight]]]

ABSENT, PRESENT = 0, 1
EDGE_CHOICES = ("absent", "present")


@dataclass(frozen=True)
class Decision:
    """One choice of the space: `name` (e.g. "edge 0->2", "node 3 op") and its `choices`."""

    name: str
    choices: tuple[str, ...]


def weight_of(pairs: Sequence[tuple[int, Weight]], choice: int) -> tuple[bool, Weight]:
    """(active, weight) of `choice` in one decision's selection."""
    for k, w in pairs:
        if k == choice:
            return True, w
    return False, None


def scaled(x: Tensor, weight: Weight) -> Tensor:
    """x * weight, or x itself when the weight is None (an unweighted single path)."""
    return x if weight is None else x * weight.to(x.dtype)


# A gate: a hard 0/1 (python float) or a soft weight (0-d tensor).
Gate = float | Tensor


def product(factors: Sequence[Gate]) -> Gate:
    """The product of gates, staying a python float while every factor is one."""
    total: Gate = 1.0
    for f in factors:
        if isinstance(f, float) and f == 0.0:
            return 0.0
        total = total * f
    return total


def gated(x: Tensor, gate: Gate) -> Tensor:
    """x * gate for a soft gate; x itself for a hard one (callers skip hard zeros)."""
    return x if isinstance(gate, float) else x * gate.to(x.dtype)


def absence(pairs: Sequence[tuple[int, Weight]]) -> Gate:
    """The weight of ABSENT in an edge decision's selection: 0.0 when inactive, 1.0 unweighted."""
    active, w = weight_of(pairs, ABSENT)
    if not active:
        return 0.0
    return 1.0 if w is None else w


def accumulate(total: Tensor | None, term: Tensor) -> Tensor:
    """total + term (out of place: a term may be another node's tensor), starting from None."""
    return term if total is None else total + term


class Supernet(nn.Module, ABC):
    """A one-shot network for one space: images [B, 3, S, S] -> logits [B, num_classes].

    `forward(x, arch)` runs the sub-network of `arch` (only its ops); `forward_mixed(x, weights,
    active)` runs every active choice of every decision, scaled by its weight. `standalone(arch)`
    compiles `arch` with `compile_arch` and copies the shared weights into it, so both give the
    same outputs. `cost(arch)` is the compiler's analytic cost of that network.
    """

    kind: ClassVar[str]

    def __init__(
        self,
        space: SearchSpace,
        network: Mapping[str, Any],
        channels_last: bool = False,
        precision: str = "fp32",
    ) -> None:
        super().__init__()
        if precision not in PRECISIONS:
            raise ConfigError(f"precision {precision!r} unknown; valid: {', '.join(PRECISIONS)}")
        self.space = space
        self.network = dict(network)
        self.num_classes = int(network["num_classes"])
        self.input_size = int(network["input_size"])
        self.channels_last = channels_last
        self.precision = precision
        self.decisions: tuple[Decision, ...] = self.make_decisions()

    # ---------------------------------------------------------------- per kind
    @abstractmethod
    def make_decisions(self) -> tuple[Decision, ...]:
        """The space's decisions, in a fixed order."""

    @abstractmethod
    def encode(self, arch: ArchGraph) -> tuple[int, ...]:
        """The choice index of every decision for `arch`."""

    @abstractmethod
    def decode(self, choices: Sequence[int]) -> ArchGraph:
        """The architecture with these choices (it may be invalid in the space)."""

    @abstractmethod
    def run(self, x: Tensor, selection: Selection) -> Tensor:
        """The forward pass over a selection: [B, 3, S, S] -> [B, num_classes]."""

    @abstractmethod
    def copy_into(self, body: nn.Module, arch: ArchGraph) -> None:
        """Copy the weights `arch` uses into `body`, the compiled network's body."""

    # ---------------------------------------------------------------- forwards
    def forward(self, x: Tensor, arch: ArchGraph) -> Tensor:
        """Single path: the sub-network of `arch`. [B, 3, S, S] -> [B, num_classes]."""
        return self.forward_choices(x, self.encode(arch))

    def forward_choices(self, x: Tensor, choices: Sequence[int]) -> Tensor:
        """Single path given as one choice index per decision."""
        return self._run(x, [((int(k), None),) for k in choices])

    def forward_mixed(
        self,
        x: Tensor,
        weights: Sequence[Tensor],
        active: Sequence[Sequence[int]] | None = None,
    ) -> Tensor:
        """Mixed forward: decision d contributes sum_{k in active[d]} weights[d][k] * choice_k.

        weights: one tensor [K_d] per decision (softmax for DARTS, straight-through one-hot for
        GDAS, binary gates for ProxylessNAS; gradients reach them). active: the choices to compute
        per decision (default all); an inactive choice costs nothing.
        """
        if len(weights) != len(self.decisions):
            raise ValueError(f"expected {len(self.decisions)} weight vectors, got {len(weights)}")
        selection = []
        for d, (decision, w) in enumerate(zip(self.decisions, weights, strict=True)):
            if w.shape != (len(decision.choices),):
                raise ValueError(f"weights of {decision.name} must be [{len(decision.choices)}]")
            chosen = range(len(decision.choices)) if active is None else active[d]
            selection.append(tuple((int(k), w[k]) for k in chosen))
        return self._run(x, selection)

    def _run(self, x: Tensor, selection: Selection) -> Tensor:
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        dtype = PRECISIONS[self.precision]
        if dtype is None:
            return self.run(x, selection)
        with torch.autocast(device_type=x.device.type, dtype=dtype):
            return self.run(x, selection)

    # ---------------------------------------------------------------- architectures
    def sample(self, rng: np.random.Generator, prior: bool = False) -> ArchGraph:
        """SPOS sampling: every decision uniform over its choices, redrawn until valid; with
        `prior`, the space's own prior instead (e.g. RandWire's random-graph model)."""
        if prior:
            return self.space.sample_prior(rng)
        for _ in range(10_000):
            arch = self.decode([int(rng.integers(len(d.choices))) for d in self.decisions])
            if self.space.is_valid(arch):
                return arch
        raise RuntimeError(f"no valid architecture in 10000 uniform draws from {self.space.name}")

    def uniform_weights(self, device: torch.device | str | None = None) -> list[Tensor]:
        """One uniform weight vector [K_d] per decision."""
        return [
            torch.full((len(d.choices),), 1.0 / len(d.choices), device=device)
            for d in self.decisions
        ]

    def standalone(self, arch: ArchGraph) -> CompiledNet:
        """The compiled network of `arch` carrying this supernet's weights (CPU module)."""
        net = compile_arch(arch, self.space, network=self.network, precision=self.precision)
        with torch.no_grad():
            self.copy_into(net.body, arch)
        return net

    def cost(self, arch: ArchGraph) -> Cost:
        """Analytic params/FLOPs of the stand-alone network of `arch`."""
        return KIND_COMPILERS.get(self.space.kind).cost(arch, self.space, self.network)

    def finish_init(self) -> None:
        """Apply the memory format once every module exists (subclasses call it last)."""
        if self.channels_last:
            self.to(memory_format=torch.channels_last)

    def extra_repr(self) -> str:
        return f"space={self.space.name!r}, kind={self.kind!r}, decisions={len(self.decisions)}"


SUPERNET_KINDS: Registry[type[Supernet]] = Registry("supernet for space kind")


def build_supernet(
    space: SearchSpace,
    *,
    num_classes: int | None = None,
    input_size: int | None = None,
    network: Mapping[str, Any] | None = None,
    channels_last: bool = False,
    precision: str = "fp32",
) -> Supernet:
    """The supernet of `space`, with the same skeleton overrides `compile_arch` accepts."""
    cls = SUPERNET_KINDS.get(space.kind)
    resolved = resolve_network(space, network, num_classes, input_size)
    return cls(space, resolved, channels_last=channels_last, precision=precision)


def copy_module(target: nn.Module, source: nn.Module) -> None:
    """target's parameters and buffers := source's (same module class and shapes)."""
    target.load_state_dict(source.state_dict())
