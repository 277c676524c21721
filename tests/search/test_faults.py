"""Faults never stop a search: an evaluator that raises, returns NaN, diverges, times out, runs out
of CUDA memory, or kills its worker process yields a failed ledger line with the reason, and the
strategy is told `failed_reward` for it."""

from __future__ import annotations

import itertools
import json
import math
import signal
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from faulty_evaluators import (
    FaultyTable,
    crash_worker,
    crash_worker_once,
    cuda_out_of_memory,
    diverge,
    hang,
    infinite_reward,
    nan_reward,
    raise_error,
)

from graphnas.cli import main
from graphnas.config import BudgetConfig, ComponentConfig
from graphnas.evaluators import POOLS
from graphnas.evaluators.base import EvalResult
from graphnas.evaluators.pool import SerialPool
from graphnas.evaluators.recipe import EvaluatorRecipe
from graphnas.search import RunDir, SearchLoop
from graphnas.spaces import load_space

SPACE = load_space("nb201")
EXPERIMENT = Path(__file__).resolve().parents[2] / "experiments" / "nb201.yaml"
ARCHS = [SPACE.sample_prior(np.random.default_rng(seed)) for seed in range(40)]
ARCHS = list({SPACE.canonical_hash(a): a for a in ARCHS}.values())[:8]  # 8 distinct cells
CODES = [SPACE.encode(a) for a in ARCHS]
FAULTY = (1, 4)  # the second and fifth architecture meet the fault


class RecordingStrategy:
    """Proposes ARCHS in order (then repeats them); remembers what it was told."""

    def __init__(self) -> None:
        self.source = itertools.cycle(ARCHS)
        self.told: list[EvalResult] = []

    def ask(self, n: int):
        return [next(self.source) for _ in range(n)]

    def tell(self, archs, results, hashes=None) -> None:
        self.told += list(results)

    def state_dict(self):
        return {}

    def load_state_dict(self, state) -> None:
        pass


def run_with(pool, tmp_path: Path, **loop_options) -> tuple[dict, list[dict], RecordingStrategy]:
    strategy = RecordingStrategy()
    loop = SearchLoop(
        SPACE,
        strategy,
        pool,
        BudgetConfig(queries=len(ARCHS)),
        run_dir=RunDir.create(tmp_path / "run"),
        **loop_options,
    )
    try:
        summary = loop.run()
    finally:
        pool.close()
    lines = [json.loads(x) for x in (tmp_path / "run" / "ledger.jsonl").read_text().splitlines()]
    return summary, lines, strategy


def faulty_pool(fault, device: torch.device | str = "cpu", **options) -> SerialPool:
    evaluator = FaultyTable(SPACE, {CODES[i]: fault for i in FAULTY}, device)
    return SerialPool(evaluator, **options)


def assert_failed_at(lines: list[dict], reason: str) -> None:
    """Failures exactly at FAULTY, each with `reason` in its error; every other line ok."""
    assert len(lines) == len(ARCHS)
    for i, line in enumerate(lines):
        if i in FAULTY:
            assert line["status"] == "failed" and line["reward"] is None, line
            assert reason in line["error"], line["error"]
        else:
            assert line["status"] == "ok" and line["error"] is None


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        (raise_error, "RuntimeError: simulated evaluator bug on |"),
        (nan_reward, "non-finite reward nan"),
        (infinite_reward, "non-finite reward inf"),
        (diverge, "training diverged: mean loss"),
        (cuda_out_of_memory, "OutOfMemoryError: CUDA out of memory"),
    ],
    ids=["raises", "nan", "inf", "diverges", "cuda_oom"],
)
def test_faults_become_failed_ledger_lines_and_the_search_goes_on(
    tmp_path: Path, device: torch.device, fault, reason: str
) -> None:
    summary, lines, strategy = run_with(faulty_pool(fault, device), tmp_path, failed_reward=-1.0)
    assert_failed_at(lines, reason)
    assert summary["queries"] == len(ARCHS) and summary["failed"] == len(FAULTY)
    assert summary["stopped"] == "budget.queries"
    ok = [line["reward"] for line in lines if line["status"] == "ok"]
    assert summary["best"]["reward"] == max(ok)
    # The strategy was told the configured worst reward for each failure.
    assert [r.reward for i, r in enumerate(strategy.told) if i in FAULTY] == [-1.0, -1.0]
    if device.type == "cuda":  # the failed allocation's cached blocks were given back
        assert torch.cuda.memory_reserved(device) < 2**30


def test_an_evaluation_past_its_timeout_fails_and_the_alarm_is_cleared(tmp_path: Path) -> None:
    before = signal.getsignal(signal.SIGALRM)
    start = time.monotonic()
    summary, lines, _ = run_with(faulty_pool(hang, timeout_s=0.3), tmp_path)
    assert time.monotonic() - start < 30  # two 60 s hangs were cut short
    assert_failed_at(lines, "timed out after 0.3 s (eval_timeout_s)")
    assert [lines[i]["cost_s"] for i in FAULTY] == [0.3, 0.3]  # a timeout costs its time
    assert summary["failed"] == 2
    assert signal.getsignal(signal.SIGALRM) == before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


@pytest.mark.parametrize("failed_reward", [None, 0.5, "worst"])
def test_the_strategy_is_told_the_configured_reward_for_failures(
    tmp_path: Path, failed_reward
) -> None:
    _, lines, strategy = run_with(faulty_pool(raise_error), tmp_path, failed_reward=failed_reward)
    for i, told in enumerate(strategy.told):
        if i not in FAULTY:
            assert told.ok and told.reward == lines[i]["reward"]
        elif failed_reward is None:  # the failure as it is: the strategy's own rule applies
            assert told.status == "failed" and math.isnan(told.reward)
        else:
            worst_so_far = min(line["reward"] for line in lines[: i + 1] if line["reward"])
            expected = worst_so_far if failed_reward == "worst" else failed_reward
            assert told.ok and told.reward == expected
            assert "simulated evaluator bug" in told.error  # the reason stays visible
    # The ledger always records the failure itself, whatever the strategy is told.
    assert all(lines[i]["status"] == "failed" for i in FAULTY)


def test_process_pool_crashes_and_timeouts_never_stop_the_search(
    tmp_path: Path, monkeypatch
) -> None:
    """One worker; the third cell kills it once (replaced, retried: ok), the fifth every time
    (failed after one retry), the seventh hangs (killed at the timeout, not retried)."""
    monkeypatch.setenv("FAULT_MARKERS", str(tmp_path))
    faults = {CODES[2]: crash_worker_once, CODES[4]: crash_worker, CODES[6]: hang}
    recipe = EvaluatorRecipe.of(ComponentConfig("faulty_table", {"faults": faults}), SPACE)
    pool = POOLS.build(
        "process",
        {"workers": 1, "threads": 1, "timeout_s": 2.0},
        {
            "recipe": recipe,
            "evaluator": None,
            "device": torch.device("cpu"),
        },
    )
    start = time.monotonic()
    summary, lines, _ = run_with(pool, tmp_path)
    assert time.monotonic() - start < 55  # the 60 s hang was cut short
    assert lines[2]["status"] == "ok" and lines[2]["metrics"] == {"survived": 1}
    assert (tmp_path / SPACE.canonical_hash(ARCHS[2])).exists()  # it did crash once
    assert lines[4]["error"] == "evaluation worker crashed (exit code 3) 2 times"
    assert lines[6]["error"] == "timed out after 2 s (eval_timeout_s)"
    assert [line["status"] for line in lines].count("failed") == summary["failed"] == 2
    assert summary["queries"] == len(ARCHS) and summary["best"] is not None


def test_eval_timeout_from_the_command_line(tmp_path: Path, capsys) -> None:
    """Config keys end to end: every lookup takes 5 s, the timeout is 0.2 s."""
    out = tmp_path / "run"
    status = main(
        [
            "search",
            "--config",
            str(EXPERIMENT),
            f"out={out}",
            "budget.queries=3",
            "strategy=random",
            "progress=false",
            "tracking.backends=[]",
            "evaluator.params.latency_s=5",
            "eval_timeout_s=0.2",
            "failed_reward=worst",
        ]
    )
    assert status == 0
    assert "no successful evaluation in 3 queries" in capsys.readouterr().out
    lines = [json.loads(x) for x in (out / "ledger.jsonl").read_text().splitlines()]
    assert [line["error"] for line in lines] == ["timed out after 0.2 s (eval_timeout_s)"] * 3


class UntimedPool(SerialPool):
    """A pool that does not declare timeout_s among what it receives from the build."""

    context_fields = ("evaluator",)

    def __init__(self, evaluator) -> None:
        super().__init__(evaluator)


POOLS.add("untimed_test_pool", UntimedPool)


def test_a_timeout_with_a_pool_that_cannot_enforce_it_is_refused(tmp_path: Path, capsys) -> None:
    out = tmp_path / "run"
    argv = [f"out={out}", "strategy=random", "pool=untimed_test_pool", "eval_timeout_s=5"]
    status = main(["search", "--config", str(EXPERIMENT), *argv])
    assert status == 2
    err = capsys.readouterr().err
    assert "pool 'untimed_test_pool' cannot enforce a per-evaluation timeout" in err
    assert not out.exists()  # refused before the run directory was made


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("failed_reward=best", "failed_reward: expected null, a finite number or 'worst'"),
        ("failed_reward=.nan", "failed_reward: expected null, a finite number or 'worst'"),
        ("eval_timeout_s=0", "eval_timeout_s: must be a positive number of seconds"),
        ("checkpoint_every_s=-1", "checkpoint_every_s: must be >= 0 seconds"),
    ],
)
def test_bad_fault_settings_are_one_line_errors(capsys, override: str, expected: str) -> None:
    assert main(["search", "--config", str(EXPERIMENT), override]) == 2
    stderr = capsys.readouterr().err
    assert len(stderr.strip().splitlines()) == 1 and expected in stderr
