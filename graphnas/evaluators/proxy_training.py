"""Proxy training: train each architecture briefly on a subset of a dataset; reward = val top-1 (%).

The proxy task is fixed once per evaluator: the first `num_classes` classes, `train_per_class`
training images per class, a validation set of `val_per_class` images per class, images resized to
`resolution`. By default the validation images are held out of the training split
(`validation="holdout"`), so the dataset's own validation split stays untouched for reporting;
`validation="val"` uses the official validation split instead.

Each architecture's initialisation, batch order and augmentation are seeded from (seed, canonical
hash), so its result does not depend on the order of evaluation or on the worker that runs it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any, ClassVar

import torch

from graphnas.data.dataset import ImageDataset, ImageSplit, per_class_subset
from graphnas.data.spec import check_dataset, load_dataset
from graphnas.errors import ConfigError
from graphnas.evaluators.base import EvalResult, PerArchitectureMixin
from graphnas.evaluators.networks import (
    NetworkBuilder,
    build_seeded,
    compile_network,
    count_parameters,
)
from graphnas.evaluators.registry import EVALUATORS
from graphnas.graph import ArchGraph
from graphnas.seeding import derive_seed, generator_for
from graphnas.spaces.base import SearchSpace
from graphnas.train.config import TrainConfig
from graphnas.train.trainer import Trainer

VALIDATION_CHOICES = ("holdout", "val")


def proxy_dataset(
    dataset: ImageDataset,
    num_classes: int | None = None,
    train_per_class: int | None = None,
    val_per_class: int | None = None,
    validation: str = "holdout",
    resolution: int | None = None,
    seed: int = 0,
) -> ImageDataset:
    """The reduced task: class subset, per-class train/val subsets, resized images.

    With `validation="holdout"`, each class's training images are shuffled once (seeded); the first
    `val_per_class` (default: 10%, at least 1) become validation images and the next
    `train_per_class` (default: all the rest) training images.
    """
    if validation not in VALIDATION_CHOICES:
        raise ConfigError(
            f"validation {validation!r}: expected one of {', '.join(VALIDATION_CHOICES)}"
        )
    data = dataset.first_classes(num_classes) if num_classes else dataset
    k = data.num_classes
    if validation == "holdout":
        train_idx, val_idx = [], []
        gen = generator_for(seed, "proxy-holdout")
        for cls in range(k):
            members = torch.nonzero(data.train.labels == cls).flatten()
            members = members[torch.randperm(len(members), generator=gen)]
            n_val = val_per_class if val_per_class is not None else max(1, len(members) // 10)
            if n_val >= len(members):
                raise ConfigError(
                    f"val_per_class {n_val}: class {cls} has only {len(members)} "
                    "training images to split"
                )
            val_idx.append(members[:n_val].sort().values)
            rest = members[n_val:]
            if train_per_class is not None:
                rest = rest[:train_per_class]
            train_idx.append(rest.sort().values)
        train = data.train.select(torch.cat(train_idx))
        val = data.train.select(torch.cat(val_idx))
    else:
        gen = generator_for(seed, "proxy-subset")
        train = _maybe_subset(data.train, train_per_class, k, gen)
        val = _maybe_subset(data.val, val_per_class, k, gen)
    reduced = replace(data, train=train, val=val, test=None)
    return reduced.resized(resolution) if resolution else reduced


def _maybe_subset(
    split: ImageSplit, per_class: int | None, k: int, gen: torch.Generator
) -> ImageSplit:
    return split if per_class is None else per_class_subset(split, per_class, k, gen)


@dataclass(frozen=True)
class ProxyTask:
    """The options of a reduced task (see `proxy_dataset`); `load` builds it from a data spec."""

    num_classes: int | None = None
    train_per_class: int | None = None
    val_per_class: int | None = None
    validation: str = "holdout"
    resolution: int | None = None

    def load(self, spec: str, cache_dir: str | None, seed: int) -> ImageDataset:
        """The reduced task of the dataset `spec` names (its tensor cache under `cache_dir`)."""
        full = load_dataset(spec, cache_dir=cache_dir)
        return proxy_dataset(full, **asdict(self), seed=seed)


@EVALUATORS.register("train")
class TrainEvaluator(PerArchitectureMixin):
    """Short proxy training of each architecture; reward = final validation top-1 accuracy (%).

    Options: `data` (dataset spec, e.g. "tiny-imagenet:PATH"), the proxy task (`num_classes`,
    `train_per_class`, `val_per_class`, `validation`, `resolution`), `epochs`, `train`: any
    further TrainConfig option (lr, batch_size, label_smoothing, bf16, ...), and `network`:
    compiler skeleton overrides for a reduced proxy network (e.g. {"channels": 16}). Cost =
    measured seconds (network build + training + validation).
    """

    context_fields: ClassVar[tuple[str, ...]] = ("space", "seed", "device")

    def __init__(
        self,
        space: SearchSpace,
        data: str = "synthetic",
        epochs: int = 5,
        num_classes: int | None = None,
        train_per_class: int | None = None,
        val_per_class: int | None = None,
        validation: str = "holdout",
        resolution: int | None = None,
        train: Mapping[str, Any] | None = None,
        network: Mapping[str, Any] | None = None,
        seed: int = 0,
        device: torch.device | str = "cpu",
        cache_dir: str | None = None,
        builder: NetworkBuilder = compile_network,
    ) -> None:
        check_dataset(data)  # a missing data path is refused here, in every pool
        self.space = space
        self.data_spec = data
        self.task = ProxyTask(num_classes, train_per_class, val_per_class, validation, resolution)
        if validation not in VALIDATION_CHOICES:
            raise ConfigError(
                f"evaluator train: validation {validation!r}: expected one of "
                f"{', '.join(VALIDATION_CHOICES)}"
            )
        self.config = TrainConfig.from_dict({**dict(train or {}), "epochs": epochs})
        self.network = dict(network) if network else None
        self.seed = seed
        self.device = torch.device(device)
        self.cache_dir = cache_dir
        self.builder = builder
        self._data: ImageDataset | None = None

    def dataset(self) -> ImageDataset:
        """The proxy task's data (loaded and reduced once per evaluator)."""
        if self._data is None:
            self._data = self.task.load(self.data_spec, self.cache_dir, self.seed)
        return self._data

    def prepare(self) -> None:
        """Load the data (building its tensor cache if needed) before any evaluation."""
        self.dataset()

    def evaluate_one(self, arch: ArchGraph) -> EvalResult:
        data = self.dataset()
        start = time.perf_counter()
        arch_hash = self.space.canonical_hash(arch)
        try:
            model = build_seeded(
                self.builder,
                arch,
                self.space,
                data.num_classes,
                data.resolution,
                self.network,
                (self.seed, "train-init", arch_hash),
            )
        except Exception as err:  # an architecture the compiler refuses is a failed evaluation
            return EvalResult.failure(
                f"cannot build the network: {_first_line(err)}", cost_s=time.perf_counter() - start
            )
        config = replace(self.config, seed=derive_seed(self.seed, "train-run", arch_hash))
        result = Trainer(model, data, config, self.device).fit()
        cost = time.perf_counter() - start
        if result.status != "ok":
            return EvalResult.failure(result.error or "training failed", cost_s=cost)
        final = result.final
        metrics = {
            "val_top1": final["val_top1"],
            "val_top5": final["val_top5"],
            "val_loss": final["val_loss"],
            "train_loss": final["train_loss"],
            "train_top1": final["train_top1"],
            "params": count_parameters(model),
            "epochs": result.epochs,
            "val_top1_curve": [r["val_top1"] for r in result.history],
            "train_images_per_s": result.train_images_per_s,
        }
        return EvalResult(final["val_top1"], metrics, cost)


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0]}" if text else type(err).__name__
