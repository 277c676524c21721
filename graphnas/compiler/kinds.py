"""The registry of space kinds the compiler knows: each kind gives a builder and a cost counter."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from torch import nn

from graphnas.compiler.cost import Cost
from graphnas.graph import ArchGraph
from graphnas.registry import Registry
from graphnas.spaces.base import SearchSpace

Skeleton = Mapping[str, Any]


@dataclass(frozen=True)
class KindCompiler:
    """How one space kind becomes a network.

    build: (arch, space, skeleton) -> nn.Module mapping [B, 3, S, S] to [B, num_classes].
    cost: (arch, space, skeleton) -> Cost of that module, computed without building it.
    check: (space, skeleton) -> problems with the skeleton values (empty when fine).
    """

    build: Callable[[ArchGraph, SearchSpace, Skeleton], nn.Module]
    cost: Callable[[ArchGraph, SearchSpace, Skeleton], Cost]
    check: Callable[[SearchSpace, Skeleton], list[str]]


KIND_COMPILERS: Registry[KindCompiler] = Registry("compiler for space kind")


def positive_ints(net: Skeleton, *keys: str) -> list[str]:
    """Problems for skeleton keys that are not positive integers."""
    problems = []
    for key in keys:
        value = net.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            problems.append(f"{key} must be a positive integer, got {value!r}")
    return problems
