"""Options shared by every differentiable strategy (the bilevel task and its optimisers).

A differentiable strategy takes its own options (GDAS's temperatures, ProxylessNAS's cost term)
plus these; unknown names and wrong types are one-line ConfigErrors naming the strategy.
Defaults follow DARTS (first order): SGD for the weights (lr 0.025 cosine-annealed to 0.001,
momentum 0.9, weight decay 3e-4, gradient norm clipped at 5), Adam for the architecture
parameters (lr 3e-4, betas (0.5, 0.999), weight decay 1e-3), and batch 64.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from graphnas.errors import ConfigError
from graphnas.registry import check_option_types

T = TypeVar("T")


@dataclass(frozen=True)
class BilevelSettings:
    """The task (`data` spec and proxy subset, as the `train` evaluator takes them), the
    supernet skeleton (`network` overrides, `precision`, `channels_last`), the schedule
    (`total_steps` bilevel steps; `steps_per_ask` of them before each proposal; the first
    `warmup_steps` train the weights only) and the two optimisers."""

    data: str = "synthetic"
    num_classes: int | None = None
    train_per_class: int | None = None
    val_per_class: int | None = None
    resolution: int | None = None
    augment: bool = True
    cache_dir: str | None = None
    network: dict[str, Any] = field(default_factory=dict)
    precision: str = "fp32"
    channels_last: bool = False
    batch_size: int = 16
    total_steps: int = 1000
    steps_per_ask: int = 50
    warmup_steps: int = 0
    w_lr: float = 0.025
    w_lr_min: float = 0.001
    w_momentum: float = 0.9
    w_weight_decay: float = 3e-4
    grad_clip: float = 5.0
    alpha_lr: float = 3e-4
    alpha_weight_decay: float = 1e-3

    @classmethod
    def of(
        cls, method: str, options: Mapping[str, Any], own: Sequence[str] = ()
    ) -> BilevelSettings:
        """Settings from user options, checked (ConfigError naming the strategy); `own`: the
        method's own option names, listed as accepted too."""
        owner = f"strategy {method!r}"
        names = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(set(options) - set(names))
        if unknown:
            accepted = ", ".join([*own, *names])
            raise ConfigError(
                f"{owner}: unknown option(s) {', '.join(unknown)}; accepted: {accepted}"
            )
        check_option_types(owner, cls, options)
        settings = cls(**{k: (dict(v) if k == "network" else v) for k, v in options.items()})
        settings.check(owner)
        return settings

    def check(self, owner: str) -> None:
        for name in ("batch_size", "total_steps", "steps_per_ask"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{owner}: {name} must be >= 1, got {getattr(self, name)}")
        if not 0 <= self.warmup_steps < self.total_steps:
            raise ConfigError(f"{owner}: warmup_steps must be in 0..total_steps-1")
        rates = ("w_lr", "w_lr_min", "w_momentum", "w_weight_decay", "grad_clip", "alpha_lr")
        for name in (*rates, "alpha_weight_decay"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ConfigError(f"{owner}: {name} must be a number >= 0, got {value}")

    def lr_at(self, step: int) -> float:
        """The weights' learning rate at `step`: cosine from w_lr to w_lr_min over the run."""
        progress = min(1.0, step / self.total_steps)
        return self.w_lr_min + 0.5 * (self.w_lr - self.w_lr_min) * (
            1 + math.cos(math.pi * progress)
        )


@dataclass(frozen=True)
class NoOptions:
    """A method without options of its own (DARTS)."""

    def check(self, owner: str) -> None:
        """Nothing to check."""


def split_options(
    method: str, own: type[T], options: Mapping[str, Any]
) -> tuple[T, BilevelSettings]:
    """The method's own options (the dataclass `own`, type-checked, then its `check(owner)`) and
    the BilevelSettings of the rest."""
    owner = f"strategy {method!r}"
    names = [f.name for f in dataclasses.fields(own)]  # type: ignore[arg-type]
    mine = {k: v for k, v in options.items() if k in names}
    check_option_types(owner, own, mine)
    made = own(**mine)
    made.check(owner)  # type: ignore[attr-defined]
    rest = {k: v for k, v in options.items() if k not in names}
    return made, BilevelSettings.of(method, rest, names)
