"""Training hyper-parameters: one dataclass for `graphnas train`, the proxy evaluator and tests."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from graphnas.errors import ConfigError
from graphnas.registry import check_option_types


@dataclass(frozen=True)
class TrainConfig:
    """How to train one network.

    Optimiser: SGD with `momentum` (Nesterov if `nesterov`), weight decay on weights only (no
    decay on biases, BatchNorm or other 1-D parameters). Schedule, per step: linear warm-up over
    `warmup_epochs` from `lr / warmup_steps`, then cosine from `lr` to `min_lr`. `grad_clip` caps
    the global gradient norm (0 disables). `bf16`/`channels_last`: None means "on when the device
    is CUDA". A run fails (status "failed") as soon as the loss is not finite, or when an epoch's
    mean training loss exceeds `divergence_factor * ln(num_classes)`.
    """

    epochs: int = 10
    batch_size: int = 128
    eval_batch_size: int = 512
    lr: float = 0.1
    min_lr: float = 0.0
    momentum: float = 0.9
    nesterov: bool = True
    weight_decay: float = 5e-4
    label_smoothing: float = 0.1
    warmup_epochs: float = 1.0
    grad_clip: float = 5.0
    crop_padding: int = 4
    flip: bool = True
    bf16: bool | None = None
    channels_last: bool | None = None
    seed: int = 0
    divergence_factor: float = 5.0
    check_every: int = 20
    progress: bool = False

    def __post_init__(self) -> None:
        problems = []
        for name in ("epochs", "batch_size", "eval_batch_size", "check_every"):
            if getattr(self, name) < 1:
                problems.append(f"{name} must be >= 1")
        for name in ("lr", "divergence_factor"):
            if not getattr(self, name) > 0:
                problems.append(f"{name} must be > 0")
        for name in ("min_lr", "weight_decay", "warmup_epochs", "grad_clip", "crop_padding"):
            if getattr(self, name) < 0:
                problems.append(f"{name} must be >= 0")
        if not 0 <= self.momentum < 1:
            problems.append("momentum must be in [0, 1)")
        if not 0 <= self.label_smoothing < 1:
            problems.append("label_smoothing must be in [0, 1)")
        if self.nesterov and self.momentum == 0:
            problems.append("nesterov needs momentum > 0")
        if problems:
            raise ConfigError("training config: " + "; ".join(problems))

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainConfig:
        """Build from a plain dict, naming any unknown key in a one-line ConfigError."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(
                f"training config: unknown option(s) {', '.join(unknown)}; "
                f"valid: {', '.join(sorted(known))}"
            )
        check_option_types("training config", cls, values)
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)
