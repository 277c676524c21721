"""What weight sharing costs: supernet training throughput, and seconds per evaluated cell.

Throughput (images/s of SGD steps, batch 64, same data and augmentation, one thread): the NB201
supernet trained by SPOS (a new uniform path every step), the supernet on one fixed path, the
compiled stand-alone network of the same cells, and the mixed (DARTS-style, all ops weighted)
forward as context. Cost per evaluated cell: the supernet evaluator's score (BN recalibration +
500 held-out images) vs the `train` evaluator training the cell from scratch for one epoch of
the proxy task (4,500 images) and validating it; the NB201 table itself stands for 200 epochs.

Run: .venv/bin/python benchmarks/supernet_cost.py --steps 30 --json out.json
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from supernet_common import NB201, proxy_task, sample_cells, write_json
from torch import nn

from graphnas.evaluators import EVALUATORS
from graphnas.graph import ArchGraph
from graphnas.seeding import generator_for

# The ResNet-like NB201 cell (all 3x3 convs but one skip): a large, typical path.
RESNET_CELL = NB201.decode(
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"
)


def images_per_s(step: Any, steps: int, batch: int) -> float:
    step(0)  # first step: allocations, not throughput
    start = time.perf_counter()
    for i in range(1, steps + 1):
        step(i)
    return steps * batch / (time.perf_counter() - start)


def standalone_step(supernet_eval: Any, arch: ArchGraph) -> Any:
    """A training step of `arch`'s compiled network on the supernet trainer's batches."""
    trainer = supernet_eval.trainer()
    net = supernet_eval.supernet.standalone(arch)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9, nesterov=True)

    def step(i: int) -> None:
        images, labels = trainer.batch(i)
        x = trainer.augment(images, generator_for(0, "bench-augment", i))
        loss = F.cross_entropy(net(x), labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(net.parameters(), 5.0)
        optimizer.step()

    return step


def mixed_step(supernet_eval: Any) -> Any:
    trainer = supernet_eval.trainer()
    net = supernet_eval.supernet
    weights = [w.requires_grad_() for w in net.uniform_weights()]

    def step(i: int) -> None:
        images, labels = trainer.batch(i)
        x = trainer.augment(images, generator_for(0, "bench-augment", i))
        loss = F.cross_entropy(net.forward_mixed(x, weights), labels)
        trainer.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        trainer.optimizer.step()

    return step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--cells", type=int, default=10, help="cells scored / trained for costs")
    parser.add_argument("--train-cells", type=int, default=2, help="cells trained for one epoch")
    parser.add_argument("--channels", type=int, default=8)
    parser.add_argument("--cells-per-stage", type=int, default=1)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    torch.set_num_threads(1)
    task = proxy_task(args.channels, args.cells_per_stage)
    ev = EVALUATORS.get("supernet")(NB201, **task, warmup_steps=0, train={"batch_size": 64})
    trainer = ev.trainer()
    rng = np.random.default_rng(0)
    paths = [ev.supernet.sample(rng) for _ in range(args.steps + 1)]
    throughput = [
        ("supernet, SPOS (new uniform path per step)", lambda i: trainer.train_step(paths[i])),
        ("supernet, fixed ResNet-like path", lambda i: trainer.train_step(RESNET_CELL)),
        ("stand-alone network of that cell", standalone_step(ev, RESNET_CELL)),
        ("supernet, mixed forward (all ops weighted)", mixed_step(ev)),
    ]
    # Stand-alone networks of the SPOS paths: the same cells, one network each (build excluded).
    spos_nets = [standalone_step(ev, a) for a in paths[:6]]
    rows: list[dict[str, Any]] = []
    for name, step in throughput:
        rows.append({"what": name, "images_per_s": round(images_per_s(step, args.steps, 64), 1)})
    per_net = [images_per_s(step, max(2, args.steps // 6), 64) for step in spos_nets]
    rows.insert(
        1,
        {
            "what": "stand-alone networks of SPOS paths",
            "images_per_s": round(float(np.mean(per_net)), 1),
        },
    )

    cells = sample_cells(args.cells, 1)
    score_s = []
    for arch in cells:
        start = time.perf_counter()
        ev.score(arch)
        score_s.append(time.perf_counter() - start)
    ev.recalibrate_bn = False
    start = time.perf_counter()
    for arch in cells:
        ev.score(arch)
    plain_s = (time.perf_counter() - start) / len(cells)
    train_eval = EVALUATORS.get("train")(
        NB201, **task, epochs=1, train={"batch_size": 64, "warmup_epochs": 0.0}
    )
    train_eval.evaluate(cells[:1])  # data loaded
    train_s = []
    for arch in cells[: args.train_cells]:
        start = time.perf_counter()
        train_eval.evaluate([arch])
        train_s.append(time.perf_counter() - start)
    ws_cost, real_cost = float(np.mean(score_s)), float(np.mean(train_s))
    costs = [
        {"what": "supernet score, BN recalibrated", "seconds": round(ws_cost, 3), "ratio": 1.0},
        {"what": "supernet score, no recalibration", "seconds": round(plain_s, 3)},
        {"what": "train from scratch, 1 epoch + validation", "seconds": round(real_cost, 2)},
        {
            "what": "train from scratch, 200 epochs (extrapolated)",
            "seconds": round(200 * real_cost),
        },
    ]
    for row in costs:
        row["ratio"] = round(row["seconds"] / ws_cost, 1)
    md = "| training | images/s |\n|---|---|\n" + "".join(
        f"| {r['what']} | {r['images_per_s']} |\n" for r in rows
    )
    md += "\n| cost per evaluated cell | seconds | x supernet score |\n|---|---|---|\n" + "".join(
        f"| {r['what']} | {r['seconds']} | {r['ratio']} |\n" for r in costs
    )
    md += (
        f"\nNB201 skeleton C={args.channels}, N={args.cells_per_stage}, Tiny ImageNet subset at "
        f"32x32, batch 64, one CPU thread; {args.steps} timed steps per row, scores over "
        f"{args.cells} cells, training over {args.train_cells}. The supernet's own training "
        "(the warm-up) is paid once per search and shared by every evaluated cell.\n"
    )
    write_json(args.json, "supernet_cost", md, rows + costs)


if __name__ == "__main__":
    main()
