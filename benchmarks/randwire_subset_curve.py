"""A sampled RandWire network trained on the real 10-class Tiny ImageNet subset: accuracy per epoch.

The network is the compiled WS(4, 0.75) sample (seed 0) of spaces/randwire_tiny.yaml (3 stages of
32 nodes), narrowed to `--channels` base channels and trained at `--resolution` so that it runs on
a CPU. Training: all 5,000 training images, SGD (Nesterov, momentum 0.9), cosine schedule with one
warm-up epoch, label smoothing 0.1, weight decay 5e-4 (not on BN/bias), crop (padding 4) + flip.
Accuracy is measured on the official validation split (500 images; chance = 10%).

Run: .venv/bin/python benchmarks/randwire_subset_curve.py --epochs 10 [--plot PNG] [--json PATH]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from record import add_json_option, write_record, write_skip

from graphnas.compiler import compile_arch
from graphnas.data.spec import load_dataset
from graphnas.spaces import load_space
from graphnas.train import TrainConfig, Trainer

ROOT = Path(__file__).resolve().parents[1]
SUBSET = ROOT.parent / "shared/data/tiny-imagenet/tiny-imagenet-200-sub10.tar"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--channels", type=int, default=16)
    parser.add_argument("--resolution", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--plot", type=Path, default=None, help="write the curve as a PNG")
    add_json_option(parser)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if not SUBSET.is_file():
        write_skip(args.json, "randwire_subset_curve", f"{SUBSET} (Tiny ImageNet subset) is absent")
        return
    data = load_dataset(f"tiny-imagenet:{SUBSET}").resized(args.resolution)
    space = load_space("randwire_tiny")
    arch = space.sample_prior(np.random.default_rng(0))
    torch.manual_seed(0)
    network = {"channels": args.channels, "head_channels": 16 * args.channels}
    model = compile_arch(
        arch, space, num_classes=data.num_classes, input_size=data.resolution, network=network
    )
    config = TrainConfig(
        epochs=args.epochs,
        batch_size=64,
        lr=0.1,
        weight_decay=5e-4,
        label_smoothing=0.1,
        warmup_epochs=1,
        crop_padding=4,
        seed=0,
    )
    start = time.perf_counter()
    result = Trainer(model, data, config, "cpu").fit()
    wall = time.perf_counter() - start
    if result.status != "ok":
        raise SystemExit(f"training failed: {result.error}")
    chance = 100.0 / data.num_classes
    lines = [
        f"RandWire WS(4, 0.75) sample (seed 0) of randwire_tiny, C={args.channels}, "
        f"{args.resolution}x{args.resolution}, {sum(p.numel() for p in model.parameters()):,} "
        f"parameters; 10-class Tiny ImageNet subset ({len(data.train)} train / {len(data.val)} "
        f"val); {args.epochs} epochs in {wall / 60:.1f} min on CPU ({args.threads} thread(s)); "
        f"chance = {chance:.0f}%",
        "",
        "| epoch | lr | train loss | train top-1 % | val loss | val top-1 % | val top-5 % |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in result.history:
        lines.append(
            f"| {int(r['epoch'])} | {r['lr']:.4f} | {r['train_loss']:.3f} | "
            f"{r['train_top1']:.1f} | {r['val_loss']:.3f} | {r['val_top1']:.1f} | "
            f"{r['val_top5']:.1f} |"
        )
    final = result.final
    lines += [
        "",
        f"Final val top-1 {final['val_top1']:.1f}% = {final['val_top1'] / chance:.1f}x "
        f"chance; {result.train_images_per_s:.0f} training images/s.",
    ]
    write_record(args.json, "randwire_subset_curve", "\n".join(lines), list(result.history))
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        epochs = [r["epoch"] for r in result.history]
        fig, ax = plt.subplots(figsize=(5, 3.2))
        ax.plot(epochs, [r["val_top1"] for r in result.history], "o-", label="val top-1")
        ax.plot(epochs, [r["train_top1"] for r in result.history], "s--", label="train top-1")
        ax.axhline(chance, color="gray", linestyle=":", label="chance")
        ax.set_xlabel("epoch")
        ax.set_ylabel("accuracy (%)")
        ax.legend()
        fig.tight_layout()
        fig.savefig(args.plot, dpi=120)


if __name__ == "__main__":
    main()
