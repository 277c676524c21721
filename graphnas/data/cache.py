"""On-disk uint8 tensor cache: decode a dataset once, memory-map it on every later run.

A cache folder holds `<split>.images.npy` (uint8 (N, 3, H, W)), `<split>.labels.npy` (int64 (N,))
and `meta.json`. `meta.json` is written last and atomically, so a cache is either complete or
absent; it records the source fingerprint and the format version, and a cache whose key does not
match the current source is reported stale and rebuilt.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from graphnas.errors import InputFileError

FORMAT = "graphnas.tensor-cache/1"
META = "meta.json"
log = logging.getLogger(__name__)


def default_cache_root() -> Path:
    """$GRAPHNAS_DATA_CACHE, else $XDG_CACHE_HOME (or ~/.cache) + /graphnas/datasets."""
    env = os.environ.get("GRAPHNAS_DATA_CACHE")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "graphnas" / "datasets"


@dataclass(frozen=True)
class CachedSplits:
    """Memory-mapped splits: name -> (images uint8 (N,3,H,W), labels int64 (N,)), plus metadata."""

    splits: dict[str, tuple[torch.Tensor, torch.Tensor]]
    meta: dict[str, Any]


class TensorCache:
    """One cache folder keyed by `key` (a string that changes whenever the source changes)."""

    def __init__(self, folder: Path, key: str) -> None:
        self.folder = folder
        self.key = key

    def read(self) -> CachedSplits | None:
        """The cached splits, or None when the cache is missing, incomplete or stale."""
        meta_path = self.folder / META
        if not meta_path.is_file():
            return None
        try:
            meta = json.loads(meta_path.read_text())
        except (OSError, ValueError):
            log.warning("tensor cache %s: unreadable meta.json; rebuilding", self.folder)
            return None
        if meta.get("format") != FORMAT or meta.get("key") != self.key:
            log.warning("tensor cache %s is stale (source changed); rebuilding", self.folder)
            return None
        splits: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
        for name, shape in meta["shapes"].items():
            try:
                # copy-on-write maps: writable for torch, pages shared between processes.
                images = np.load(self.folder / f"{name}.images.npy", mmap_mode="c")
                labels = np.load(self.folder / f"{name}.labels.npy")
            except (OSError, ValueError):
                log.warning("tensor cache %s: split %s unreadable; rebuilding", self.folder, name)
                return None
            if (
                list(images.shape) != shape
                or images.dtype != np.uint8
                or labels.shape != (shape[0],)
            ):
                log.warning(
                    "tensor cache %s: split %s has the wrong shape; rebuilding", self.folder, name
                )
                return None
            splits[name] = (torch.from_numpy(images), torch.from_numpy(labels.astype(np.int64)))
        return CachedSplits(splits, meta)

    def writer(self) -> CacheWriter:
        """A writer that fills a fresh cache; nothing is visible to `read` before `commit`."""
        return CacheWriter(self)


class CacheWriter:
    """Fills the cache split by split; `commit` writes meta.json last, `abort` removes it all."""

    def __init__(self, cache: TensorCache) -> None:
        self.cache = cache
        self.shapes: dict[str, list[int]] = {}
        self.token = f"{os.getpid()}-{secrets.token_hex(4)}"  # concurrent writers never collide
        folder = cache.folder
        try:
            folder.mkdir(parents=True, exist_ok=True)
            (folder / META).unlink(missing_ok=True)  # invalidate any old cache first
        except OSError as err:
            raise InputFileError(
                f"{folder}: cannot write the tensor cache ({err.strerror})"
            ) from None

    def images(self, split: str, count: int, size: int) -> np.memmap:
        """A writable uint8 (count, 3, size, size) array backed by a new file for the split."""
        self.shapes[split] = [count, 3, size, size]
        return np.lib.format.open_memmap(
            self._staged(split, "images"), mode="w+", dtype=np.uint8, shape=(count, 3, size, size)
        )

    def labels(self, split: str, labels: np.ndarray) -> None:
        with open(self._staged(split, "labels"), "wb") as handle:
            np.save(handle, labels.astype(np.int64))

    def commit(self, extra: dict[str, Any]) -> None:
        """Flush every file, move them into place and publish meta.json atomically.

        Files are replaced by rename, never rewritten, so tensors still mapped from an older cache
        keep their contents.
        """
        for split in self.shapes:
            for kind in ("images", "labels"):
                staged = self._staged(split, kind)
                _fsync(staged)
                os.replace(staged, self.cache.folder / f"{split}.{kind}.npy")
        meta = {"format": FORMAT, "key": self.cache.key, "shapes": self.shapes, **extra}
        tmp = self.cache.folder / (META + ".tmp")
        tmp.write_text(json.dumps(meta, indent=1))
        _fsync(tmp)
        os.replace(tmp, self.cache.folder / META)

    def _staged(self, split: str, kind: str) -> Path:
        return self.cache.folder / f"{split}.{kind}.npy.{self.token}.partial"

    def abort(self) -> None:
        """Remove this writer's unfinished files."""
        for path in self.cache.folder.glob(f"*.{self.token}.partial"):
            path.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())
