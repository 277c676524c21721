"""Chained fidelities: score a whole batch with a cheap evaluator, then run the expensive one on the
best of it (e.g. NASWOT to screen, proxy training for the survivors).

Architectures that are screened out are returned as failed results whose error says so ("screened
out by ...: rank r of n") and whose metrics keep the screening score, because they have no reward
on the expensive evaluator's scale. Survivors get the expensive result, with the screening score
added as `screen_reward` and both costs summed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import torch

from graphnas.errors import ConfigError
from graphnas.evaluators.base import EvalResult, Evaluator, prepare_evaluator
from graphnas.evaluators.registry import EVALUATORS
from graphnas.graph import ArchGraph
from graphnas.spaces.base import SearchSpace


@EVALUATORS.register("chain")
class ChainEvaluator:
    """`screen` scores every architecture of a batch; `final` evaluates the top `keep` of them.

    `screen`/`final`: an evaluator, or a registered name, or {name, params}. `keep`: a fraction of
    the batch in (0, 1) (rounded up, at least one) or a count >= 1.
    """

    context_fields: ClassVar[tuple[str, ...]] = ("space", "seed", "device")

    def __init__(
        self,
        space: SearchSpace,
        screen: Any = "naswot",
        final: Any = "train",
        keep: float = 0.25,
        seed: int = 0,
        device: torch.device | str = "cpu",
    ) -> None:
        if not keep > 0:
            raise ConfigError(f"evaluator chain: keep must be > 0, got {keep}")
        context = {"space": space, "seed": seed, "device": device}
        self.screen: Evaluator = _build(screen, context, "screen")
        self.final: Evaluator = _build(final, context, "final")
        self.screen_name = _label(screen)
        self.keep = keep

    def survivors(self, n: int) -> int:
        """How many of a batch of n are passed to the final evaluator."""
        count = math.ceil(self.keep * n) if self.keep < 1 else int(self.keep)
        return max(1, min(n, count))

    def prepare(self) -> None:
        """Prepare both evaluators (load their data) where they support it."""
        for evaluator in (self.screen, self.final):
            prepare_evaluator(evaluator)

    def evaluate(self, archs: Sequence[ArchGraph]) -> list[EvalResult]:
        if not archs:
            return []
        screened = list(self.screen.evaluate(list(archs)))
        scored = [i for i, r in enumerate(screened) if r.ok]
        # Best first; ties keep batch order.
        ranked = sorted(scored, key=lambda i: (-screened[i].reward, i))
        chosen = ranked[: self.survivors(len(archs))] if ranked else []
        finals = dict(zip(chosen, self.final.evaluate([archs[i] for i in chosen]), strict=True))
        results = []
        for i, first in enumerate(screened):
            if not first.ok:
                results.append(first)
            elif i in finals:
                second = finals[i]
                metrics = {**second.metrics, "screen_reward": first.reward}
                results.append(
                    EvalResult(
                        second.reward,
                        metrics,
                        first.cost_s + second.cost_s,
                        second.status,
                        second.error,
                    )
                )
            else:
                rank = ranked.index(i) + 1
                results.append(
                    EvalResult(
                        math.nan,
                        {"screen_reward": first.reward},
                        first.cost_s,
                        "failed",
                        f"screened out by {self.screen_name}: rank {rank} of {len(ranked)}",
                    )
                )
        return results


def _build(spec: Any, context: Mapping[str, Any], role: str) -> Evaluator:
    if isinstance(spec, Mapping):
        unknown = sorted(set(spec) - {"name", "params"})
        if "name" not in spec or unknown:
            raise ConfigError(f"evaluator chain: {role} must be a name or {{name, params}}")
        return EVALUATORS.build(spec["name"], spec.get("params"), context)
    if isinstance(spec, str):
        return EVALUATORS.build(spec, None, context)
    return spec


def _label(spec: Any) -> str:
    if isinstance(spec, Mapping):
        return str(spec.get("name"))
    return spec if isinstance(spec, str) else type(spec).__name__
