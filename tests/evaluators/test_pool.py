"""SerialPool and the fault handling every pool shares."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pytest

from graphnas.evaluators.base import EvalResult
from graphnas.evaluators.pool import POOLS, EvalPool, SerialPool, evaluate_safely
from graphnas.graph import ArchGraph
from graphnas.spaces import load_space

SPACE = load_space("nb201")


def cells(n: int) -> list[ArchGraph]:
    archs = SPACE.enumerate()
    return [next(archs) for _ in range(n)]


class ScriptedEvaluator:
    """Reward = number of edges; misbehaves on chosen architectures; counts calls."""

    def __init__(self, raise_on=(), nan_on=(), junk_on=()) -> None:
        self.raise_on, self.nan_on, self.junk_on = set(raise_on), set(nan_on), set(junk_on)
        self.calls: list[int] = []

    def evaluate(self, archs: Sequence[ArchGraph]) -> list:
        self.calls.append(len(archs))
        out: list = []
        for arch in archs:
            key = SPACE.encode(arch)
            if key in self.raise_on:
                raise RuntimeError(f"boom on {key}\nsecond line")
            if key in self.nan_on:
                out.append(EvalResult(math.nan))
            elif key in self.junk_on:
                out.append("not a result")
            else:
                out.append(EvalResult(float(arch.num_edges), {"edges": arch.num_edges}, cost_s=1.0))
        return out


def test_serial_pool_returns_each_ticket_once_in_one_batch() -> None:
    evaluator = ScriptedEvaluator()
    pool = POOLS.build("serial", {}, {"evaluator": evaluator, "seed": 0})
    assert isinstance(pool, EvalPool)
    archs = cells(5)
    for ticket, arch in zip([7, 3, 9, 1, 4], archs, strict=True):
        pool.submit(ticket, arch)
    assert pool.pending() == 5
    results = dict(pool.collect())
    assert sorted(results) == [1, 3, 4, 7, 9] and pool.pending() == 0
    assert results[7].reward == archs[0].num_edges
    assert evaluator.calls == [5]
    assert pool.collect() == [] and evaluator.calls == [5]


def test_duplicate_pending_ticket_is_refused() -> None:
    pool = SerialPool(ScriptedEvaluator())
    pool.submit(1, cells(1)[0])
    with pytest.raises(ValueError, match="already pending"):
        pool.submit(1, cells(2)[1])


def test_faults_become_failed_results_and_do_not_spread() -> None:
    archs = cells(6)
    keys = [SPACE.encode(a) for a in archs]
    evaluator = ScriptedEvaluator(raise_on=[keys[1]], nan_on=[keys[3]], junk_on=[keys[4]])
    results = evaluate_safely(evaluator, archs)
    assert [r.status for r in results] == ["ok", "failed", "ok", "failed", "failed", "ok"]
    assert results[1].error == f"RuntimeError: boom on {keys[1]}"
    assert "non-finite reward" in (results[3].error or "")
    assert "not EvalResult" in (results[4].error or "")
    assert [r.reward for r in (results[0], results[2], results[5])] == [
        float(archs[i].num_edges) for i in (0, 2, 5)
    ]
    # One batch call that raised, then one call per architecture to isolate the fault.
    assert evaluator.calls == [6, 1, 1, 1, 1, 1, 1]


def test_a_single_failing_architecture_is_not_run_twice() -> None:
    arch = cells(1)[0]
    evaluator = ScriptedEvaluator(raise_on=[SPACE.encode(arch)])
    (result,) = evaluate_safely(evaluator, [arch])
    assert result.status == "failed" and evaluator.calls == [1]


def test_wrong_result_count_is_isolated() -> None:
    class Short:
        def __init__(self) -> None:
            self.calls = 0

        def evaluate(self, archs):
            self.calls += 1
            return [EvalResult(1.0)] * (len(archs) - 1 if len(archs) > 1 else 0)

    results = evaluate_safely(Short(), cells(3))
    assert [r.status for r in results] == ["failed"] * 3
    assert "0 results for 1" in (results[0].error or "")
