"""The bilevel task of a differentiable search: weights train on one split, alphas on another.

As in DARTS, the proxy task's training images are split in two: the network weights are trained
on `train` and the architecture parameters on the held-out `val` images (the dataset's own
validation split stays untouched). Batches are endless, seeded streams whose position is plain
state (epoch, batch), so a resumed search draws exactly the batches it would have drawn.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from graphnas.data.augment import Augment, Normalize
from graphnas.data.dataset import ImageDataset, ImageSplit
from graphnas.data.spec import load_dataset
from graphnas.errors import ConfigError
from graphnas.evaluators.proxy_training import proxy_dataset
from graphnas.seeding import generator_for


class BatchStream:
    """Endless mini-batches of one split: images float [B, 3, S, S] (normalised), labels [B].

    Each epoch is a permutation drawn from (seed, name, epoch); `augment` applies random crops
    and flips from a generator of (seed, name, epoch, batch), so every batch is a pure function
    of the stream's position.
    """

    def __init__(
        self,
        split: ImageSplit,
        dataset: ImageDataset,
        batch_size: int,
        seed: int,
        name: str,
        device: torch.device,
        augment: bool,
        channels_last: bool = False,
    ) -> None:
        if len(split) < batch_size:
            raise ConfigError(
                f"{name}: batch_size {batch_size} is larger than the {len(split)} images of the "
                "split (lower batch_size or use more images per class)"
            )
        self.images = split.images.to(device)
        self.labels = split.labels.to(device)
        self.batch_size = batch_size
        self.seed = seed
        self.name = name
        self.per_epoch = len(split) // batch_size
        self.epoch, self.batch = 0, 0
        self.augment = (
            Augment(dataset.mean, dataset.std, channels_last=channels_last) if augment else None
        )
        self.normalize = Normalize(dataset.mean, dataset.std, channels_last)

    def next(self) -> tuple[Tensor, Tensor]:
        order = torch.randperm(
            len(self.labels), generator=generator_for(self.seed, self.name, self.epoch)
        )
        index = order[self.batch * self.batch_size : (self.batch + 1) * self.batch_size]
        index = index.to(self.images.device)
        images, labels = self.images.index_select(0, index), self.labels.index_select(0, index)
        if self.augment is not None:
            gen = generator_for(self.seed, self.name, self.epoch, self.batch)
            x = self.augment(images, gen)
        else:
            x = self.normalize(images)
        self.batch += 1
        if self.batch == self.per_epoch:
            self.epoch, self.batch = self.epoch + 1, 0
        return x, labels

    def state_dict(self) -> dict[str, Any]:
        return {"epoch": self.epoch, "batch": self.batch}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.epoch, self.batch = int(state["epoch"]), int(state["batch"])


class BilevelTask:
    """The two streams of a search: `weights` (training images) and `arch` (held-out images)."""

    def __init__(
        self,
        data: str,
        *,
        batch_size: int,
        seed: int,
        device: torch.device,
        num_classes: int | None = None,
        train_per_class: int | None = None,
        val_per_class: int | None = None,
        resolution: int | None = None,
        augment: bool = True,
        cache_dir: str | None = None,
        channels_last: bool = False,
    ) -> None:
        dataset = proxy_dataset(
            load_dataset(data, cache_dir=cache_dir),
            num_classes=num_classes,
            train_per_class=train_per_class,
            val_per_class=val_per_class,
            validation="holdout",
            resolution=resolution,
            seed=seed,
        )
        self.num_classes = dataset.num_classes
        self.resolution = dataset.resolution
        self.weights, self.arch = (
            BatchStream(
                split,
                dataset,
                name=name,
                augment=augment and name == "weights",  # held-out batches are never augmented
                channels_last=channels_last,
                batch_size=batch_size,
                seed=seed,
                device=device,
            )
            for split, name in ((dataset.train, "weights"), (dataset.val, "arch"))
        )

    def state_dict(self) -> dict[str, Any]:
        return {"weights": self.weights.state_dict(), "arch": self.arch.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.weights.load_state_dict(state["weights"])
        self.arch.load_state_dict(state["arch"])
