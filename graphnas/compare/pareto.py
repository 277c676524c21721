"""The comparison's Pareto fronts: reward against each recorded cost metric, per strategy.

Each strategy's points are every successful evaluation of its finished runs (all seeds pooled),
read from the runs' ledgers; a cost metric (`cost/params`, `cost/flops`, `cost/latency_ms`) is
drawn when some ledger records it (the config's constraints or objective ask for it). The front
of a strategy is its non-dominated set (max reward, min cost), as in `graphnas.export.pareto`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from graphnas.compare.plan import run_folder
from graphnas.errors import InputFileError
from graphnas.export.pareto import COST_KEYS, cost_points, front_points, pareto_plots

if TYPE_CHECKING:
    from graphnas.compare.table import Comparison


def strategy_records(comparison: Comparison, out: Path) -> dict[str, list[Any]]:
    """Strategy label -> the ledger records (ArchRecord) of its finished runs in `out`."""
    from graphnas.export.sources import load_source

    series: dict[str, list[Any]] = {}
    for spec in comparison.specs:
        records: list[Any] = []
        for run in comparison.runs_of(spec.label):
            try:
                records += load_source(run_folder(out, run.label, run.seed)).records
            except InputFileError:  # a run that evaluated nothing has no points
                continue
        series[spec.label] = records
    return series


def fronts(series: dict[str, list[Any]]) -> dict[str, dict[str, list[list[float]]]]:
    """Cost metric -> strategy -> its front as [cost, reward] pairs by increasing cost (only the
    metrics and strategies that have points)."""
    result: dict[str, dict[str, list[list[float]]]] = {}
    for key in COST_KEYS:
        per_strategy = {
            label: [list(p) for p in front_points(points)]
            for label, records in series.items()
            if (points := cost_points(records, key))
        }
        if per_strategy:
            result[key.split("/", 1)[1]] = per_strategy
    return result


def write_pareto(comparison: Comparison, out: Path) -> tuple[dict[str, Path], dict[str, Any]]:
    """Write pareto_<metric>.svg into `out` for each recorded cost metric; return the paths by
    metric and the fronts (as `fronts` gives them)."""
    series = strategy_records(comparison, out)
    paths = {}
    for metric, svg in pareto_plots(series, reward_label=comparison.reward_name).items():
        paths[metric] = out / f"pareto_{metric}.svg"
        paths[metric].write_bytes(svg)
    return paths, fronts(series)


def pareto_notes(paths: dict[str, Path], front_sets: dict[str, Any]) -> list[str]:
    """Lines for table.md: per cost metric, its plot file and each strategy's front size."""
    lines = []
    for metric, path in paths.items():
        sizes = ", ".join(f"{label} {len(f)}" for label, f in front_sets[metric].items())
        lines.append(f"- reward vs {metric}: `{path.name}` (points on the front: {sizes})")
    return ["\nPareto fronts (all seeds pooled):", *lines] if lines else []
