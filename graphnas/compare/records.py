"""One run of a comparison as read back from its run directory: status, summary, anytime curve."""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from graphnas.runfiles import LEDGER_FILE, SUMMARY_FILE, read_jsonl, read_summary_file

RunStatus = Literal["finished", "interrupted", "not started"]


@dataclass
class RunRecord:
    """One (strategy, seed) run. `anytime[q-1]` is the reported metric (None: the reward) of the
    best-by-reward architecture among the first q queries (None before the first success);
    `overhead_s` the median time between consecutive ledger lines (one query each, evaluation
    included); `status` says whether it ran to its end; `note` why not (e.g. the signal)."""

    label: str
    seed: int
    summary: dict[str, Any] = field(default_factory=dict)
    anytime: list[float | None] = field(default_factory=list)
    overhead_s: float | None = None
    status: RunStatus = "finished"
    note: str | None = None
    found_optimum: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunRecord:
        return cls(**data)


def interrupted(summary: dict[str, Any]) -> bool:
    """Whether a run's summary says a signal (or a kill) stopped it before its end."""
    return str(summary.get("stopped") or "").startswith("interrupted")


def record_of(folder: Path, label: str, seed: int, metric: str | None) -> RunRecord:
    """The record of the run in `folder` (its summary.json and ledger.jsonl)."""
    summary = read_summary(folder / SUMMARY_FILE)
    ledger = folder / LEDGER_FILE
    entries = list(read_jsonl(ledger)) if ledger.exists() else []
    status: RunStatus = "interrupted" if interrupted(summary) else "finished"
    note = summary.get("stopped") if status == "interrupted" else None
    return RunRecord(
        label, seed, summary, anytime_metric(entries, metric), median_gap(entries), status, note
    )


def read_summary(path: Path) -> dict[str, Any]:
    """A run's summary.json ({} when it has none yet); a damaged one is one line naming it."""
    return read_summary_file(path) or {}


def anytime_metric(entries: Sequence[dict[str, Any]], metric: str | None) -> list[float | None]:
    """Per query: `metric` (None: the reward) of the best-reward successful entry so far
    (earliest wins ties)."""
    best_reward, best_value = -math.inf, None
    curve: list[float | None] = []
    for entry in entries:
        reward = entry.get("reward")
        if entry.get("status") == "ok" and reward is not None and reward > best_reward:
            best_reward = reward
            best_value = reward if metric is None else (entry.get("metrics") or {}).get(metric)
        curve.append(best_value)
    return curve


def median_gap(entries: Sequence[dict[str, Any]]) -> float | None:
    times = [float(e["elapsed_s"]) for e in entries if "elapsed_s" in e]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    return statistics.median(gaps) if gaps else None
