"""The evaluator recipe: plain data that rebuilds one evaluator identically in any process.

A search builds its evaluator from a recipe in the parent (used by the serial pool, for
`prepare()` and for the evaluator's names), and every worker of a process or Ray pool rebuilds it
from the same recipe: registered name, user options, the space's config, the evaluator seed and
the plug-ins the parent had loaded (imported again first, so a plug-in's evaluator or space kind
resolves in the worker too). A recipe is picklable and holds nothing but plain data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from graphnas.errors import ConfigError
from graphnas.evaluators.base import Evaluator
from graphnas.spaces.base import SearchSpace


@dataclass(frozen=True)
class EvaluatorRecipe:
    """Everything needed to build the evaluator: plain data only."""

    name: str
    params: dict[str, Any]
    space: dict[str, Any]  # SearchSpace.to_config()
    seed: int
    plugins: tuple[str, ...] = field(default=())
    run_seed: int = 0  # the run's own `seed` (e.g. which trial of a noisy table)

    @classmethod
    def of(
        cls,
        config: Any,
        space: SearchSpace,
        seed: int = 0,
        plugins: Sequence[str] | None = None,
        run_seed: int = 0,
    ) -> EvaluatorRecipe:
        """The recipe of an evaluator config (a name, {name, params} or a ComponentConfig) on
        `space`; `plugins` defaults to every plug-in loaded in this process so far."""
        from graphnas.plugins import loaded_plugins

        name, params = name_and_params(config)
        loaded = loaded_plugins() if plugins is None else tuple(plugins)
        return cls(name, params, space.to_config(), int(seed), tuple(loaded), int(run_seed))

    def build(self, device: torch.device | str, space: SearchSpace | None = None) -> Evaluator:
        """The evaluator on `device` (plug-ins imported first); `space` saves rebuilding the
        space where the caller already has it."""
        import graphnas.evaluators  # noqa: F401  (registers the built-in evaluators)
        from graphnas.evaluators.registry import EVALUATORS
        from graphnas.plugins import load_plugins
        from graphnas.spaces.loading import space_from_config

        load_plugins(self.plugins)
        if space is None:
            space = space_from_config(self.space, source="evaluator recipe space")
        context = {
            "space": space,
            "device": torch.device(device),
            "seed": self.seed,
            "run_seed": self.run_seed,
        }
        return EVALUATORS.build(self.name, self.params, context)


def name_and_params(config: Any) -> tuple[str, dict[str, Any]]:
    """(registered name, options) of an evaluator config."""
    if isinstance(config, str):
        return config, {}
    if isinstance(config, Mapping):
        name, params = config.get("name"), config.get("params") or {}
    else:  # graphnas.config.ComponentConfig or any object with name/params
        name, params = getattr(config, "name", None), getattr(config, "params", None) or {}
    if not isinstance(name, str) or not name:
        raise ConfigError("evaluator: needs a registered name (and options) to be rebuilt")
    return name, dict(params)
