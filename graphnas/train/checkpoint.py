"""Training checkpoints: written atomically (temp file, fsync, rename), read with weights_only=True.

A checkpoint holds only tensors, numbers, strings, lists and dicts, so loading it never runs code.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import torch

from graphnas.errors import InputFileError
from graphnas.runfiles import write_file_atomic

FORMAT = "graphnas.train-checkpoint/1"


def save_checkpoint(state: dict[str, Any], path: str | Path) -> None:
    """Write `state` (plus the format tag) to `path` atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_file_atomic(path, lambda out: torch.save({"format": FORMAT, **state}, out))


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Read a checkpoint written by `save_checkpoint` (CPU tensors; weights-only unpickling)."""
    path = Path(path)
    try:
        with warnings.catch_warnings():  # e.g. "Detected pickle protocol 0" from a foreign file
            warnings.simplefilter("ignore")
            state = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise InputFileError(f"{path}: checkpoint not found") from None
    except Exception as err:  # any unreadable or refused content is a bad input file
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise InputFileError(f"{path}: not a readable training checkpoint ({first})") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise InputFileError(f"{path}: not a graphnas training checkpoint")
    return state
