"""NASWOT on NAS-Bench-201: Kendall tau between the score and the 200-epoch CIFAR-10 test accuracy.

The score is the final NASWOT (Mellor et al. 2021: log-determinant of the Hamming kernel of the
binary ReLU codes), computed on networks compiled by graphnas.compiler (official NB201 skeleton,
C=16, N=5, 10 classes). There are no CIFAR images on this machine, so the mini-batch holds 128
real Tiny ImageNet training images (10-class subset) resized from 64x64 to 32x32. Cells are drawn
uniformly without replacement from the 15,625 (seeded); test accuracies come from the NB201 table
shipped in the package. Where ../shared/data/nb201/nb201_merged.csv is present, the tau of the
first (2020, Jacobian) NASWOT version on the same cells is printed for comparison.

Run: .venv/bin/python benchmarks/naswot_nb201.py --cells 500 --workers 2 [--json PATH]
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import time
from pathlib import Path

import numpy as np
import torch
from record import add_json_option, write_record, write_skip
from scipy.stats import kendalltau, spearmanr

from graphnas.evaluators import POOLS
from graphnas.evaluators.nb201_table import load_nb201_table
from graphnas.evaluators.pool import SerialPool
from graphnas.evaluators.recipe import EvaluatorRecipe
from graphnas.spaces import load_space

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
SUBSET = SHARED / "tiny-imagenet" / "tiny-imagenet-200-sub10.tar"


def jacobian_scores(arch_strs: list[str]) -> dict[str, float]:
    """The 2020 NASWOT score per arch string from the shared NB201 CSV (empty if absent)."""
    path = SHARED / "nb201" / "nb201_merged.csv"
    if not path.is_file():
        return {}
    wanted, found = set(arch_strs), {}
    with open(path, newline="") as handle:
        for row in csv.DictReader(handle):
            if row["arch_str"] in wanted and row["naswot_score"] not in ("", "nan"):
                found[row["arch_str"]] = float(row["naswot_score"])
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=500)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--workers", type=int, default=2, help="process pool workers; 0 = serial")
    parser.add_argument("--seed", type=int, default=0)
    add_json_option(parser)
    parser.add_argument("--scores", type=Path, default=None, help="write per-cell JSONL here")
    args = parser.parse_args()
    if not SUBSET.is_file():
        write_skip(args.json, "naswot_nb201", f"{SUBSET} (the Tiny ImageNet subset) is absent")
        return

    space = load_space("nb201")
    table = load_nb201_table()
    rows = np.random.default_rng(args.seed).choice(len(table.ops), args.cells, replace=False)
    arch_strs = [table.arch_str(int(r)) for r in rows]
    archs = [space.decode(s) for s in arch_strs]
    config = {
        "name": "naswot",
        "params": {
            "data": f"tiny-imagenet:{SUBSET}",
            "num_classes": 10,
            "batch_size": args.batch_size,
            "resolution": 32,
        },
    }
    recipe = EvaluatorRecipe.of(config, space, seed=args.seed)
    torch.set_num_threads(1)
    evaluator = recipe.build(torch.device("cpu"), space=space)
    evaluator.batch()  # builds the tensor cache once, before any worker starts
    if args.workers > 0:
        pool = POOLS.build(
            "process",
            {"workers": args.workers, "threads": 1},
            {"recipe": recipe, "evaluator": evaluator},
        )
    else:
        pool = SerialPool(evaluator)
    start = time.perf_counter()
    for ticket, arch in enumerate(archs):
        pool.submit(ticket, arch)
    results = {}
    while pool.pending():
        for ticket, result in pool.collect(block=True):
            results[ticket] = result
            if len(results) % 50 == 0:
                print(
                    f"{len(results)}/{len(archs)} cells, {time.perf_counter() - start:.0f} s",
                    flush=True,
                )
    wall = time.perf_counter() - start
    pool.close()

    ok = [i for i in range(len(archs)) if results[i].ok]
    accuracy = [float(table.columns["test_cifar10"][rows[i]]) for i in range(len(archs))]
    # A singular kernel (every image gets the same codes, e.g. a cell whose output is cut off
    # from its input) has log det = -inf: ranked below every finite score, as in the reference.
    ranked = [results[i].reward if results[i].ok else -math.inf for i in range(len(archs))]
    tau = kendalltau(ranked, accuracy).statistic
    rho = spearmanr(ranked, accuracy).statistic
    tau_finite = kendalltau([ranked[i] for i in ok], [accuracy[i] for i in ok]).statistic
    singular = sum(1 for r in results.values() if (r.error or "").endswith("singular"))
    cost = [results[i].cost_s for i in range(len(archs))]
    old = jacobian_scores(arch_strs)
    both = [i for i in range(len(archs)) if arch_strs[i] in old]
    old_tau = kendalltau([old[arch_strs[i]] for i in both], [accuracy[i] for i in both]).statistic
    if args.scores:
        with open(args.scores, "w") as handle:
            for i, arch_str in enumerate(arch_strs):
                record = {"arch": arch_str, **results[i].to_dict(), "test_cifar10": accuracy[i]}
                handle.write(json.dumps(record) + "\n")
    lines = [
        f"NASWOT (2021 Hamming-kernel score), {len(archs)} random NB201 cells (seed {args.seed}); "
        f"batch {args.batch_size} real Tiny ImageNet images resized to 32x32; CPU, "
        f"{args.workers or 1} process(es) x 1 thread",
        "",
        "| quantity | value |",
        "|---|---|",
        f"| cells with a finite score | {len(ok)} of {len(archs)} ({singular} singular kernels) |",
        f"| Kendall tau vs CIFAR-10 test accuracy (200 epochs), all cells | {tau:.3f} |",
        f"| Spearman rho vs CIFAR-10 test accuracy, all cells | {rho:.3f} |",
        f"| Kendall tau, finite scores only | {tau_finite:.3f} |",
        f"| seconds per cell (one evaluation: build + forward + kernel) | "
        f"{float(np.mean(cost)):.2f} (median {float(np.median(cost)):.2f}) |",
        f"| wall seconds per cell with the pool | {wall / len(archs):.2f} |",
    ]
    if both:
        lines.append(
            f"| for comparison: 2020 Jacobian NASWOT (CSV), its {len(both)} finite cells | "
            f"tau {old_tau:.3f} |"
        )
    figures = {
        "cells": len(archs),
        "finite": len(ok),
        "singular": singular,
        "kendall_tau": tau,
        "spearman_rho": rho,
        "kendall_tau_finite": tau_finite,
        "seconds_per_cell_mean": float(np.mean(cost)),
        "seconds_per_cell_median": float(np.median(cost)),
        "wall_seconds_per_cell": wall / len(archs),
        "jacobian_cells": len(both),
        "jacobian_tau": old_tau if both else None,
    }
    write_record(args.json, "naswot_nb201", "\n".join(lines), [figures])
    if not math.isfinite(tau):
        raise SystemExit("no finite Kendall tau")


if __name__ == "__main__":
    main()
