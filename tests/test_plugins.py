"""Plug-ins: the examples/toy_bench package through `imports:`, `--import` and the entry point,
in `search` with a process pool and in `train`; load_plugins itself."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from graphnas.plugins import PluginError, load_plugins, loaded_plugins
from graphnas.spaces import load_space

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "toy_bench"
GRAPHNAS = [sys.executable, "-c", "import sys; from graphnas.cli import main; sys.exit(main())"]
SPACE = {
    "kind": "chain",
    "name": "toy_chain",
    "num_layers": 4,
    "ops": ["conv_3x3", "ghost_conv"],
    "network": {"stem_channels": 8, "channels": 8, "input_size": 16},
}


def _run(args: list[str], tmp_path: Path, *paths: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(map(str, paths)), "WANDB_MODE": "disabled"}
    return subprocess.run(
        GRAPHNAS + args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240
    )


def _config(tmp_path: Path, name: str, imports: bool, pool: str = "process") -> Path:
    (tmp_path / "toy_space.yaml").write_text(json.dumps(SPACE))
    config = {
        "space": str(tmp_path / "toy_space.yaml"),
        "strategy": "random",
        "evaluator": {"name": "toy_bench", "params": {"target": "1"}},
        "pool": {"name": "process", "params": {"workers": 2}} if pool == "process" else pool,
        "budget": {"queries": 6},
        "batch_size": 3,
        "device": "cpu",
        "progress": False,
        "out": str(tmp_path / name),
        **({"imports": ["toy_bench"]} if imports else {}),
    }
    path = tmp_path / f"{name}.yaml"
    path.write_text(json.dumps(config))
    return path


def _best(run: Path) -> dict:
    summary = json.loads((run / "summary.json").read_text())
    assert summary["queries"] == 6
    return summary["best"]


def _entry_point_site(tmp_path: Path) -> Path:
    """A .dist-info declaring the graphnas.plugins entry point, as `pip install` would write."""
    info = tmp_path / "site" / "toy_bench-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: toy-bench\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text("[graphnas.plugins]\ntoy_bench = toy_bench\n")
    return tmp_path / "site"


@pytest.mark.parametrize("how", ["imports", "--import", "entry point"])
def test_a_plug_in_evaluator_and_op_run_in_a_process_pool_search(tmp_path: Path, how: str) -> None:
    # The process pool (its workers must import the plug-in too) once; serial for the others.
    config = _config(tmp_path, "run", how == "imports", "process" if how == "imports" else "serial")
    args = ["search", "--config", str(config)]
    paths = [EXAMPLE]
    if how == "--import":
        args = ["--import", "toy_bench", *args]
    if how == "entry point":
        paths.append(_entry_point_site(tmp_path))
    done = _run(args, tmp_path, *paths)
    assert done.returncode == 0, done.stderr[-2000:]
    best = _best(tmp_path / "run")
    assert best["reward"] == 50 + 50 * best["metrics"]["code"].count("1") / 4


@pytest.mark.slow  # a graphnas process start (~15 s on the shared CPU)
def test_without_the_plug_in_the_evaluator_is_unknown(tmp_path: Path) -> None:
    done = _run(["search", "--config", str(_config(tmp_path, "run", False))], tmp_path, EXAMPLE)
    assert done.returncode == 2 and "unknown evaluator 'toy_bench'" in done.stderr
    assert not (tmp_path / "run").exists()


@pytest.mark.slow  # a graphnas process start and one epoch (~15 s on the shared CPU)
def test_train_compiles_a_plug_in_op(tmp_path: Path) -> None:
    (tmp_path / "toy_space.yaml").write_text(json.dumps(SPACE))
    arch = tmp_path / "arch.json"
    arch.write_text(load_space(SPACE).decode("0101").to_json())
    args = ["--import", "toy_bench", "train", str(arch), "--space", "toy_space.yaml"]
    args += ["--data", "synthetic:classes=2,train=8,val=4,size=16", "--epochs", "1"]
    done = _run([*args, "--batch-size", "4", "--device", "cpu", "--out", "t"], tmp_path, EXAMPLE)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads((tmp_path / "t" / "result.json").read_text())


def test_a_failing_import_is_one_line_naming_the_module(tmp_path: Path, monkeypatch) -> None:
    done = _run(["--import", "no_such_plugin_mod", "info", "nb201"], tmp_path, EXAMPLE)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "no_such_plugin_mod" in done.stderr
    (tmp_path / "broken_plugin.py").write_text("raise RuntimeError('boom')\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(PluginError, match="plug-in 'broken_plugin': cannot import"):
        load_plugins(["broken_plugin"], entry_points=False)


def test_load_plugins_is_idempotent_and_remembers_what_it_loaded(monkeypatch, tmp_path) -> None:
    (tmp_path / "counting_plugin.py").write_text(
        "import builtins\n"
        "builtins.COUNT = getattr(builtins, 'COUNT', 0) + 1\n"
        "def register():\n"
        "    builtins.CALLS = getattr(builtins, 'CALLS', 0) + 1\n"
    )
    monkeypatch.chdir(tmp_path)  # found in the current directory, as `python -m` would
    import builtins

    for _ in range(2):
        assert load_plugins(
            ["counting_plugin", "counting_plugin:register"], entry_points=False
        ) == [
            "counting_plugin",
            "counting_plugin:register",
        ]
    assert builtins.COUNT == 1 and builtins.CALLS == 1
    assert {"counting_plugin", "counting_plugin:register"} <= set(loaded_plugins())
