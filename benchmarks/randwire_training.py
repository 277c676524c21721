"""Training throughput of RandWire Tiny ImageNet networks and time per proxy evaluation.

For the full RandWire network of spaces/randwire_tiny.yaml (WS(4, 0.75) prior, C = 78, 3 x 32
nodes, 64x64 input, here with a 10-class head) and for the scaled-down proxy network of
experiments/randwire_tinyimagenet_cpu.yaml (C = 8, 32x32), this measures training images/s with
graphnas.train.Trainer (SGD step, augmentation and loss included; evaluation excluded) on the real
10-class Tiny ImageNet subset, and converts it to achieved FLOP/s (3 x forward FLOPs per image,
forward FLOPs from the compiler's analytic count) next to the measured peak of a large fp32 matmul
in the same process with the same threads. It then times the proxy evaluation (TrainEvaluator)
of the CPU experiment on a few sampled architectures.

Run: .venv/bin/python benchmarks/randwire_training.py [--threads 1] [--proxy-archs 3] [--json PATH]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from record import add_json_option, write_record, write_skip

from graphnas.compiler import compile_arch
from graphnas.config import load_search_config
from graphnas.data.spec import load_dataset
from graphnas.evaluators import EVALUATORS
from graphnas.evaluators.proxy_training import proxy_dataset
from graphnas.spaces import load_space
from graphnas.train import TrainConfig, Trainer

ROOT = Path(__file__).resolve().parents[1]
SUBSET = ROOT.parent / "shared/data/tiny-imagenet/tiny-imagenet-200-sub10.tar"


def matmul_peak(threads: int, size: int = 1024, repeats: int = 5) -> float:
    """Best fp32 FLOP/s of a size^3 matmul over a few repeats."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    best = 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        best = max(best, 2 * size**3 / (time.perf_counter() - start))
    return best


def throughput(space, arch, data, network: dict, batch: int, images: int) -> tuple[float, float]:
    """(training images/s, forward FLOPs per image) of one network on `images` training images."""
    torch.manual_seed(0)
    model = compile_arch(
        arch, space, num_classes=data.num_classes, input_size=data.resolution, network=network
    )
    subset = proxy_dataset(data, train_per_class=images // data.num_classes, val_per_class=1)
    config = TrainConfig(epochs=1, batch_size=batch, eval_batch_size=batch, warmup_epochs=0)
    trainer = Trainer(model, subset, config, "cpu")
    trainer.fit()  # warm-up epoch (first-call costs)
    trainer = Trainer(model, subset, config, "cpu")
    result = trainer.fit()
    return result.train_images_per_s, float(model.cost.flops)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--proxy-archs", type=int, default=3)
    add_json_option(parser)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if not SUBSET.is_file():
        write_skip(args.json, "randwire_training", f"{SUBSET} (Tiny ImageNet subset) is absent")
        return
    space = load_space("randwire_tiny")
    arch = space.sample_prior(np.random.default_rng(0))
    full = load_dataset(f"tiny-imagenet:{SUBSET}")
    peak = matmul_peak(args.threads)
    rows, records = [], []
    for label, network, data, batch, images in (
        ("full: C=78, 64x64", None, full, 32, 64),
        ("proxy: C=8, 32x32", {"channels": 8, "head_channels": 128}, full.resized(32), 50, 400),
    ):
        rate, flops = throughput(space, arch, data, network, batch, images)
        achieved = 3 * flops * rate
        rows.append(
            f"| {label} | {flops / 1e6:.1f} | {rate:.1f} | {achieved / 1e9:.2f} | "
            f"{achieved / peak:.1%} |"
        )
        records.append(
            {
                "network": label,
                "mflops": flops / 1e6,
                "images_per_s": rate,
                "of_peak": achieved / peak,
            }
        )

    experiment = load_search_config(ROOT / "experiments/randwire_tinyimagenet_cpu.yaml")
    params = dict(experiment.evaluator.params, data=f"tiny-imagenet:{SUBSET}")
    evaluator = EVALUATORS.build("train", params, {"space": space, "device": "cpu", "seed": 0})
    evaluator.dataset()
    costs, rewards = [], []
    for i in range(args.proxy_archs):
        result = evaluator.evaluate([space.sample_prior(np.random.default_rng(100 + i))])[0]
        costs.append(result.cost_s)
        rewards.append(result.reward)

    lines = [
        f"RandWire (randwire_tiny graphs, WS(4, 0.75) sample, seed 0), 10-class Tiny ImageNet "
        f"subset, CPU, {args.threads} torch thread(s); fp32 matmul peak measured here: "
        f"{peak / 1e9:.1f} GFLOP/s",
        "",
        "| network | forward MFLOPs / image | training images/s | achieved GFLOP/s | of peak |",
        "|---|---|---|---|---|",
        *rows,
    ]
    if costs:
        lines += [
            "",
            f"Proxy evaluation of experiments/randwire_tinyimagenet_cpu.yaml ({args.proxy_archs} "
            f"sampled architectures): {np.mean(costs):.1f} s each on average "
            f"(min {min(costs):.1f}, max {max(costs):.1f}); rewards (val top-1 %): "
            + ", ".join(f"{r:.1f}" for r in rewards),
        ]
    records.append({"proxy_cost_s": costs, "proxy_rewards": rewards, "matmul_peak": peak})
    write_record(args.json, "randwire_training", "\n".join(lines), records)


if __name__ == "__main__":
    main()
