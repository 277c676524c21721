"""Pareto search on NAS-Bench-201: accuracy vs parameters, per strategy, by `graphnas compare`.

Every strategy runs under `objective.mode=pareto` (max the NB201 table's validation accuracy,
min the compiler's parameter count of the NB201 network, C=16 N=5): the strategy is told minus
the number of evaluated cells that dominate each new one. Per strategy and seed: the size of the
front found and its hypervolume (area dominated in the (params in M, accuracy %) plane, from the
reference point (max params over the space, 10 % = chance); the space's own front bounds it).
The plot of the fronts (all seeds pooled) with the space's true front goes to --figure.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

import numpy as np
import torch
from record import ROOT, add_json_option, write_record

from graphnas.compare import parse_strategies, run_comparison, seeds_from
from graphnas.compare.pareto import fronts, strategy_records
from graphnas.compare.plan import run_folder
from graphnas.compiler.cost_model import CostModel
from graphnas.config import load_search_config
from graphnas.evaluators import EVALUATORS
from graphnas.export.pareto import front_points, hypervolume, plot_pareto
from graphnas.export.sources import load_source
from graphnas.spaces import load_space

EXPERIMENT = ROOT / "experiments" / "nb201.yaml"
FIGURE = ROOT / "docs" / "figures" / "pareto_nb201.svg"
STRATEGIES = "random,evolution:population_size=20:sample_size=5,graphpnas:warmup=10:update.steps=2"


def space_front(samples: int) -> tuple[list[tuple[float, float]], float]:
    """The front of `samples` table cells (every cell when >= the space's 15625) in (params M,
    valid accuracy) and the largest parameter count seen (the hypervolume's reference)."""
    space = load_space("nb201")
    table = EVALUATORS.build("nb201_table", {"dataset": "cifar10"}, {"space": space})
    costs = CostModel(space, {}, None)
    rng = np.random.default_rng(0)
    archs = [space.sample_prior(rng) for _ in range(samples)]
    results = table.evaluate(archs)
    points = [
        (costs.costs(a, ["params"])["params"] / 1e6, r.reward)
        for a, r in zip(archs, results, strict=True)
    ]
    return front_points(points), max(c for c, _ in points)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--strategies", default=STRATEGIES)
    parser.add_argument("--seeds", default="3")
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--space-samples", type=int, default=3000)
    parser.add_argument("--figure", type=Path, default=FIGURE)
    add_json_option(parser)
    args = parser.parse_args()
    torch.set_num_threads(1)
    overrides = [
        f"budget.queries={args.queries}",
        "tracking.backends=[]",
        "checkpoint_every_s=0",
        "objective.mode=pareto",
        "objective.pareto_metrics=[params]",
    ]
    base = load_search_config(EXPERIMENT, overrides)
    specs = parse_strategies(args.strategies)
    seeds = seeds_from(args.seeds)
    true_front, max_params = space_front(args.space_samples)
    ref = (max_params, 10.0)
    with tempfile.TemporaryDirectory(prefix="bench-pareto-") as tmp:
        out = Path(tmp)
        comparison = run_comparison(base, specs, seeds, out, jobs=1)
        pooled = strategy_records(comparison, out)
        per_seed = {
            (spec.label, seed): load_source(run_folder(out, spec.label, seed)).records
            for spec in specs
            for seed in seeds
        }
    rows = []
    for (label, seed), records in per_seed.items():
        front = fronts({label: records}).get("params", {}).get(label, [])
        points = [(c / 1e6, r) for c, r in front]
        rows.append(
            {
                "strategy": label.split(":")[0],
                "seed": seed,
                "front_size": len(front),
                "hypervolume": round(hypervolume(points, ref), 3),
                "best_valid": max((r for _, r in points), default=float("nan")),
            }
        )
    series = {
        label.split(":")[0]: [(c / 1e6, r) for c, r in f]
        for label, f in fronts(pooled).get("params", {}).items()
    }
    series["space (sampled cells)"] = true_front
    args.figure.parent.mkdir(parents=True, exist_ok=True)
    args.figure.write_bytes(plot_pareto(series, "params (M)", "NB201 CIFAR-10 valid acc. %"))
    lines = [
        "| strategy | seeds | front size (mean) | hypervolume (mean +- std) | best valid % |",
        "|---|---|---|---|---|",
    ]
    for spec in specs:
        name = spec.label.split(":")[0]
        mine = [r for r in rows if r["strategy"] == name]
        hv = [r["hypervolume"] for r in mine]
        std = statistics.stdev(hv) if len(hv) > 1 else 0.0
        lines.append(
            f"| {name} | {len(mine)} | {statistics.mean(r['front_size'] for r in mine):.1f} | "
            f"{statistics.mean(hv):.2f} +- {std:.2f} | "
            f"{statistics.mean(r['best_valid'] for r in mine):.2f} |"
        )
    space_hv = hypervolume(true_front, ref)
    lines.append(
        f"\nThe space's front ({args.space_samples} sampled cells): {len(true_front)} cells, "
        f"hypervolume {space_hv:.2f}. Reference point ({max_params:.3f} M params, 10 %); "
        f"{args.queries} queries per run; strategies: `{args.strategies}`."
    )
    write_record(args.json, "pareto_nb201", "\n".join(lines), rows)


if __name__ == "__main__":
    main()
