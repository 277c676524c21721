"""Turning an architecture into a freshly initialised network for the evaluators that run one.

A `NetworkBuilder` maps (arch, space, num_classes, input_size, network) to an `nn.Module`, where
`network` holds skeleton overrides (e.g. {"channels": 16} for a narrower proxy network); the
default compiles the architecture with `graphnas.compiler.compile_arch`. Initialisation is seeded
from named parts (seed, purpose, architecture hash), inside a forked RNG so the caller's global
torch RNG is neither used nor changed: a network depends only on its architecture and seed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import torch
from torch import nn

from graphnas.graph import ArchGraph
from graphnas.seeding import derive_seed
from graphnas.spaces.base import SearchSpace


class NetworkBuilder(Protocol):
    def __call__(
        self,
        arch: ArchGraph,
        space: SearchSpace,
        num_classes: int,
        input_size: int,
        network: Mapping[str, Any] | None = None,
    ) -> nn.Module: ...


def compile_network(
    arch: ArchGraph,
    space: SearchSpace,
    num_classes: int,
    input_size: int,
    network: Mapping[str, Any] | None = None,
) -> nn.Module:
    """The compiled network of `arch` in `space` (graphnas.compiler), on the CPU."""
    from graphnas.compiler import compile_arch

    return compile_arch(
        arch, space, num_classes=num_classes, input_size=input_size, network=network
    )


def build_seeded(
    builder: NetworkBuilder,
    arch: ArchGraph,
    space: SearchSpace,
    num_classes: int,
    input_size: int,
    network: Mapping[str, Any] | None,
    seed_parts: tuple,
) -> nn.Module:
    """`builder(...)` with the CPU RNG seeded from `seed_parts`; the global RNG is left as it was.

    Networks are built on the CPU (then moved), so their weights are the same on every device.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(derive_seed(*seed_parts))
        return builder(arch, space, num_classes, input_size, network)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
