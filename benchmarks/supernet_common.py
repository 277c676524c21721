"""What the weight-sharing benchmarks share: the NB201 proxy task, cell samples, the --json record.

The proxy task is the recipes' (experiments/nb201_spos.yaml): the real 10-class Tiny ImageNet
subset resized to 32x32, 50 images per class held out of the training split for the reward.
"""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path
from typing import Any

import numpy as np

from graphnas.evaluators.nb201_table import load_nb201_table
from graphnas.graph import ArchGraph
from graphnas.spaces import load_space

ROOT = Path(__file__).resolve().parents[1]
SUBSET = ROOT.parent / "shared" / "data" / "tiny-imagenet" / "tiny-imagenet-200-sub10.tar"
NB201 = load_space("nb201")
TABLE_DATASETS = ("imagenet16", "cifar10")


def require_subset() -> str:
    """The data spec of the Tiny ImageNet subset; exits with a message when it is absent."""
    if not SUBSET.is_file():
        sys.exit(f"{SUBSET} is absent: these benchmarks need the shared Tiny ImageNet subset")
    return f"tiny-imagenet:{SUBSET}"


def proxy_task(channels: int, cells_per_stage: int) -> dict[str, Any]:
    """Evaluator options of the NB201 proxy task at a CPU-sized skeleton (C, N)."""
    return {
        "data": require_subset(),
        "resolution": 32,
        "validation": "holdout",
        "val_per_class": 50,
        "network": {"channels": channels, "cells_per_stage": cells_per_stage},
    }


def sample_cells(count: int, seed: int) -> list[ArchGraph]:
    """`count` distinct NB201 cells (table rows), uniform without replacement."""
    table = load_nb201_table()
    rows = np.random.default_rng(seed).choice(len(table.ops), size=count, replace=False)
    return [NB201.decode(table.arch_str(int(r))) for r in rows]


def table_accuracy(arch: ArchGraph, dataset: str, split: str = "test") -> float:
    """The NB201 table's 200-epoch accuracy (%) of `arch` on `dataset`."""
    table = load_nb201_table()
    return float(table.columns[f"{split}_{dataset}"][table.row_of[NB201.encode(arch)]])


def write_json(path: Path | None, name: str, table_md: str, rows: list[dict[str, Any]]) -> None:
    """The benchmark record: name, the command that reruns it, the markdown, the rows."""
    print(table_md)
    if path is None:
        return
    command = shlex.join([".venv/bin/python", *sys.argv])
    record = {"name": name, "command": command, "table_md": table_md, "rows": rows}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=1) + "\n")
