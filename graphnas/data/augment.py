"""Augmentation as batched tensor ops on the model's device: random crop with padding, horizontal
flip, uint8 -> float normalisation. Random draws come from a CPU generator (a few numbers per
batch), so results are identical on every device and reproducible from the seed.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F


class Normalize:
    """uint8 (B, 3, H, W) -> float32 ((x / 255) - mean) / std, optionally channels_last."""

    def __init__(
        self, mean: Sequence[float], std: Sequence[float], channels_last: bool = False
    ) -> None:
        self.scale = torch.tensor([1.0 / (255.0 * s) for s in std]).view(1, 3, 1, 1)
        self.shift = torch.tensor([-m / s for m, s in zip(mean, std, strict=True)]).view(1, 3, 1, 1)
        self.channels_last = channels_last

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        if self.scale.device != images.device:
            self.scale, self.shift = self.scale.to(images.device), self.shift.to(images.device)
        out = torch.addcmul(self.shift, images.float(), self.scale)
        fmt = torch.channels_last if self.channels_last else torch.contiguous_format
        return out.contiguous(memory_format=fmt)


class Augment:
    """Training augmentation of a uint8 batch (B, 3, H, W) on its own device -> normalised float.

    `crop_padding` p > 0 pads by p zero pixels and crops back to H x W at a random offset per image;
    `flip` mirrors each image left-right with probability 1/2.
    """

    def __init__(
        self,
        mean: Sequence[float],
        std: Sequence[float],
        crop_padding: int = 4,
        flip: bool = True,
        channels_last: bool = False,
    ) -> None:
        self.crop_padding = crop_padding
        self.flip = flip
        self.normalize = Normalize(mean, std, channels_last)

    def __call__(self, images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        batch, _, height, width = images.shape
        device = images.device
        if self.crop_padding > 0:
            p = self.crop_padding
            offsets = torch.randint(0, 2 * p + 1, (2, batch), generator=generator).to(device)
            padded = F.pad(images, (p, p, p, p))
            rows = offsets[0, :, None] + torch.arange(height, device=device)
            cols = offsets[1, :, None] + torch.arange(width, device=device)
            picks = torch.arange(batch, device=device)[:, None, None]
            # Advanced indexing around a slice yields (B, H, W, C): a channels_last view of NCHW.
            images = padded[picks, :, rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2)
        if self.flip:
            mirror = (torch.rand(batch, generator=generator) < 0.5).to(device)
            images = torch.where(mirror[:, None, None, None], images.flip(-1), images)
        return self.normalize(images)
