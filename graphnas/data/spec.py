"""Dataset specs: "tiny-imagenet:PATH", "cifar10:PATH", "cifar100:PATH", "synthetic[:k=v,...]".

This is how the CLI (`--data`), configs and evaluators name a dataset; `load_dataset` resolves one.
"""

from __future__ import annotations

from pathlib import Path

from graphnas.data.cifar import load_cifar
from graphnas.data.dataset import ImageDataset
from graphnas.data.synthetic import make_synthetic
from graphnas.data.tiny_imagenet import load_tiny_imagenet
from graphnas.errors import ConfigError

KINDS = ("tiny-imagenet", "cifar10", "cifar100", "synthetic")
_SYNTHETIC_OPTIONS = {
    "classes": "num_classes",
    "train": "train_per_class",
    "val": "val_per_class",
    "size": "size",
    "seed": "seed",
}


def load_dataset(
    spec: str, cache_dir: str | Path | None = None, progress: bool = False
) -> ImageDataset:
    """Load the dataset named by `spec` (see the module docstring)."""
    kind, _, arg = spec.partition(":")
    kind = kind.strip().lower().replace("_", "-")
    if kind in ("tinyimagenet", "tiny-imagenet-200"):
        kind = "tiny-imagenet"
    if kind == "synthetic":
        return make_synthetic(**_synthetic_options(spec, arg))
    if kind not in KINDS:
        raise ConfigError(f"data {spec!r}: unknown dataset {kind!r}; valid: {', '.join(KINDS)}")
    if not arg:
        raise ConfigError(f"data {spec!r}: missing path (write {kind}:PATH)")
    if kind == "tiny-imagenet":
        return load_tiny_imagenet(Path(arg).expanduser(), cache_dir=cache_dir, progress=progress)
    return load_cifar(Path(arg).expanduser(), variant=kind)


def _synthetic_options(spec: str, arg: str) -> dict[str, int]:
    options: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in arg.split(","))):
        key, sep, value = item.partition("=")
        if not sep or key.strip() not in _SYNTHETIC_OPTIONS:
            raise ConfigError(
                f"data {spec!r}: bad option {item!r}; options: "
                f"{', '.join(f'{k}=N' for k in _SYNTHETIC_OPTIONS)}"
            )
        try:
            options[_SYNTHETIC_OPTIONS[key.strip()]] = int(value)
        except ValueError:
            raise ConfigError(f"data {spec!r}: option {key.strip()} must be an integer") from None
    return options
