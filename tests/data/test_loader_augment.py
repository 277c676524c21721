"""Tensor batch loader and batched augmentation: coverage, determinism, exact crop and flip."""

from __future__ import annotations

import pytest
import torch

from graphnas.data.augment import Augment, Normalize
from graphnas.data.dataset import ImageSplit, per_class_subset
from graphnas.data.loader import TensorBatchLoader
from graphnas.data.synthetic import make_synthetic


def _numbered_split(n: int, size: int = 4) -> ImageSplit:
    """Image i has every pixel equal to i % 256 and label i, so batches reveal their indices."""
    images = (torch.arange(n) % 256).to(torch.uint8).view(n, 1, 1, 1).expand(n, 3, size, size)
    return ImageSplit(images.contiguous(), torch.arange(n))


def test_each_epoch_is_a_permutation_fixed_by_seed_and_epoch(device: torch.device) -> None:
    split = _numbered_split(50)
    loader = TensorBatchLoader(split, batch_size=16, device=device, seed=3)
    assert len(loader) == 4 and loader.num_samples == 50

    def seen(epoch: int) -> list[int]:
        labels = []
        for images, batch_labels in loader.epoch(epoch):
            assert images.device.type == device.type and images.dtype == torch.uint8
            assert torch.equal(images[:, 0, 0, 0].long().cpu(), batch_labels.cpu() % 256)
            labels += batch_labels.cpu().tolist()
        return labels

    first, again, second = seen(0), seen(0), seen(1)
    assert sorted(first) == list(range(50)) and first == again and first != second
    other_seed = TensorBatchLoader(split, batch_size=16, device=device, seed=4)
    assert [b.cpu().tolist() for _, b in other_seed.epoch(0)] != [
        first[i : i + 16] for i in range(0, 50, 16)
    ]


def test_drop_last_and_no_shuffle() -> None:
    loader = TensorBatchLoader(_numbered_split(10), batch_size=4, shuffle=False, drop_last=True)
    batches = [labels.tolist() for _, labels in loader.epoch(5)]
    assert batches == [[0, 1, 2, 3], [4, 5, 6, 7]] and len(loader) == 2 and loader.num_samples == 8


def test_staged_copies_without_preload(device: torch.device) -> None:
    split = _numbered_split(37)
    loader = TensorBatchLoader(split, batch_size=8, device=device, preload=False, seed=1)
    reference = TensorBatchLoader(split, batch_size=8, device="cpu", seed=1)
    for (a, la), (b, lb) in zip(loader.epoch(2), reference.epoch(2), strict=True):
        assert torch.equal(a.cpu(), b) and torch.equal(la.cpu(), lb)


def test_normalize_matches_the_formula(device: torch.device) -> None:
    images = torch.randint(0, 256, (5, 3, 6, 6), dtype=torch.uint8)
    mean, std = (0.4, 0.5, 0.6), (0.2, 0.25, 0.3)
    out = Normalize(mean, std, channels_last=True)(images.to(device))
    expected = (images.float() / 255 - torch.tensor(mean).view(1, 3, 1, 1)) / torch.tensor(
        std
    ).view(1, 3, 1, 1)
    assert out.dtype == torch.float32 and out.is_contiguous(memory_format=torch.channels_last)
    assert torch.allclose(out.cpu(), expected, atol=1e-5)


def test_crop_and_flip_are_exact_windows_of_the_padded_image(device: torch.device) -> None:
    images = torch.randint(1, 256, (64, 3, 8, 8), dtype=torch.uint8)
    augment = Augment((0.0,) * 3, (1 / 255,) * 3, crop_padding=2, flip=True)  # out = pixel value
    out = augment(images.to(device), torch.Generator().manual_seed(0)).cpu().round().to(torch.uint8)
    padded = torch.nn.functional.pad(images, (2, 2, 2, 2))
    flipped = 0
    for i in range(64):
        windows = [padded[i, :, y : y + 8, x : x + 8] for y in range(5) for x in range(5)]
        straight = any(torch.equal(out[i], w) for w in windows)
        mirrored = any(torch.equal(out[i], w.flip(-1)) for w in windows)
        assert straight or mirrored
        flipped += int(mirrored and not straight)
    assert 15 < flipped < 49  # about half are mirrored
    # Same generator seed, same augmentation; on every device.
    again = augment(images.to(device), torch.Generator().manual_seed(0)).cpu()
    assert torch.equal(again.round().to(torch.uint8), out)
    on_cpu = augment(images, torch.Generator().manual_seed(0))
    assert torch.allclose(on_cpu, again)


def test_no_augmentation_is_plain_normalisation() -> None:
    images = torch.randint(0, 256, (4, 3, 5, 5), dtype=torch.uint8)
    plain = Augment((0.5,) * 3, (0.25,) * 3, crop_padding=0, flip=False)
    assert torch.equal(plain(images, torch.Generator()), Normalize((0.5,) * 3, (0.25,) * 3)(images))


def test_synthetic_normalised_statistics_and_subsets() -> None:
    ds = make_synthetic(num_classes=5, train_per_class=40, val_per_class=8, size=12, seed=1)
    out = Normalize(ds.mean, ds.std)(ds.train.images)
    assert torch.allclose(out.mean(dim=(0, 2, 3)), torch.zeros(3), atol=1e-4)
    assert torch.allclose(out.std(dim=(0, 2, 3)), torch.ones(3), atol=1e-2)
    assert torch.equal(
        make_synthetic(
            num_classes=5, train_per_class=40, val_per_class=8, size=12, seed=1
        ).train.images,
        ds.train.images,
    )
    sub = per_class_subset(ds.train, 7, 5, torch.Generator().manual_seed(0))
    assert torch.bincount(sub.labels).tolist() == [7] * 5
    assert ds.first_classes(2).num_classes == 2 and set(
        ds.first_classes(2).val.labels.tolist()
    ) == {0, 1}
    small = ds.resized(6)
    assert small.train.images.shape == (200, 3, 6, 6) and small.resolution == 6
    assert small.train.images.dtype == torch.uint8


def test_loader_rejects_a_bad_batch_size() -> None:
    with pytest.raises(ValueError, match="batch_size"):
        TensorBatchLoader(_numbered_split(4), batch_size=0)
