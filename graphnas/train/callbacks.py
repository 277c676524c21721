"""Trainer callbacks: hooks called after each epoch and at the end of a run."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from graphnas.train.trainer import Trainer, TrainResult


class TrainCallback:
    """Base class with no-op hooks; override the ones you need."""

    def on_epoch_end(self, trainer: Trainer, record: Mapping[str, float]) -> None:
        """After each completed epoch (and its checkpoint); `record` is that epoch's history row."""

    def on_train_end(self, trainer: Trainer, result: TrainResult) -> None:
        """Once, when `fit` returns (also after a failure)."""


class MetricLogger(Protocol):
    """What TrackerCallback needs: graphnas.tracking's Tracker satisfies it."""

    def log(self, metrics: Mapping[str, float], step: int) -> None: ...


class TrackerCallback(TrainCallback):
    """Sends every epoch's metrics to a tracker (e.g. wandb via graphnas.tracking), step = epoch."""

    def __init__(self, tracker: MetricLogger, prefix: str = "train/") -> None:
        self.tracker = tracker
        self.prefix = prefix

    def on_epoch_end(self, trainer: Trainer, record: Mapping[str, float]) -> None:
        metrics: dict[str, Any] = {
            f"{self.prefix}{key}": value for key, value in record.items() if key != "epoch"
        }
        self.tracker.log(metrics, step=int(record["epoch"]))
