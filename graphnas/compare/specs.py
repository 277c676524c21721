"""What a comparison runs: strategy specs (`name:key=value:...`) and seeds (`10` or `0,3,7`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graphnas.errors import ConfigError
from graphnas.safe_yaml import load_yaml


@dataclass(frozen=True)
class StrategySpec:
    """One compared strategy: its label (as written), registered name and params."""

    label: str
    name: str
    params: dict[str, Any] = field(default_factory=dict, hash=False)


def parse_strategies(text: str) -> list[StrategySpec]:
    """`a,b:key=value:key.sub=value` -> specs (a dotted key sets a nested option); duplicate
    labels or malformed items are errors."""
    specs = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            raise ConfigError(f"--strategies {text!r}: empty strategy name")
        name, *pairs = item.split(":")
        params: dict[str, Any] = {}
        for pair in pairs:
            key, sep, value = pair.partition("=")
            if not sep or not key.strip():
                raise ConfigError(f"--strategies: {item!r}: expected name:key=value")
            _assign(params, key.strip().split("."), load_yaml(value, f"--strategies {item!r}"))
        specs.append(StrategySpec(item, name.strip(), params))
    labels = [s.label for s in specs]
    if len(set(labels)) != len(labels):
        raise ConfigError(f"--strategies {text!r}: a strategy is listed twice")
    return specs


def _assign(params: dict[str, Any], path: list[str], value: Any) -> None:
    """params[a][b] = value for the dotted key `a.b` (nested options, e.g. update.steps=1)."""
    head, *rest = path
    if not rest:
        params[head] = value
        return
    inner = params.setdefault(head, {})
    if not isinstance(inner, dict):
        raise ConfigError(f"--strategies: {head} is set twice (as a value and as options)")
    _assign(inner, rest, value)


def merged(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """`base` with `update` merged in, nested mappings key by key; a mapping that names something
    else (`update.name=reinforce` over the recipe's `elite` options) replaces the old one."""
    out = dict(base)
    for key, value in update.items():
        old = out.get(key)
        if isinstance(value, dict) and isinstance(old, dict) and _same_name(old, value):
            out[key] = merged(old, value)
        else:
            out[key] = value
    return out


def _same_name(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Whether `new` leaves the name of `old` as it is."""
    return new.get("name", old.get("name")) == old.get("name")


def seeds_from(text: str) -> list[int]:
    """`10` -> seeds 0..9; `3,5,8` -> those seeds."""
    try:
        seeds = [int(p) for p in text.split(",")] if "," in text else list(range(int(text)))
    except ValueError:
        raise ConfigError(f"--seeds {text!r}: expected a count (10) or a list (0,3,7)") from None
    if not seeds or any(s < 0 for s in seeds) or len(set(seeds)) != len(seeds):
        raise ConfigError(f"--seeds {text!r}: need at least one distinct non-negative seed")
    return seeds
