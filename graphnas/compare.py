"""Strategies side by side: every strategy x seed on one experiment, under the identical loop.

`graphnas compare --config FILE --strategies graphpnas,random,evolution --seeds 10` runs each
(strategy, seed) as an ordinary search (its own run directory under OUT/runs/) in a process pool,
then writes to OUT:
- `table.md`: per strategy, mean ± std over seeds of the chosen architecture's test metric (the
  metric of the best-by-reward architecture so far) at the budget and at intermediate budgets,
  how many seeds chose the best-by-reward architecture of the whole space (when the evaluator
  knows it: the NB201 table does), and the median search overhead per query;
- `anytime.png`: that metric against the number of queries, mean with a ±1 std band per strategy;
- `compare.json`: the table plus every run's summary and anytime curve.

A strategy is written `name` or `name:key=value:key=value` (values are YAML), e.g.
`evolution:population_size=10:sample_size=3`. A strategy named like the config's own strategy
starts from the config's params.
"""

from __future__ import annotations

import itertools
import math
import re
import statistics
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from graphnas.config import ComponentConfig, SearchConfig, TrackingConfig
from graphnas.errors import ConfigError
from graphnas.runfiles import read_jsonl, write_json_atomic
from graphnas.safe_yaml import load_yaml

DEFAULT_METRIC = "test_accuracy"


@dataclass(frozen=True)
class StrategySpec:
    """One compared strategy: its label (as written), registered name and params."""

    label: str
    name: str
    params: dict[str, Any] = field(default_factory=dict, hash=False)


def parse_strategies(text: str) -> list[StrategySpec]:
    """`a,b:key=value:key=value` -> specs; duplicate labels or malformed items are errors."""
    specs = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            raise ConfigError(f"--strategies {text!r}: empty strategy name")
        name, *pairs = item.split(":")
        params: dict[str, Any] = {}
        for pair in pairs:
            key, sep, value = pair.partition("=")
            if not sep or not key.strip():
                raise ConfigError(f"--strategies: {item!r}: expected name:key=value")
            params[key.strip()] = load_yaml(value, f"--strategies {item!r}")
        specs.append(StrategySpec(item, name.strip(), params))
    labels = [s.label for s in specs]
    if len(set(labels)) != len(labels):
        raise ConfigError(f"--strategies {text!r}: a strategy is listed twice")
    return specs


def run_config(base: SearchConfig, spec: StrategySpec, seed: int, out: Path) -> SearchConfig:
    """The search config of one (strategy, seed) run: quiet, untracked, in its own folder."""
    params = dict(base.strategy.params) if spec.name == base.strategy.name else {}
    params.update(spec.params)
    folder = out / "runs" / f"{_slug(spec.label)}-seed{seed}"
    return replace(
        base,
        strategy=ComponentConfig(spec.name, params),
        seed=seed,
        out=str(folder),
        progress=False,
        tracking=TrackingConfig(backends=[]),
    )


def _slug(label: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", label).strip("_")


@dataclass
class RunRecord:
    """One finished run: `anytime[q-1]` is the metric of the best-by-reward architecture among
    the first q queries (None before the first success); `overhead_s` the median time between
    consecutive ledger lines (one query each, evaluation included)."""

    label: str
    seed: int
    summary: dict[str, Any]
    anytime: list[float | None]
    overhead_s: float | None
    found_optimum: bool | None = None


def run_one(config: SearchConfig, label: str, metric: str) -> RunRecord:
    """Run one search in this process (single-threaded torch: runs are parallel processes)."""
    import torch

    from graphnas.search import run_search

    torch.set_num_threads(1)
    summary = run_search(config)
    entries = list(read_jsonl(Path(str(config.out)) / "ledger.jsonl"))
    return RunRecord(
        label, config.seed, summary, anytime_metric(entries, metric), median_gap(entries)
    )


def anytime_metric(entries: Sequence[dict[str, Any]], metric: str) -> list[float | None]:
    """Per query: `metric` of the best-reward successful entry so far (earliest wins ties)."""
    best_reward, best_value = -math.inf, None
    curve: list[float | None] = []
    for entry in entries:
        reward = entry.get("reward")
        if entry.get("status") == "ok" and reward is not None and reward > best_reward:
            best_reward = reward
            best_value = (entry.get("metrics") or {}).get(metric)
        curve.append(best_value)
    return curve


def median_gap(entries: Sequence[dict[str, Any]]) -> float | None:
    times = [float(e["elapsed_s"]) for e in entries if "elapsed_s" in e]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    return statistics.median(gaps) if gaps else None


def space_optimum(config: SearchConfig) -> dict[str, Any] | None:
    """The best-by-reward architecture of the whole space, when the evaluator can say (the NB201
    table can): {hash, reward, code}; None otherwise."""
    if config.evaluator.name.replace("-", "_") != "nb201_table":
        return None
    import numpy as np

    from graphnas.evaluators import EVALUATORS
    from graphnas.spaces import load_space

    space = load_space(config.space)
    evaluator = EVALUATORS.build(config.evaluator.name, config.evaluator.params, {"space": space})
    rewards = evaluator.table.columns[f"val_{evaluator.dataset}"]
    row = int(np.argmax(rewards))
    arch = space.decode(evaluator.table.arch_str(row))
    result = evaluator.evaluate([arch])[0]
    return {"hash": space.canonical_hash(arch), "reward": result.reward, "code": space.encode(arch)}


@dataclass
class Comparison:
    """All runs of a comparison and the summary table built from them."""

    specs: list[StrategySpec]
    seeds: list[int]
    metric: str
    budget: int | None
    records: list[RunRecord]
    optimum: dict[str, Any] | None

    def runs_of(self, label: str) -> list[RunRecord]:
        return [r for r in self.records if r.label == label]

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
            row: dict[str, Any] = {"strategy": spec.label, "runs": len(runs)}
            for q in self.checkpoints():
                row[f"at_{q}"] = _mean_std([_at(r.anytime, q) for r in runs])
            if self.optimum is not None:
                row["found_optimum"] = sum(bool(r.found_optimum) for r in runs)
            overheads = [r.overhead_s for r in runs if r.overhead_s is not None]
            row["overhead_s"] = statistics.median(overheads) if overheads else None
            row["wall_s"] = statistics.mean(float(r.summary.get("wall_s") or 0) for r in runs)
            rows.append(row)
        return rows

    def markdown(self) -> str:
        points = self.checkpoints()
        head = ["strategy"] + [f"{self.metric} @ {q}" for q in points]
        if self.optimum is not None:
            head.append("found best-by-reward")
        head += ["median overhead s/query", "mean wall s"]
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for row in self.rows():
            cells = [row["strategy"]] + [_fmt_mean_std(row[f"at_{q}"]) for q in points]
            if self.optimum is not None:
                cells.append(f"{row['found_optimum']}/{row['runs']}")
            overhead = row["overhead_s"]
            cells.append("-" if overhead is None else f"{overhead:.4f}")
            cells.append(f"{row['wall_s']:.1f}")
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
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
                    "found_optimum": r.found_optimum,
                    "overhead_s": r.overhead_s,
                    "anytime": r.anytime,
                    "summary": r.summary,
                }
                for r in self.records
            ],
        }

    def write(self, out: Path) -> dict[str, Path]:
        """Write table.md, compare.json and anytime.png into `out`; return their paths."""
        paths = {
            "table": out / "table.md",
            "json": out / "compare.json",
            "plot": out / "anytime.png",
        }
        paths["table"].write_text(self.markdown(), encoding="utf-8")
        write_json_atomic(paths["json"], self.to_dict())
        self.plot(paths["plot"])
        return paths

    def plot(self, path: Path) -> None:
        """Anytime curves: mean over seeds with a ±1 std band, one line per strategy."""
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
            ax.set_title(f"best-by-reward in the space: {self.optimum['code']}", fontsize=7)
        ax.set_xlabel("queries (unique evaluations)")
        ax.set_ylabel(f"{self.metric} of the best-by-reward architecture")
        ax.grid(alpha=0.3)
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


def run_comparison(
    base: SearchConfig,
    specs: Sequence[StrategySpec],
    seeds: Sequence[int],
    out: str | Path,
    jobs: int = 2,
    metric: str = DEFAULT_METRIC,
) -> Comparison:
    """Run every (strategy, seed) and gather the results (runs in a pool of `jobs` processes)."""
    from graphnas.strategies import STRATEGIES

    base.check()
    if not specs:
        raise ConfigError("--strategies: name at least one strategy")
    for spec in specs:
        STRATEGIES.get(spec.name)  # unknown names fail before anything runs
    out = Path(out)
    if (out / "runs").exists() and any((out / "runs").iterdir()):
        raise ConfigError(f"--out: {out} already holds a comparison; choose another folder")
    out.mkdir(parents=True, exist_ok=True)
    configs = [(run_config(base, spec, seed, out), spec.label) for spec in specs for seed in seeds]
    if jobs <= 1:
        records = [run_one(config, label, metric) for config, label in configs]
    else:
        with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn")) as executor:
            futures = [executor.submit(run_one, config, label, metric) for config, label in configs]
            records = [future.result() for future in futures]
    optimum = space_optimum(base)
    if optimum is not None:
        for record in records:
            best = record.summary.get("best") or {}
            record.found_optimum = best.get("hash") == optimum["hash"]
    return Comparison(list(specs), list(seeds), metric, base.budget.queries, records, optimum)


def seeds_from(text: str) -> list[int]:
    """`10` -> seeds 0..9; `3,5,8` -> those seeds."""
    try:
        seeds = [int(p) for p in text.split(",")] if "," in text else list(range(int(text)))
    except ValueError:
        raise ConfigError(f"--seeds {text!r}: expected a count (10) or a list (0,3,7)") from None
    if not seeds or any(s < 0 for s in seeds) or len(set(seeds)) != len(seeds):
        raise ConfigError(f"--seeds {text!r}: need at least one distinct non-negative seed")
    return seeds
