"""What a search reports: the scalars of each step, the run's summary (summary.json), and at the
end of the run the ledger as one table (a row per query) before the trackers are finished."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from graphnas.evaluators.base import EvalResult
from graphnas.graph import ArchGraph
from graphnas.spaces import SearchSpace
from graphnas.strategies.base import Strategy
from graphnas.tracking import MediaTracker, Tracker, TrackerGroup

if TYPE_CHECKING:
    from graphnas.search.loop import SearchLoop

LEDGER_TABLE = "ledger"
# The ledger table's fixed columns; each metric the evaluators reported follows as its own column.
LEDGER_COLUMNS = ("query", "step", "hash", "code", "reward", "status", "cost_s")


def step_metrics(loop: SearchLoop, new_results: Sequence[EvalResult]) -> dict[str, float]:
    """The scalars of the step just done: counts, best and step reward, the cost spent under a
    seconds budget, and the strategy's own metrics as strategy/<key>."""
    counters = loop.counters
    metrics: dict[str, float] = {"queries": counters.queries, "failed": counters.failed}
    if counters.best is not None:
        metrics["best_reward"] = counters.best["reward"]
    step_rewards = [r.reward for r in new_results if r.ok]
    if step_rewards:
        metrics["reward"] = max(step_rewards)
    if loop.budget.seconds is not None:
        metrics["cost_s"] = counters.cost_s
    if isinstance(loop.strategy, Strategy):
        metrics.update({f"strategy/{k}": float(v) for k, v in loop.strategy.metrics().items()})
    return metrics


def run_summary(loop: SearchLoop) -> dict[str, Any]:
    """What summary.json holds: the run's info, best, counts, timings, the per-step best curve."""
    c, timing = loop.counters, loop.timing
    overhead = timing["wall_s"] - timing["eval_wall_s"]
    return {
        **loop.info,
        "best": c.best,
        "queries": c.queries,
        "failed": c.failed,
        "duplicates": c.duplicates,
        "steps": c.step,
        "cost_s": c.cost_s,
        "wall_s": timing["wall_s"],
        "eval_wall_s": timing["eval_wall_s"],
        "strategy_wall_s": timing["strategy_wall_s"],
        "overhead_s_per_query": overhead / c.queries if c.queries else None,
        "stopped": loop.stopped,
        "run_dir": str(loop.run_dir.path) if loop.run_dir else None,
        "curve": c.curve,
    }


def ledger_table(
    space: SearchSpace, lines: Iterable[Mapping[str, Any]]
) -> tuple[list[str], list[list[Any]]]:
    """(columns, rows) of the ledger: `LEDGER_COLUMNS`, then every metric name in the order first
    reported. `code` is the space's code of the line's architecture (None for an invalid one);
    a metric a line lacks is None, one that is not a scalar is its JSON text."""
    lines = list(lines)
    names: dict[str, None] = {}
    for line in lines:
        names.update(dict.fromkeys(k for k in line.get("metrics") or {} if k not in LEDGER_COLUMNS))
    rows = []
    for line in lines:
        metrics = line.get("metrics") or {}
        fixed = [line.get(key) for key in LEDGER_COLUMNS]
        fixed[LEDGER_COLUMNS.index("code")] = _code(space, line)
        rows.append(fixed + [_cell(metrics.get(name)) for name in names])
    return [*LEDGER_COLUMNS, *names], rows


def finish_tracking(loop: SearchLoop, summary: Mapping[str, Any]) -> None:
    """End of a run: the ledger table to every media tracker (wandb), then finish all trackers."""
    tracker: Tracker = loop.tracker
    media = isinstance(tracker, TrackerGroup) and any(
        isinstance(t, MediaTracker) for t in tracker.trackers
    )
    if media and loop.run_dir is not None and loop.run_dir.ledger.exists():
        columns, rows = ledger_table(loop.space, loop.run_dir.read_ledger())
        tracker.log_table(LEDGER_TABLE, columns, rows)
    tracker.finish(summary)


def _code(space: SearchSpace, line: Mapping[str, Any]) -> str | None:
    if str(line.get("hash", "")).startswith("invalid:") or not line.get("arch"):
        return None
    return space.encode(ArchGraph.from_dict(line["arch"]))


def _cell(value: Any) -> Any:
    """A table cell: scalars as they are, anything else (a list of trials) as JSON text."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return json.dumps(value, sort_keys=True)
