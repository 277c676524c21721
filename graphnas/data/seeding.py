"""Seeds derived from named parts, so every random stream is fixed by (seed, purpose, ...) alone.

Evaluations are seeded per architecture (e.g. `derive_seed(seed, "init", arch_hash)`), never from
global RNG state, which makes results independent of evaluation order and of the worker they run on.
"""

from __future__ import annotations

import hashlib

import torch


def derive_seed(*parts: object) -> int:
    """A 63-bit seed determined by the reprs of `parts` (stable across processes and platforms)."""
    digest = hashlib.sha256("\x1f".join(repr(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "little") & (2**63 - 1)


def generator_for(*parts: object) -> torch.Generator:
    """A CPU torch.Generator seeded with `derive_seed(*parts)`."""
    return torch.Generator().manual_seed(derive_seed(*parts))
