"""Seeded numpy generators whose complete state round-trips through plain dicts."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np


def make_rng(seed: int) -> np.random.Generator:
    """A PCG64 generator for `seed` (the only source of randomness a component should use)."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(int(seed))))


def rng_state(rng: np.random.Generator) -> dict[str, Any]:
    """The generator's full state (plain ints and strings)."""
    return copy.deepcopy(rng.bit_generator.state)


def set_rng_state(rng: np.random.Generator, state: dict[str, Any]) -> None:
    """Restore a state produced by `rng_state`."""
    rng.bit_generator.state = copy.deepcopy(state)
