"""Resuming a search: what checkpoint.pt holds, how it is written and read back, and how the
ledger of a killed run is read before the search continues.

A checkpoint is a snapshot of the search loop between two steps (or, after a stop signal, between
asking the strategy and evaluating its proposals): the loop counters, the proposals in progress,
the strategy's `state_dict()` (generator, optimizer, replay buffer, its RNGs), the global RNG
states, and a running digest of the ledger lines it covers. It is written atomically (temp file,
fsync, rename) and read with `torch.load(..., weights_only=True)`, so it holds only tensors and
plain containers: `encode_state` turns numpy arrays/scalars and sets into tagged tensors/lists and
`decode_state` turns them back exactly; anything else is refused when the checkpoint is written.

Resuming = checkpoint + ledger: evaluations recorded after the checkpoint are replayed into the
strategy from the ledger (never re-run); see `graphnas.search`.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import random
import tempfile
import warnings
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from graphnas import __version__
from graphnas.config import SearchConfig, as_dict
from graphnas.errors import InputFileError
from graphnas.evaluators.base import EvalResult
from graphnas.rundir import scan_jsonl

FORMAT = "graphnas.search-checkpoint"
FORMAT_VERSION = 1
NDARRAY_TAG = "__graphnas_ndarray__"
SET_TAG = "__graphnas_set__"
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


# ---------------------------------------------------------------------- global RNGs
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


# ---------------------------------------------------------------------- config identity
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


# ---------------------------------------------------------------------- checkpoint files
def save_checkpoint(path: Path, state: Mapping[str, Any]) -> None:
    """Write the loop's `state` (plus format and version) to `path`: temp file, fsync, rename."""
    payload = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "graphnas_version": __version__,
        **encode_state(dict(state), "checkpoint"),
    }
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            torch.save(payload, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_directory(path.parent)


def remove_stale_temp_files(path: Path) -> None:
    """Delete temp files a kill left behind while `save_checkpoint` wrote `path`."""
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
    problem = _checkpoint_problem(data)
    if problem:
        raise InputFileError(f"{path}: malformed search checkpoint ({problem})")
    return decode_state(data)


_CHECKPOINT_FIELDS = {
    "config": dict,
    "counters": dict,
    "strategy": dict,
    "rng": dict,
    "timing": dict,
}
_COUNTER_FIELDS = {"step": int, "queries": int, "failed": int, "duplicates": int, "stale": int}


def _checkpoint_problem(data: Mapping[str, Any]) -> str | None:
    for key, kind in _CHECKPOINT_FIELDS.items():
        if not isinstance(data.get(key), kind):
            return f"{key!r} missing or not a {kind.__name__}"
    counters = data["counters"]
    for key, kind in _COUNTER_FIELDS.items():
        value = counters.get(key)
        if not isinstance(value, kind) or isinstance(value, bool) or value < 0:
            return f"counters.{key} missing or not a non-negative integer"
    if not isinstance(counters.get("cost_s"), float):
        return "counters.cost_s missing or not a number"
    if counters.get("worst") is not None and not _is_number(counters["worst"]):
        return "counters.worst is not a number"
    best = counters.get("best")
    if best is not None and not (isinstance(best, dict) and _is_number(best.get("reward"))):
        return "counters.best is not a result with a reward"
    if not isinstance(counters.get("curve"), list):
        return "counters.curve missing or not a list"
    if not isinstance(counters.get("ledger_digest"), str):
        return "counters.ledger_digest missing or not a string"
    if data.get("stopped") is not None and not isinstance(data["stopped"], str):
        return "'stopped' is not a string"
    proposals = data.get("proposals")
    if proposals is not None and not (
        isinstance(proposals, list) and all(isinstance(p, dict) for p in proposals)
    ):
        return "'proposals' is not a list of architectures"
    return None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


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


# ---------------------------------------------------------------------- the ledger
@dataclass(frozen=True)
class LedgerEntry:
    """One ledger line as the resumed loop needs it."""

    line: int
    query: int
    step: int
    hash: str
    result: EvalResult


def ledger_digest(previous: str, digest: str) -> str:
    """The running digest of the ledger's hashes after appending `digest`."""
    return hashlib.sha256(f"{previous}\n{digest}".encode()).hexdigest()[:32]


def read_ledger_entries(path: Path, seed: int) -> tuple[list[LedgerEntry], int]:
    """The ledger's entries (checked: consecutive queries, steps in order, distinct hashes, this
    run's seed) and the byte length of its complete lines (a torn last line lies beyond it)."""
    if not path.exists():
        return [], 0
    records, valid_bytes = scan_jsonl(path)
    entries: list[LedgerEntry] = []
    seen: set[str] = set()
    for number, record in records:
        entry = _ledger_entry(path, number, record, seed)
        if entry.query != len(entries) + 1:
            raise InputFileError(
                f"{path}: line {number} is query {entry.query}, expected {len(entries) + 1}"
            )
        if entries and entry.step < entries[-1].step:
            raise InputFileError(f"{path}: line {number} goes back to step {entry.step}")
        if entry.hash in seen:
            raise InputFileError(f"{path}: line {number} repeats architecture {entry.hash}")
        seen.add(entry.hash)
        entries.append(entry)
    return entries, valid_bytes


def _ledger_entry(path: Path, number: int, record: dict[str, Any], seed: int) -> LedgerEntry:
    where = f"{path}: line {number}"
    for key in ("query", "step", "seed"):
        value = record.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise InputFileError(f"{where}: {key!r} missing or not a non-negative integer")
    if record["seed"] != seed:
        raise InputFileError(f"{where}: seed {record['seed']}, but the run's config has {seed}")
    digest = record.get("hash")
    if not isinstance(digest, str) or not digest:
        raise InputFileError(f"{where}: 'hash' missing or not a string")
    status = record.get("status")
    if status not in ("ok", "failed"):
        raise InputFileError(f"{where}: status {status!r} is not ok or failed")
    reward, cost = record.get("reward"), record.get("cost_s", 0.0)
    if reward is not None and (isinstance(reward, bool) or not isinstance(reward, (int, float))):
        raise InputFileError(f"{where}: 'reward' is not a number")
    if isinstance(cost, bool) or not isinstance(cost, (int, float)):
        raise InputFileError(f"{where}: 'cost_s' is not a number")
    if not isinstance(record.get("metrics", {}), dict):
        raise InputFileError(f"{where}: 'metrics' is not an object")
    error = record.get("error")
    if error is not None and not isinstance(error, str):
        raise InputFileError(f"{where}: 'error' is not a string")
    result = EvalResult.from_dict(record)
    return LedgerEntry(number, record["query"], record["step"], digest, result)


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__
