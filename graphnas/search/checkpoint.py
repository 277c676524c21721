"""checkpoint.pt: what it holds, how it is written atomically, read back and validated.

A checkpoint is a snapshot of the search loop between two steps (or, after a stop signal, between
asking the strategy and evaluating its proposals): the loop counters, the proposals in progress,
the strategy's and (when stateful) the evaluator's `state_dict()`, the global RNG states, the
config identity and the digest of the last ledger line it covers. It is written atomically (temp
file, fsync, rename) and read with `torch.load(..., weights_only=True)`, so it holds only tensors
and plain containers: `encode_state` turns numpy arrays/scalars and sets into tagged
tensors/lists and `decode_state` turns them back exactly; anything else is refused when the
checkpoint is written. Every field is validated on reading (types, finite numbers, a best result
that is a whole result), so a hand-made checkpoint is refused in one line.
"""

from __future__ import annotations

import math
import os
import pickle
import warnings
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

from graphnas import __version__
from graphnas.errors import InputFileError
from graphnas.runfiles import write_file_atomic

FORMAT = "graphnas.search-checkpoint"
FORMAT_VERSION = 2
NDARRAY_TAG = "__graphnas_ndarray__"
SET_TAG = "__graphnas_set__"


class CheckpointStateError(TypeError):
    """A state holds an object a weights-only checkpoint cannot store (a bug in its owner)."""


# ---------------------------------------------------------------------- state encoding
def encode_state(value: Any, where: str = "state") -> Any:
    """`value` as tensors and plain containers (numpy arrays and sets tagged, tensors on CPU)."""
    if value is None or isinstance(value, (bool, int, float, str, bytes)):
        return value
    if isinstance(value, torch.Tensor):
        return value.detach().cpu()
    if isinstance(value, (np.ndarray, np.generic)):
        array = np.asarray(value)
        if array.dtype.kind not in "biufc":
            raise CheckpointStateError(f"{where}: numpy dtype {array.dtype} cannot be checkpointed")
        tensor = torch.from_numpy(np.array(array, copy=True, order="C"))
        return {NDARRAY_TAG: tensor, "scalar": isinstance(value, np.generic)}
    if isinstance(value, (set, frozenset)):
        items = [encode_state(v, f"{where}[]") for v in value]
        return {SET_TAG: items, "frozen": isinstance(value, frozenset)}
    if isinstance(value, tuple):
        return tuple(encode_state(v, f"{where}[{i}]") for i, v in enumerate(value))
    if isinstance(value, list):
        return [encode_state(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict):
        cls = OrderedDict if isinstance(value, OrderedDict) else dict
        return cls((k, encode_state(v, f"{where}.{k}")) for k, v in value.items())
    raise CheckpointStateError(
        f"{where}: a {type(value).__name__} cannot be checkpointed; state_dict() must return "
        "tensors, numbers, strings, lists, tuples, dicts, sets or numpy arrays"
    )


def decode_state(value: Any) -> Any:
    """The inverse of `encode_state`."""
    if isinstance(value, dict):
        if NDARRAY_TAG in value:
            array = value[NDARRAY_TAG].numpy()
            return array[()] if value.get("scalar") else array
        if SET_TAG in value:
            items = [decode_state(v) for v in value[SET_TAG]]
            return frozenset(items) if value.get("frozen") else set(items)
        cls = OrderedDict if isinstance(value, OrderedDict) else dict
        return cls((k, decode_state(v)) for k, v in value.items())
    if isinstance(value, list):
        return [decode_state(v) for v in value]
    if isinstance(value, tuple):
        return tuple(decode_state(v) for v in value)
    return value


# ---------------------------------------------------------------------- files
def save_checkpoint(path: Path, state: Mapping[str, Any]) -> None:
    """Write the loop's `state` (plus format and version) to `path`: temp file, fsync, rename.
    On any failure the temp file is removed and `path` keeps the previous checkpoint."""
    payload = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "graphnas_version": __version__,
        **encode_state(dict(state), "checkpoint"),
    }
    write_file_atomic(path, lambda out: torch.save(payload, out))
    _fsync_directory(path.parent)


def remove_stale_temp_files(path: Path) -> None:
    """Delete temp files a kill left behind while `save_checkpoint` wrote `path` (call it only
    while holding the run directory's lock: a live writer's temp file looks the same)."""
    for stale in path.parent.glob(f".{path.name}.*.tmp"):
        stale.unlink(missing_ok=True)


def load_checkpoint(path: Path) -> dict[str, Any]:
    """Read and check a checkpoint written by `save_checkpoint` (any other file: InputFileError)."""
    try:
        with warnings.catch_warnings():  # e.g. "Detected pickle protocol 0" from a foreign file
            warnings.simplefilter("ignore")
            data = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise InputFileError(f"{path}: no such file") from None
    except pickle.UnpicklingError as err:
        if "weights only" not in str(err).lower():
            raise InputFileError(
                f"{path}: not a readable checkpoint (truncated or corrupt: {_first_line(err)})"
            ) from None
        raise InputFileError(
            f"{path}: not a readable checkpoint (it holds objects other than tensors and plain "
            "data, which are refused: checkpoints load with weights_only=True)"
        ) from None
    except Exception as err:  # truncated or corrupt archive
        raise InputFileError(
            f"{path}: not a readable checkpoint (truncated or corrupt: {_first_line(err)})"
        ) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        found = data.get("format") if isinstance(data, dict) else type(data).__name__
        raise InputFileError(f"{path}: not a graphnas search checkpoint (format {found!r})")
    if data.get("graphnas_version") != __version__ or data.get("format_version") != FORMAT_VERSION:
        raise InputFileError(
            f"{path}: written by graphnas {data.get('graphnas_version')} (checkpoint format "
            f"{data.get('format_version')}); this is graphnas {__version__} (format "
            f"{FORMAT_VERSION}): resume it with that version, or start a new run"
        )
    problem = checkpoint_problem(data)
    if problem:
        raise InputFileError(f"{path}: malformed search checkpoint ({problem})")
    return decode_state(data)


# ---------------------------------------------------------------------- validation
_FIELDS = {"config": dict, "counters": dict, "strategy": dict, "evaluator": dict, "rng": dict}
_COUNTS = ("step", "queries", "failed", "duplicates", "stale")
_BEST_FIELDS = {"arch": dict, "code": str, "hash": str, "metrics": dict}


def checkpoint_problem(data: Mapping[str, Any]) -> str | None:
    """What is wrong with a loaded checkpoint's contents (None: nothing)."""
    for key, kind in _FIELDS.items():
        if not isinstance(data.get(key), kind):
            return f"{key!r} missing or not a {kind.__name__}"
    timing = data.get("timing")
    if not isinstance(timing, dict) or not all(_is_finite(v) and v >= 0 for v in timing.values()):
        return "'timing' missing or not a mapping of non-negative numbers"
    problem = _counters_problem(data["counters"])
    if problem:
        return problem
    if data.get("stopped") is not None and not isinstance(data["stopped"], str):
        return "'stopped' is not a string"
    proposals = data.get("proposals")
    if proposals is not None and not (
        isinstance(proposals, list) and proposals and all(isinstance(p, dict) for p in proposals)
    ):
        return "'proposals' is not a list of architectures"
    return None


def _counters_problem(counters: Mapping[str, Any]) -> str | None:
    for key in _COUNTS:
        value = counters.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            return f"counters.{key} missing or not a non-negative integer"
    if counters["failed"] > counters["queries"]:
        return "counters.failed exceeds counters.queries"
    cost = counters.get("cost_s")
    if not (isinstance(cost, float) and math.isfinite(cost) and cost >= 0):
        return "counters.cost_s missing or not a non-negative number"
    if counters.get("worst") is not None and not _is_finite(counters["worst"]):
        return "counters.worst is not a finite number"
    best = counters.get("best")
    if best is not None:
        if not isinstance(best, dict) or not _is_finite(best.get("reward")):
            return "counters.best is not a result with a finite reward"
        for key, kind in _BEST_FIELDS.items():
            if not isinstance(best.get(key), kind):
                return f"counters.best.{key} missing or not a {kind.__name__}"
        if counters["queries"] == counters["failed"]:
            return "counters.best is set but no evaluation succeeded"
    if not isinstance(counters.get("curve"), list):
        return "counters.curve missing or not a list"
    if not isinstance(counters.get("ledger_digest"), str):
        return "counters.ledger_digest missing or not a string"
    return None


def _is_finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _fsync_directory(folder: Path) -> None:
    """Make a rename in `folder` durable (best effort: not every system can open directories)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__
