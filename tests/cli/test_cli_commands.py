"""The newer commands: list, eval, runs, search --dry-run, --import; each refusal writes nothing."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from graphnas.cli import main
from graphnas.config import load_search_config
from graphnas.evaluators import EVALUATORS
from graphnas.spaces import load_space

REPO = Path(__file__).resolve().parents[2]
EXPERIMENT = str(REPO / "experiments" / "nb201.yaml")
QUIET = ["progress=false", "tracking.backends=[]"]
CELL = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|none~2|"
PLUGIN = '''
from graphnas.evaluators.base import EvalResult
from graphnas.evaluators.registry import EVALUATORS


@EVALUATORS.register("edge_count_plugin")
class EdgeCount:
    """Reward: the number of edges (a test plug-in)."""

    context_fields = ("space",)

    def __init__(self, space, fail: bool = False) -> None:
        self.fail = fail

    def evaluate(self, archs):
        if self.fail:
            return [EvalResult.failure("asked to fail") for _ in archs]
        return [EvalResult(float(a.num_edges), {"nodes": a.num_nodes}) for a in archs]
'''


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def plugin(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A plug-in module in the working directory; forgotten by graphnas.plugins afterwards, so
    later pool workers in this session do not try to import it."""
    import graphnas.plugins

    monkeypatch.setattr(graphnas.plugins, "_LOADED", list(graphnas.plugins.loaded_plugins()))
    (workdir / "graphnas_test_plugin.py").write_text(PLUGIN)
    return "graphnas_test_plugin"


def test_list_shows_every_kind_and_what_a_plugin_registers(capsys, plugin: str) -> None:
    status, stdout, _ = run_cli(capsys, "list")
    assert status == 0
    for heading in ("spaces:", "strategies:", "update-rules:", "evaluators:", "pools:"):
        assert heading in stdout.splitlines()
    names = {line.split()[0] for line in stdout.splitlines() if line.startswith("  ")}
    assert {"nb201", "randwire_small", "graphpnas", "evolution", "elite", "nb201_table"} <= names
    assert {"serial", "process", "stdout", "wandb"} <= names
    status, stdout, _ = run_cli(capsys, "--import", plugin, "list", "evaluators")
    assert status == 0 and stdout.splitlines()[0] == "evaluators:"
    assert "  edge_count_plugin  Reward: the number of edges (a test plug-in)." in stdout
    assert "strategies:" not in stdout


def test_a_plugin_that_cannot_be_imported_is_one_line(capsys, workdir: Path) -> None:
    status, _, stderr = run_cli(capsys, "--import", "no_such_plugin_module", "list")
    assert status == 2 and stderr.count("\n") == 1
    assert "plug-in 'no_such_plugin_module': cannot import" in stderr


def test_eval_scores_a_code_as_the_table_does(capsys, workdir: Path) -> None:
    status, stdout, _ = run_cli(capsys, "eval", CELL, "--json")
    assert status == 0
    result = json.loads(stdout)
    space = load_space("nb201")
    expected = EVALUATORS.build("nb201_table", {"dataset": "cifar10"}, {"space": space})
    (direct,) = expected.evaluate([space.decode(CELL)])
    assert result["code"] == CELL and result["reward"] == pytest.approx(direct.reward)
    status, stdout, _ = run_cli(capsys, "eval", CELL, "dataset=cifar100")
    assert status == 0 and "test_accuracy:" in stdout
    assert f"{direct.reward:.4f}".rstrip("0") not in stdout  # another dataset, another reward
    assert tree(workdir) == {}


def test_eval_of_a_run_reproduces_its_best(capsys, workdir: Path) -> None:
    args = ["search", "--config", EXPERIMENT, "out=run", "strategy=random", "budget.queries=8"]
    assert run_cli(capsys, *args, *QUIET)[0] == 0
    best = json.loads((workdir / "run" / "summary.json").read_text())["best"]
    before = tree(workdir)
    status, stdout, _ = run_cli(capsys, "eval", "run", "--config", EXPERIMENT, "--json")
    assert status == 0 and tree(workdir) == before
    result = json.loads(stdout)
    assert result["code"] == best["code"] and result["reward"] == pytest.approx(best["reward"])
    status, stdout, _ = run_cli(capsys, "eval", "run", "--top", "3", "--json")
    rewards = [json.loads(line)["reward"] for line in stdout.splitlines()]
    assert status == 0 and len(rewards) == 3 and rewards == sorted(rewards, reverse=True)


def test_eval_with_a_plugin_evaluator_and_its_failure_status(capsys, plugin: str) -> None:
    argv = ["--import", plugin, "eval", CELL, "--evaluator", "edge_count_plugin"]
    status, stdout, _ = run_cli(capsys, *argv)
    assert (
        status == 0 and "reward:       5" in stdout
    )  # one none edge of six and "nodes:        4" in stdout
    status, stdout, _ = run_cli(capsys, *argv, "evaluator.params.fail=true")
    assert status == 1 and "failed:       asked to fail" in stdout


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["eval", "|bad~0|"], "NB201 string '|bad~0|'"),
        (["eval", "missing.json"], "missing.json: no such file"),
        (["eval", CELL, "--evaluator", "nope"], "unknown evaluator 'nope'"),
        (["eval", CELL, "--config", EXPERIMENT, "--evaluator", "naswot"], "not both"),
        (["runs", "nowhere"], "nowhere: no such directory"),
        (
            ["search", "--config", EXPERIMENT, "--dry-run", "strategy=nope"],
            "override 'strategy=nope'",
        ),
        (["search", "--dry-run"], "--dry-run needs --config FILE"),
        (["search", "--config", EXPERIMENT, "out=r", "tracking.backends=[tb]"], "override"),
        (
            ["search", "--config", EXPERIMENT, "out=r", "tracking.wandb_mode=never"],
            "override 'tracking.wandb_mode=never': tracking.wandb_mode: 'never' is not one of",
        ),
    ],
)
def test_refusals_are_one_line_and_write_nothing(
    capsys, workdir: Path, argv: list[str], expected: str
) -> None:
    status, _, stderr = run_cli(capsys, *argv)
    assert status == 2 and stderr.count("\n") == 1 and expected in stderr
    assert tree(workdir) == {} and not (workdir / "r").exists()


def test_a_bad_wandb_mode_variable_is_blamed_and_nothing_written(
    capsys, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WANDB_MODE", "bogus")
    argv = ["search", "--config", EXPERIMENT, "out=r", "tracking.backends=[wandb]"]
    status, _, stderr = run_cli(capsys, *argv)
    assert status == 2
    assert stderr == (
        "graphnas: error: WANDB_MODE environment variable: 'bogus' is not one of online, "
        "offline, disabled\n"
    )
    assert not (workdir / "r").exists()


def test_dry_run_prints_the_config_the_search_would_use(capsys, workdir: Path) -> None:
    overrides = ["seed=4", "strategy=evolution", "strategy.params.population_size=7", "out=x"]
    status, stdout, _ = run_cli(capsys, "search", "--config", EXPERIMENT, "--dry-run", *overrides)
    assert status == 0 and tree(workdir) == {}
    (workdir / "printed.yaml").write_text(stdout)
    printed = load_search_config(workdir / "printed.yaml")
    assert printed == load_search_config(EXPERIMENT, overrides)
    assert printed.strategy.params == {"population_size": 7} and printed.seed == 4


def test_runs_lists_status_queries_and_best_and_writes_nothing(capsys, workdir: Path) -> None:
    from graphnas.search import RunDir

    base = ["search", "--config", EXPERIMENT, "strategy=random", *QUIET]
    for name, queries in (("done", 6), ("killed", 4), ("busy", 3), ("broken", 2)):
        assert run_cli(capsys, *base, f"out=runs/{name}", f"budget.queries={queries}")[0] == 0
    (workdir / "runs" / "killed" / "summary.json").unlink()
    (workdir / "runs" / "broken" / "summary.json").write_text("{not json")
    best = json.loads((workdir / "runs" / "done" / "summary.json").read_text())["best"]
    lock = RunDir(workdir / "runs" / "busy").lock()
    try:
        before = tree(workdir)
        status, stdout, _ = run_cli(capsys, "runs")
        assert tree(workdir) == before
    finally:
        lock.release()
    rows = {line.split()[0]: line.split() for line in stdout.splitlines()[1:]}
    assert stdout.splitlines()[0].split()[:4] == ["run", "status", "queries", "best"]
    assert rows["done"][1:3] == ["finished", "6"] and rows["done"][-1] == best["code"]
    assert float(rows["done"][3]) == pytest.approx(best["reward"], abs=1e-4)
    assert rows["killed"][1:3] == ["killed", "4"]
    assert rows["busy"][1:3] == ["running", "3"]
    assert rows["broken"][1] == "damaged"
    status, stdout, _ = run_cli(capsys, "runs", "runs/done")
    assert status == 0 and len(stdout.splitlines()) == 2 and "finished" in stdout


def test_every_os_error_is_one_line_naming_the_path(capsys, workdir: Path) -> None:
    from graphnas.cli.app import os_error_line

    assert os_error_line(OSError(30, "Read-only file system", "/mnt/x")) == (
        "/mnt/x: Read-only file system (EROFS)"
    )
    assert os_error_line(OSError(5, "Input/output error")) == "Input/output error (EIO)"
    assert os_error_line(OSError(18, "Invalid cross-device link", "a", None, "b")) == (
        "a -> b: Invalid cross-device link (EXDEV)"
    )
    if not Path("/dev/full").exists():
        pytest.skip("/dev/full is absent: no real full-disk write to try")
    status, _, stderr = run_cli(capsys, "sample", "nb201", "-n", "3", "--out", "/dev/full")
    assert (
        status == 2 and stderr == "graphnas: error: /dev/full: No space left on device (ENOSPC)\n"
    )


def test_export_wandb_attaches_to_the_search_run(
    capsys, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WANDB_MODE", "offline")
    argv = ["search", "--config", EXPERIMENT, "out=run", "strategy=random", "budget.queries=5"]
    assert run_cli(capsys, *argv, "progress=false", "tracking.backends=[wandb]")[0] == 0
    recorded = json.loads((workdir / "run" / "wandb-run.json").read_text())
    argv = ["export", "run", "--format", "png", "--out", "run/best.png", "--wandb"]
    assert run_cli(capsys, *argv)[0] == 0
    runs = sorted(p.name for p in (workdir / "run" / "wandb").glob("offline-run-*"))
    # wandb adds "-1" to the second folder's name when both runs start within one second
    same_run = re.compile(rf"offline-run-\d{{8}}_\d{{6}}-{re.escape(recorded['id'])}(-\d+)?")
    assert len(runs) == 2 and all(same_run.fullmatch(name) for name in runs)
    pictures = list((workdir / "run" / "wandb").glob("offline-run-*/files/media/**/*.png"))
    assert pictures and all(p.stat().st_size > 0 for p in pictures)  # the export's drawing
