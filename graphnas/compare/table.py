"""The comparison's report: table.md, compare.json and anytime.png from the runs' records.

Numbers are named as the evaluator names them: the reported value is `metric` (default: the
evaluator's `report_metric`, else its reward, labelled with its `reward_name`), and "found
optimum" counts the runs whose best architecture is the evaluator's `optimum()` (shown only when
the evaluator knows its optimum, as tables do). Means and stds are over the runs that finished;
interrupted and never started runs are counted apart and listed under the table.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphnas.compare.records import RunRecord
from graphnas.compare.specs import StrategySpec
from graphnas.runfiles import write_json_atomic


@dataclass
class Comparison:
    """All runs of a comparison and the summary table built from them. `interrupted_by`: the
    signal that stopped the comparison (None: it ran to its end)."""

    specs: list[StrategySpec]
    seeds: list[int]
    metric: str | None
    reward_name: str
    budget: int | None
    records: list[RunRecord]
    optimum: dict[str, Any] | None
    interrupted_by: str | None = None

    @property
    def value_name(self) -> str:
        """The name of the reported value: the metric, or the evaluator's reward name."""
        return self.metric or self.reward_name

    def runs_of(self, label: str, finished_only: bool = True) -> list[RunRecord]:
        return [
            r
            for r in self.records
            if r.label == label and (r.status == "finished" or not finished_only)
        ]

    def unfinished(self) -> list[RunRecord]:
        return [r for r in self.records if r.status != "finished"]

    def checkpoints(self) -> list[int]:
        """Query counts the table reports: quarters of the budget (or of the longest run)."""
        longest = max((len(r.anytime) for r in self.records), default=0)
        total = self.budget or longest
        points = sorted({max(1, round(total * f / 4)) for f in (1, 2, 3, 4)})
        return [p for p in points if p <= max(longest, 1)]

    def rows(self) -> list[dict[str, Any]]:
        rows = []
        for spec in self.specs:
            runs = self.runs_of(spec.label)
            row: dict[str, Any] = {
                "strategy": spec.label,
                "runs": len(runs),
                "planned": len(self.runs_of(spec.label, finished_only=False)),
            }
            for q in self.checkpoints():
                row[f"at_{q}"] = _mean_std([_at(r.anytime, q) for r in runs])
            if self.optimum is not None:
                row["found_optimum"] = sum(bool(r.found_optimum) for r in runs)
            overheads = [r.overhead_s for r in runs if r.overhead_s is not None]
            row["overhead_s"] = statistics.median(overheads) if overheads else None
            walls = [float(r.summary.get("wall_s") or 0) for r in runs]
            row["wall_s"] = statistics.mean(walls) if walls else None
            rows.append(row)
        return rows

    def markdown(self) -> str:
        points = self.checkpoints()
        head = ["strategy", "runs"] + [f"{self.value_name} @ {q}" for q in points]
        if self.optimum is not None:
            head.append("found optimum")
        head += ["median overhead s/query", "mean wall s"]
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for row in self.rows():
            cells = [row["strategy"], f"{row['runs']}/{row['planned']}"]
            cells += [_fmt_mean_std(row[f"at_{q}"]) for q in points]
            if self.optimum is not None:
                cells.append(f"{row['found_optimum']}/{row['runs']}")
            overhead, wall = row["overhead_s"], row["wall_s"]
            cells.append("-" if overhead is None else f"{overhead:.4f}")
            cells.append("-" if wall is None else f"{wall:.1f}")
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines + self.notes()) + "\n"

    def notes(self) -> list[str]:
        """Lines under the table: the optimum, and every run that did not finish."""
        notes = []
        if self.optimum is not None:
            notes.append(f"\nOptimum of the evaluator: {self.optimum['code']}")
        unfinished = self.unfinished()
        if self.interrupted_by is not None or unfinished:
            stop = f"by {self.interrupted_by}" if self.interrupted_by else "in part"
            notes.append(
                f"\n**Interrupted {stop}**: {len(unfinished)} of {len(self.records)} runs did not "
                "finish and are left out of the table (continue with `graphnas compare ... "
                "--resume`):"
            )
            notes += [f"- {r.label} seed {r.seed}: {r.note or r.status}" for r in unfinished]
        return notes

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": "finished" if self.interrupted_by is None else "interrupted",
            "interrupted_by": self.interrupted_by,
            "metric": self.value_name,
            "reward_name": self.reward_name,
            "budget": self.budget,
            "seeds": self.seeds,
            "optimum": self.optimum,
            "strategies": [
                {"label": s.label, "name": s.name, "params": s.params} for s in self.specs
            ],
            "table": self.rows(),
            "runs": [
                {
                    "strategy": r.label,
                    "seed": r.seed,
                    "status": r.status,
                    "note": r.note,
                    "found_optimum": r.found_optimum,
                    "overhead_s": r.overhead_s,
                    "anytime": r.anytime,
                    "summary": r.summary,
                }
                for r in self.records
            ],
        }

    def write(self, out: Path) -> dict[str, Path]:
        """Write table.md, compare.json, anytime.png and (where the runs record costs)
        pareto_<metric>.svg into `out`; return their paths ("pareto_<metric>" for the latter)."""
        from graphnas.compare.pareto import pareto_notes, write_pareto

        paths = {
            "table": out / "table.md",
            "json": out / "compare.json",
            "plot": out / "anytime.png",
        }
        pareto_paths, front_sets = write_pareto(self, out)
        notes = pareto_notes(pareto_paths, front_sets)
        paths["table"].write_text(self.markdown() + "".join(n + "\n" for n in notes), "utf-8")
        write_json_atomic(paths["json"], {**self.to_dict(), "pareto": front_sets})
        self.plot(paths["plot"])
        paths.update({f"pareto_{metric}": path for metric, path in pareto_paths.items()})
        return paths

    def plot(self, path: Path) -> None:
        """Anytime curves: mean over finished seeds with a ±1 std band, one line per strategy."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import numpy as np

        fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
        for spec in self.specs:
            curves = [r.anytime for r in self.runs_of(spec.label)]
            length = max((len(c) for c in curves), default=0)
            if not length:
                continue
            values = np.array([[_at(c, q) for q in range(1, length + 1)] for c in curves], float)
            mean = np.nanmean(values, axis=0) if np.isfinite(values).any() else values[0]
            std = np.nanstd(values, axis=0)
            queries = np.arange(1, length + 1)
            ax.plot(queries, mean, label=spec.label)
            ax.fill_between(queries, mean - std, mean + std, alpha=0.2)
        if self.optimum is not None:
            ax.set_title(f"optimum of the evaluator: {self.optimum['code']}", fontsize=7)
        ax.set_xlabel("queries (unique evaluations)")
        ax.set_ylabel(f"{self.value_name} of the best-by-{self.reward_name} architecture")
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(path)
        plt.close(fig)


def _at(curve: Sequence[float | None], q: int) -> float:
    """The curve's value after q queries (its last value if the run stopped earlier)."""
    if not curve:
        return math.nan
    value = curve[min(q, len(curve)) - 1]
    return math.nan if value is None else float(value)


def _mean_std(values: Sequence[float]) -> tuple[float, float, int]:
    ok = [v for v in values if math.isfinite(v)]
    if not ok:
        return (math.nan, math.nan, 0)
    std = statistics.stdev(ok) if len(ok) > 1 else 0.0
    return (statistics.mean(ok), std, len(ok))


def _fmt_mean_std(value: tuple[float, float, int]) -> str:
    mean, std, count = value
    return "-" if count == 0 else f"{mean:.3f} ± {std:.3f}"
