"""The run directory of a search: config.yaml, ledger.jsonl (append-only), checkpoint.pt,
summary.json.

The ledger gets one JSON line per evaluation, flushed and fsynced before the search moves on, so a
crash loses at most the evaluation in flight; a line torn by a kill mid-write is cut off before
the ledger is appended to again. JSON files are replaced atomically (temp + rename). The
checkpoint's format lives in `graphnas.resume`. While a search writes to a run directory it holds
an exclusive lock on it (`RunDir.locked`, POSIX), so a second process cannot write there too.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from graphnas.errors import ConfigError, InputFileError
from graphnas.paths import safe_filename, safe_join

CONFIG_FILE = "config.yaml"
LEDGER_FILE = "ledger.jsonl"
SUMMARY_FILE = "summary.json"
CHECKPOINT_FILE = "checkpoint.pt"
LOCK_FILE = ".graphnas.lock"

try:
    import fcntl
except ImportError:  # not POSIX: no locking
    fcntl = None  # type: ignore[assignment]


class RunDir:
    """Paths and writers of one run directory."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.config = self.path / CONFIG_FILE
        self.ledger = self.path / LEDGER_FILE
        self.summary = self.path / SUMMARY_FILE
        self.checkpoint = self.path / CHECKPOINT_FILE

    @classmethod
    def create(cls, path: str | Path) -> RunDir:
        """A new run directory; refuses one that already holds a run (nothing is overwritten)."""
        run = cls(path)
        if run.path.exists() and not run.path.is_dir():
            raise ConfigError(f"out: {run.path} exists and is not a directory")
        if run.ledger.exists() or run.summary.exists():
            raise ConfigError(
                f"out: {run.path} already holds a run; choose another out=... directory"
            )
        try:
            run.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"out: cannot create {run.path}: {exc.strerror or exc}") from None
        return run

    @staticmethod
    def default_path(name: str, seed: int, root: str | Path = "runs") -> Path:
        """runs/<name>-seed<seed>-<YYYYmmdd-HHMMSS>, with a numeric suffix if that exists.

        The config's `name` becomes one safe file name, so it cannot place the run outside root.
        """
        stamp = time.strftime("%Y%m%d-%H%M%S")
        base = safe_join(root, safe_filename(f"{name}-seed{seed}-{stamp}"))
        candidate, k = base, 1
        while candidate.exists():
            k += 1
            candidate = base.with_name(f"{base.name}-{k}")
        return candidate

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold this run directory for the calling process (the lock file holds its pid and is
        removed afterwards; a kill leaves the file, but not the lock, behind)."""
        if fcntl is None:
            yield
            return
        path = self.path / LOCK_FILE
        while True:
            handle = path.open("a+", encoding="utf-8")
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.seek(0)
                holder = handle.read().strip() or "?"
                handle.close()
                raise InputFileError(
                    f"{self.path}: in use by another graphnas process (pid {holder})"
                ) from None
            # The holder before us may have removed the file after we opened it: lock the file
            # that is at `path` now.
            if path.exists() and os.path.samestat(os.fstat(handle.fileno()), path.stat()):
                break
            handle.close()
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(f"{os.getpid()}\n")
            handle.flush()
            yield
        finally:
            path.unlink(missing_ok=True)
            handle.close()

    def open_ledger(self, valid_bytes: int | None = None) -> LedgerWriter:
        """The ledger for appending; `valid_bytes` first cuts off anything after that length
        (the torn last line of a killed run)."""
        return LedgerWriter(self.ledger, valid_bytes)

    def write_summary(self, summary: Mapping[str, Any]) -> None:
        write_json_atomic(self.summary, summary)

    def read_ledger(self) -> Iterator[dict[str, Any]]:
        """The ledger's entries in order (a torn last line from a crash is skipped)."""
        yield from read_jsonl(self.ledger)


class LedgerWriter:
    """Appends one JSON line per entry, flushed and fsynced."""

    def __init__(self, path: Path, valid_bytes: int | None = None) -> None:
        if valid_bytes is not None and path.exists() and path.stat().st_size > valid_bytes:
            with path.open("r+b") as handle:
                handle.truncate(valid_bytes)
                handle.flush()
                os.fsync(handle.fileno())
        self._handle = path.open("a", encoding="utf-8")

    def append(self, entry: Mapping[str, Any]) -> None:
        self._handle.write(dumps_line(entry) + "\n")
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def close(self) -> None:
        self._handle.close()


def dumps_line(data: Any) -> str:
    """Compact JSON with non-finite floats as null and numpy scalars as Python numbers."""
    try:  # fast path: plain data needs no copy
        return json.dumps(data, separators=(",", ":"), allow_nan=False, default=_plain)
    except ValueError:  # a NaN or infinity somewhere
        return json.dumps(json_safe(data), separators=(",", ":"), allow_nan=False)


def _plain(value: Any) -> Any:
    """json.dumps fallback for numpy scalars/arrays and other objects."""
    safe = json_safe(value)
    if safe is value:
        raise TypeError(f"cannot write {type(value).__name__} as JSON")
    return safe


def json_safe(value: Any) -> Any:
    """`value` with non-finite floats replaced by None and numpy types made plain."""
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    tolist = getattr(value, "tolist", None)  # numpy scalars and arrays
    if callable(tolist):
        return json_safe(tolist())
    return str(value)


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON to a temp file in the same folder, fsync it, then rename it over `path`."""
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        json.dump(json_safe(data), handle, indent=2, allow_nan=False)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    tmp.replace(path)


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """Entries of a JSON-lines file; a malformed line other than a torn last one is an error."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise InputFileError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"{path}: cannot read: {exc}") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as exc:
            if number == len(lines):
                return  # a line torn by a crash mid-write
            raise InputFileError(f"{path}: line {number} is not valid JSON ({exc.msg})") from None
        except (ValueError, RecursionError) as exc:  # a 5,000-digit number, deep nesting
            reason = str(exc).split(":")[0] if isinstance(exc, ValueError) else "nested too deeply"
            raise InputFileError(f"{path}: line {number} is not valid JSON ({reason})") from None
        if not isinstance(entry, dict):
            raise InputFileError(f"{path}: line {number} is not a JSON object")
        yield entry


def scan_jsonl(path: Path) -> tuple[list[tuple[int, dict[str, Any]]], int]:
    """Strict reading of an append-only JSON-lines file: (line number, entry) for every complete
    line, and the byte length of those lines. An unterminated last line is a write torn by a kill
    and lies beyond that length; any other malformed line is an InputFileError."""
    try:
        data = path.read_bytes()
    except (OSError, ValueError) as exc:
        raise InputFileError(f"{path}: cannot read: {exc}") from None
    valid_bytes = data.rfind(b"\n") + 1
    entries = []
    for number, raw in enumerate(data[:valid_bytes].split(b"\n")[:-1], start=1):
        if not raw.strip():
            raise InputFileError(f"{path}: line {number} is empty")
        try:
            entry = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise InputFileError(f"{path}: line {number} is not UTF-8 text") from None
        except json.JSONDecodeError as exc:
            raise InputFileError(f"{path}: line {number} is not valid JSON ({exc.msg})") from None
        except (ValueError, RecursionError) as exc:
            reason = str(exc).split(":")[0] if isinstance(exc, ValueError) else "nested too deeply"
            raise InputFileError(f"{path}: line {number} is not valid JSON ({reason})") from None
        if not isinstance(entry, dict):
            raise InputFileError(f"{path}: line {number} is not a JSON object")
        entries.append((number, entry))
    return entries, valid_bytes
