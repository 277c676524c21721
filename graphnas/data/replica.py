"""Small generated replicas of the Tiny ImageNet and CIFAR file layouts, for tests and smoke runs.

The replicas follow the official layouts exactly (file names, annotation and pickle formats), with
random JPEG/array content; some Tiny ImageNet images are grayscale, as in the real dataset.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
from PIL import Image

from graphnas.data.tiny_imagenet import FOLDER


def write_tiny_imagenet_replica(
    root: str | Path,
    num_classes: int = 3,
    train_per_class: int = 6,
    val_per_class: int = 2,
    test_images: int = 3,
    grayscale_every: int = 4,
    size: int = 64,
    seed: int = 0,
) -> Path:
    """Write `root/tiny-imagenet-200/` with the official layout; returns that folder.

    Every `grayscale_every`-th image (by creation order) is saved as a single-channel JPEG.
    Val images are listed in val_annotations.txt in shuffled order, as in the official file.
    """
    rng = np.random.default_rng(seed)
    top = Path(root) / FOLDER
    wnids = [f"n{10_000_000 + 7919 * (c + 1):08d}" for c in range(num_classes)]
    counter = iter(range(10**9))

    def save(path: Path, label: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        base = rng.integers(0, 256, size=3) if label >= 0 else np.full(3, 128)
        pixels = np.clip(base + rng.normal(0, 40, size=(size, size, 3)), 0, 255).astype(np.uint8)
        image = Image.fromarray(pixels, "RGB")
        if next(counter) % grayscale_every == grayscale_every - 1:
            image = image.convert("L")
        image.save(path, format="JPEG", quality=90)

    top.mkdir(parents=True, exist_ok=True)
    (top / "wnids.txt").write_text("".join(w + "\n" for w in wnids))
    (top / "words.txt").write_text("".join(f"{w}\tclass {i}\n" for i, w in enumerate(wnids)))
    for label, wnid in enumerate(wnids):
        boxes = []
        for k in range(train_per_class):
            save(top / "train" / wnid / "images" / f"{wnid}_{k}.JPEG", label)
            boxes.append(f"{wnid}_{k}.JPEG\t0\t0\t{size - 1}\t{size - 1}\n")
        (top / "train" / wnid / f"{wnid}_boxes.txt").write_text("".join(boxes))
    val_labels = [c for c in range(num_classes) for _ in range(val_per_class)]
    annotations = []
    for k, label in enumerate(val_labels):
        save(top / "val" / "images" / f"val_{k}.JPEG", label)
        annotations.append(f"val_{k}.JPEG\t{wnids[label]}\t0\t0\t{size - 1}\t{size - 1}\n")
    rng.shuffle(annotations)
    (top / "val" / "val_annotations.txt").write_text("".join(annotations))
    for k in range(test_images):
        save(top / "test" / "images" / f"test_{k}.JPEG", -1)
    return top


def write_cifar_replica(
    root: str | Path,
    variant: str = "cifar10",
    per_batch: int = 20,
    seed: int = 0,
    protocol: int = 2,
) -> Path:
    """Write the python-pickle CIFAR-10 (`cifar-10-batches-py/`) or CIFAR-100 layout; returns it.

    Batches are dicts with bytes keys, `data` uint8 (N, 3072) and integer label lists, as in the
    official files.
    """
    rng = np.random.default_rng(seed)
    if variant == "cifar10":
        top = Path(root) / "cifar-10-batches-py"
        batches = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
        meta_name, names_key, label_key, classes = "batches.meta", b"label_names", b"labels", 10
    else:
        top = Path(root) / "cifar-100-python"
        batches = ["train", "test"]
        meta_name, names_key, label_key, classes = "meta", b"fine_label_names", b"fine_labels", 100
    top.mkdir(parents=True, exist_ok=True)
    meta = {names_key: [f"class{c}".encode() for c in range(classes)], b"num_vis": 3072}
    (top / meta_name).write_bytes(pickle.dumps(meta, protocol=protocol))
    for name in batches:
        batch = {
            b"batch_label": name.encode(),
            label_key: [int(v) for v in rng.integers(0, classes, size=per_batch)],
            b"data": rng.integers(0, 256, size=(per_batch, 3072), dtype=np.uint8),
            b"filenames": [f"img_{i}.png".encode() for i in range(per_batch)],
        }
        (top / name).write_bytes(pickle.dumps(batch, protocol=protocol))
    return top
