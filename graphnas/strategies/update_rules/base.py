"""The update-rule contract: how a learned generator is trained from what the search has told it.

A rule is registered in `UPDATE_RULES` under its config name with a frozen `config` dataclass that
holds its options and their defaults (the only level of defaults; a `RuleConfig`, see
`options.py`). `GeneratorStrategy` calls, after every told batch with new results,
`wants_fresh_generator` (True: the strategy replaces its generator by a freshly initialised one
first) and then `update` with an `UpdateContext`. A rule states what to train on in `fit` (a
`Fit`: the graphs, the number of steps and the loss); `update` runs the steps and returns the
numbers the strategy reports through `Strategy.metrics()` (loss, entropy, ...).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import torch

from graphnas.errors import ConfigError
from graphnas.graph import ArchGraph
from graphnas.registry import Registry, check_option_types
from graphnas.strategies.history import Entry, History

if TYPE_CHECKING:
    from graphnas.generators.base import AutoregressiveGenerator
    from graphnas.strategies.surrogate import Surrogate

Trainable = Callable[[Entry], ArchGraph | None]
Objective = Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, dict[str, torch.Tensor]]]

UPDATE_RULES: Registry = Registry("update rule")


@dataclass
class UpdateContext:
    """What an update may use: the `history` with the `new` entries of this tell, `trainable`
    (the form the generator learns from for an entry, or None), the strategy's seeded `rng` for
    any sampling, and its `surrogate` (a GP over the history, fitted on demand)."""

    history: History
    new: Sequence[Entry]
    trainable: Trainable
    rng: torch.Generator
    surrogate: Surrogate | None = None


@dataclass
class Fit:
    """One update's training: `steps` optimizer steps, each scoring the n `archs` and minimising
    `objective(log_prob [n], entropy [n]) -> (loss, {name: scalar reported})`; `metrics` are the
    numbers known before the steps (reported first)."""

    archs: list[ArchGraph]
    steps: int
    objective: Objective
    metrics: dict[str, float] = field(default_factory=dict)


class UpdateRule:
    """Base of the update rules: no fresh generators, no state; subclasses set `name`, `config`
    (whose `grad_clip` bounds the gradient norm) and `fit`."""

    name: ClassVar[str]
    config: ClassVar[type]

    def __init__(self, options: Any) -> None:
        self.options = options

    def wants_fresh_generator(self, history: History, trainable: Trainable) -> bool:
        """Whether the strategy should re-initialise its generator before this update."""
        return False

    def fit(self, model: AutoregressiveGenerator, context: UpdateContext) -> Fit | None:
        """What to train `model` on after `context.new` entries were recorded (None: nothing)."""
        raise NotImplementedError

    def update(
        self,
        model: AutoregressiveGenerator,
        optimizer: torch.optim.Optimizer,
        context: UpdateContext,
    ) -> dict[str, float]:
        """Train `model` on this rule's `fit`; returns its metrics, then the last step's."""
        fit = self.fit(model, context)
        if fit is None:
            return {}
        reported: dict[str, float] = {}
        for _ in range(fit.steps):
            log_prob, entropy, _ = model.score(fit.archs)
            loss, parts = fit.objective(log_prob, entropy)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if self.options.grad_clip:
                torch.nn.utils.clip_grad_norm_(model.parameters(), self.options.grad_clip)
            optimizer.step()
            reported = {name: float(value.detach()) for name, value in parts.items()}
        return {**fit.metrics, **reported}

    @staticmethod
    def learnable(entries: Sequence[Entry], trainable: Trainable) -> list[tuple[ArchGraph, Entry]]:
        """(form the generator learns from, entry) of the successful entries it can learn from."""
        pairs = [(trainable(e), e) for e in entries if e.ok]
        return [(arch, e) for arch, e in pairs if arch is not None]

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        return None


def build_update_rule(spec: str | Mapping[str, Any], default: str | None = None) -> UpdateRule:
    """A rule from its name (`"elite"`) or a mapping `{name: elite, top_k: 5, ...}` (without
    `name`: the `default` rule with those options).

    Unknown names, options the rule does not take and values of the wrong type are one-line
    ConfigErrors naming the rule."""
    if isinstance(spec, str):
        name, options = spec, {}
    elif isinstance(spec, Mapping):
        options = dict(spec)
        name = options.pop("name", default)
        if not isinstance(name, str):
            raise ConfigError(
                f"update: a mapping needs a rule name (name: one of "
                f"{', '.join(UPDATE_RULES.names())}), got {spec!r}"
            )
    else:
        raise ConfigError(f"update: expected a rule name or a mapping, got {spec!r}")
    if name not in UPDATE_RULES:
        raise ConfigError(f"update: {name!r} is not one of {', '.join(UPDATE_RULES.names())}")
    cls = UPDATE_RULES.get(name)
    fields = [f.name for f in dataclasses.fields(cls.config)]
    unknown = sorted(set(options) - set(fields))
    if unknown:
        raise ConfigError(
            f"update rule {cls.name!r} takes no option {', '.join(unknown)}; "
            f"its options: {', '.join(fields)}"
        )
    check_option_types(f"update rule {cls.name!r}", cls.config, options)
    return cls(cls.config(**options))
