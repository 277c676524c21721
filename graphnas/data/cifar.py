"""CIFAR-10/100 from the standard python-pickle batches, read with a restricted unpickler.

CIFAR-10 (`cifar-10-batches-py/`): data_batch_1..5, test_batch, batches.meta (label_names).
CIFAR-100 (`cifar-100-python/`): train, test, meta (fine_label_names). Each batch is a dict with
`data` (uint8 (N, 3072), channel-major 32x32) and `labels` / `fine_labels`. The unpickler
(`graphnas.safe_pickle`) builds only plain containers, strings, numbers and numeric numpy arrays;
anything else is refused, so a tampered file cannot run code. CIFAR has no separate validation
split: `val` is the test batch.
"""

from __future__ import annotations

from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from graphnas.data.dataset import ImageDataset, ImageSplit, channel_stats
from graphnas.data.sources import FileSource, open_dataset_tree
from graphnas.errors import InputFileError
from graphnas.safe_pickle import UnsafePickleError, load_data_pickle

__all__ = ["UnsafePickleError", "load_cifar", "load_data_pickle"]


@dataclass(frozen=True)
class _Variant:
    folder: str
    marker: str
    train: tuple[str, ...]
    test: str
    label_key: bytes
    names_key: bytes
    num_classes: int


_VARIANTS = {
    "cifar10": _Variant(
        "cifar-10-batches-py",
        "batches.meta",
        tuple(f"data_batch_{i}" for i in range(1, 6)),
        "test_batch",
        b"labels",
        b"label_names",
        10,
    ),
    "cifar100": _Variant(
        "cifar-100-python", "meta", ("train",), "test", b"fine_labels", b"fine_label_names", 100
    ),
}


def load_cifar(path: str | Path, variant: str = "cifar10") -> ImageDataset:
    """CIFAR-10 or CIFAR-100 from its python folder, the folder's parent, or the .tar.gz archive."""
    spec = _VARIANTS[variant]
    source = open_dataset_tree(Path(path), spec.folder, spec.marker, variant.upper())
    with closing(source):
        meta = _batch(source, spec.marker)
        names = meta.get(spec.names_key)
        if not isinstance(names, list) or len(names) != spec.num_classes:
            raise InputFileError(
                f"{source.location}: {spec.marker} has no list of "
                f"{spec.num_classes} class names under {spec.names_key.decode()!r}"
            )
        classes = tuple(n.decode() if isinstance(n, bytes) else str(n) for n in names)
        train = _split(source, spec, spec.train)
        val = _split(source, spec, (spec.test,))
    mean, std = channel_stats(train.images)
    return ImageDataset(variant, classes, train, val, None, mean, std)


def _batch(source: FileSource, name: str) -> dict[bytes, Any]:
    value = load_data_pickle(source.read_bytes(name), f"{source.location}/{name}")
    if not isinstance(value, dict):
        raise InputFileError(
            f"{source.location}/{name}: expected a dict, got {type(value).__name__}"
        )
    return {k.encode() if isinstance(k, str) else k: v for k, v in value.items()}


def _split(source: FileSource, spec: _Variant, batches: tuple[str, ...]) -> ImageSplit:
    images, labels = [], []
    for name in batches:
        where = f"{source.location}/{name}"
        batch = _batch(source, name)
        data, label_list = batch.get(b"data"), batch.get(spec.label_key)
        if (
            not isinstance(data, np.ndarray)
            or data.dtype != np.uint8
            or data.ndim != 2
            or data.shape[1] != 3 * 32 * 32
        ):
            raise InputFileError(f"{where}: 'data' must be a uint8 array (N, 3072)")
        label_array = np.asarray(label_list)
        if label_array.dtype.kind not in "iu" or label_array.shape != (data.shape[0],):
            raise InputFileError(
                f"{where}: {spec.label_key.decode()!r} must be {data.shape[0]} integer labels"
            )
        if label_array.size and (label_array.min() < 0 or label_array.max() >= spec.num_classes):
            raise InputFileError(f"{where}: labels outside 0..{spec.num_classes - 1}")
        images.append(torch.from_numpy(data.reshape(-1, 3, 32, 32).copy()))
        labels.append(torch.from_numpy(label_array.astype(np.int64)))
    return ImageSplit(torch.cat(images), torch.cat(labels))
