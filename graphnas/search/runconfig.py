"""A run's config identity: the config keys that decide what it evaluates.

Everything but `RESUMABLE_KEYS` must be the same when a run is resumed. The identity is recorded
twice, so that a resume can always check it: in checkpoint.pt (`config`), and, from the first
evaluation on, as the start of the ledger's digest chain (`ledger.chain_start`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphnas.config import SearchConfig, as_dict

# Config keys a resumed run may change: when it stops, where and how it evaluates (the pool and
# the per-evaluation timeout), what it shows. Everything else must equal the checkpoint's config.
RESUMABLE_KEYS = (
    "budget",
    "pool",
    "eval_timeout_s",
    "checkpoint_every_s",
    "progress",
    "tracking",
    "out",
)


def config_identity(config: SearchConfig) -> dict[str, Any]:
    """The config keys that decide what a run evaluates (all but `RESUMABLE_KEYS`)."""
    return {k: v for k, v in as_dict(config).items() if k not in RESUMABLE_KEYS}


def changed_keys(old: Mapping[str, Any], new: Mapping[str, Any], prefix: str = "") -> list[str]:
    """Dotted keys whose values differ between two nested mappings."""
    changed = []
    for key in sorted(set(old) | set(new), key=str):
        a, b = old.get(key), new.get(key)
        if isinstance(a, Mapping) and isinstance(b, Mapping):
            changed += changed_keys(a, b, f"{prefix}{key}.")
        elif a != b:
            changed.append(f"{prefix}{key}")
    return changed
