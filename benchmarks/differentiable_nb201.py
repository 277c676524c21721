"""DARTS, GDAS and StacNAS on NAS-Bench-201: the NB201 test accuracy of the cells they derive.

Each method trains one supernet (C and N reduced for a CPU) on the 10-class Tiny ImageNet subset
at 32x32 for --steps bilevel steps and derives its final cell, whose 200-epoch accuracies are
looked up in the NB201 table. Reported beside the NB201 paper's figures (searched on CIFAR-10:
DARTS-V1 54.30, GDAS 93.61 +- 0.09 CIFAR-10 test accuracy) with the share of parameter-free
ops (none/skip/pool) in the derived cells, i.e. whether the search collapsed to them.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import torch
from record import add_json_option, write_record, write_skip

from graphnas.evaluators import EVALUATORS
from graphnas.spaces import load_space
from graphnas.strategies import STRATEGIES

DATA = Path(__file__).resolve().parents[2] / "shared/data/tiny-imagenet/tiny-imagenet-200-sub10.tar"
PAPER = {"darts": "54.30 (DARTS-V1)", "gdas": "93.61 +- 0.09", "stacnas": "-"}


def run(method: str, seed: int, args: argparse.Namespace) -> dict:
    space = load_space("nb201")
    params = {
        "data": f"tiny-imagenet:{DATA}",
        "resolution": 32,
        "val_per_class": 50,
        "train_per_class": args.train_per_class,
        "network": {"channels": args.channels, "cells_per_stage": 1},
        "batch_size": args.batch,
        "total_steps": args.steps,
        "steps_per_ask": args.steps,
    }
    if method == "stacnas":
        params["warmup_steps"] = args.steps // 4
    strategy = STRATEGIES.build(method, params, {"space": space, "seed": seed, "device": "cpu"})
    start = time.perf_counter()
    [arch] = strategy.ask(1)
    seconds = time.perf_counter() - start
    table = EVALUATORS.build("nb201_table", {"dataset": "cifar10"}, {"space": space})
    [result] = table.evaluate([arch])
    choices = strategy.supernet.encode(arch)
    return {
        "method": method,
        "seed": seed,
        "cell": space.encode(arch),
        "test_cifar10": result.metrics["test_cifar10"],
        "parameter_free_share": strategy.parameter_free_share(choices),
        "skip_edges": sum(op == "skip_connect" for op in space.to_ops(arch)),
        "search_s": round(seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--methods", default="darts,gdas,stacnas")
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--channels", type=int, default=8)
    parser.add_argument("--train-per-class", type=int, default=200)
    add_json_option(parser)
    args = parser.parse_args()
    if not DATA.is_file():
        write_skip(args.json, "differentiable_nb201", f"{DATA} is absent")
        return
    torch.set_num_threads(1)
    rows = [run(m, s, args) for m in args.methods.split(",") for s in range(args.seeds)]
    lines = [
        "| method | seeds | NB201 CIFAR-10 test (ours, mean +- std) | paper (CIFAR-10 search) "
        "| parameter-free share of derived edges | search s per seed |",
        "|---|---|---|---|---|---|",
    ]
    for method in args.methods.split(","):
        mine = [r for r in rows if r["method"] == method]
        acc = [r["test_cifar10"] for r in mine]
        std = statistics.stdev(acc) if len(acc) > 1 else 0.0
        free = statistics.mean(r["parameter_free_share"] for r in mine)
        secs = statistics.mean(r["search_s"] for r in mine)
        lines.append(
            f"| {method} | {len(mine)} | {statistics.mean(acc):.2f} +- {std:.2f} | "
            f"{PAPER.get(method, '-')} | {free:.2f} | {secs:.0f} |"
        )
    lines.append("")
    lines.append(
        "Derived cells: " + "; ".join(f"{r['method']} s{r['seed']} `{r['cell']}`" for r in rows)
    )
    lines.append(
        f"\nSupernet C={args.channels}, N=1, {args.steps} steps of {args.batch} images "
        f"({args.train_per_class} train + 50 held-out images per class, 32x32), 1 CPU thread."
    )
    table_md = "\n".join(lines)
    print(table_md)
    write_record(args.json, "differentiable_nb201", table_md, rows)


if __name__ == "__main__":
    main()
