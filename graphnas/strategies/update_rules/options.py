"""An update rule's options: `RuleConfig`, the frozen dataclass base that checks them on
construction, and `Bound`, the range a numeric option must lie in.

A rule's config subclasses `RuleConfig`, names its rule in `rule`, lists the allowed values of
its choice options in `choices` and the ranges of its numeric options in `bounds`; every failed
check is one ConfigError naming the rule, the option and the value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from graphnas.errors import ConfigError

REWARDS = ("raw", "cdf")


@dataclass(frozen=True)
class Bound:
    """Values at least `low` (more than `low` when `strict`) and, when `high` is set, below it."""

    low: float
    strict: bool = False
    high: float | None = None

    def admits(self, value: float) -> bool:
        above = value > self.low if self.strict else value >= self.low
        return above and (self.high is None or value < self.high)

    def __str__(self) -> str:
        if self.high is not None:
            return f"in [{self.low}, {self.high})"
        return f"{'>' if self.strict else '>='} {self.low}"


@dataclass(frozen=True)
class RuleConfig:
    """Base of the rules' option dataclasses; options left None are not range-checked."""

    rule: ClassVar[str]
    choices: ClassVar[Mapping[str, tuple[str, ...]]] = {}
    bounds: ClassVar[Mapping[str, Bound]] = {}

    def __post_init__(self) -> None:
        owner = f"update rule {self.rule!r}"
        for name, allowed in self.choices.items():
            value = getattr(self, name)
            if value not in allowed:
                raise ConfigError(f"{owner}: {name} {value!r} is not one of {', '.join(allowed)}")
        for name, bound in self.bounds.items():
            value = getattr(self, name)
            if value is not None and not bound.admits(value):
                raise ConfigError(f"{owner}: {name} must be {bound}, got {value}")
