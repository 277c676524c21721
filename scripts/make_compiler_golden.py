"""Derive the compiler's golden fixture (tests/assets/compiler_golden.json) from ../shared/data.

Keeps a deterministic sample of the published figures so the golden tests run without the
shared data (the full sweeps run when it is present):
  nb201: cells of zc_nasbench201.json (NAS-Bench-Suite-Zero) with params and FLOPs per dataset;
         each cell as its six op names in the official edge order
  nb101: cells of zc_nasbench101.json with params and FLOPs; each cell as its 7x7 adjacency
         (row-major bit string) and its seven op names
Figures are copied as published (millions, as floats); nothing is computed here.

Usage: python scripts/make_compiler_golden.py [--data ../shared/data] [--every 10]
"""

from __future__ import annotations

import argparse
import ast
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "assets" / "compiler_golden.json"
# NASLib's NB201 encoding: edges (1,2),(1,3),(1,4),(2,3),(2,4),(3,4) (1-based), op indices below.
NASLIB_NB201_EDGES = ((0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3))
NASLIB_NB201_OPS = ("skip_connect", "none", "nor_conv_3x3", "nor_conv_1x1", "avg_pool_3x3")
OFFICIAL_EDGES = ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))
NB201_DATASETS = {"cifar10": (10, 32), "cifar100": (100, 32), "ImageNet16-120": (120, 16)}
NB101_OPS = ("input", "output", "maxpool3x3", "conv1x1-bn-relu", "conv3x3-bn-relu")


def nb201_ops(naslib_key: str) -> list[str]:
    """Six op names in the official edge order from a NASLib tuple key like '(4, 1, 0, 0, 0, 3)'."""
    codes = ast.literal_eval(naslib_key)
    by_edge = {e: NASLIB_NB201_OPS[c] for e, c in zip(NASLIB_NB201_EDGES, codes, strict=True)}
    return [by_edge[e] for e in OFFICIAL_EDGES]


def nb101_cell(key: str) -> tuple[str, list[str]]:
    """(49-char adjacency bit string, 7 op names) from a NASLib key (49 ints + 7 op indices)."""
    values = ast.literal_eval(key)
    return "".join(str(v) for v in values[:49]), [NB101_OPS[i] for i in values[49:]]


def load_nb201(data: Path) -> list[dict]:
    table = json.loads((data / "nb201" / "zc_nasbench201.json").read_text())["nasbench201"]
    cells: dict[str, dict] = {}
    for dataset, entries in table.items():
        for key, entry in entries.items():
            cell = cells.setdefault(key, {"ops": nb201_ops(key)})
            cell[dataset] = {"params_M": entry["params"], "flops_M": entry["flops"]}
    return [cells[k] for k in sorted(cells)]


def load_nb101(data: Path) -> list[dict]:
    table = json.loads((data / "nb101" / "zc_nasbench101.json").read_text())["nasbench101"]
    cells = []
    for key in sorted(table["cifar10"]):
        entry = table["cifar10"][key]
        matrix, ops = nb101_cell(key)
        cells.append(
            {"matrix": matrix, "ops": ops, "params_M": entry["params"], "flops_M": entry["flops"]}
        )
    return cells


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--every", type=int, default=10, help="keep every k-th cell")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    golden = {
        "source": "NAS-Bench-Suite-Zero tables (zc_nasbench201.json, zc_nasbench101.json)",
        "nb201_datasets": {k: list(v) for k, v in NB201_DATASETS.items()},
        "nb201": load_nb201(args.data)[:: args.every],
        "nb101": load_nb101(args.data)[:: args.every],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(golden, separators=(",", ":")) + "\n")
    print(f"wrote {args.out} ({len(golden['nb201'])} NB201 and {len(golden['nb101'])} NB101 cells)")


if __name__ == "__main__":
    main()
