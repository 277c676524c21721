"""Regression tests for `graphnas compare` under signals (issue 13 items 9 and 10), on a real
`graphnas compare` subprocess: SIGTERM exits 143 and Ctrl-C (SIGINT to the whole foreground
process group, as a terminal sends it) exits 130; in both cases no worker process survives, no
ledger grows afterwards, the interrupted runs are marked as such in table.md and compare.json,
and `--resume` then finishes exactly the runs an uninterrupted comparison would have."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from graphnas.config import load_search_config
from graphnas.search import run_search

psutil = pytest.importorskip("psutil")

REPO = Path(__file__).resolve().parents[2]
EXPERIMENT = REPO / "experiments" / "nb201.yaml"
QUERIES = 16
SLOW = [
    f"budget.queries={QUERIES}",
    "evaluator.params.latency_s=0.2",  # each lookup takes 0.2 s: a run lasts about 3 s
    "tracking.backends=[]",
    "checkpoint_every_s=0",
]
RUNS = ("random-seed0", "evolution-seed0", "prior-seed0")  # two busy workers, one run queued


def _compare(out: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "graphnas.cli",
        "compare",
        "--config",
        str(EXPERIMENT),
        "--strategies",
        "random,evolution,prior",
        "--seeds",
        "1",
        "--jobs",
        "2",
        "--out",
        str(out),
        *extra,
        *SLOW,
    ]


def _ledger_lines(out: Path) -> dict[str, int]:
    counts = {}
    for run in RUNS:
        ledger = out / "runs" / run / "ledger.jsonl"
        counts[run] = len(ledger.read_text().splitlines()) if ledger.exists() else 0
    return counts


def _interrupt(out: Path, send) -> tuple[int, list, dict[str, int]]:
    """Start a comparison, wait until both workers are searching, call `send(process)`;
    returns (exit status, the workers and their children seen, ledger sizes at the exit)."""
    env = {**os.environ, "WANDB_MODE": "disabled"}
    process = subprocess.Popen(
        _compare(out),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while sum(1 for n in _ledger_lines(out).values() if n >= 2) < 2:
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the runs did not start"
            time.sleep(0.1)
        descendants = psutil.Process(process.pid).children(recursive=True)
        assert len(descendants) >= 2
        send(process)
        status = process.wait(timeout=120)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    return status, descendants, _ledger_lines(out)


def _check_stopped(out: Path, descendants, at_exit: dict[str, int], signal_name: str) -> None:
    _, alive = psutil.wait_procs(descendants, timeout=10)
    assert not alive, f"workers survived the compare process: {alive}"
    time.sleep(1.0)
    assert _ledger_lines(out) == at_exit  # nothing went on searching
    assert all(n < QUERIES for n in at_exit.values())
    table = (out / "table.md").read_text()
    assert f"**Interrupted by {signal_name}**" in table
    data = json.loads((out / "compare.json").read_text())
    assert data["status"] == "interrupted" and data["interrupted_by"] == signal_name
    statuses = {f"{r['strategy']}-seed{r['seed']}": r["status"] for r in data["runs"]}
    assert statuses == {
        "random-seed0": "interrupted",
        "evolution-seed0": "interrupted",
        "prior-seed0": "not started",
    }
    for run in ("random-seed0", "evolution-seed0"):
        summary = json.loads((out / "runs" / run / "summary.json").read_text())
        assert summary["stopped"] == f"interrupted by {signal_name}"
        assert f"- {run.replace('-seed', ' seed ')}: interrupted by {signal_name}" in table
    assert not (out / "runs" / "prior-seed0").exists()


@pytest.mark.slow  # two compare subprocesses, four runs: 50-100 s on a loaded 2-core machine
def test_sigterm_stops_every_worker_exits_143_and_the_comparison_resumes(tmp_path) -> None:
    out = tmp_path / "cmp"
    status, descendants, at_exit = _interrupt(out, lambda p: p.send_signal(signal.SIGTERM))
    assert status == 143
    _check_stopped(out, descendants, at_exit, "SIGTERM")
    # --resume finishes the comparison: each run exactly as an uninterrupted run.
    done = subprocess.run(
        _compare(out, "--resume"), capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    data = json.loads((out / "compare.json").read_text())
    assert data["status"] == "finished" and {r["status"] for r in data["runs"]} == {"finished"}
    assert _ledger_lines(out) == dict.fromkeys(RUNS, QUERIES)
    assert "Interrupted" not in (out / "table.md").read_text()
    config = json.loads((out / "runs" / "evolution-seed0" / "summary.json").read_text())
    fresh = load_search_config(
        EXPERIMENT,
        [*SLOW, "evaluator.params.latency_s=0", "strategy=evolution", "seed=0", "progress=false"],
    )
    fresh_summary = run_search(fresh.__class__(**{**fresh.__dict__, "out": str(tmp_path / "f")}))
    assert config["best"]["hash"] == fresh_summary["best"]["hash"]
    resumed = [json.loads(x)["hash"] for x in _ledger_text(out / "runs" / "evolution-seed0")]
    assert resumed == [json.loads(x)["hash"] for x in _ledger_text(tmp_path / "f")]


def _ledger_text(folder: Path) -> list[str]:
    return (folder / "ledger.jsonl").read_text().splitlines()


def test_ctrl_c_stops_every_worker_and_exits_130(tmp_path) -> None:
    out = tmp_path / "cmp"
    status, descendants, at_exit = _interrupt(
        out,
        lambda p: os.killpg(p.pid, signal.SIGINT),  # the terminal's foreground group
    )
    assert status == 130
    _check_stopped(out, descendants, at_exit, "SIGINT")
