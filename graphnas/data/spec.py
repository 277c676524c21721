"""Dataset specs: "tiny-imagenet:PATH", "cifar10:PATH", "cifar100:PATH", "synthetic[:k=v,...]".

This is how the CLI (`--data`), configs and evaluators name a dataset; `load_dataset` resolves one.
"""

from __future__ import annotations

import inspect
from pathlib import Path

from graphnas.data.cifar import load_cifar
from graphnas.data.dataset import ImageDataset
from graphnas.data.synthetic import make_synthetic
from graphnas.data.tiny_imagenet import load_tiny_imagenet
from graphnas.errors import ConfigError

KINDS = ("tiny-imagenet", "cifar10", "cifar100", "synthetic")
# Synthetic data is for tests and smoke runs: at most 2^28 pixel values (256 MiB as uint8).
MAX_SYNTHETIC_VALUES = 2**28
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
    kind, path, options = parse_spec(spec)
    if path is None:
        return make_synthetic(**options)
    if kind == "tiny-imagenet":
        return load_tiny_imagenet(path, cache_dir=cache_dir, progress=progress)
    return load_cifar(path, variant=kind)


def check_dataset(spec: str) -> None:
    """Refuse, without loading anything, a spec `load_dataset` would refuse at once: a bad spec,
    or a path that does not exist (ConfigError naming the spec). Evaluators call it when they
    are built, so that a search is refused before it starts rather than failing every query."""
    _, path, _ = parse_spec(spec)
    if path is not None and not path.exists():
        raise ConfigError(f"data {spec!r}: {path} does not exist")


def parse_spec(spec: str) -> tuple[str, Path | None, dict[str, int]]:
    """(kind, path, synthetic options) of a dataset spec; path None for synthetic data."""
    kind, _, arg = spec.partition(":")
    kind = kind.strip().lower().replace("_", "-")
    if kind in ("tinyimagenet", "tiny-imagenet-200"):
        kind = "tiny-imagenet"
    if kind == "synthetic":
        return kind, None, _synthetic_options(spec, arg)
    if kind not in KINDS:
        raise ConfigError(f"data {spec!r}: unknown dataset {kind!r}; valid: {', '.join(KINDS)}")
    if not arg:
        raise ConfigError(f"data {spec!r}: missing path (write {kind}:PATH)")
    try:
        return kind, Path(arg).expanduser(), {}
    except RuntimeError:  # "~someone/..." naming an unknown user
        raise ConfigError(f"data {spec!r}: cannot expand the home folder in {arg!r}") from None


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
    defaults = {k: p.default for k, p in inspect.signature(make_synthetic).parameters.items()}
    sizes = {**defaults, **options}
    # torch.Generator.manual_seed takes seeds in [-2^63, 2^64).
    ranges = {"num_classes": 1, "train_per_class": 1, "val_per_class": 0, "size": 1}
    for option, name in _SYNTHETIC_OPTIONS.items():
        value = options.get(name)
        if name == "seed" and value is not None and not -(2**63) <= value < 2**64:
            raise ConfigError(f"data {spec!r}: option seed must be a 64-bit integer")
        if name in ranges and value is not None and value < ranges[name]:
            raise ConfigError(f"data {spec!r}: option {option} must be >= {ranges[name]}")
    values = sizes["num_classes"] * (sizes["train_per_class"] + sizes["val_per_class"])
    if values * 3 * sizes["size"] ** 2 > MAX_SYNTHETIC_VALUES:
        raise ConfigError(
            f"data {spec!r}: too large for a synthetic dataset "
            f"(over {MAX_SYNTHETIC_VALUES:,} pixel values)"
        )
    return options
