"""The ledger: ledger.jsonl's one line schema, its writer and its verifying reader.

One JSON line per evaluation, in query order:
    {"query", "step", "seed", "hash", "exact", "arch", "reward", "metrics", "cost_s", "status",
     "error", "elapsed_s", "digest"}
`hash` identifies the architecture (the space's canonical hash; `exact` False where it is an
approximate WL hash, and a `#n` suffix where two non-isomorphic graphs met on one approximate
hash). `digest` chains the line to everything before it: sha256 of the previous line's digest and
the canonical JSON of this line's content (every field but `digest` and the timings), and the
first line's chain starts at the digest of the run's config identity. So an edited reward, an
edited config.yaml or a line moved from another run is found by `read_ledger`, whether or not a
checkpoint covers the line.

Lines are flushed and fsynced before the search moves on; a line torn by a kill mid-write is cut
off before the ledger is appended to again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphnas.errors import InputFileError
from graphnas.evaluators.base import EvalResult
from graphnas.runfiles import CONFIG_FILE, dumps_line, json_safe, scan_jsonl

TIMING_FIELDS = ("elapsed_s",)


@dataclass(frozen=True)
class LedgerEntry:
    """One verified ledger line as a resumed loop needs it."""

    line: int
    query: int
    step: int
    hash: str
    exact: bool
    arch: dict[str, Any]
    result: EvalResult
    digest: str


def canonical_json(data: Any) -> str:
    """The one serialisation digests are computed over (sorted keys, NaN as null)."""
    return json.dumps(json_safe(data), sort_keys=True, separators=(",", ":"), allow_nan=False)


def chain_start(config_identity: Mapping[str, Any]) -> str:
    """Where a run's ledger digest chain starts: the digest of its config identity."""
    return hashlib.sha256(canonical_json(config_identity).encode()).hexdigest()[:32]


def line_digest(previous: str, line: Mapping[str, Any]) -> str:
    """The digest of `line` chained after `previous` (`digest` and timing fields excluded)."""
    content = {k: v for k, v in line.items() if k != "digest" and k not in TIMING_FIELDS}
    return hashlib.sha256(f"{previous}\n{canonical_json(content)}".encode()).hexdigest()[:32]


def ledger_line(
    previous: str,
    *,
    query: int,
    step: int,
    seed: int,
    hash: str,
    exact: bool,
    arch: dict[str, Any],
    result: EvalResult,
    elapsed_s: float,
) -> dict[str, Any]:
    """The ledger line of one evaluation, its digest chained after `previous`."""
    line = {
        "query": query,
        "step": step,
        "seed": seed,
        "hash": hash,
        "exact": exact,
        "arch": arch,
        **result.to_dict(),
        "elapsed_s": round(elapsed_s, 6),
    }
    line["digest"] = line_digest(previous, line)
    return line


class LedgerWriter:
    """Appends one JSON line per entry, written whole and fsynced (unbuffered).

    `valid_bytes` first cuts the file to that length (the torn last line of a killed run). A
    failed append (a full disk) cuts the file back to its last complete line and re-raises, so
    the ledger always ends with a whole line."""

    def __init__(self, path: Path, valid_bytes: int | None = None) -> None:
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        if valid_bytes is not None and os.fstat(self._fd).st_size > valid_bytes:
            os.ftruncate(self._fd, valid_bytes)
            os.fsync(self._fd)

    def append(self, entry: Mapping[str, Any]) -> None:
        data = memoryview((dumps_line(entry) + "\n").encode("utf-8"))
        end = os.fstat(self._fd).st_size
        try:
            while data:
                data = data[os.write(self._fd, data) :]
            os.fsync(self._fd)
        except OSError:
            with contextlib.suppress(OSError):  # else the torn line is cut on resume
                os.ftruncate(self._fd, end)
            raise

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def read_ledger(path: Path, seed: int, start: str) -> tuple[list[LedgerEntry], int]:
    """The ledger's entries, every line checked (schema, consecutive queries, steps in order,
    distinct hashes, this run's seed, the digest chain from `start`), and the byte length of its
    complete lines (a torn last line lies beyond it). A problem: InputFileError naming the line."""
    if not path.exists():
        return [], 0
    records, valid_bytes = scan_jsonl(path)
    entries: list[LedgerEntry] = []
    seen: set[str] = set()
    previous = start
    for number, record in records:
        entry = _entry(path, number, record, seed)
        if entry.query != len(entries) + 1:
            raise InputFileError(
                f"{path}: line {number} is query {entry.query}, expected {len(entries) + 1}"
            )
        if entries and entry.step < entries[-1].step:
            raise InputFileError(f"{path}: line {number} goes back to step {entry.step}")
        if entry.hash in seen:
            raise InputFileError(f"{path}: line {number} repeats architecture {entry.hash}")
        if entry.digest != line_digest(previous, record):
            raise InputFileError(_digest_problem(path, number))
        seen.add(entry.hash)
        entries.append(entry)
        previous = entry.digest
    return entries, valid_bytes


def _digest_problem(path: Path, number: int) -> str:
    if number == 1:
        return (
            f"{path}: line 1 was not written with this run's {CONFIG_FILE} (the config or the "
            "line was edited, or the ledger belongs to another run)"
        )
    return f"{path}: line {number} was edited (its content does not match its digest)"


def _entry(path: Path, number: int, record: dict[str, Any], seed: int) -> LedgerEntry:
    where = f"{path}: line {number}"
    for key in ("query", "step", "seed"):
        value = record.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise InputFileError(f"{where}: {key!r} missing or not a non-negative integer")
    if record["seed"] != seed:
        raise InputFileError(f"{where}: seed {record['seed']}, but the run's config has {seed}")
    for key in ("hash", "digest"):
        if not isinstance(record.get(key), str) or not record[key]:
            raise InputFileError(f"{where}: {key!r} missing or not a string")
    if not isinstance(record.get("exact"), bool):
        raise InputFileError(f"{where}: 'exact' missing or not true/false")
    if not isinstance(record.get("arch"), dict):
        raise InputFileError(f"{where}: 'arch' missing or not an object")
    status = record.get("status")
    if status not in ("ok", "failed"):
        raise InputFileError(f"{where}: status {status!r} is not ok or failed")
    reward, cost = record.get("reward"), record.get("cost_s", 0.0)
    if reward is not None and not _is_finite(reward):
        raise InputFileError(f"{where}: 'reward' is not a number")
    if status == "ok" and reward is None:
        raise InputFileError(f"{where}: status ok without a reward")
    if not _is_finite(cost) or cost < 0:
        raise InputFileError(f"{where}: 'cost_s' is not a non-negative number")
    if not isinstance(record.get("metrics", {}), dict):
        raise InputFileError(f"{where}: 'metrics' is not an object")
    error = record.get("error")
    if error is not None and not isinstance(error, str):
        raise InputFileError(f"{where}: 'error' is not a string")
    return LedgerEntry(
        line=number,
        query=record["query"],
        step=record["step"],
        hash=record["hash"],
        exact=record["exact"],
        arch=record["arch"],
        result=EvalResult.from_dict(record),
        digest=record["digest"],
    )


def _is_finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
