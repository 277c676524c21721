"""Tiny ImageNet (official `tiny-imagenet-200/` layout) decoded once into a uint8 tensor cache.

Layout: `wnids.txt` (class order), `train/<wnid>/images/<wnid>_<k>.JPEG`, `val/images/val_<k>.JPEG`
labelled by `val/val_annotations.txt` (tab-separated: file, wnid, box), `test/images/test_<k>.JPEG`
(unlabelled). Some JPEGs are grayscale; every image is converted to RGB. The first load decodes all
JPEGs with Pillow (threads) into the cache; later loads memory-map the cache and touch no JPEG.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from graphnas.data.cache import CachedSplits, TensorCache, default_cache_root
from graphnas.data.dataset import UNLABELLED, ImageDataset, ImageSplit, channel_stats
from graphnas.data.sources import FileSource, open_dataset_tree
from graphnas.errors import InputFileError

FOLDER = "tiny-imagenet-200"
RESOLUTION = 64
log = logging.getLogger(__name__)
_NUMBER = re.compile(r"(\d+)")


@dataclass(frozen=True)
class TinyImageNetIndex:
    """Which file holds which image: (relative path, label) per split; test labels are -1."""

    classes: tuple[str, ...]
    train: list[tuple[str, int]]
    val: list[tuple[str, int]]
    test: list[tuple[str, int]]


def index_tiny_imagenet(source: FileSource) -> TinyImageNetIndex:
    """Read wnids.txt and val_annotations.txt and list the images of every split, in a fixed order.

    Train images are ordered by class (wnids.txt order) then image number; val and test by number.
    """
    where = source.location
    classes = tuple(
        line.strip() for line in _text(source, "wnids.txt").splitlines() if line.strip()
    )
    if not classes:
        raise InputFileError(f"{where}: wnids.txt lists no class")
    if len(set(classes)) != len(classes):
        raise InputFileError(f"{where}: wnids.txt lists a class twice")
    label_of = {wnid: i for i, wnid in enumerate(classes)}
    names = source.names()

    train: list[tuple[str, int]] = []
    for wnid, label in label_of.items():
        prefix = f"train/{wnid}/images/"
        files = [n for n in names if n.startswith(prefix) and _is_jpeg(n)]
        if not files:
            raise InputFileError(f"{where}: no training images in train/{wnid}/images/")
        train.extend((n, label) for n in sorted(files, key=_natural_key))

    val_files = {n for n in names if n.startswith("val/images/") and _is_jpeg(n)}
    val: list[tuple[str, int]] = []
    for lineno, line in enumerate(_text(source, "val/val_annotations.txt").splitlines(), 1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) < 2:
            raise InputFileError(
                f"{where}: val/val_annotations.txt line {lineno}: expected "
                "tab-separated file and wnid"
            )
        file, wnid = fields[0].strip(), fields[1].strip()
        if wnid not in label_of:
            raise InputFileError(
                f"{where}: val/val_annotations.txt line {lineno}: class {wnid!r} "
                "is not in wnids.txt"
            )
        path = f"val/images/{file}"
        if path not in val_files:
            raise InputFileError(f"{where}: val/val_annotations.txt line {lineno}: no image {path}")
        val.append((path, label_of[wnid]))
    if not val:
        raise InputFileError(f"{where}: val/val_annotations.txt labels no image")
    unlabelled = val_files - {p for p, _ in val}
    if unlabelled:
        example = sorted(unlabelled, key=_natural_key)[0]
        raise InputFileError(
            f"{where}: {example} (and {len(unlabelled) - 1} more) have no label "
            "in val/val_annotations.txt"
        )
    val.sort(key=lambda item: _natural_key(item[0]))

    test = [
        (n, UNLABELLED)
        for n in sorted(
            (n for n in names if n.startswith("test/images/") and _is_jpeg(n)), key=_natural_key
        )
    ]
    return TinyImageNetIndex(classes, train, val, test)


def decode_rgb(data: bytes, name: str, size: int = RESOLUTION) -> np.ndarray:
    """One JPEG (any mode, grayscale included) as uint8 RGB (3, size, size)."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            rgb = image.convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError) as err:
        raise InputFileError(f"{name}: not a readable image ({err})") from None
    if rgb.size != (size, size):
        raise InputFileError(
            f"{name}: image is {rgb.size[0]}x{rgb.size[1]}, expected {size}x{size}"
        )
    return np.asarray(rgb, dtype=np.uint8).transpose(2, 0, 1)


def load_tiny_imagenet(
    path: str | Path,
    cache_dir: str | Path | None = None,
    workers: int | None = None,
    progress: bool = False,
) -> ImageDataset:
    """Tiny ImageNet from a folder (or its parent, or a .zip/.tar holding it), via the tensor cache.

    `cache_dir` is the folder under which caches live (default: `default_cache_root()`); each source
    gets its own sub-folder keyed by its location and validated by its fingerprint.
    """
    source = open_dataset_tree(Path(path), FOLDER, "wnids.txt", "Tiny ImageNet")
    with closing(source):
        root = Path(cache_dir) if cache_dir is not None else default_cache_root()
        tag = hashlib.sha256(os.path.abspath(source.location).encode()).hexdigest()[:16]
        key = f"{source.fingerprint()}:{RESOLUTION}"
        cache = TensorCache(root / f"tiny-imagenet-{tag}", key=key)
        cached = cache.read()
        if cached is None:
            build_cache(source, cache, workers=workers, progress=progress)
            cached = cache.read()
    if cached is None:
        raise InputFileError(f"{cache.folder}: tensor cache could not be read back after writing")
    return _dataset_from_cache(cached)


def build_cache(
    source: FileSource, cache: TensorCache, workers: int | None = None, progress: bool = False
) -> None:
    """Decode every image of `source` into `cache` (one pass over the JPEGs)."""
    index = index_tiny_imagenet(source)
    writer = cache.writer()
    try:
        for split, items in (("train", index.train), ("val", index.val), ("test", index.test)):
            out = writer.images(split, len(items), RESOLUTION)
            decode_into(
                out,
                [name for name, _ in items],
                source.read_bytes,
                workers,
                progress,
                desc=f"decoding {split}",
            )
            out.flush()
            if split == "train":
                mean, std = channel_stats(torch.from_numpy(out))
            del out
            writer.labels(split, np.array([label for _, label in items], dtype=np.int64))
        writer.commit(
            {
                "classes": list(index.classes),
                "mean": list(mean),
                "std": list(std),
                "source": source.location,
            }
        )
    except BaseException:
        writer.abort()
        raise


def decode_into(
    out: np.ndarray,
    names: Sequence[str],
    read: Callable[[str], bytes],
    workers: int | None,
    progress: bool,
    desc: str,
    chunk: int = 256,
) -> None:
    """Decode the JPEGs `names` into out[i] (uint8 (N, 3, H, W)) using a pool of threads.

    Bytes are read in the calling thread (archive handles are not thread-safe); Pillow decodes
    in parallel with the GIL released.
    """
    size = out.shape[-1]
    threads = workers or min(8, os.cpu_count() or 1)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(names), desc=desc, unit="img")
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for start in range(0, len(names), chunk):
            batch = names[start : start + chunk]
            blobs = [read(name) for name in batch]
            decoded = pool.map(
                lambda args: decode_rgb(args[0], args[1], size), zip(blobs, batch, strict=True)
            )
            for offset, image in enumerate(decoded):
                out[start + offset] = image
            if bar is not None:
                bar.update(len(batch))
    if bar is not None:
        bar.close()


def _dataset_from_cache(cached: CachedSplits) -> ImageDataset:
    meta = cached.meta
    splits = {name: ImageSplit(images, labels) for name, (images, labels) in cached.splits.items()}
    test = splits.get("test")
    return ImageDataset(
        name="tiny-imagenet",
        classes=tuple(meta["classes"]),
        train=splits["train"],
        val=splits["val"],
        test=test if test is not None and len(test) else None,
        mean=tuple(meta["mean"]),  # type: ignore[arg-type]
        std=tuple(meta["std"]),  # type: ignore[arg-type]
    )


def _text(source: FileSource, name: str) -> str:
    try:
        return source.read_bytes(name).decode("utf-8")
    except UnicodeDecodeError:
        raise InputFileError(f"{source.location}: {name} is not UTF-8 text") from None


def _is_jpeg(name: str) -> bool:
    return name.lower().endswith((".jpeg", ".jpg"))


def _natural_key(name: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in _NUMBER.split(name))
