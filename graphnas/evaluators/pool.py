"""Evaluation pools: how the search loop hands architectures to an evaluator and gets results back.

A pool takes tickets (integers chosen by the caller) with an architecture each and returns
`(ticket, EvalResult)` pairs as they finish, in any order; the search loop restores its own order
from the tickets. Every pool turns an evaluator that raises, returns the wrong thing or returns a
non-finite reward into `EvalResult.failure(reason)`: a failed evaluation never stops a search.
After a CUDA out-of-memory error the allocator's cached blocks are released, so the next
evaluation starts with the GPU's memory free. A pool built with `timeout_s` fails evaluations that
run longer (`SerialPool`: SIGALRM in the main thread; process pools kill the worker).
`SerialPool` evaluates in-process; parallel pools (processes, Ray) implement the same interface.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from typing import Any, ClassVar, Protocol, runtime_checkable

from graphnas.evaluators.base import EvalResult, Evaluator
from graphnas.evaluators.deadline import EvaluationTimeout, call_with_deadline, timeout_reason
from graphnas.graph import ArchGraph
from graphnas.registry import Registry

POOLS: Registry = Registry("pool")


@runtime_checkable
class EvalPool(Protocol):
    """Asynchronous evaluation of architectures identified by caller-chosen tickets."""

    def submit(self, ticket: int, arch: ArchGraph) -> None:
        """Queue `arch` for evaluation under `ticket` (unique among pending tickets)."""

    def collect(self, block: bool = True) -> list[tuple[int, EvalResult]]:
        """Finished results. `block=True` waits until at least one is ready (if any is pending)."""

    def pending(self) -> int:
        """Submitted tickets whose results have not been collected yet."""

    def close(self) -> None:
        """Release workers; pending work is abandoned."""


def checked_result(result: Any) -> EvalResult:
    """`result` if it is a usable EvalResult, else a failure saying what was wrong with it."""
    if not isinstance(result, EvalResult):
        return EvalResult.failure(f"evaluator returned {type(result).__name__}, not EvalResult")
    if result.status == "ok" and not _finite(result.reward):
        return EvalResult.failure(f"non-finite reward {result.reward!r}", cost_s=result.cost_s)
    if result.status not in ("ok", "failed"):
        return EvalResult.failure(f"unknown status {result.status!r}", cost_s=result.cost_s)
    return result


def evaluate_safely(evaluator: Evaluator, archs: Sequence[ArchGraph]) -> list[EvalResult]:
    """Evaluate a batch, never raising. A batch call that raises or miscounts is retried one
    architecture at a time to isolate the fault; a single architecture is never run twice."""
    if len(archs) == 1:
        return [_evaluate_one(evaluator, archs[0])]
    if not archs:
        return []
    try:
        results = list(evaluator.evaluate(list(archs)))
    except Exception:
        results = []
    if len(results) == len(archs):
        return [checked_result(r) for r in results]
    return [_evaluate_one(evaluator, arch) for arch in archs]


def _evaluate_one(evaluator: Evaluator, arch: ArchGraph) -> EvalResult:
    try:
        results = list(evaluator.evaluate([arch]))
    except Exception as exc:
        failure = EvalResult.failure(_reason(exc))
        out_of_memory = _is_cuda_out_of_memory(exc)
        del exc  # its traceback holds the failed evaluation's tensors
        if out_of_memory:
            _release_cuda_cache()
        return failure
    if len(results) != 1:
        return EvalResult.failure(f"evaluator returned {len(results)} results for 1 architecture")
    return checked_result(results[0])


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _is_cuda_out_of_memory(exc: BaseException) -> bool:
    torch = sys.modules.get("torch")  # an evaluator that never imported torch cannot hit this
    return torch is not None and isinstance(exc, torch.cuda.OutOfMemoryError)


def _release_cuda_cache() -> None:
    torch = sys.modules["torch"]
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        torch.cuda.empty_cache()


def _finite(value: Any) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


@POOLS.register("serial")
class SerialPool:
    """Evaluates in the calling process: `collect` runs every pending architecture as one batch.

    A serial pool has no background worker, so `collect(block=False)` also does the work (it is
    the only way for pending evaluations to progress). With `timeout_s`, architectures are
    evaluated one call each, and a call past its deadline is a failed result.
    """

    context_fields: ClassVar[tuple[str, ...]] = ("evaluator", "timeout_s")

    def __init__(self, evaluator: Evaluator, timeout_s: float | None = None) -> None:
        self.evaluator = evaluator
        self.timeout_s = timeout_s
        self._queue: list[tuple[int, ArchGraph]] = []

    def submit(self, ticket: int, arch: ArchGraph) -> None:
        if any(t == ticket for t, _ in self._queue):
            raise ValueError(f"ticket {ticket} is already pending")
        self._queue.append((ticket, arch))

    def collect(self, block: bool = True) -> list[tuple[int, EvalResult]]:
        queue, self._queue = self._queue, []
        if self.timeout_s is None:
            results = evaluate_safely(self.evaluator, [arch for _, arch in queue])
        else:
            results = [self._evaluate_in_time(arch) for _, arch in queue]
        return [(ticket, result) for (ticket, _), result in zip(queue, results, strict=True)]

    def _evaluate_in_time(self, arch: ArchGraph) -> EvalResult:
        assert self.timeout_s is not None
        try:
            return call_with_deadline(lambda: _evaluate_one(self.evaluator, arch), self.timeout_s)
        except EvaluationTimeout:
            return EvalResult.failure(timeout_reason(self.timeout_s), cost_s=self.timeout_s)

    def pending(self) -> int:
        return len(self._queue)

    def close(self) -> None:
        self._queue.clear()
