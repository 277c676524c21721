"""Search quality on NAS-Bench-201: every strategy, three datasets, the same seeds (issue 11).

    .venv/bin/python benchmarks/nb201_search.py [--seeds 0-9] [--confirm-seeds 100-109]
        [--datasets cifar10,cifar100,imagenet16-120] [--queries 100] [--jobs 1] [--json PATH]

Each strategy runs the experiments/nb201.yaml recipe (its `queries` unique queries, batch 1)
through the search build, once per seed and dataset; the chosen cell is the one with the best
validation reward, and its test accuracy is reported as mean ± std (ddof=1) over seeds. The
recipe's default strategy is compared with every other one seed by seed: `Δ` is the mean paired
difference and `±` its standard error; `beats` marks Δ > 2 standard errors. `optimum` counts
the seeds whose chosen cell is the table's best by validation reward, and `headroom` is what a
search that found that cell on every seed would gain over each strategy (paired as Δ; a reward
is not the test accuracy, so a miss can score above it): where headroom is under 2 s.e., even
that search would not `beat` the strategy. `--confirm-seeds`
reruns the recipe's default and the baselines on a second seed set (one not used for tuning).
`--jobs` searches run at once, each with its share of the cores as torch threads (more threads
than cores makes these tiny-tensor searches several times slower).
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import torch
from nb201_runs import search
from record import add_json_option, write_record

from graphnas.evaluators.nb201_table import NB201TableEvaluator
from graphnas.spaces import load_space

RECIPE = "graphpnas (recipe)"
LINEUP: dict[str, list[str]] = {
    RECIPE: [],
    "graphpnas elite (original rule)": [
        "strategy.params.update={name: elite, top_k: 5, steps: 10, idle_steps: 1}",
        "strategy.params.propose=sample",
    ],
    "graphpnas tempered (sampled proposals)": [
        "strategy.params.update=tempered",
        "strategy.params.propose=sample",
    ],
    "reinforce_lstm": ["strategy=reinforce_lstm"],
    "evolution": ["strategy=evolution", "strategy.params={population_size: 10, sample_size: 3}"],
    "random": ["strategy=random"],
}
BASELINES = ("evolution", "reinforce_lstm", "random")


def seed_range(text: str) -> list[int]:
    """'0-9' -> [0..9]; '3' -> [3]; '' -> []."""
    if not text:
        return []
    low, _, high = text.partition("-")
    return list(range(int(low), int(high or low) + 1))


def one_run(job: tuple[str, str, int, int]) -> dict[str, Any]:
    dataset, label, seed, queries = job
    overrides = [*LINEUP[label], f"dataset={dataset}", f"seed={seed}", f"budget.queries={queries}"]
    summary, _ = search(overrides)
    best = summary["best"]
    return {
        "dataset": dataset,
        "strategy": label,
        "seed": seed,
        "test_accuracy": best["metrics"]["test_accuracy"],
        "reward": best["reward"],
        "found_at": best["query"],
    }


def reward_optimum(dataset: str) -> dict[str, float]:
    """Reward and test accuracy of the table's best cell by validation reward on `dataset`."""
    best = NB201TableEvaluator(load_space("nb201"), dataset=dataset).optimum()
    return {"reward": best["reward"], "test_accuracy": best["metrics"]["test_accuracy"]}


def paired(recipe: list[float], other: list[float]) -> tuple[float, float]:
    """Mean and standard error of the seed-by-seed differences."""
    diffs = [a - b for a, b in zip(recipe, other, strict=True)]
    se = statistics.stdev(diffs) / math.sqrt(len(diffs)) if len(diffs) > 1 else math.nan
    return statistics.mean(diffs), se


def table(
    rows: list[dict[str, Any]],
    dataset: str,
    seeds: list[int],
    labels: list[str],
    optimum: dict[str, float],
) -> str:
    here = [r for r in rows if r["dataset"] == dataset]
    by = {label: [r for r in here if r["strategy"] == label] for label in labels}
    tests = {label: [r["test_accuracy"] for r in by[label]] for label in labels}
    lines = [
        f"**{dataset}**, seeds {seeds[0]}-{seeds[-1]}",
        "",
        "| strategy | test acc. of chosen cell (%) | Δ recipe − this (± s.e.) | beats | optimum"
        " | headroom (± s.e.) |",
        "|---|---|---|---|---|---|",
    ]
    for label in labels:
        values = tests[label]
        spread = f" ± {statistics.stdev(values):.3f}" if len(values) > 1 else ""
        cell = "—"
        verdict = ""
        if label != RECIPE and RECIPE in by:
            diff, se = paired(tests[RECIPE], values)
            cell = f"{diff:+.3f} ± {se:.3f}"
            verdict = "yes" if diff > 2 * se else "no"
        found = sum(r["reward"] >= optimum["reward"] for r in by[label])
        room, room_se = paired([optimum["test_accuracy"]] * len(values), values)
        lines.append(
            f"| {label} | {statistics.mean(values):.3f}{spread} | {cell} | {verdict}"
            f" | {found}/{len(values)} | {room:+.3f} ± {room_se:.3f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0-9")
    parser.add_argument("--confirm-seeds", default="")
    parser.add_argument("--datasets", default="cifar10,cifar100,imagenet16-120")
    parser.add_argument("--strategies", default=",".join(LINEUP))
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=1)
    add_json_option(parser)
    args = parser.parse_args()
    datasets = args.datasets.split(",")
    labels = [s for s in args.strategies.split(",") if s]
    unknown = [s for s in labels if s not in LINEUP]
    if unknown:
        parser.error(f"--strategies: unknown {', '.join(unknown)}; known: {', '.join(LINEUP)}")
    seeds, confirm = seed_range(args.seeds), seed_range(args.confirm_seeds)
    confirm_labels = [RECIPE, *(b for b in BASELINES if b in labels)]
    plan = [(labels, seeds), (confirm_labels, confirm)]
    jobs = [
        (d, s, seed, args.queries)
        for group, group_seeds in plan
        for d in datasets
        for s in group
        for seed in group_seeds
    ]
    threads = max(1, (os.cpu_count() or 1) // args.jobs)
    with ProcessPoolExecutor(
        args.jobs, initializer=torch.set_num_threads, initargs=(threads,)
    ) as pool:
        rows = list(pool.map(one_run, jobs))
    optima = {d: reward_optimum(d) for d in datasets}
    main_rows = [r for r in rows if r["seed"] in seeds]
    parts = [table(main_rows, d, seeds, labels, optima[d]) for d in datasets]
    if confirm:
        confirm_rows = [r for r in rows if r["seed"] in confirm]
        parts += [table(confirm_rows, d, confirm, confirm_labels, optima[d]) for d in datasets]
    ceilings = " / ".join(f"{optima[d]['test_accuracy']:.3f}" for d in datasets)
    notes = (
        f"{args.queries} unique queries per run, batch 1; recipe experiments/nb201.yaml. "
        "Test accuracy of the cell with the best validation reward; optimum: seeds whose chosen "
        f"cell is the table's best by that reward (test accuracy {ceilings}); headroom: "
        "that cell's test accuracy − this, paired by seed (the gain of always finding it)."
    )
    write_record(args.json, "nb201_search", "\n\n".join([*parts, notes]), rows)


if __name__ == "__main__":
    main()
