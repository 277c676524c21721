"""Cells found with weight sharing on NB201: SPOS + evolution, RS-WS and ENAS, several seeds.

Each method is its recipe (experiments/nb201_spos.yaml, nb201_rsws.yaml, nb201_enas.yaml: the
Tiny ImageNet subset at 32x32, CPU-sized supernet) run with `graphnas search`'s own code under
each seed; the cell with the best shared-weight reward is looked up in the NB201 table (200-epoch
test accuracy, never searched on), as the NB201 paper evaluates weight-sharing methods.

Run: .venv/bin/python benchmarks/supernet_search.py --seeds 2 --queries 60 --json out.json
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from supernet_common import NB201, ROOT, TABLE_DATASETS, require_subset, table_accuracy, write_json

from graphnas.config import load_search_config
from graphnas.evaluators.nb201_table import load_nb201_table
from graphnas.search import run_search

METHODS = {"spos": "nb201_spos.yaml", "rsws": "nb201_rsws.yaml", "enas": "nb201_enas.yaml"}
LABELS = {"spos": "SPOS + evolution", "rsws": "RS-WS (random search)", "enas": "ENAS (LSTM)"}


def run_one(method: str, seed: int, args: argparse.Namespace, out: Path) -> dict[str, Any]:
    overrides = [
        f"out={out}",
        f"seed={seed}",
        f"budget.queries={args.queries}",
        "progress=false",
        "tracking.backends=[]",
    ]
    if method != "enas" and args.warmup_steps is not None:
        overrides.append(f"evaluator.params.warmup_steps={args.warmup_steps}")
    start = time.perf_counter()
    summary = run_search(load_search_config(ROOT / "experiments" / METHODS[method], overrides))
    wall = time.perf_counter() - start
    best = NB201.decode(summary["best"]["code"])
    row = {
        "method": method,
        "seed": seed,
        "queries": summary["queries"],
        "cost_s": round(summary["cost_s"], 1),
        "wall_s": round(wall, 1),
        "stopped": summary["stopped"],
        "cell": summary["best"]["code"],
        "ws_reward": summary["best"]["reward"],
    }
    for dataset in TABLE_DATASETS:
        row[f"test_{dataset}"] = round(table_accuracy(best, dataset), 2)
    return row


def mean_std(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:.2f}"
    return f"{statistics.mean(values):.2f} ± {statistics.stdev(values):.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--queries", type=int, default=60)
    parser.add_argument("--warmup-steps", type=int, default=None, help="SPOS/RS-WS override")
    parser.add_argument("--methods", default="spos,rsws,enas")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    require_subset()
    torch.set_num_threads(1)
    rows = []
    with tempfile.TemporaryDirectory(prefix="supernet-search-") as tmp:
        for method in args.methods.split(","):
            for seed in range(args.seeds):
                rows.append(run_one(method, seed, args, Path(tmp) / f"{method}-{seed}"))
                print(rows[-1], flush=True)
    table = load_nb201_table()
    md = (
        "| method | seeds | test IN16-120 (%) | test CIFAR-10 (%) | cost s per run |\n"
        "|---|---|---|---|---|\n"
    )
    for method in dict.fromkeys(r["method"] for r in rows):
        mine = [r for r in rows if r["method"] == method]
        md += (
            f"| {LABELS[method]} | {len(mine)} | "
            f"{mean_std([r['test_imagenet16'] for r in mine])} | "
            f"{mean_std([r['test_cifar10'] for r in mine])} | "
            f"{statistics.mean(r['cost_s'] for r in mine):.0f} |\n"
        )
    for dataset, label in (("imagenet16", "IN16-120"), ("cifar10", "CIFAR-10")):
        column = table.columns[f"test_{dataset}"]
        md += (
            f"\nNB201 {label} test accuracy: mean over all cells {float(np.mean(column)):.2f}, "
            f"best cell {float(np.max(column)):.2f}."
        )
    md += (
        f"\n{args.queries} queries per run, seeds 0..{args.seeds - 1}; each run trains its own "
        "supernet (the recipe's warm-up / ENAS steps) on the Tiny ImageNet subset at 32x32.\n"
    )
    write_json(args.json, "supernet_search", md, rows)


if __name__ == "__main__":
    main()
