"""The evaluator contract: score architectures, never raise for a bad architecture."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Protocol, runtime_checkable

from graphnas.graph import ArchGraph

Status = Literal["ok", "failed"]


@dataclass(frozen=True)
class EvalResult:
    """Outcome of one evaluation.

    `reward` is what the strategy maximises (e.g. validation accuracy); `metrics` holds everything
    else reported (test accuracies, params, ...); `cost_s` is the real or simulated cost in seconds.
    A failed evaluation has status "failed", reward NaN and a one-line `error`.
    """

    reward: float
    metrics: dict[str, Any] = field(default_factory=dict)
    cost_s: float = 0.0
    status: Status = "ok"
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok" and math.isfinite(self.reward)

    @classmethod
    def failure(cls, reason: str, cost_s: float = 0.0) -> EvalResult:
        return cls(reward=math.nan, metrics={}, cost_s=cost_s, status="failed", error=reason)

    def to_dict(self) -> dict[str, Any]:
        return {
            "reward": None if math.isnan(self.reward) else self.reward,
            "metrics": dict(self.metrics),
            "cost_s": self.cost_s,
            "status": self.status,
            "error": self.error,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EvalResult:
        reward = data.get("reward")
        return cls(
            reward=math.nan if reward is None else float(reward),
            metrics=dict(data.get("metrics") or {}),
            cost_s=float(data.get("cost_s", 0.0)),
            status=data.get("status", "ok"),
            error=data.get("error"),
        )


@runtime_checkable
class Evaluator(Protocol):
    """Scores a batch of architectures, one result per input in order; never raises for one."""

    def evaluate(self, archs: Sequence[ArchGraph]) -> list[EvalResult]: ...


class PerArchitectureMixin:
    """`evaluate` as `evaluate_one` on each architecture in turn, results in input order."""

    def evaluate(self, archs: Sequence[ArchGraph]) -> list[EvalResult]:
        return [self.evaluate_one(arch) for arch in archs]

    def evaluate_one(self, arch: ArchGraph) -> EvalResult:
        raise NotImplementedError


class StatefulMixin:
    """Evaluator state that checkpoints with the search (e.g. a supernet's shared weights).

    An evaluator with `stateful = True` returns its state as weights-only-loadable values
    (tensors, numbers, strings, lists and dicts of them) from `state_dict`; the search saves it
    into checkpoint.pt under "evaluator" and hands it back to `load_state_dict` on resume.
    Stateless evaluators keep the defaults: `{}` and a no-op.
    """

    stateful: ClassVar[bool] = False

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        del state


def is_stateful(evaluator: object) -> bool:
    """True when `evaluator` declares state that must be checkpointed with the search."""
    return bool(getattr(evaluator, "stateful", False))


def evaluator_state(evaluator: object) -> dict[str, Any]:
    """The state to checkpoint: `state_dict()` of a stateful evaluator, `{}` for any other."""
    return evaluator.state_dict() if is_stateful(evaluator) else {}  # type: ignore[attr-defined]


def restore_evaluator_state(evaluator: object, state: dict[str, Any] | None) -> None:
    """Hand a checkpointed state back to a stateful evaluator; nothing for any other."""
    if state and is_stateful(evaluator):
        evaluator.load_state_dict(state)  # type: ignore[attr-defined]


class NamedRewardMixin:
    """What an evaluator calls its numbers, and the best entry it knows (interface 3).

    `reward_name` (class or instance attribute) labels the reward in summaries and compare tables
    (e.g. "val_acc"); `optimum(metric)` returns the best entry the evaluator knows, by `metric`
    (None: the evaluator's own choice, usually the reward), as {"code", "hash", "reward",
    "metrics"}, or None when it cannot know (anything but a table). Evaluators that do not inherit
    the mixin get the same defaults through `reward_name_of` / `optimum_of`.
    """

    reward_name: str = "reward"
    # The metric `compare` reports for the chosen architecture by default (None: the reward).
    report_metric: str | None = None

    def optimum(self, metric: str | None = None) -> dict[str, Any] | None:
        del metric
        return None

    def metric_values(self, metric: str | None = None) -> Any | None:
        """Every value of `metric` (None: the reward) over the whole space, as an array, where
        the evaluator knows them (a benchmark table); None otherwise."""
        del metric
        return None


def reward_name_of(evaluator: object) -> str:
    """The evaluator's name for its reward ("reward" unless it says otherwise)."""
    name = getattr(evaluator, "reward_name", None)
    return name if isinstance(name, str) and name else "reward"


def optimum_of(evaluator: object, metric: str | None = None) -> dict[str, Any] | None:
    """`evaluator.optimum(metric)` where it has one, else None."""
    optimum = getattr(evaluator, "optimum", None)
    return optimum(metric) if callable(optimum) else None


def report_metric_of(evaluator: object) -> str | None:
    """The metric the evaluator asks `compare` to report (None: its reward)."""
    name = getattr(evaluator, "report_metric", None)
    return name if isinstance(name, str) and name else None


class PrepareMixin:
    """The `prepare` hook: load what every evaluation needs (a dataset, its tensor cache) once.

    Pools call it in the parent process before starting workers, so that a cache is built once
    instead of by every worker at the same time. The default does nothing.
    """

    def prepare(self) -> None:
        return None


def prepare_evaluator(evaluator: object) -> None:
    """Call `evaluator.prepare()` where the evaluator has the hook (the parallel pools do)."""
    prepare = getattr(evaluator, "prepare", None)
    if callable(prepare):
        prepare()
