"""Search overhead per query: what a search step costs besides the evaluator, median over a run.

    .venv/bin/python benchmarks/search_overhead.py [--queries 100] [--randwire-queries 30] \
        [--json PATH]

Each step of the loop (ask -> hash/dedupe -> evaluate -> tell) is timed from one `ask` to the next;
the evaluator's own time is subtracted. Two settings:
- NB201 (table lookup) with the strategies of `experiments/nb201.yaml` (GraphPNAS as configured
  there), random search and evolution, `--queries` queries;
- the RandWire small regime (three 32-node stages, generated side by side) with GraphPNAS, whose
  evaluator is a zero-cost stand-in (reward = closeness of the mean degree to 5), so that the
  figure is the search's own cost.
Goals (issue 4): under 0.2 s per NB201 query and under 2 s per 32-node RandWire query; the
original code spends about 7-8 s and about 70 s (it refits a fresh generator every query).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import torch
from record import add_json_option, write_record

from graphnas.config import BudgetConfig, load_search_config
from graphnas.evaluators import EVALUATORS
from graphnas.evaluators.base import EvalResult
from graphnas.evaluators.pool import SerialPool
from graphnas.search import SearchLoop
from graphnas.seeding import component_seed
from graphnas.spaces import load_space
from graphnas.strategies import STRATEGIES

ROOT = Path(__file__).resolve().parents[1]


class Timed:
    """Wraps a strategy and an evaluator; records when each ask starts and how long evals take."""

    def __init__(self, strategy, evaluator) -> None:
        self.strategy, self.evaluator = strategy, evaluator
        self.ask_starts: list[float] = []
        self.eval_seconds: list[float] = []

    def ask(self, n):
        self.ask_starts.append(time.perf_counter())
        self.eval_seconds.append(0.0)
        return self.strategy.ask(n)

    def tell(self, archs, results, hashes=None):
        self.strategy.tell(archs, results, hashes)

    def state_dict(self):
        return self.strategy.state_dict()

    def load_state_dict(self, state):
        self.strategy.load_state_dict(state)

    def metrics(self):
        return self.strategy.metrics()

    def search_cost_s(self):
        return self.strategy.search_cost_s()

    def evaluate(self, archs):
        start = time.perf_counter()
        results = self.evaluator.evaluate(archs)
        self.eval_seconds[-1] += time.perf_counter() - start
        return results

    def overheads(self, end: float) -> list[float]:
        bounds = [*self.ask_starts, end]
        return [b - a - e for a, b, e in zip(bounds, bounds[1:], self.eval_seconds, strict=False)]


class DegreeReward:
    """Zero-cost stand-in evaluator for RandWire: prefers a mean degree of 5."""

    def evaluate(self, archs):
        return [EvalResult(-abs(2 * a.num_edges / max(a.num_nodes, 1) - 5.0)) for a in archs]


def measure(space, name: str, params: dict, evaluator, queries: int, seed: int = 0) -> dict:
    strategy = STRATEGIES.build(
        name,
        params,
        {"space": space, "seed": component_seed(seed, "strategy"), "device": torch.device("cpu")},
    )
    timed = Timed(strategy, evaluator)
    loop = SearchLoop(space, timed, SerialPool(timed), BudgetConfig(queries=queries), seed=seed)
    summary = loop.run()
    overheads = timed.overheads(time.perf_counter())
    return {
        "strategy": name,
        "queries": summary["queries"],
        "median_s": statistics.median(overheads),
        "p90_s": sorted(overheads)[int(0.9 * (len(overheads) - 1))],
        "total_s": sum(overheads),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--randwire-queries", type=int, default=30)
    parser.add_argument("--threads", type=int, default=1)
    add_json_option(parser)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    config = load_search_config(ROOT / "experiments" / "nb201.yaml")
    nb201 = load_space(config.space)
    table = EVALUATORS.build(config.evaluator.name, config.evaluator.params, {"space": nb201})
    rows = []
    for name, params in (
        (config.strategy.name, dict(config.strategy.params)),
        ("random", {}),
        ("evolution", {"population_size": 10, "sample_size": 3}),
    ):
        rows.append(("nb201", measure(nb201, name, params, table, args.queries)))
    randwire = load_space("randwire_small")
    rows.append(
        ("randwire 3x32", measure(randwire, "graphpnas", {}, DegreeReward(), args.randwire_queries))
    )
    lines = [
        f"torch {torch.__version__}, {torch.get_num_threads()} thread(s)",
        "",
        "| space | strategy | queries | median overhead s/query | p90 s | total s |",
        "|---|---|---|---|---|---|",
    ]
    for label, row in rows:
        lines.append(
            f"| {label} | {row['strategy']} | {row['queries']} | {row['median_s']:.4f} | "
            f"{row['p90_s']:.4f} | {row['total_s']:.1f} |"
        )
    lines.append(
        "\nGoals: under 0.2 s per NB201 query, under 2 s per 32-node RandWire query (the first "
        "row is the recipe's default strategy, surrogate-ranked proposals included)."
    )
    write_record(
        args.json,
        "search_overhead",
        "\n".join(lines),
        [{"space": label, **row} for label, row in rows],
    )


if __name__ == "__main__":
    main()
