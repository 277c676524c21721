"""Train one sampled architecture fully: what `graphnas train ARCH.json --data ...` runs.

The run directory gets `checkpoint.pt` after every epoch (resumable with `resume=True`) and
`result.json` (status, final metrics, per-epoch history) at the end.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from graphnas.data.dataset import ImageDataset
from graphnas.data.spec import load_dataset
from graphnas.errors import InputFileError
from graphnas.graph import ArchGraph
from graphnas.seeding import derive_seed
from graphnas.train.callbacks import TrainCallback
from graphnas.train.config import TrainConfig
from graphnas.train.trainer import Trainer, TrainResult

CHECKPOINT_FILE = "checkpoint.pt"
RESULT_FILE = "result.json"


@dataclass
class TrainRun:
    """A finished (or failed) training run: the result, the parameter count, where it was saved."""

    result: TrainResult
    params: int
    out: Path
    dataset: str


def read_arch(path: str | Path) -> ArchGraph:
    """An architecture from a JSON file (graphnas.arch schema)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise InputFileError(f"{path}: cannot read ({err.strerror or err})") from None
    except UnicodeDecodeError as err:
        raise InputFileError(f"{path}: not UTF-8 text ({err.reason})") from None
    return ArchGraph.from_json(text, source=str(path))


def train_architecture(
    arch: ArchGraph,
    space: Any,
    data: str | ImageDataset,
    config: TrainConfig,
    out: str | Path,
    device: torch.device | str = "cpu",
    num_classes: int | None = None,
    resolution: int | None = None,
    resume: bool = False,
    callbacks: Sequence[TrainCallback] = (),
    cache_dir: str | Path | None = None,
) -> TrainRun:
    """Compile `arch` in `space`, train it on `data` (a spec or a loaded dataset), save the run.

    `num_classes` keeps only the first classes of the dataset; `resolution` resizes the images.
    Weights are initialised from `derive_seed(config.seed, "init", arch hash)`.
    """
    from graphnas.compiler import compile_arch
    from graphnas.spaces import load_space

    space = load_space(space)
    space.validate(arch)
    dataset = (
        data
        if isinstance(data, ImageDataset)
        else load_dataset(data, cache_dir=cache_dir, progress=config.progress)
    )
    if num_classes:
        dataset = dataset.first_classes(num_classes)
    if resolution:
        dataset = dataset.resized(resolution)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(derive_seed(config.seed, "init", space.canonical_hash(arch)))
        model = compile_arch(
            arch, space, num_classes=dataset.num_classes, input_size=dataset.resolution
        )
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    trainer = Trainer(model, dataset, config, device, callbacks, out / CHECKPOINT_FILE)
    result = trainer.fit(resume=resume)
    params = sum(p.numel() for p in model.parameters())
    summary = {
        "status": result.status,
        "error": result.error,
        "epochs": result.epochs,
        "params": params,
        "dataset": dataset.name,
        "num_classes": dataset.num_classes,
        "resolution": dataset.resolution,
        "final": result.final,
        "train_images_per_s": result.train_images_per_s,
        "wall_s": result.wall_s,
        "config": config.to_dict(),
        "arch": arch.to_dict(),
        "history": result.history,
    }
    _write_json(out / RESULT_FILE, summary)
    return TrainRun(result, params, out, dataset.name)


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, allow_nan=True))
    os.replace(tmp, path)
