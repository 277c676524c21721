"""The graphnas CLI: search end to end, info, and one-line errors with exit status 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from graphnas.cli import main

REPO = Path(__file__).resolve().parents[2]
EXPERIMENT = str(REPO / "experiments" / "nb201.yaml")
QUIET = ["progress=false", "tracking.backends=[]"]


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_search_prints_the_best_cell_and_writes_the_run(tmp_path: Path, capsys) -> None:
    out = tmp_path / "run"
    status, stdout, _ = run_cli(
        capsys, "search", "--config", EXPERIMENT, f"out={out}", "budget.queries=30", *QUIET
    )
    assert status == 0
    summary = json.loads((out / "summary.json").read_text())
    best = summary["best"]
    assert set(summary) >= {"best", "queries", "wall_s"} and summary["queries"] == 30
    assert set(best) >= {"arch", "hash", "reward", "metrics"}
    assert f"best architecture:  {best['code']}" in stdout
    assert best["code"].startswith("|") and best["code"].count("~") == 6
    assert f"validation reward:  {best['reward']:.4f}".rstrip("0") in stdout
    assert "test accuracy:" in stdout and str(out) in stdout


def test_info_describes_a_space(capsys) -> None:
    status, stdout, _ = run_cli(capsys, "info", "nb201")
    assert status == 0
    assert "15,625 architectures" in stdout and "nor_conv_3x3" in stdout
    lines = stdout.splitlines()
    example = next(i for i, line in enumerate(lines) if line.startswith("example:"))
    assert lines[example + 1].startswith("|") and lines[example + 1].count("~") == 6


def test_info_wraps_every_line_and_abridges_a_long_example(capsys) -> None:
    status, stdout, _ = run_cli(capsys, "info", "randwire_small")
    assert status == 0 and max(len(line) for line in stdout.splitlines()) <= 100
    assert "96 nodes" in stdout and "characters; --full)" in stdout
    status, full, _ = run_cli(capsys, "info", "randwire_small", "--full")
    lines = full.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("example:")) + 1
    code = " ".join(line for line in lines[start:] if not line.startswith("shipped:"))
    assert json.loads(code)["space"] == "randwire_small"  # wrapped only at spaces


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["info", "no_such_space"], "unknown space 'no_such_space'"),
        (["search"], "--config FILE is required"),
        (["search", "--config", "missing.yaml"], "missing.yaml: no such file"),
        (["search", "--config", EXPERIMENT, "strategy=nope"], "unknown strategy 'nope'"),
        (["search", "--config", EXPERIMENT, "space=nope"], "unknown space 'nope'"),
        (["search", "--config", EXPERIMENT, "evaluator=nope"], "unknown evaluator 'nope'"),
        (["search", "--config", EXPERIMENT, "seed=x"], "override 'seed=x'"),
        (["search", "--config", EXPERIMENT, "strategy.params.bad=1"], "bad options"),
        (["no-such-command"], "No such command"),
        (["search", "--no-such-option"], "No such option"),
    ],
)
def test_bad_input_is_one_line_and_status_2(capsys, argv: list[str], expected: str) -> None:
    status, _, stderr = run_cli(capsys, *argv)
    assert status == 2
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("graphnas: error: ")
    assert expected in lines[0] and "Traceback" not in stderr


def test_malformed_yaml_and_space_files(tmp_path: Path, capsys) -> None:
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("budget: {queries: 3\n")
    status, _, stderr = run_cli(capsys, "search", "--config", str(bad_yaml))
    assert status == 2 and "bad.yaml: malformed YAML" in stderr and len(stderr.splitlines()) == 1
    bad_space = tmp_path / "space.yaml"
    bad_space.write_text("kind: warp_drive\n")
    status, _, stderr = run_cli(capsys, "info", str(bad_space))
    assert status == 2 and "space.yaml" in stderr and len(stderr.splitlines()) == 1


def test_existing_run_directory_is_refused_without_touching_it(tmp_path: Path, capsys) -> None:
    out = tmp_path / "run"
    args = ["search", "--config", EXPERIMENT, f"out={out}", "budget.queries=5", *QUIET]
    assert run_cli(capsys, *args)[0] == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    status, _, stderr = run_cli(capsys, *args)
    assert status == 2 and "already holds a run" in stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_console_script_end_to_end(tmp_path: Path) -> None:
    """The installed entry point as a user runs it: a real process, exit codes, stderr."""
    env = {**os.environ, "WANDB_MODE": "disabled"}
    command = [sys.executable, "-m", "graphnas.cli"]
    ok = subprocess.run(
        [*command, "search", "-c", EXPERIMENT, f"out={tmp_path / 'r'}", "budget.queries=10"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert ok.returncode == 0, ok.stderr
    assert "best architecture:" in ok.stdout
    bad = subprocess.run(
        [*command, "search", "-c", str(tmp_path / "nope.yaml")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr
