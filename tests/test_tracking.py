"""Trackers: stdout cadence, wandb mode resolution, and wandb imported nowhere else."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from graphnas.errors import ConfigError
from graphnas.tracking import StdoutTracker, WandbTracker, build_trackers, wandb_mode

PACKAGE = Path(__file__).resolve().parents[1] / "graphnas"


def test_stdout_tracker_prints_every_n_steps_and_the_best() -> None:
    stream = io.StringIO()
    tracker = StdoutTracker(every=5, stream=stream)
    for step in range(1, 13):
        tracker.log({"queries": step, "best_reward": 0.5 * step}, step)
    tracker.finish({"queries": 12, "best": {"reward": 6.0}})
    lines = stream.getvalue().splitlines()
    assert [line.split()[1] for line in lines[:-1]] == ["5", "10"]
    assert "best_reward 2.5" in lines[0]
    assert lines[-1] == "done: 12 queries, best reward 6"


def test_wandb_mode_comes_from_option_then_env_then_offline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WANDB_MODE", raising=False)
    assert wandb_mode(None) == "offline"
    monkeypatch.setenv("WANDB_MODE", "online")
    assert wandb_mode(None) == "online"
    assert wandb_mode("disabled") == "disabled"
    with pytest.raises(ConfigError, match="wandb_mode"):
        WandbTracker(tmp_path, mode="sometimes")
    monkeypatch.setenv("WANDB_MODE", "disabled")
    tracker = WandbTracker(tmp_path, {"seed": 1})
    assert tracker.mode == "disabled"
    tracker.log({"best_reward": 1.0}, 1)
    tracker.finish({"queries": 1, "best": {"reward": 1.0, "metrics": {"test_accuracy": 2.0}}})


def test_build_trackers_passes_each_its_options(tmp_path: Path) -> None:
    group = build_trackers(["stdout"], {"stdout": {"every": 3}}, run_dir=tmp_path, every=99)
    assert group.trackers[0].every == 3
    assert build_trackers(["stdout"], every=7).trackers[0].every == 7


def test_only_tracking_imports_wandb() -> None:
    pattern = re.compile(r"^\s*(import wandb|from wandb)", re.MULTILINE)
    importers = sorted(
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if pattern.search(path.read_text())
    )
    assert importers == ["tracking.py"]
