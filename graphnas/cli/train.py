"""`graphnas train ARCH`: train one architecture fully; writes OUT/result.json and checkpoint.pt."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from graphnas.cli.app import app, echo
from graphnas.cli.options import Device, Seed, SpaceName, Wandb
from graphnas.train.callbacks import TrackerCallback, TrainCallback


class _EpochPrinter(TrainCallback):
    """One line per epoch: learning rate, losses, top-1/top-5 and throughput."""

    def __init__(self, write: Callable[[str], None]) -> None:
        self.write = write

    def on_epoch_end(self, trainer, record) -> None:
        self.write(
            f"epoch {int(record['epoch']):>3}  lr {record['lr']:.4f}  "
            f"train loss {record['train_loss']:.4f}  train top1 {record['train_top1']:.2f}  "
            f"val loss {record['val_loss']:.4f}  val top1 {record['val_top1']:.2f}  "
            f"val top5 {record['val_top5']:.2f}  "
            f"{record['train_images'] / max(record['train_seconds'], 1e-9):.0f} img/s"
        )


@app.command()
def train(
    arch: Annotated[Path, typer.Argument(help="Architecture JSON file (graphnas.arch schema).")],
    data: Annotated[
        str, typer.Option("--data", help="tiny-imagenet:PATH, cifar10:PATH, cifar100:PATH")
    ],
    epochs: Annotated[int, typer.Option("--epochs", help="Training epochs.")] = 30,
    space: SpaceName = None,
    out: Annotated[Path | None, typer.Option("--out", help="Run directory.")] = None,
    batch_size: Annotated[int, typer.Option("--batch-size")] = 128,
    lr: Annotated[float, typer.Option("--lr", help="Peak learning rate.")] = 0.1,
    classes: Annotated[
        int | None, typer.Option("--classes", help="Keep only the first N classes.")
    ] = None,
    seed: Seed = 0,
    device: Device = "auto",
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue from OUT/checkpoint.pt.")
    ] = False,
    wandb: Wandb = False,
) -> None:
    """Train one architecture fully on a dataset; writes OUT/result.json and OUT/checkpoint.pt.

    Exit status 1 when training fails (diverged, out of memory); the reason is in result.json.
    """
    import torch

    from graphnas.config import resolve_device
    from graphnas.tracking import build_trackers
    from graphnas.train.config import TrainConfig
    from graphnas.train.run import read_arch, train_architecture

    graph = read_arch(arch)
    dev = resolve_device(device)
    if dev.type == "cuda":
        torch.backends.cudnn.benchmark = True
    config = TrainConfig(epochs=epochs, batch_size=batch_size, lr=lr, seed=seed, progress=True)
    run_dir = out or Path("runs") / f"train-{arch.stem}-{time.strftime('%Y%m%d-%H%M%S')}"
    callbacks: list[TrainCallback] = [_EpochPrinter(echo)]
    tracker = None
    if wandb:
        tracker = build_trackers(
            ["wandb"], run_dir=run_dir, config=config.to_dict(), name=run_dir.name
        )
        callbacks.append(TrackerCallback(tracker))
    run = train_architecture(
        graph,
        space or graph.space,
        data,
        config,
        run_dir,
        dev,
        num_classes=classes,
        resume=resume,
        callbacks=callbacks,
    )
    result = run.result
    if tracker is not None:
        tracker.finish({"best": {"reward": result.final.get("val_top1"), "metrics": result.final}})
    echo(f"network: {run.params:,} parameters; data: {run.dataset}; device: {dev}")
    if result.status != "ok":
        echo(f"training failed: {result.error}")
        echo(f"run directory: {run.out}")
        raise typer.Exit(1)
    final = result.final
    echo(
        f"final: val top1 {final['val_top1']:.2f}%  val top5 {final['val_top5']:.2f}%  "
        f"after {result.epochs} epochs; {result.train_images_per_s:.0f} train img/s"
    )
    echo(f"run directory: {run.out}")
