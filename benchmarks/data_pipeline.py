"""Data pipeline throughput: images/s delivered to the model, tensor cache vs Pillow every epoch.

Both pipelines deliver the same thing: shuffled batches of normalised float32 training images
(B, 3, 64, 64) with random crop (padding 4) and horizontal flip, from the real 10-class Tiny
ImageNet subset (5,000 JPEGs, ../shared/data/tiny-imagenet/tiny-imagenet-200-sub10.tar).

- graphnas: uint8 tensor cache (decoded once) -> TensorBatchLoader -> Augment (batched tensor ops).
- Pillow per epoch (the usual torchvision-style Dataset): open and decode each JPEG with Pillow,
  convert to RGB, crop/flip/normalise per image, collate; with torch DataLoader workers 0 and 2.

Run: .venv/bin/python benchmarks/data_pipeline.py [--epochs 2] [--json PATH]
"""

from __future__ import annotations

import argparse
import random
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from record import add_json_option, write_record, write_skip
from torch.utils.data import DataLoader, Dataset

from graphnas.data.augment import Augment
from graphnas.data.loader import TensorBatchLoader
from graphnas.data.sources import DirectorySource
from graphnas.data.tiny_imagenet import index_tiny_imagenet, load_tiny_imagenet
from graphnas.seeding import generator_for

ROOT = Path(__file__).resolve().parents[1]
SUBSET = ROOT.parent / "shared/data/tiny-imagenet/tiny-imagenet-200-sub10.tar"


class PillowDataset(Dataset):
    """Decodes one JPEG per item with Pillow and augments it on its own (the per-epoch baseline)."""

    def __init__(self, folder: Path, items: list[tuple[str, int]], mean, std, padding: int = 4):
        self.folder, self.items, self.padding = folder, items, padding
        self.mean = torch.tensor(mean).view(3, 1, 1)
        self.std = torch.tensor(std).view(3, 1, 1)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        name, label = self.items[i]
        with Image.open(self.folder / name) as image:
            pixels = np.asarray(image.convert("RGB"), dtype=np.uint8)
        x = torch.from_numpy(pixels.copy()).permute(2, 0, 1).float().div_(255)
        p = self.padding
        x = torch.nn.functional.pad(x, (p, p, p, p))
        top, left = random.randint(0, 2 * p), random.randint(0, 2 * p)
        x = x[:, top : top + 64, left : left + 64]
        if random.random() < 0.5:
            x = x.flip(-1)
        return (x - self.mean) / self.std, label


def time_epochs(batches, epochs: int) -> float:
    """Images per second over `epochs` passes of the iterable factory `batches(epoch)`."""
    count, start = 0, time.perf_counter()
    for epoch in range(epochs):
        for images, _labels in batches(epoch):
            count += images.shape[0]
    return count / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    add_json_option(parser)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if not SUBSET.is_file():
        write_skip(args.json, "data_pipeline", f"{SUBSET} (the Tiny ImageNet subset) is absent")
        return

    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        start = time.perf_counter()
        dataset = load_tiny_imagenet(SUBSET, cache_dir=tmp_path / "cache")
        build_s = time.perf_counter() - start
        start = time.perf_counter()
        load_tiny_imagenet(SUBSET, cache_dir=tmp_path / "cache")
        reload_s = time.perf_counter() - start

        loader = TensorBatchLoader(dataset.train, args.batch_size, "cpu", seed=0)
        augment = Augment(dataset.mean, dataset.std, crop_padding=4, flip=True)

        def tensor_batches(epoch: int):
            gen = generator_for(0, "augment", epoch)
            for images, labels in loader.epoch(epoch):
                yield augment(images, gen), labels

        with tarfile.open(SUBSET) as tar:
            tar.extractall(tmp_path / "jpegs", filter="data")
        folder = tmp_path / "jpegs" / "tiny-imagenet-200"
        items = index_tiny_imagenet(DirectorySource(folder)).train
        pillow = PillowDataset(folder, items, dataset.mean, dataset.std)

        def pillow_batches(workers: int):
            loader = DataLoader(
                pillow,
                batch_size=args.batch_size,
                shuffle=True,
                num_workers=workers,
                persistent_workers=False,
            )
            return lambda epoch: iter(loader)

        rows = [
            (
                "graphnas tensor cache + batched tensor augmentation",
                time_epochs(tensor_batches, args.epochs),
            )
        ]
        rows.append(
            (
                "Pillow decode every epoch, DataLoader workers=0",
                time_epochs(pillow_batches(0), args.epochs),
            )
        )
        rows.append(
            (
                "Pillow decode every epoch, DataLoader workers=2",
                time_epochs(pillow_batches(2), args.epochs),
            )
        )

    reference = rows[1][1]
    total = len(dataset.train) + len(dataset.val) + len(dataset.test or [])
    lines = [
        f"Tiny ImageNet 10-class subset, {len(dataset.train)} training images 64x64, batch "
        f"{args.batch_size}, {args.epochs} epochs per pipeline, torch threads {args.threads}, "
        f"CPU ({torch.get_num_threads()} threads)",
        "",
        "| pipeline | images/s delivered | vs Pillow (workers=0) |",
        "|---|---|---|",
    ]
    lines += [f"| {name} | {rate:,.0f} | {rate / reference:.1f}x |" for name, rate in rows]
    lines += [
        "",
        f"One-time decode into the cache: {build_s:.1f} s (all {total} images); later loads "
        f"(memory-mapped): {reload_s * 1e3:.0f} ms.",
    ]
    records = [
        {"pipeline": name, "images_per_s": rate, "vs_pillow": rate / reference}
        for name, rate in rows
    ]
    records.append({"cache_build_s": build_s, "cache_reload_s": reload_s, "images": total})
    write_record(args.json, "data_pipeline", "\n".join(lines), records)


if __name__ == "__main__":
    main()
