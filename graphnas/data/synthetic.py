"""A small synthetic image dataset for tests: each class is a smooth random colour field plus noise.

Learnable by a tiny convolutional network in a few steps, fully determined by its seed.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from graphnas.data.dataset import ImageDataset, ImageSplit, channel_stats


def make_synthetic(
    num_classes: int = 4,
    train_per_class: int = 64,
    val_per_class: int = 16,
    size: int = 16,
    noise: float = 30.0,
    seed: int = 0,
) -> ImageDataset:
    """`num_classes` classes of size x size RGB uint8 images, fully determined by `seed`.

    Class c's images are its prototype (a 4x4 random colour field upsampled to size x size, values
    in [40, 215]) plus Gaussian noise of std `noise`, clipped to [0, 255].
    """
    gen = torch.Generator().manual_seed(seed)
    coarse = torch.rand((num_classes, 3, 4, 4), generator=gen) * 175 + 40
    prototypes = F.interpolate(coarse, size=(size, size), mode="bilinear", align_corners=False)

    def split(per_class: int) -> ImageSplit:
        labels = torch.arange(num_classes).repeat_interleave(per_class)
        pixels = prototypes[labels] + noise * torch.randn(
            (len(labels), 3, size, size), generator=gen
        )
        return ImageSplit(pixels.round().clamp(0, 255).to(torch.uint8), labels)

    train, val = split(train_per_class), split(val_per_class)
    mean, std = channel_stats(train.images)
    classes = tuple(f"class{c}" for c in range(num_classes))
    return ImageDataset("synthetic", classes, train, val, None, mean, std)
