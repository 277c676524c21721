"""What GraphPNAS learns: the distribution of its generator after an NB201 search (issue 11).

    .venv/bin/python benchmarks/nb201_distribution.py [--seeds 0-2] [--samples 1000]
        [--queries 100] [--variants LABEL,...] [--json PATH]

For each update rule, a `queries`-query CIFAR-10 search of experiments/nb201.yaml (per seed), then
`samples` draws from the run's learned distribution (`strategy.distribution()`: for the recipe
the generator after its `release` fit, for the other rows the search's generator itself) at its
default temperature, described by `graphnas.sampling.report` (the `graphnas sample` report):
distinct cells, novel distinct cells (not in the search's ledger), effective support exp(H)
(exact: every one of the 15,625 cells scored), the share of samples in the top 5% of the space by
CIFAR-10 test accuracy (>= 93.28) and their mean test accuracy; the uniform prior for reference.
Means over seeds.
Goal (issue 11, the recipe's default rule): >= 250 distinct cells with >= 60% in the top 5%.
"""

from __future__ import annotations

import argparse
import statistics
from typing import Any

from nb201_runs import search
from nb201_search import seed_range
from record import add_json_option, write_record

from graphnas.evaluators.nb201_table import NB201TableEvaluator
from graphnas.sampling import Source, draw, report
from graphnas.spaces import load_space

VARIANTS: dict[str, list[str] | None] = {
    "uniform prior": None,
    "recipe default (released)": [],
    "recipe's search generator": ["strategy.params.release=null"],
    "elite (original rule)": [
        "strategy.params.update={name: elite, top_k: 5, steps: 10, idle_steps: 1}",
        "strategy.params.propose=sample",
        "strategy.params.release=null",
    ],
    "tempered (sampled proposals)": [
        "strategy.params.update=tempered",
        "strategy.params.propose=sample",
        "strategy.params.release=null",
    ],
}
COLUMNS = ("distinct", "novel_distinct", "support", "top5", "mean_test")


def describe(label: str, overrides: list[str] | None, seed: int, args) -> dict[str, Any]:
    space = load_space("nb201")
    evaluator = NB201TableEvaluator(space)
    if overrides is None:
        source = Source(space, label, None, None, evaluator)
    else:
        run = [*overrides, f"seed={seed}", f"budget.queries={args.queries}", "dataset=cifar10"]
        _, strategy = search(run)
        evaluated = set(strategy.history.by_hash)
        source = Source(space, label, strategy.distribution(), evaluated, evaluator)
    summary = report(source, draw(source, args.samples, seed=seed), seed=seed)
    return {
        "variant": label,
        "seed": seed,
        "distinct": summary["distinct"],
        "novel_distinct": summary.get("novel_distinct", summary["distinct"]),
        "support": summary["effective_support"]["value"],
        "top5": summary["quality"]["top5"]["share"],
        "mean_test": summary["quality"]["mean"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0-2")
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument(
        "--variants", default="all", help="comma-separated row labels (default: every row)"
    )
    add_json_option(parser)
    args = parser.parse_args()
    seeds = seed_range(args.seeds)
    labels = list(VARIANTS) if args.variants == "all" else args.variants.split(",")
    unknown = [label for label in labels if label not in VARIANTS]
    if unknown:
        parser.error(f"--variants: unknown {', '.join(unknown)}; rows: {', '.join(VARIANTS)}")
    rows = [describe(label, VARIANTS[label], seed, args) for label in labels for seed in seeds]
    lines = [
        f"{args.samples} samples after a {args.queries}-query CIFAR-10 search, "
        f"seeds {seeds[0]}-{seeds[-1]} (means)",
        "",
        "| generator | distinct cells | novel cells | effective support | in top 5% | mean test |",
        "|---|---|---|---|---|---|",
    ]
    for label in labels:
        mine = [r for r in rows if r["variant"] == label]
        m = {c: statistics.mean(r[c] for r in mine) for c in COLUMNS}
        lines.append(
            f"| {label} | {m['distinct']:.0f} | {m['novel_distinct']:.0f} | {m['support']:.0f} "
            f"| {100 * m['top5']:.1f}% | {m['mean_test']:.2f} |"
        )
    lines += [
        "",
        "Novel: distinct cells the search did not evaluate (for the prior: all distinct). "
        "Effective support: exp(entropy), exact over all 15,625 cells (uniform for the prior). "
        "Released: the recipe's generator after its post-search `release` fit (tempered, 512 "
        "surrogate dreams); its search generator: the same search with release=null.",
    ]
    write_record(args.json, "nb201_distribution", "\n".join(lines), rows)


if __name__ == "__main__":
    main()
