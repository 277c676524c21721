"""Ranking quality on NB201: supernet scores vs NASWOT vs short training at equal CPU time.

Every arm scores the same `--cells` distinct cells (uniform over the 15,625) on the proxy task of
experiments/nb201_spos.yaml (Tiny ImageNet subset at 32x32, C and N below); Kendall tau and
Spearman rho are taken against the NB201 table's 200-epoch test accuracy (ImageNet16-120 and
CIFAR-10). Arms:
- supernet: SPOS training (`--warmup-steps` uniform single-path steps), then every cell's held-out
  top-1 after BN recalibration; also without recalibration (same weights, the pitfall).
- naswot: the final NASWOT score of the untrained compiled network (one batch of 64 images).
- short training: each cell compiled and trained from scratch (the `train` evaluator, one
  epoch over as many images per class as fit) for the supernet arm's total CPU time / cells.

Run: .venv/bin/python benchmarks/supernet_ranking.py --cells 200 --json out.json
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path
from typing import Any

import torch
from scipy.stats import kendalltau, spearmanr
from supernet_common import (
    NB201,
    TABLE_DATASETS,
    proxy_task,
    sample_cells,
    table_accuracy,
    write_json,
)

from graphnas.evaluators import EVALUATORS
from graphnas.graph import ArchGraph

SHORT_TRAIN = {"batch_size": 64, "lr": 0.05, "warmup_epochs": 0.0, "label_smoothing": 0.0}


def timed_scores(evaluate: Any, cells: list[ArchGraph]) -> tuple[list[float], float]:
    start = time.perf_counter()
    scores = [evaluate(arch) for arch in cells]
    return scores, time.perf_counter() - start


def short_training(
    task: dict[str, Any], cells: list[ArchGraph], seconds_per_cell: float, seed: int
) -> tuple[list[float], float, int]:
    """Scores of the equal-time arm, its measured seconds, and the images per class it used."""

    def trainer(per_class: int) -> Any:
        options = {**task, "epochs": 1, "train_per_class": per_class, "train": SHORT_TRAIN}
        return EVALUATORS.get("train")(NB201, **options, seed=seed)

    # Cost is about a + b * images: fit a and b on the first cell, then pick the image count.
    probe = []
    for per_class in (8, 32):
        start = time.perf_counter()
        trainer(per_class).evaluate([cells[0]])
        probe.append(time.perf_counter() - start)
    slope = max(1e-6, (probe[1] - probe[0]) / 24)
    per_class = int(max(7, min(450, 8 + (seconds_per_cell - probe[0]) / slope)))
    evaluator = trainer(per_class)
    scores, seconds = timed_scores(lambda a: evaluator.evaluate([a])[0].reward, cells)
    return scores, seconds, per_class


def correlations(name: str, scores: list[float], cells: list[ArchGraph], seconds: float) -> dict:
    row: dict[str, Any] = {"arm": name, "seconds": round(seconds, 1), "cells": len(cells)}
    pairs = [(s, a) for s, a in zip(scores, cells, strict=True) if math.isfinite(s)]
    row["scored"] = len(pairs)
    for dataset in TABLE_DATASETS:
        truth = [table_accuracy(a, dataset) for _, a in pairs]
        values = [s for s, _ in pairs]
        row[f"tau_{dataset}"] = round(float(kendalltau(values, truth).statistic), 3)
        row[f"rho_{dataset}"] = round(float(spearmanr(values, truth).statistic), 3)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=200)
    parser.add_argument("--warmup-steps", type=int, default=600)
    parser.add_argument("--channels", type=int, default=8)
    parser.add_argument("--cells-per-stage", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    torch.set_num_threads(1)
    task = proxy_task(args.channels, args.cells_per_stage)
    cells = sample_cells(args.cells, args.seed)

    supernet = EVALUATORS.get("supernet")(
        NB201, **task, warmup_steps=args.warmup_steps, train={"batch_size": 64}, seed=args.seed
    )
    supernet.trainer()  # data loaded and supernet built before the clock starts
    start = time.perf_counter()
    supernet.warm_up()
    train_s = time.perf_counter() - start
    ws, score_s = timed_scores(lambda a: supernet.score(a).reward, cells)
    supernet.recalibrate_bn = False
    plain, plain_s = timed_scores(lambda a: supernet.score(a).reward, cells)
    supernet_total = train_s + score_s

    naswot = EVALUATORS.get("naswot")(
        NB201, data=task["data"], resolution=32, batch_size=64, network=task["network"]
    )
    naswot.evaluate(cells[:1])  # loads the batch
    nw, nw_s = timed_scores(lambda a: naswot.evaluate([a])[0].reward, cells)
    short, short_s, per_class = short_training(task, cells, supernet_total / len(cells), args.seed)

    rows = [
        correlations("supernet (SPOS, BN recalibrated)", ws, cells, supernet_total),
        correlations("supernet, no BN recalibration", plain, cells, train_s + plain_s),
        correlations("NASWOT (untrained)", nw, cells, nw_s),
        correlations(f"short training ({per_class} img/class, 1 epoch)", short, cells, short_s),
    ]
    header = (
        "| arm | CPU s | tau IN16 | rho IN16 | tau C10 | rho C10 |\n|---|---|---|---|---|---|\n"
    )
    body = "".join(
        f"| {r['arm']} | {r['seconds']} | {r['tau_imagenet16']} | {r['rho_imagenet16']} | "
        f"{r['tau_cifar10']} | {r['rho_cifar10']} |\n"
        for r in rows
    )
    notes = (
        f"\n{args.cells} distinct NB201 cells (seed {args.seed}); proxy task: Tiny ImageNet "
        f"subset at 32x32, C={args.channels}, N={args.cells_per_stage}; truth: the NB201 "
        f"table's 200-epoch test accuracy. Supernet: {args.warmup_steps} SPOS steps of 64 "
        f"images ({train_s:.0f} s) + scoring ({score_s:.0f} s). Short training was given "
        f"{supernet_total / len(cells):.2f} s per cell (measured total above).\n"
    )
    write_json(args.json, "supernet_ranking", header + body + notes, rows)


if __name__ == "__main__":
    main()
