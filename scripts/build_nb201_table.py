"""Derive the compact NAS-Bench-201 table shipped as package data (graphnas/assets/nb201_table.npz).

Reads ../shared/data/nb201/nb201_merged.csv (all 15,625 cells) and writes, row i = official index i:
  ops            uint8 [15625, 6]  op of each edge in official string order, indices into `op_names`
  op_names       str   [5]         none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3
  val_cifar10    float32 [15625]   cifar10-valid split validation accuracy (nw_c10valid_valid)
  test_cifar10   float32 [15625]   CIFAR-10 test accuracy (test_c10)
  val_cifar100   float32 [15625]   naslib_val_c100      test_cifar100  (test_c100)
  val_imagenet16 float32 [15625]   naslib_val_in16      test_imagenet16 (test_in16)
  params_cifar10 int32 [15625]     parameter count of the CIFAR-10 network (params_c10_M * 1e6)
Accuracies are percentages. CIFAR-100 / ImageNet16-120 parameter counts are the CIFAR-10 count plus
5,850 / 7,150 (only the classifier differs); the evaluator applies that rule.

Usage: python scripts/build_nb201_table.py [--csv PATH] [--out PATH]
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OP_NAMES = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
COLUMNS = {
    "val_cifar10": "nw_c10valid_valid",
    "test_cifar10": "test_c10",
    "val_cifar100": "naslib_val_c100",
    "test_cifar100": "test_c100",
    "val_imagenet16": "naslib_val_in16",
    "test_imagenet16": "test_in16",
}
NUM_CELLS = 15_625


def parse_arch_str(text: str) -> list[int]:
    """Op indices of the six edges of an official arch string, checking the input numbering."""
    ops = []
    for t, group in enumerate(text.split("+"), start=1):
        tokens = group.strip("|").split("|")
        assert len(tokens) == t, f"bad node group {group!r} in {text!r}"
        for j, token in enumerate(tokens):
            op, _, src = token.partition("~")
            assert src == str(j), f"bad input {token!r} in {text!r}"
            ops.append(OP_NAMES.index(op))
    return ops


def arch_str(ops: np.ndarray) -> str:
    it = iter(OP_NAMES[i] for i in ops)
    return "+".join("|" + "|".join(f"{next(it)}~{j}" for j in range(t)) + "|" for t in (1, 2, 3))


def build(csv_path: Path) -> dict[str, np.ndarray]:
    with csv_path.open(newline="") as handle:
        rows = sorted(csv.DictReader(handle), key=lambda r: int(r["nb201_index"]))
    indices = [int(r["nb201_index"]) for r in rows]
    if indices != list(range(NUM_CELLS)):
        raise SystemExit(f"{csv_path}: expected official indices 0..{NUM_CELLS - 1}")
    table: dict[str, np.ndarray] = {
        "ops": np.array([parse_arch_str(r["arch_str"]) for r in rows], dtype=np.uint8),
        "op_names": np.array(OP_NAMES),
    }
    for name, column in COLUMNS.items():
        table[name] = np.array([float(r[column]) for r in rows], dtype=np.float32)
    table["params_cifar10"] = np.array(
        [round(float(r["params_c10_M"]) * 1e6) for r in rows], dtype=np.int32
    )
    # Self-checks: every string round-trips, every cell appears once, nothing is missing.
    for r, ops in zip(rows, table["ops"], strict=True):
        assert arch_str(ops) == r["arch_str"], r["arch_str"]
    assert len({bytes(o) for o in table["ops"]}) == NUM_CELLS
    for name in COLUMNS:
        assert np.isfinite(table[name]).all(), name
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--csv", type=Path, default=ROOT.parent / "shared/data/nb201/nb201_merged.csv"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "graphnas/assets/nb201_table.npz")
    args = parser.parse_args()
    table = build(args.csv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, **table)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KiB, {NUM_CELLS} cells)")


if __name__ == "__main__":
    main()
