"""Parallel speed-up: a 2-worker process pool against sequential evaluation, in one run.

The workload is proxy training of RandWire networks (randwire_tiny graphs, 8 base channels,
32x32 images from the real 10-class Tiny ImageNet subset, 40 images per class, 1 epoch): the
evaluation the scaled-down experiment runs. Sequential evaluation runs in this process with all
CPU threads (and again with CPUs/2 threads); the pool runs 2 workers with CPUs/2 threads each.
The pool's start-up is timed apart. Rewards are checked to be identical to the CPUs/2-thread run.

Run: .venv/bin/python benchmarks/pool_speedup.py [--archs 16] [--all-threads] [--json PATH]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from record import add_json_option, write_record

from graphnas.evaluators import POOLS
from graphnas.evaluators.pool import SerialPool
from graphnas.evaluators.process_pool import cpu_count
from graphnas.evaluators.recipe import EvaluatorRecipe
from graphnas.spaces import load_space

ROOT = Path(__file__).resolve().parents[1]
SUBSET = ROOT.parent / "shared/data/tiny-imagenet/tiny-imagenet-200-sub10.tar"


def run(pool, archs) -> tuple[float, dict]:
    start = time.perf_counter()
    for ticket, arch in enumerate(archs):
        pool.submit(ticket, arch)
    results = {}
    while pool.pending():
        results.update(pool.collect(block=True))
    return time.perf_counter() - start, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archs", type=int, default=8)
    parser.add_argument(
        "--all-threads",
        action="store_true",
        help="also time sequential evaluation with every CPU thread",
    )
    add_json_option(parser)
    args = parser.parse_args()
    data = f"tiny-imagenet:{SUBSET}" if SUBSET.is_file() else "synthetic:classes=10,size=32"
    space = load_space("randwire_tiny")
    archs = [space.sample_prior(np.random.default_rng(i)) for i in range(args.archs)]
    config = {
        "name": "train",
        "params": {
            "data": data,
            "epochs": 1,
            "train_per_class": 40,
            "val_per_class": 10,
            "resolution": 32,
            "network": {"channels": 8, "head_channels": 128},
            "train": {"batch_size": 50, "lr": 0.1, "warmup_epochs": 0.5},
        },
    }
    recipe = EvaluatorRecipe.of(config, space, seed=0)
    evaluator = recipe.build(torch.device("cpu"), space=space)
    evaluator.dataset()  # data prepared (and the tensor cache built) before timing
    cores = cpu_count()

    wall_all = None
    if args.all_threads:
        torch.set_num_threads(cores)
        wall_all, _ = run(SerialPool(evaluator), archs)
    torch.set_num_threads(max(1, cores // 2))
    wall_one, sequential = run(SerialPool(evaluator), archs)
    start = time.perf_counter()
    pool = POOLS.build("process", {"workers": 2}, {"recipe": recipe, "evaluator": evaluator})
    pool.wait_ready()
    startup = time.perf_counter() - start
    wall_pool, parallel = run(pool, archs)
    pool.close()
    same = all(parallel[t].reward == sequential[t].reward for t in sequential)
    threads = max(1, cores // 2)

    def row(mode: str, wall: float) -> str:
        return (
            f"| {mode} | {wall:.1f} | {wall / args.archs:.2f} | "
            f"{wall / wall_pool:.2f}x | {wall / (wall_pool + startup):.2f}x |"
        )

    lines = [
        f"{args.archs} proxy trainings (RandWire, C=8, 32x32, 400 images, 1 epoch), {cores} CPUs; "
        f"pool start-up (2 workers importing torch and building the evaluator): {startup:.1f} s",
        "",
        "| mode | wall s | s / evaluation | pool speed-up (after start-up) | (start-up included) |",
        "|---|---|---|---|---|",
        *([row(f"sequential, {cores} threads", wall_all)] if wall_all is not None else []),
        row(f"sequential, {threads} thread(s)", wall_one),
        f"| process pool, 2 workers x {threads} thread(s) | {wall_pool:.1f} | "
        f"{wall_pool / args.archs:.2f} | - | - |",
        "",
        f"Rewards identical to the sequential run with the same thread count per process: {same}",
    ]
    if not SUBSET.is_file():
        lines.append(f"(synthetic images: {SUBSET} is absent)")
    figures = {
        "archs": args.archs,
        "cpus": cores,
        "startup_s": startup,
        "sequential_all_threads_s": wall_all,
        "sequential_s": wall_one,
        "pool_s": wall_pool,
        "speedup": wall_one / wall_pool,
        "speedup_with_startup": wall_one / (wall_pool + startup),
        "same_rewards": same,
    }
    write_record(args.json, "pool_speedup", "\n".join(lines), [figures])


if __name__ == "__main__":
    main()
