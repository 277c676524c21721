"""Generator sampling throughput: graphs/s batched vs one graph at a time, in one process.

    .venv/bin/python benchmarks/generator_throughput.py [--threads 1] [--repeats 3] [--json PATH]

Spaces: NB201 cells, one 32-node RandWire stage, and the three-stage RandWire small regime
(3 x 32 nodes, stages generated side by side). For each generator (GraphPNAS, the ENAS LSTM) it
times `sample(n)` (ArchGraph decoding included) for n = 1 repeated, and batches of 100 and 1000,
and prints graphs/s and the speed-up of each batch size over one at a time (best of `repeats`).
The original GraphPNAS code samples about 3,400 NB201 cells/s and about 55 32-node graphs/s at
batch 100 (8/s one at a time) on a machine like this one (issue 4).
"""

from __future__ import annotations

import argparse
import time

import torch
from record import add_json_option, write_record

from graphnas.generators import GraphPNASGenerator, LSTMController
from graphnas.spaces import load_space

SPACES = {
    "nb201": "nb201",
    "randwire-32": {"kind": "randwire", "name": "rw32", "stage_nodes": [32]},
    "randwire-3x32": "randwire_small",
}


def graphs_per_second(model, n: int, calls: int, repeats: int) -> float:
    """Best over `repeats` of (n * calls) / time for `calls` calls of sample(n)."""
    rng = torch.Generator().manual_seed(0)
    best = 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            model.sample(n, generator=rng)
        best = max(best, n * calls / (time.perf_counter() - start))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--singles", type=int, default=20, help="one-at-a-time calls per timing")
    add_json_option(parser)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    lines = [
        f"torch {torch.__version__}, {torch.get_num_threads()} thread(s)",
        "",
        "| space | generator | 1 at a time (graphs/s) | batch 100 | batch 1000 "
        "| x at 100 | x at 1000 |",
        "|---|---|---|---|---|---|---|",
    ]
    rows = []
    for label, spec in SPACES.items():
        space = load_space(spec)
        for cls in (GraphPNASGenerator, LSTMController):
            torch.manual_seed(0)
            model = cls(space)
            model.sample(4, generator=torch.Generator().manual_seed(1))  # warm-up
            single = graphs_per_second(model, 1, args.singles, args.repeats)
            b100 = graphs_per_second(model, 100, 1, args.repeats)
            b1000 = graphs_per_second(model, 1000, 1, args.repeats)
            lines.append(
                f"| {label} | {cls.kind} | {single:.1f} | {b100:.0f} | {b1000:.0f} | "
                f"{b100 / single:.1f} | {b1000 / single:.1f} |"
            )
            rows.append(
                {
                    "space": label,
                    "generator": cls.kind,
                    "single": single,
                    "b100": b100,
                    "b1000": b1000,
                }
            )
    write_record(args.json, "generator_throughput", "\n".join(lines), rows)


if __name__ == "__main__":
    main()
