"""Trackers: stdout cadence, wandb mode resolution, what an offline wandb run holds (group, best
cell, tables, the recorded run id an export attaches to), and wandb imported nowhere else."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from graphnas.errors import ConfigError, UnknownNameError
from graphnas.tracking import (
    RUN_FILE,
    StdoutTracker,
    WandbTracker,
    build_trackers,
    check_tracking,
    recorded_run,
    wandb_mode,
)

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


def test_a_bad_mode_names_where_it_came_from(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WANDB_MODE", "sometimes")
    with pytest.raises(ConfigError, match=r"^WANDB_MODE environment variable: 'sometimes'"):
        wandb_mode(None)
    with pytest.raises(ConfigError, match=r"^tracking.wandb_mode: 'never'"):
        wandb_mode("never")
    with pytest.raises(ConfigError, match="WANDB_MODE environment variable"):
        check_tracking(["stdout", "wandb"])
    check_tracking(["stdout"])  # the mode matters only to wandb
    with pytest.raises(UnknownNameError, match="'tensorboard'"):
        check_tracking(["tensorboard"])


def _offline_files(run_dir: Path) -> Path:
    (files,) = (run_dir / "wandb").glob("offline-run-*/files")
    return files


def test_an_offline_run_holds_the_group_best_cell_and_table_and_records_its_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.delenv("WANDB_SILENT", raising=False)
    drawn: list[dict] = []

    def draw(arch: dict) -> bytes:
        drawn.append(arch)
        return _tiny_png()

    tracker = WandbTracker(tmp_path, {"seed": 3}, group="compare-x", draw_arch=draw)
    tracker.log({"best_reward": 0.5}, 1)
    tracker.log_best({"arch": {"nodes": []}, "code": "|a~0|", "reward": 0.5, "query": 4}, 1)
    tracker.log_table("ledger", ["query", "reward"], [[1, 0.25], [4, 0.5]])
    tracker.finish({"queries": 4, "best": {"reward": 0.5, "hash": "h"}})
    record = recorded_run(tmp_path)
    assert record is not None and record["group"] == "compare-x" and record["mode"] == "offline"
    assert json.loads((tmp_path / RUN_FILE).read_text())["id"] == tracker._run.id
    assert drawn == [{"nodes": []}] and (tmp_path / "media" / "best-query4.png").is_file()
    files = _offline_files(tmp_path)
    assert [p.name.split("_")[0] for p in (files / "media" / "images").iterdir()] == ["best"]
    (table,) = (files / "media" / "table").glob("ledger_*.table.json")
    assert json.loads(table.read_text())["data"] == [[1, 0.25], [4, 0.5]]
    run_file = next((tmp_path / "wandb").glob("offline-run-*/run-*.wandb")).read_bytes()
    assert b"compare-x" in run_file  # the group is in the run record
    assert "wandb:" not in capfd.readouterr().err  # wandb's console lines are off by default

    (tmp_path / "export").mkdir()
    again = WandbTracker(tmp_path / "export", attach_to=record["id"])
    assert again._run.id == record["id"] and not (tmp_path / "export" / RUN_FILE).exists()
    again.finish({})


def test_no_recorded_run_reads_as_none(tmp_path: Path) -> None:
    assert recorded_run(tmp_path) is None
    (tmp_path / RUN_FILE).write_text("{not json")
    assert recorded_run(tmp_path) is None
    (tmp_path / RUN_FILE).write_text('{"id": 5}')
    assert recorded_run(tmp_path) is None


def _tiny_png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, format="PNG")
    return buffer.getvalue()
