"""DARTS, GDAS and StacNAS on NAS-Bench-201: the NB201 test accuracy of the cells they derive,
beside random search and regularized evolution at equal CPU time, and a ProxylessNAS row.

Each method trains one supernet (C and N reduced for a CPU) on the 10-class Tiny ImageNet subset
at 32x32 for --steps bilevel steps and derives its final cell, whose 200-epoch accuracies are
looked up in the NB201 table. Reported beside the NB201 paper's figures (searched on CIFAR-10:
DARTS-V1 54.30, GDAS 93.61 +- 0.09 CIFAR-10 test accuracy) with the share of parameter-free
ops (none/skip/pool) in the derived cells, i.e. whether the search collapsed to them.
The --baselines (graphnas search, NASWOT on the same subset as the reward) get `budget.seconds`
= the mean search seconds of the differentiable methods; their best-by-NASWOT cell is looked up
the same way. ProxylessNAS (experiments/complete_proxyless.yaml, reduced) searches the complete
space with a latency term from a latency table measured here; its derived cell is trained for
--proxyless-epochs and reported by held-out accuracy and predicted latency (no table exists).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch
import yaml
from record import add_json_option, write_record, write_skip

from graphnas.compiler.latency import build_latency_table
from graphnas.config import load_search_config
from graphnas.evaluators import EVALUATORS
from graphnas.search import run_search
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
    return {
        **table_row(space, arch),
        "method": method,
        "seed": seed,
        "parameter_free_share": strategy.parameter_free_share(strategy.supernet.encode(arch)),
        "search_s": round(seconds, 1),
    }


BASELINES = {"random": {}, "evolution": {"population_size": 10, "sample_size": 3}}
PROXYLESS_NET = {"channels": 8, "num_cells": 2}


def baseline(name: str, seed: int, seconds: float, tmp: Path) -> dict:
    """One `graphnas search` of `name` on NB201 with NASWOT on the subset, for `seconds`."""
    space = load_space("nb201")
    config = {
        "name": f"baseline-{name}",
        "space": "nb201",
        "strategy": {"name": name, "params": BASELINES[name]},
        "evaluator": {
            "name": "naswot",
            "params": {"data": f"tiny-imagenet:{DATA}", "num_classes": 10, "resolution": 32},
        },
        "budget": {"queries": 100000, "seconds": seconds},
        "seed": seed,
        "out": str(tmp / f"{name}-{seed}"),
        "checkpoint_every_s": 0,
        "progress": False,
        "tracking": {"backends": []},
    }
    path = tmp / f"{name}-{seed}.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    start = time.perf_counter()
    summary = run_search(load_search_config(path, []))
    seconds_taken = time.perf_counter() - start
    arch = space.decode(summary["best"]["code"])
    return {
        **table_row(space, arch),
        "method": f"{name} (NASWOT)",
        "seed": seed,
        "queries": summary["queries"],
        "search_s": round(seconds_taken, 1),
    }


def table_row(space, arch) -> dict:
    """The NB201 table's CIFAR-10 test accuracy of `arch` and its skip count."""
    table = EVALUATORS.build("nb201_table", {"dataset": "cifar10"}, {"space": space})
    [result] = table.evaluate([arch])
    return {
        "cell": space.encode(arch),
        "test_cifar10": result.metrics["test_cifar10"],
        "skip_edges": sum(op == "skip_connect" for op in space.to_ops(arch)),
    }


def proxyless(seed: int, args: argparse.Namespace, tmp: Path) -> dict:
    """ProxylessNAS on the complete space (latency table measured here), its cell trained."""
    space = load_space("complete")
    start = time.perf_counter()
    latency = build_latency_table(space, network=PROXYLESS_NET, repeats=5, warmup=1)
    table_path = latency.save(tmp / "latency.json")
    measure_s = time.perf_counter() - start
    params = {
        "data": f"tiny-imagenet:{DATA}",
        "resolution": 32,
        "val_per_class": 50,
        "train_per_class": args.train_per_class,
        "network": PROXYLESS_NET,
        "batch_size": args.batch,
        "total_steps": args.steps,
        "steps_per_ask": args.steps,
        "cost_metric": "latency_ms",
        "cost_weight": 0.1,
        "latency_table": str(table_path),
    }
    strategy = STRATEGIES.build(
        "proxyless", params, {"space": space, "seed": seed, "device": "cpu"}
    )
    start = time.perf_counter()
    [arch] = strategy.ask(1)
    search_s = time.perf_counter() - start
    trainer = EVALUATORS.build(
        "train",
        {
            "data": f"tiny-imagenet:{DATA}",
            "epochs": args.proxyless_epochs,
            "train_per_class": 100,
            "val_per_class": 30,
            "validation": "holdout",
            "resolution": 32,
            "network": PROXYLESS_NET,
            "train": {"batch_size": 50, "lr": 0.1},
        },
        {"space": space, "seed": seed, "device": "cpu"},
    )
    [result] = trainer.evaluate([arch])
    return {
        "method": "proxyless (complete)",
        "seed": seed,
        "held_out_acc": result.reward,
        "latency_ms": round(latency.arch_latency_ms(arch, space, PROXYLESS_NET), 3),
        "search_s": round(search_s, 1),
        "latency_table_s": round(measure_s, 1),
        "cell": str(space.encode(arch)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--methods", default="darts,gdas,stacnas")
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--channels", type=int, default=8)
    parser.add_argument("--train-per-class", type=int, default=200)
    parser.add_argument("--baselines", default="random,evolution", help="'' for none")
    parser.add_argument("--proxyless-epochs", type=int, default=1, help="0: no ProxylessNAS row")
    add_json_option(parser)
    args = parser.parse_args()
    if not DATA.is_file():
        write_skip(args.json, "differentiable_nb201", f"{DATA} is absent")
        return
    torch.set_num_threads(1)
    methods = args.methods.split(",")
    names = [n for n in args.baselines.split(",") if n]
    with tempfile.TemporaryDirectory(prefix="bench-diff-") as tmp:
        extra = [proxyless(0, args, Path(tmp))] if args.proxyless_epochs > 0 else []
        rows = [run(m, s, args) for m in methods for s in range(args.seeds)]
        equal_s = statistics.mean(r["search_s"] for r in rows)
        rows += [baseline(n, s, equal_s, Path(tmp)) for n in names for s in range(args.seeds)]
    lines = [
        "| method | seeds | NB201 CIFAR-10 test (ours, mean +- std) | paper (CIFAR-10 search) "
        "| parameter-free share of derived edges | search s per seed |",
        "|---|---|---|---|---|---|",
    ]
    for method in [*methods, *(f"{n} (NASWOT)" for n in names)]:
        mine = [r for r in rows if r["method"] == method]
        acc = [r["test_cifar10"] for r in mine]
        std = statistics.stdev(acc) if len(acc) > 1 else 0.0
        free = [r["parameter_free_share"] for r in mine if "parameter_free_share" in r]
        secs = statistics.mean(r["search_s"] for r in mine)
        lines.append(
            f"| {method} | {len(mine)} | {statistics.mean(acc):.2f} +- {std:.2f} | "
            f"{PAPER.get(method, '-')} | {statistics.mean(free):.2f} | {secs:.0f} |"
            if free
            else f"| {method} | {len(mine)} | {statistics.mean(acc):.2f} +- {std:.2f} | - | - | "
            f"{secs:.0f} ({statistics.mean(r['queries'] for r in mine):.0f} queries) |"
        )
    lines.append("")
    lines.append(
        "Derived cells: " + "; ".join(f"{r['method']} s{r['seed']} `{r['cell']}`" for r in rows)
    )
    lines.append(
        f"\nSupernet C={args.channels}, N=1, {args.steps} steps of {args.batch} images "
        f"({args.train_per_class} train + 50 held-out images per class, 32x32), 1 CPU thread. "
        f"Baselines: `budget.seconds={equal_s:.0f}` (the mean search time above) each."
    )
    for r in extra:
        lines.append(
            f"\nProxylessNAS on the complete space (C=8, 2 cells, {args.steps} steps, latency "
            f"table measured here in {r['latency_table_s']:.0f} s): derived cell trained "
            f"{args.proxyless_epochs} epoch(s) on 1,000 images, held-out top-1 "
            f"{r['held_out_acc']:.1f} %, predicted latency {r['latency_ms']:.2f} ms "
            f"(batch 1), search {r['search_s']:.0f} s."
        )
    write_record(args.json, "differentiable_nb201", "\n".join(lines), rows + extra)


if __name__ == "__main__":
    main()
