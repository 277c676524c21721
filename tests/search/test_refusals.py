"""Refused searches and resumes write nothing (issue 13, items 1-6 and 12), each test built from
its reproduction: the lock comes first, the config identity and every ledger line's content are
verified, hand-made checkpoints and missing data are refused in one line."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import pytest
from search_runs import (
    EXPERIMENT,
    QUIET,
    REPO,
    copy_truncated,
    directory_bytes,
    finished_run,
    ledger,
    write_ledger,
)

from graphnas.cli import main
from graphnas.config import load_search_config
from graphnas.errors import ConfigError, InputFileError
from graphnas.search import RunDir, build_search, resume_search, run_loop


def refused(capsys, argv: list[str], expected: str) -> None:
    """`graphnas search ARGV` exits 2 with one line containing `expected`."""
    capsys.readouterr()
    assert main(["search", *argv]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("graphnas: error: "), lines
    assert expected in lines[0], lines[0]


# ------------------------------------------------------------------ 1, 2: the lock comes first
def test_a_second_search_on_a_directory_in_use_writes_nothing(tmp_path, capsys) -> None:
    out = tmp_path / "run"
    config = ["strategy=random", "budget.queries=6", *QUIET, f"out={out}"]
    first = build_search(load_search_config(EXPERIMENT, [*config, "seed=1"]))  # holds the lock
    before = directory_bytes(out)
    assert (out / ".graphnas.lock").exists() and (out / "config.yaml").exists()
    refused(capsys, ["--config", str(EXPERIMENT), *config, "seed=2"], "in use by another")
    assert directory_bytes(out) == before  # config.yaml is still the first search's
    run_loop(first)
    assert load_search_config(out / "config.yaml").seed == 1
    assert run_loop(resume_search(out))["queries"] == 6  # the directory stays resumable


def test_of_two_searches_started_together_one_runs_and_one_is_refused(tmp_path) -> None:
    out = tmp_path / "run"
    env = {**os.environ, "WANDB_MODE": "disabled", "OMP_NUM_THREADS": "1"}
    base = [sys.executable, "-m", "graphnas.cli", "search", "--config", str(EXPERIMENT)]
    args = [f"out={out}", "strategy=random", "budget.queries=4", *QUIET]
    args.append("evaluator.params.latency_s=0.3")  # both are still starting when one locks
    processes = [
        subprocess.Popen(
            [*base, *args, f"seed={seed}"],
            env=env,
            cwd=REPO,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for seed in (1, 2)
    ]
    results = [(p.wait(timeout=120), p.communicate()[1]) for p in processes]
    statuses = sorted(status for status, _ in results)
    assert statuses == [0, 2], results
    winner = 1 if results[0][0] == 0 else 2
    loser_err = next(err for status, err in results if status == 2)
    assert "in use by another graphnas process" in loser_err or "already holds a run" in loser_err
    assert load_search_config(out / "config.yaml").seed == winner
    assert all(line["seed"] == winner for line in ledger(out))
    assert main(["search", "--resume", str(out)]) == 0


def test_a_new_search_on_a_directory_holding_a_run_writes_nothing(tmp_path) -> None:
    run = finished_run(tmp_path)
    before = directory_bytes(run)
    config = load_search_config(EXPERIMENT, [f"out={run}", "strategy=random", *QUIET])
    with pytest.raises(ConfigError, match="already holds a run"):
        build_search(config)
    assert directory_bytes(run) == before and not (run / ".graphnas.lock").exists()


def test_a_resume_refused_as_in_use_leaves_the_live_temp_file_alone(tmp_path, capsys) -> None:
    run = finished_run(tmp_path)
    live = run / ".checkpoint.pt.live.tmp"  # what a running search writes its checkpoint to
    live.write_bytes(b"partial")
    with RunDir(run).locked():
        refused(capsys, ["--resume", str(run), "budget.queries=9"], "in use by another")
        assert live.read_bytes() == b"partial"
    assert main(["search", "--resume", str(run), "budget.queries=9"]) == 0
    assert not live.exists()  # stale once nobody holds the lock: removed by the resume


# ------------------------------------------------------------------ 3: refusals write nothing
def test_a_replay_that_disagrees_writes_nothing_even_with_checkpoints_every_step(
    tmp_path, capsys
) -> None:
    run = copy_truncated(finished_run(tmp_path), tmp_path / "killed", 7)
    lines = ledger(run)
    for key in ("hash", "arch", "reward", "metrics"):  # another order than proposed
        lines[4][key], lines[5][key] = lines[5][key], lines[4][key]
    write_ledger(run, lines, rechain=True)  # digests that verify: only the replay can tell
    before = directory_bytes(run)
    argv = ["--resume", str(run), "checkpoint_every_s=0", "budget.queries=12"]
    refused(capsys, argv, "line 5 records")
    assert directory_bytes(run) == before  # no checkpoint, no config.yaml rewrite, no summary


# ------------------------------------------------------------------ 4: the config identity
def test_an_edited_config_is_refused_before_the_first_checkpoint(tmp_path, capsys) -> None:
    run = copy_truncated(finished_run(tmp_path), tmp_path / "killed", 5)
    config = run / "config.yaml"
    config.write_text(config.read_text().replace("dataset: cifar10", "dataset: cifar100"))
    before = directory_bytes(run)
    refused(capsys, ["--resume", str(run)], "line 1 was not written with this run's config.yaml")
    assert directory_bytes(run) == before


# ------------------------------------------------------------------ 5: every line's content
@pytest.mark.parametrize("checkpointed", [True, False], ids=["checkpointed", "no-checkpoint"])
@pytest.mark.parametrize("reward", [99.99, math.nan], ids=["99.99", "nan"])
def test_an_edited_reward_is_refused(tmp_path, capsys, checkpointed: bool, reward) -> None:
    run = finished_run(tmp_path)
    if not checkpointed:
        run = copy_truncated(run, tmp_path / "killed", 6)
    lines = ledger(run)
    lines[3]["reward"], lines[3]["status"] = reward, "ok"
    write_ledger(run, lines)
    before = directory_bytes(run)
    expected = "line 4 was edited" if reward == 99.99 else "line 4: 'reward' is not a number"
    refused(capsys, ["--resume", str(run)], expected)
    assert directory_bytes(run) == before


def test_a_line_moved_from_another_run_is_refused(tmp_path) -> None:
    run = finished_run(tmp_path)
    other = finished_run(tmp_path, "evaluator.params.seconds_per_query=2", name="other")
    lines = ledger(run)
    lines[-1] = ledger(other)[-1]
    write_ledger(run, lines)
    with pytest.raises(InputFileError, match="line 8 was edited"):
        resume_search(run)
    assert not (run / ".graphnas.lock").exists()  # the refused resume gave the lock back


# ------------------------------------------------------------------ 12: missing data
@pytest.mark.parametrize("pool", ["serial", "process"])
def test_a_training_evaluator_with_a_missing_data_path_is_refused_in_every_pool(
    tmp_path, capsys, pool: str
) -> None:
    out = tmp_path / "run"
    missing = tmp_path / "no-cifar"
    argv = [
        "--config",
        str(EXPERIMENT),
        f"out={out}",
        "strategy=random",
        f"pool={pool}",
        *QUIET,
        "evaluator.name=train",
        "evaluator.params={data: 'cifar10:" + str(missing) + "', epochs: 1}",
    ]
    refused(capsys, argv, f"{missing} does not exist")
    assert not out.exists()


def test_the_ledger_schema_is_one_line_per_query_with_its_digest(tmp_path) -> None:
    run = finished_run(tmp_path)
    lines = ledger(run)
    keys = {
        "query",
        "step",
        "seed",
        "hash",
        "exact",
        "arch",
        "reward",
        "metrics",
        "cost_s",
        "status",
        "error",
        "elapsed_s",
        "digest",
    }
    assert all(set(line) == keys for line in lines)
    assert len({line["digest"] for line in lines}) == len(lines) == 8
    assert json.loads((run / "summary.json").read_text())["queries"] == 8
