"""What `graphnas export` reads: one architecture (JSON, GraphML or DOT), a JSONL of many (from
`graphnas sample`, or any ledger), or a run directory (ledger.jsonl, summary.json, config.yaml)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from graphnas.errors import InputFileError
from graphnas.graph import ArchGraph
from graphnas.runfiles import CONFIG_FILE, LEDGER_FILE, SUMMARY_FILE, read_jsonl

SourceKind = Literal["arch", "archs", "run"]


@dataclass(frozen=True)
class ArchRecord:
    """One architecture with what is known about it (reward and metrics when evaluated)."""

    arch: ArchGraph
    name: str
    reward: float | None = None
    metrics: Mapping[str, Any] = field(default_factory=dict)
    status: str = ""
    query: int | None = None
    step: int | None = None
    hash: str = ""

    @property
    def ok(self) -> bool:
        """Evaluated successfully with a finite reward."""
        return self.reward is not None and math.isfinite(self.reward) and self.status != "failed"


@dataclass
class ExportSource:
    """Everything read from the input path."""

    kind: SourceKind
    path: Path
    records: list[ArchRecord]
    summary: dict[str, Any] = field(default_factory=dict)
    config_text: str = ""

    @property
    def archs(self) -> list[ArchGraph]:
        return [r.arch for r in self.records]

    def evaluated(self) -> list[ArchRecord]:
        """Records with a finite reward, in ledger order."""
        return [r for r in self.records if r.ok]

    def top(self, k: int) -> list[ArchRecord]:
        """The k best evaluated records by reward (ties: earlier first); all records, in order,
        when nothing carries a reward."""
        evaluated = self.evaluated()
        if not evaluated:
            return self.records[:k]
        return sorted(evaluated, key=lambda r: -r.reward)[:k]  # type: ignore[operator]


def load_source(path: str | Path) -> ExportSource:
    """Read an architecture file, a JSONL of architectures or records, or a run directory."""
    path = Path(path)
    if path.is_dir():
        return _load_run(path)
    if not path.exists():
        raise InputFileError(f"{path}: no such file or directory")
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        records = _records(read_jsonl(path), path)
        if not records:
            raise InputFileError(f"{path}: holds no architectures")
        return ExportSource("archs", path, records)
    text = _read_text(path)
    if suffix == ".graphml":
        arch = ArchGraph.from_graphml(text, source=str(path))
        return ExportSource("arch", path, [ArchRecord(arch, path.stem)])
    if suffix in (".dot", ".gv"):
        arch = ArchGraph.from_dot(text, source=str(path))
        return ExportSource("arch", path, [ArchRecord(arch, path.stem)])
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as err:
        raise InputFileError(f"{path}: not valid JSON ({str(err).splitlines()[0]})") from None
    if isinstance(data, list):
        records = _records(data, path)
        if not records:
            raise InputFileError(f"{path}: holds no architectures")
        return ExportSource("archs" if len(records) > 1 else "arch", path, records)
    record = _record(data, path.stem, f"{path}")
    return ExportSource("arch", path, [record])


def _load_run(path: Path) -> ExportSource:
    ledger = path / LEDGER_FILE
    if not ledger.is_file():
        raise InputFileError(f"{path}: not a run directory (no {LEDGER_FILE})")
    records = _records(read_jsonl(ledger), ledger)
    if not records:
        raise InputFileError(f"{ledger}: holds no evaluations yet")
    summary: dict[str, Any] = {}
    summary_path = path / SUMMARY_FILE
    if summary_path.is_file():
        try:
            loaded = json.loads(_read_text(summary_path))
        except (ValueError, RecursionError) as err:
            reason = str(err).splitlines()[0] if str(err).strip() else type(err).__name__
            raise InputFileError(f"{summary_path}: not valid JSON ({reason})") from None
        summary = loaded if isinstance(loaded, dict) else {}
    config_path = path / CONFIG_FILE
    config_text = _read_text(config_path) if config_path.is_file() else ""
    return ExportSource("run", path, records, summary, config_text)


def _records(entries: Iterable[Any], path: Path) -> list[ArchRecord]:
    records = []
    for number, entry in enumerate(entries, start=1):
        records.append(_record(entry, f"#{number}", f"{path}: entry {number}"))
    return records


def _record(entry: Any, name: str, where: str) -> ArchRecord:
    """An ArchRecord from an arch dict or a ledger-style record {"arch": ..., "reward": ...}."""
    if not isinstance(entry, dict):
        raise InputFileError(f"{where}: expected a JSON object")
    if "arch" not in entry:
        return ArchRecord(_arch(entry, where), name)
    reward = entry.get("reward")
    if reward is not None and (
        isinstance(reward, bool)
        or not isinstance(reward, (int, float))
        or (isinstance(reward, int) and abs(reward) > 1e300)  # float() would overflow
    ):
        raise InputFileError(f"{where}: reward must be a number or null")
    metrics = entry.get("metrics") or {}
    if not isinstance(metrics, dict):
        raise InputFileError(f"{where}: metrics must be an object")
    query = entry.get("query")
    label = f"query {query}" if isinstance(query, int) else name
    return ArchRecord(
        _arch(entry["arch"], where),
        label,
        None if reward is None else float(reward),
        metrics,
        str(entry.get("status") or ""),
        query if isinstance(query, int) else None,
        entry.get("step") if isinstance(entry.get("step"), int) else None,
        str(entry.get("hash") or ""),
    )


def _arch(data: Any, where: str) -> ArchGraph:
    return ArchGraph.from_dict(data, source=where)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise InputFileError(f"{path}: cannot read ({err})") from None
