"""Every seed and random stream of graphnas, in one place.

- `component_seed(seed, component)`: the 32-bit seed of one component of a run (strategy,
  evaluator, pool, ...), derived from the run's seed, so components draw independent streams.
- `derive_seed(*parts)` / `generator_for(*parts)`: seeds fixed by named parts (e.g. `(seed,
  "init", arch_hash)`), never by global RNG state, so evaluations do not depend on their order or
  on the worker they run on.
- `make_rng` / `rng_state` / `set_rng_state`: numpy generators whose full state round-trips
  through plain dicts (strategy checkpoints).
- `global_rng_states` / `set_global_rng_states` / `preserved_global_rngs`: the Python, numpy and
  torch global states, saved in checkpoints and restored around evaluations.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import random
import zlib
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import torch


def component_seed(seed: int, component: str) -> int:
    """An independent 32-bit seed for one component (strategy, evaluator, ...) of a run."""
    sequence = np.random.SeedSequence([int(seed), zlib.crc32(component.encode())])
    return int(sequence.generate_state(1)[0])


def derive_seed(*parts: object) -> int:
    """A 63-bit seed determined by the reprs of `parts` (stable across processes and platforms)."""
    digest = hashlib.sha256("\x1f".join(repr(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "little") & (2**63 - 1)


def generator_for(*parts: object) -> torch.Generator:
    """A CPU torch.Generator seeded with `derive_seed(*parts)`."""
    return torch.Generator().manual_seed(derive_seed(*parts))


def make_rng(seed: int) -> np.random.Generator:
    """A PCG64 generator for `seed` (the only source of randomness a component should use)."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(int(seed))))


def rng_state(rng: np.random.Generator) -> dict[str, Any]:
    """The generator's full state (plain ints and strings)."""
    return copy.deepcopy(rng.bit_generator.state)


def set_rng_state(rng: np.random.Generator, state: dict[str, Any]) -> None:
    """Restore a state produced by `rng_state`."""
    rng.bit_generator.state = copy.deepcopy(state)


def global_rng_states() -> dict[str, Any]:
    """Python, numpy (legacy global), torch CPU and (when initialised) CUDA generator states."""
    states: dict[str, Any] = {
        "python": random.getstate(),
        "numpy": np.random.get_state(legacy=False),
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def set_global_rng_states(states: Mapping[str, Any]) -> None:
    """Restore what `global_rng_states` returned (CUDA states only onto as many devices)."""
    random.setstate(states["python"])
    np.random.set_state(states["numpy"])
    torch.set_rng_state(states["torch"])
    cuda = states.get("cuda")
    if cuda and torch.cuda.is_available() and torch.cuda.device_count() == len(cuda):
        torch.cuda.set_rng_state_all(cuda)


@contextlib.contextmanager
def preserved_global_rngs() -> Iterator[None]:
    """Restore the global Python/numpy/torch RNG states afterwards (evaluations that draw from
    them or reseed them cannot shift what the strategy draws, so a replayed step matches)."""
    states = global_rng_states()
    try:
        yield
    finally:
        set_global_rng_states(states)
