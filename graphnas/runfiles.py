"""The files of a run directory, by name, and the JSON / JSON-lines reading and writing of them.

A leaf module (it depends on nothing but `graphnas.errors`), so that readers of finished runs
(export, compare, sampling) need not import the search itself. The run directory's writer and
lock are `graphnas.search.rundir.RunDir`; the ledger's line schema is `graphnas.search.ledger`.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO

from graphnas.errors import InputFileError

CONFIG_FILE = "config.yaml"
LEDGER_FILE = "ledger.jsonl"
SUMMARY_FILE = "summary.json"
CHECKPOINT_FILE = "checkpoint.pt"
LOCK_FILE = ".graphnas.lock"


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


def write_file_atomic(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """Write `path` through `write(handle)` into a temp file beside it, fsync it, then rename it
    over `path`. On any failure the temp file is removed and `path` is untouched."""
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            write(out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON to a temp file in the same folder, fsync it, then rename it over `path`.

    On any failure (a full disk, a signal) the temp file is removed and `path` is untouched."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with tmp.open("w", encoding="utf-8") as handle:
            json.dump(json_safe(data), handle, indent=2, allow_nan=False)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def read_summary_file(path: Path) -> dict[str, Any] | None:
    """A run's summary.json at `path` (None when it has none yet); a damaged one is one line
    naming it."""
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputFileError(f"{path}: cannot read the run's summary ({exc})") from None
    if not isinstance(data, dict):
        raise InputFileError(f"{path}: not a JSON object")
    return data


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
            reason = _reason(exc)
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
            reason = _reason(exc)
            raise InputFileError(f"{path}: line {number} is not valid JSON ({reason})") from None
        if not isinstance(entry, dict):
            raise InputFileError(f"{path}: line {number} is not a JSON object")
        entries.append((number, entry))
    return entries, valid_bytes


def _reason(exc: BaseException) -> str:
    return str(exc).split(":")[0] if isinstance(exc, ValueError) else "nested too deeply"
