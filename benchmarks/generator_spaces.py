"""The learned distribution beyond NB201: prior vs `elite` vs `tempered` on RandWire, ENAS and
complete-graph spaces, scored by NASWOT (issue 11, item 5).

    .venv/bin/python benchmarks/generator_spaces.py [--queries 30] [--samples 200] [--seed 0]
        [--spaces randwire,enas,complete] [--json PATH]

There is no accuracy table for these spaces, so the reward is the training-free NASWOT score
(graphnas.evaluators.naswot) of each network, built small (8 channels, 4 classes) on one fixed
batch of 32 synthetic images: a proxy whose only job here is to give the generator a reward to
learn from. Per space, each variant makes `queries` unique queries (GraphPNAS: a quarter of them
from the prior as warm-up, then its generator trained by the named update rule with its default
options; `prior`: the space's own prior), then `samples` architectures are drawn (at the default
temperature; the prior from the space's prior) and described: distinct samples, distinct samples
the search did not evaluate, the effective support exp(H) (Monte-Carlo estimate -mean log p of the
samples for a generator; for a non-uniform prior the plug-in estimate of the sample frequencies,
a lower bound capped at `samples`), the mean NASWOT score of the samples and the best score the
search found.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from typing import Any

import torch
from record import add_json_option, write_record

from graphnas.config import BudgetConfig
from graphnas.evaluators.naswot import NaswotEvaluator
from graphnas.evaluators.pool import SerialPool
from graphnas.sampling import Source, draw, report
from graphnas.search import SearchLoop
from graphnas.seeding import component_seed
from graphnas.spaces import load_space
from graphnas.strategies import STRATEGIES

# label -> (shipped space, synthetic image size, network overrides for the NASWOT build)
SPACES: dict[str, tuple[str, int, dict[str, Any]]] = {
    "randwire": ("randwire_small", 32, {"channels": 8, "head_channels": 32, "input_size": 32}),
    "enas": ("enas_macro", 16, {"channels": 8, "input_size": 16}),
    "complete": ("complete", 16, {"channels": 8, "input_size": 16}),
}
VARIANTS: dict[str, tuple[str, dict[str, Any]]] = {
    "prior": ("prior", {}),
    "elite (original rule)": ("graphpnas", {"update": "elite"}),
    "tempered": ("graphpnas", {"update": "tempered"}),
}
BATCH = 32
CLASSES = 4


def naswot_for(space_label: str, seed: int) -> NaswotEvaluator:
    name, size, network = SPACES[space_label]
    evaluator = NaswotEvaluator(
        load_space(name),
        data=f"synthetic:size={size},classes={CLASSES}",
        batch_size=BATCH,
        network={**network, "num_classes": CLASSES},
        seed=seed,
    )
    evaluator.prepare()
    return evaluator


def mean_score(evaluator: NaswotEvaluator, archs: list, hashes: list[str | None]) -> float:
    """Mean NASWOT score over samples (each distinct valid sample scored once, weighted by its
    count; failed networks left out)."""
    counts = Counter(h for h in hashes if h is not None)
    first = {h: a for a, h in zip(archs, hashes, strict=True) if h is not None}
    scores, weights = [], []
    for digest, count in counts.items():
        result = evaluator.evaluate_one(first[digest])
        if result.ok:
            scores.append(result.reward)
            weights.append(count)
    return sum(s * w for s, w in zip(scores, weights, strict=True)) / sum(weights)


def describe(space_label: str, variant: str, args) -> dict[str, Any]:
    """One search of `variant` on a space, then its samples' distribution metrics."""
    evaluator = naswot_for(space_label, args.seed)
    space = evaluator.space
    name, params = VARIANTS[variant]
    if name == "graphpnas":
        params = {**params, "warmup": max(1, args.queries // 4)}
    context = {"space": space, "seed": component_seed(args.seed, "strategy"), "device": "cpu"}
    strategy = STRATEGIES.build(name, params, context)
    start = time.perf_counter()
    loop = SearchLoop(
        space, strategy, SerialPool(evaluator), BudgetConfig(queries=args.queries), seed=args.seed
    )
    summary = loop.run()
    evaluated = set(strategy.history.by_hash)
    model = getattr(strategy, "model", None)
    source = Source(space, variant, model, evaluated, None)
    archs = draw(source, args.samples, seed=args.seed)
    metrics = report(source, archs, seed=args.seed)
    hashes = [space.canonical_hash(a) if space.is_valid(a) else None for a in archs]
    return {
        "space": space_label,
        "variant": variant,
        "queries": summary["queries"],
        "best": summary["best"]["reward"],
        "distinct": metrics["distinct"],
        "novel_distinct": metrics["novel_distinct"],
        "support": metrics["effective_support"]["value"],
        "support_method": metrics["effective_support"]["method"],
        "mean_naswot": mean_score(evaluator, archs, hashes),
        "seconds": time.perf_counter() - start,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=30)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--spaces", default=",".join(SPACES))
    add_json_option(parser)
    args = parser.parse_args()
    torch.set_num_threads(1)
    spaces = [s for s in args.spaces.split(",") if s]
    rows = [describe(space, variant, args) for space in spaces for variant in VARIANTS]
    lines = [
        f"{args.queries} NASWOT-scored queries per search, then {args.samples} samples "
        f"(seed {args.seed})",
        "",
        "| space | generator | distinct | novel | effective support | mean NASWOT of samples "
        "| best found | search s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['space']} | {r['variant']} | {r['distinct']} | {r['novel_distinct']} "
            f"| {r['support']:.3g} ({r['support_method']}) | {r['mean_naswot']:.2f} "
            f"| {r['best']:.2f} | {r['seconds']:.0f} |"
        )
    lines += [
        "",
        f"Distinct and novel (not evaluated by the search) out of {args.samples} samples. "
        "NASWOT: log|det K_H| on 32 synthetic images, networks at 8 channels; higher is "
        "better. Effective support: Monte-Carlo exp(-mean log p) for a generator; plug-in (a "
        "lower bound, at most the sample count) for a non-uniform prior.",
    ]
    write_record(args.json, "generator_spaces", "\n".join(lines), rows)


if __name__ == "__main__":
    main()
