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
A missing or malformed CSV is one line on stderr naming it, exit status 2, nothing written.
"""

from __future__ import annotations

import argparse
import csv
import sys
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
REQUIRED_COLUMNS = {"nb201_index", "arch_str", "params_c10_M", *COLUMNS.values()}


class TableError(Exception):
    """The CSV cannot give the table (missing, unreadable, or not the merged NB201 layout)."""


def parse_arch_str(text: str) -> list[int]:
    """Op indices of the six edges of an official arch string, checking the input numbering."""
    ops = []
    for t, group in enumerate(text.split("+"), start=1):
        tokens = group.strip("|").split("|")
        if len(tokens) != t:
            raise TableError(f"bad node group {group!r} in {text!r}")
        for j, token in enumerate(tokens):
            op, _, src = token.partition("~")
            if src != str(j) or op not in OP_NAMES:
                raise TableError(f"bad edge {token!r} in {text!r}")
            ops.append(OP_NAMES.index(op))
    return ops


def arch_str(ops: np.ndarray) -> str:
    it = iter(OP_NAMES[i] for i in ops)
    return "+".join("|" + "|".join(f"{next(it)}~{j}" for j in range(t)) + "|" for t in (1, 2, 3))


def build(csv_path: Path) -> dict[str, np.ndarray]:
    """The table from the merged CSV; TableError names the file and the problem."""
    if not csv_path.is_file():
        raise TableError(
            f"{csv_path}: no such file (it comes with ../shared/data; give --csv PATH)"
        )
    try:
        with csv_path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            missing = sorted(REQUIRED_COLUMNS - set(reader.fieldnames or ()))
            if missing:
                raise TableError(f"missing column(s) {', '.join(missing)}")
            rows = sorted(reader, key=lambda r: int(r["nb201_index"]))
        return _table(rows)
    except OSError as err:
        raise TableError(f"{csv_path}: cannot read: {err.strerror or err}") from None
    except (ValueError, TypeError) as err:
        raise TableError(f"{csv_path}: bad value: {err}") from None
    except TableError as err:
        raise TableError(f"{csv_path}: {err}") from None


def _table(rows: list[dict[str, str]]) -> dict[str, np.ndarray]:
    indices = [int(r["nb201_index"]) for r in rows]
    if indices != list(range(NUM_CELLS)):
        raise TableError(f"expected official indices 0..{NUM_CELLS - 1}")
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
        if arch_str(ops) != r["arch_str"]:
            raise TableError(f"{r['arch_str']!r} does not round-trip")
    if len({bytes(o) for o in table["ops"]}) != NUM_CELLS:
        raise TableError("some cell appears twice")
    for name in COLUMNS:
        if not np.isfinite(table[name]).all():
            raise TableError(f"column {COLUMNS[name]} holds non-finite values")
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--csv", type=Path, default=ROOT.parent / "shared/data/nb201/nb201_merged.csv"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "graphnas/assets/nb201_table.npz")
    args = parser.parse_args(argv)
    try:
        table = build(args.csv)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(args.out, **table)
    except TableError as err:
        print(f"build_nb201_table: error: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"build_nb201_table: error: {args.out}: {err.strerror or err}", file=sys.stderr)
        return 2
    print(f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KiB, {NUM_CELLS} cells)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
