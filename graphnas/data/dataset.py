"""In-memory image datasets: uint8 image tensors (N, 3, H, W) with int64 labels, split by role.

Every loader (Tiny ImageNet, CIFAR, synthetic) returns an `ImageDataset`; the batch loader and the
augmentation work on these tensors directly, so no epoch ever decodes an image file.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
import torch.nn.functional as F

from graphnas.errors import GraphnasError

UNLABELLED = -1


@dataclass(frozen=True)
class ImageSplit:
    """One split: `images` uint8 (N, 3, H, W), `labels` int64 (N,) with -1 for unlabelled images."""

    images: torch.Tensor
    labels: torch.Tensor

    def __post_init__(self) -> None:
        if self.images.dtype != torch.uint8 or self.images.dim() != 4 or self.images.shape[1] != 3:
            raise ValueError(
                f"images must be uint8 (N, 3, H, W), got {self.images.dtype} "
                f"{tuple(self.images.shape)}"
            )
        if self.labels.dtype != torch.int64 or self.labels.shape != (self.images.shape[0],):
            raise ValueError(
                f"labels must be int64 (N,), got {self.labels.dtype} "
                f"{tuple(self.labels.shape)} for {self.images.shape[0]} images"
            )

    def __len__(self) -> int:
        return int(self.images.shape[0])

    @property
    def resolution(self) -> int:
        """Image side length (images are square in every supported dataset)."""
        return int(self.images.shape[-1])

    @property
    def labelled(self) -> bool:
        return bool(len(self) == 0 or (self.labels >= 0).all())

    def select(self, indices: torch.Tensor) -> ImageSplit:
        """The images at `indices` (int64 (K,)), copied into a new contiguous split."""
        return ImageSplit(self.images[indices].contiguous(), self.labels[indices].contiguous())

    def resized(self, size: int, chunk: int = 4096) -> ImageSplit:
        """Images resampled to size x size (antialiased bilinear), still uint8; labels unchanged."""
        if size == self.resolution:
            return self
        out = torch.empty((len(self), 3, size, size), dtype=torch.uint8)
        for start in range(0, len(self), chunk):
            block = self.images[start : start + chunk].float()
            block = F.interpolate(
                block, size=(size, size), mode="bilinear", antialias=True, align_corners=False
            )
            out[start : start + chunk] = block.round_().clamp_(0, 255).to(torch.uint8)
        return ImageSplit(out, self.labels)


@dataclass(frozen=True)
class ImageDataset:
    """A labelled image dataset: class names, train/val splits, optional unlabelled test split.

    `mean`/`std` are per-channel statistics of the training images in [0, 1] units, used for
    normalisation by the augmentation.
    """

    name: str
    classes: tuple[str, ...]
    train: ImageSplit
    val: ImageSplit
    test: ImageSplit | None
    mean: tuple[float, float, float]
    std: tuple[float, float, float]

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    @property
    def resolution(self) -> int:
        return self.train.resolution

    def first_classes(self, k: int) -> ImageDataset:
        """Keep only classes 0..k-1 (labels unchanged; the unlabelled test split is dropped)."""
        if not 1 <= k <= self.num_classes:
            raise GraphnasError(f"{self.name}: cannot keep {k} classes of {self.num_classes}")
        if k == self.num_classes:
            return self
        keep_train = torch.nonzero(self.train.labels < k).flatten()
        keep_val = torch.nonzero(self.val.labels < k).flatten()
        return replace(
            self,
            classes=self.classes[:k],
            train=self.train.select(keep_train),
            val=self.val.select(keep_val),
            test=None,
        )

    def resized(self, size: int) -> ImageDataset:
        """Every split resampled to size x size."""
        if size == self.resolution:
            return self
        return replace(
            self,
            train=self.train.resized(size),
            val=self.val.resized(size),
            test=None if self.test is None else self.test.resized(size),
        )


def per_class_subset(
    split: ImageSplit, per_class: int, num_classes: int, generator: torch.Generator
) -> ImageSplit:
    """At most `per_class` images of each class, drawn without replacement with `generator`.

    The result is ordered by class, then by position in `split`, so it does not depend on the order
    in which the random draws happen.
    """
    chosen: list[torch.Tensor] = []
    for cls in range(num_classes):
        members = torch.nonzero(split.labels == cls).flatten()
        if len(members) > per_class:
            pick = torch.randperm(len(members), generator=generator)[:per_class]
            members = members[pick.sort().values]
        chosen.append(members)
    return split.select(torch.cat(chosen) if chosen else torch.empty(0, dtype=torch.int64))


def channel_stats(
    images: torch.Tensor, chunk: int = 2048
) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
    """Per-channel mean and std in [0, 1] units of uint8 images (N, 3, H, W), in float64."""
    if images.shape[0] == 0:
        raise GraphnasError("cannot compute image statistics of an empty split")
    total = torch.zeros(3, dtype=torch.float64)
    total_sq = torch.zeros(3, dtype=torch.float64)
    for start in range(0, images.shape[0], chunk):
        block = images[start : start + chunk].to(torch.float64)
        total += block.sum(dim=(0, 2, 3))
        total_sq += block.square().sum(dim=(0, 2, 3))
    count = images.shape[0] * images.shape[2] * images.shape[3]
    mean = total / count
    std = (total_sq / count - mean.square()).clamp_min(0).sqrt()
    return _triple(mean / 255.0), _triple(std / 255.0)


def _triple(values: torch.Tensor) -> tuple[float, float, float]:
    a, b, c = (float(v) for v in values)
    return (a, b, c)
