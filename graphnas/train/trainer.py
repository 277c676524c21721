"""The trainer used by `graphnas train` and by the proxy-training evaluator.

Trains any `nn.Module` mapping float images (B, 3, H, W) to logits (B, C) on an `ImageDataset`,
on the device the caller chose. Batches come from the uint8 tensor loader and are augmented on
the device; the loss and accuracy are accumulated on the device and checked every
`check_every` steps, so the host synchronises rarely. Every random stream (batch order,
augmentation) is derived from (seed, epoch), and the global torch RNG state is checkpointed, so a
resumed run continues exactly where the interrupted one stopped.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import nn

from graphnas.data.augment import Augment, Normalize
from graphnas.data.dataset import ImageDataset, ImageSplit
from graphnas.data.loader import TensorBatchLoader
from graphnas.errors import GraphnasError
from graphnas.seeding import generator_for
from graphnas.train.callbacks import TrainCallback
from graphnas.train.checkpoint import load_checkpoint, save_checkpoint
from graphnas.train.config import TrainConfig
from graphnas.train.metrics import topk_correct
from graphnas.train.optim import build_optimizer
from graphnas.train.schedule import lr_at

# Options that may change between an interrupted run and its resumption.
_RESUME_FREE_OPTIONS = {"progress", "check_every"}


class DivergedError(Exception):
    """Training produced a non-finite or exploding loss."""


@dataclass
class TrainResult:
    """Outcome of `Trainer.fit`. On failure `error` says why; `history` keeps completed epochs."""

    status: Literal["ok", "failed"]
    epochs: int
    history: list[dict[str, float]] = field(default_factory=list)
    error: str | None = None
    wall_s: float = 0.0

    @property
    def final(self) -> dict[str, float]:
        """The last completed epoch's record (empty if none completed)."""
        return dict(self.history[-1]) if self.history else {}

    @property
    def train_images_per_s(self) -> float:
        """Training throughput over all completed epochs (augmentation included, eval excluded)."""
        seconds = sum(r["train_seconds"] for r in self.history)
        images = sum(r["train_images"] for r in self.history)
        return images / seconds if seconds > 0 else 0.0


class Trainer:
    """Trains `model` on `data.train`, evaluating on `data.val` after every epoch."""

    def __init__(
        self,
        model: nn.Module,
        data: ImageDataset,
        config: TrainConfig,
        device: torch.device | str = "cpu",
        callbacks: Sequence[TrainCallback] = (),
        checkpoint_path: str | Path | None = None,
    ) -> None:
        self.config = config
        self.data = data
        self.device = torch.device(device)
        on_cuda = self.device.type == "cuda"
        self.bf16 = on_cuda if config.bf16 is None else config.bf16
        self.channels_last = on_cuda if config.channels_last is None else config.channels_last
        fmt = torch.channels_last if self.channels_last else torch.preserve_format
        self.model = model.to(self.device, memory_format=fmt)
        self.callbacks = list(callbacks)
        self.checkpoint_path = Path(checkpoint_path) if checkpoint_path is not None else None

        train_size = len(data.train)
        if train_size == 0:
            raise GraphnasError(f"{data.name}: the training split is empty")
        self.train_loader = TensorBatchLoader(
            data.train,
            config.batch_size,
            self.device,
            shuffle=True,
            drop_last=train_size > config.batch_size,
            seed=config.seed,
        )
        self.augment = Augment(
            data.mean, data.std, config.crop_padding, config.flip, self.channels_last
        )
        self.normalize = Normalize(data.mean, data.std, self.channels_last)
        self.optimizer = build_optimizer(self.model, config)
        self.steps_per_epoch = len(self.train_loader)
        self.total_steps = self.steps_per_epoch * config.epochs
        self.warmup_steps = min(
            self.total_steps, round(config.warmup_epochs * self.steps_per_epoch)
        )
        self.diverged_loss = config.divergence_factor * math.log(max(2, data.num_classes))
        self.epoch = 0  # completed epochs
        self.step = 0  # completed optimiser steps
        self.history: list[dict[str, float]] = []

    # ------------------------------------------------------------------ running
    def fit(self, resume: bool = False) -> TrainResult:
        """Train up to `config.epochs`; with `resume`, continue from the checkpoint if present."""
        if resume and self.checkpoint_path is not None and self.checkpoint_path.is_file():
            self.load_state_dict(load_checkpoint(self.checkpoint_path))
        start = time.perf_counter()
        result: TrainResult | None = None
        try:
            while self.epoch < self.config.epochs:
                record = self._train_epoch()
                record.update(self._prefixed("val", self.evaluate(self.data.val)))
                self.history.append(record)
                if self.checkpoint_path is not None:
                    save_checkpoint(self.state_dict(), self.checkpoint_path)
                for callback in self.callbacks:
                    callback.on_epoch_end(self, record)
        except DivergedError as err:
            result = self._result("failed", str(err), start)
        except torch.OutOfMemoryError:
            result = self._result("failed", f"out of memory in epoch {self.epoch + 1}", start)
        if result is None:
            result = self._result("ok", None, start)
        for callback in self.callbacks:
            callback.on_train_end(self, result)
        return result

    def _train_epoch(self) -> dict[str, float]:
        config, model = self.config, self.model
        model.train()
        augment_gen = generator_for(config.seed, "augment", self.epoch)
        totals = torch.zeros(3, dtype=torch.float64, device=self.device)  # loss sum, correct, n
        bar = _progress(
            self.steps_per_epoch, f"epoch {self.epoch + 1}/{config.epochs}", config.progress
        )
        synchronize(self.device)
        started = time.perf_counter()
        images_seen = 0
        for index, (images, labels) in enumerate(self.train_loader.epoch(self.epoch)):
            lr = lr_at(self.step, self.total_steps, self.warmup_steps, config.lr, config.min_lr)
            for group in self.optimizer.param_groups:
                group["lr"] = lr
            inputs = self.augment(images, augment_gen)
            with self._autocast():
                logits = model(inputs)
                loss = F.cross_entropy(
                    logits.float(), labels, label_smoothing=config.label_smoothing
                )
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if config.grad_clip > 0:
                nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
            self.optimizer.step()
            self.step += 1
            batch = labels.shape[0]
            images_seen += batch
            with torch.no_grad():
                totals[0] += loss.detach().double() * batch
                totals[1] += (logits.argmax(dim=1) == labels).sum()
                totals[2] += batch
            if (index + 1) % config.check_every == 0 or index + 1 == self.steps_per_epoch:
                mean_loss = float(totals[0] / totals[2])  # one host sync per check
                if not math.isfinite(mean_loss):
                    bar.close()
                    raise DivergedError(
                        f"training diverged: loss became {mean_loss} in epoch "
                        f"{self.epoch + 1}, step {index + 1}"
                    )
                bar.set_postfix(loss=f"{mean_loss:.3f}", lr=f"{lr:.3g}", refresh=False)
            bar.update(1)
        synchronize(self.device)
        seconds = time.perf_counter() - started
        bar.close()
        mean_loss, accuracy = (totals[:2] / totals[2]).tolist()
        self.epoch += 1
        if mean_loss > self.diverged_loss:
            raise DivergedError(
                f"training diverged: mean loss {mean_loss:.3g} in epoch "
                f"{self.epoch} exceeds {self.diverged_loss:.3g}"
            )
        return {
            "epoch": self.epoch,
            "lr": lr,
            "train_loss": mean_loss,
            "train_top1": 100.0 * accuracy,
            "train_seconds": seconds,
            "train_images": float(images_seen),
        }

    @torch.no_grad()
    def evaluate(self, split: ImageSplit) -> dict[str, float]:
        """Loss (plain cross-entropy), top-1 and top-5 accuracy (%) on a labelled split."""
        model = self.model
        was_training = model.training
        model.eval()
        loader = TensorBatchLoader(split, self.config.eval_batch_size, self.device, shuffle=False)
        totals = torch.zeros(4, dtype=torch.float64, device=self.device)  # loss, top1, top5, n
        for images, labels in loader.epoch(0):
            with self._autocast():
                logits = model(self.normalize(images)).float()
            totals[0] += F.cross_entropy(logits, labels, reduction="sum").double()
            totals[1:3] += topk_correct(logits, labels, (1, 5)).double()
            totals[3] += labels.shape[0]
        model.train(was_training)
        loss, top1, top5, count = totals.tolist()
        if count == 0:
            return {"loss": math.nan, "top1": math.nan, "top5": math.nan}
        return {"loss": loss / count, "top1": 100.0 * top1 / count, "top5": 100.0 * top5 / count}

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue training: weights, optimiser, progress, RNG states."""
        rng: dict[str, Any] = {"torch": torch.get_rng_state()}
        if self.device.type == "cuda":
            rng["cuda"] = torch.cuda.get_rng_state(self.device)
        return {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "epoch": self.epoch,
            "step": self.step,
            "history": [dict(r) for r in self.history],
            "config": self.config.to_dict(),
            "rng": rng,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a state from `state_dict`; refuses a checkpoint of a different training setup."""
        saved = state.get("config", {})
        current = self.config.to_dict()
        changed = sorted(
            k for k in current if k not in _RESUME_FREE_OPTIONS and saved.get(k) != current[k]
        )
        if changed:
            details = ", ".join(f"{k} {saved.get(k)!r} -> {current[k]!r}" for k in changed)
            raise GraphnasError(
                f"cannot resume: the checkpoint was trained with other options ({details})"
            )
        try:
            self.model.load_state_dict(state["model"])
        except RuntimeError as err:
            raise GraphnasError(
                "cannot resume: the checkpoint holds a different network "
                f"({str(err).splitlines()[0]})"
            ) from None
        self.optimizer.load_state_dict(state["optimizer"])
        self.epoch, self.step = int(state["epoch"]), int(state["step"])
        self.history = [dict(r) for r in state["history"]]
        torch.set_rng_state(state["rng"]["torch"])
        if self.device.type == "cuda" and "cuda" in state["rng"]:
            torch.cuda.set_rng_state(state["rng"]["cuda"], self.device)

    # ------------------------------------------------------------------ helpers
    def _autocast(self) -> Any:
        if not self.bf16:
            return nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=torch.bfloat16)

    def _result(
        self, status: Literal["ok", "failed"], error: str | None, start: float
    ) -> TrainResult:
        history = [dict(r) for r in self.history]
        return TrainResult(status, len(history), history, error, time.perf_counter() - start)

    @staticmethod
    def _prefixed(prefix: str, metrics: dict[str, float]) -> dict[str, float]:
        return {f"{prefix}_{key}": value for key, value in metrics.items()}


def synchronize(device: torch.device) -> None:
    """Wait for queued work on `device` (for honest timings); a no-op on CPU."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def _progress(total: int, desc: str, enabled: bool) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="step", leave=False, disable=not enabled)
