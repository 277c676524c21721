"""A made-up chain benchmark with a known optimum, searched from YAML only with `compare --jobs 2`.

The space: 8 layers, ops {identity, mbconv_e3_k3, mbconv_e6_k5, sep_conv_3x3} (4^8 = 65,536
codes; identity at a shape-keeping layer is a no-op, so codes merge into canonical classes).
The table: a validation accuracy per code with 3 noisy trials (`trial: seed`), and a noise-free
`test_acc`: the sum of per-layer op scores plus a bonus for two big blocks in a row, so the
optimum is known by construction. Written as CSV with a space file and an experiment file; the
command then is plain `graphnas compare`, whose table reports "found optimum" (by `test_acc`).
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from record import add_json_option, write_record

OPS = ["identity", "mbconv_e3_k3", "mbconv_e6_k5", "sep_conv_3x3"]
LAYERS = 8
SPACE = {
    "kind": "chain",
    "name": "made_up_chain",
    "num_layers": LAYERS,
    "ops": OPS,
    "identity_op": "identity",
    "network": {
        "stem_channels": 16,
        "channels": [16, 16, 24, 24, 24, 32, 32, 32],
        "stride": [1, 1, 2, 1, 1, 2, 1, 1],
    },
}


def write_bench(folder: Path, queries: int) -> tuple[Path, str]:
    """Space file, table and experiment in `folder`; returns the experiment and the optimum."""
    rng = np.random.default_rng(0)
    layer_scores = rng.normal(0, 1, (LAYERS, len(OPS)))
    rows, best = [], ("", -np.inf)
    for digits in itertools.product(range(len(OPS)), repeat=LAYERS):
        test = 70 + sum(layer_scores[i, d] for i, d in enumerate(digits))
        test += 0.5 * sum(a == b == 2 for a, b in itertools.pairwise(digits))
        code = "".join(map(str, digits))
        trials = (test + rng.normal(0, 0.5, 3)).round(3).tolist()
        rows.append((code, json.dumps(trials), round(test, 3)))
        best = max(best, (code, round(test, 3)), key=lambda x: x[1])
    with (folder / "made_up.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["arch", "val_acc", "test_acc"])
        writer.writerows(rows)
    (folder / "made_up_chain.yaml").write_text(json.dumps(SPACE, indent=1))
    experiment = {
        "name": "made_up_chain",
        "space": str(folder / "made_up_chain.yaml"),
        "evaluator": {
            "name": "table",
            "params": {
                "path": str(folder / "made_up.csv"),
                "reward": "val_acc",
                "trial": "seed",
                "metrics": ["test_acc"],
                "optimum_metric": "test_acc",
            },
        },
        "budget": {"queries": queries},
        "device": "cpu",
        "progress": False,
    }
    (folder / "experiment.yaml").write_text(json.dumps(experiment, indent=1))
    return folder / "experiment.yaml", best[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--strategies", default="random,evolution,graphpnas")
    parser.add_argument("--out", type=Path, default=None, help="keep the files here (new folder)")
    add_json_option(parser)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp)
        out.mkdir(parents=True, exist_ok=out == Path(tmp))
        run(args, out)


def run(args: argparse.Namespace, out: Path) -> None:
    experiment, optimum = write_bench(out, args.queries)
    command = [
        sys.executable,
        "-c",
        "import sys; from graphnas.cli import main; sys.exit(main())",
        "compare",
        "--config",
        str(experiment),
        "--strategies",
        args.strategies,
        "--seeds",
        str(args.seeds),
        "--jobs",
        "2",
        "--metric",
        "test_acc",
        "--out",
        str(out / "compare"),
    ]
    subprocess.run(command, check=True)
    table = (out / "compare" / "table.md").read_text()
    summary = json.loads((out / "compare" / "compare.json").read_text())
    notes = (
        f"\n\nTable optimum (by construction, by test_acc): code `{optimum}`; "
        f"{args.queries} queries of a 65,536-code space, {args.seeds} seeds, `compare "
        "--jobs 2` on the generated YAML files (see the script)."
    )
    write_record(args.json, "chain_bench", table.strip() + notes, [summary])


if __name__ == "__main__":
    main()
