"""`graphnas train`: the command's work, kept out of cli.py so that cli.py stays thin."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from graphnas.train.callbacks import TrackerCallback, TrainCallback
from graphnas.train.config import TrainConfig
from graphnas.train.run import read_arch, train_architecture


class _EpochPrinter(TrainCallback):
    def __init__(self, echo: Callable[[str], None]) -> None:
        self.echo = echo

    def on_epoch_end(self, trainer, record) -> None:
        self.echo(
            f"epoch {int(record['epoch']):>3}  lr {record['lr']:.4f}  "
            f"train loss {record['train_loss']:.4f}  train top1 {record['train_top1']:.2f}  "
            f"val loss {record['val_loss']:.4f}  val top1 {record['val_top1']:.2f}  "
            f"val top5 {record['val_top5']:.2f}  "
            f"{record['train_images'] / max(record['train_seconds'], 1e-9):.0f} img/s"
        )


def run_train_command(
    arch_path: Path,
    data: str,
    epochs: int,
    space: str | None,
    out: Path | None,
    batch_size: int,
    lr: float,
    classes: int | None,
    seed: int,
    device: str,
    resume: bool,
    wandb: bool,
    echo: Callable[[str], None],
) -> int:
    """Train the architecture in `arch_path`; returns the exit status (0 ok, 1 training failed)."""
    import torch

    from graphnas.config import resolve_device
    from graphnas.tracking import build_trackers

    arch = read_arch(arch_path)
    dev = resolve_device(device)
    if dev.type == "cuda":
        torch.backends.cudnn.benchmark = True
    config = TrainConfig(epochs=epochs, batch_size=batch_size, lr=lr, seed=seed, progress=True)
    run_dir = out or Path("runs") / f"train-{arch_path.stem}-{time.strftime('%Y%m%d-%H%M%S')}"
    callbacks: list[TrainCallback] = [_EpochPrinter(echo)]
    tracker = None
    if wandb:
        tracker = build_trackers(
            ["wandb"],
            run_dir=run_dir,
            config=config.to_dict(),
            project="graphnas",
            name=run_dir.name,
        )
        callbacks.append(TrackerCallback(tracker))
    run = train_architecture(
        arch,
        space or arch.space,
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
        return 1
    final = result.final
    echo(
        f"final: val top1 {final['val_top1']:.2f}%  val top5 {final['val_top5']:.2f}%  "
        f"after {result.epochs} epochs; {result.train_images_per_s:.0f} train img/s"
    )
    echo(f"run directory: {run.out}")
    return 0
