"""Fast mini-batches over uint8 image tensors: index gathers, no per-image Python, no JPEG decoding.

Each epoch's order is a permutation drawn from a generator seeded by (seed, epoch), so any epoch can
be replayed exactly (checkpoint resume) and two runs with one seed see the same batches. On CUDA the
whole split is moved to the device once when it fits (`preload`); otherwise each batch is gathered
into one of two pinned host buffers and copied with `non_blocking=True`.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch

from graphnas.data.dataset import ImageSplit
from graphnas.seeding import generator_for

PRELOAD_LIMIT_BYTES = 4 * 2**30


class TensorBatchLoader:
    """Batches (images uint8 (B, 3, H, W), labels int64 (B,)) of `split`, already on `device`."""

    def __init__(
        self,
        split: ImageSplit,
        batch_size: int,
        device: torch.device | str = "cpu",
        shuffle: bool = True,
        drop_last: bool = False,
        seed: int = 0,
        preload: bool | None = None,
        pin_memory: bool | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.device = torch.device(device)
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.seed = seed
        on_accelerator = self.device.type != "cpu"
        if preload is None:
            preload = on_accelerator and split.images.nbytes <= PRELOAD_LIMIT_BYTES
        self.images = split.images.to(self.device) if preload else split.images
        self.labels = split.labels.to(self.device) if preload else split.labels
        self._staged = on_accelerator and not preload
        if pin_memory is None:
            pin_memory = self.device.type == "cuda"
        self._buffers: list[tuple[torch.Tensor, torch.Tensor, torch.cuda.Event | None]] = []
        if self._staged and pin_memory and self.device.type == "cuda":
            shape = (batch_size, *split.images.shape[1:])
            for _ in range(2):
                self._buffers.append(
                    (
                        torch.empty(shape, dtype=torch.uint8).pin_memory(),
                        torch.empty(batch_size, dtype=torch.int64).pin_memory(),
                        torch.cuda.Event(),
                    )
                )

    def __len__(self) -> int:
        n = len(self.labels)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    @property
    def num_samples(self) -> int:
        return len(self) * self.batch_size if self.drop_last else len(self.labels)

    def order(self, epoch: int) -> torch.Tensor:
        """The sample order of `epoch` (int64 (N,)), a pure function of (seed, epoch)."""
        n = len(self.labels)
        if not self.shuffle:
            return torch.arange(n)
        return torch.randperm(n, generator=generator_for(self.seed, "loader", epoch))

    def epoch(self, epoch: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """The batches of `epoch`, in order."""
        order = self.order(epoch)
        if self.images.device.type != "cpu":
            order = order.to(self.images.device, non_blocking=True)
        for step in range(len(self)):
            index = order[step * self.batch_size : (step + 1) * self.batch_size]
            yield self._gather(index, step)

    def _gather(self, index: torch.Tensor, step: int) -> tuple[torch.Tensor, torch.Tensor]:
        if not self._staged:
            return self.images.index_select(0, index), self.labels.index_select(0, index)
        if not self._buffers:
            return (
                self.images.index_select(0, index).to(self.device),
                self.labels.index_select(0, index).to(self.device),
            )
        host_images, host_labels, copied = self._buffers[step % 2]
        if copied is not None:
            copied.synchronize()  # the copy that last read this buffer has finished
        k = len(index)
        torch.index_select(self.images, 0, index, out=host_images[:k])
        torch.index_select(self.labels, 0, index, out=host_labels[:k])
        images = host_images[:k].to(self.device, non_blocking=True)
        labels = host_labels[:k].to(self.device, non_blocking=True)
        if copied is not None:
            copied.record()
        return images, labels
