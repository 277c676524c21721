"""`graphnas compare`: tables named by the evaluator, plots, raw runs, plug-ins in its workers,
one-line errors, resume. Signals: tests/compare/test_compare_signals.py."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from graphnas.cli import main
from graphnas.compare import (
    StrategySpec,
    anytime_metric,
    parse_strategies,
    run_comparison,
    run_config,
    seeds_from,
)
from graphnas.config import load_search_config
from graphnas.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
EXPERIMENT = REPO / "experiments" / "nb201.yaml"
QUICK = ["budget.queries=12", "tracking.backends=[]", "checkpoint_every_s=0"]
QUICK_GRAPHPNAS = "graphpnas:warmup=4:pool=8:update.steps=1"


def test_strategy_specs_parse_names_and_yaml_params() -> None:
    specs = parse_strategies("graphpnas, evolution:population_size=10:sample_size=3,prior")
    assert [s.name for s in specs] == ["graphpnas", "evolution", "prior"]
    assert specs[1].params == {"population_size": 10, "sample_size": 3}
    assert specs[1].label == "evolution:population_size=10:sample_size=3"
    with pytest.raises(ConfigError, match="twice"):
        parse_strategies("random,random")
    with pytest.raises(ConfigError, match="key=value"):
        parse_strategies("evolution:population_size")
    with pytest.raises(ConfigError, match="empty"):
        parse_strategies("random,,evolution")


def test_dotted_keys_set_nested_options_over_the_configs_own() -> None:
    (spec,) = parse_strategies("graphpnas:update.steps=1:update.top_k=3:warmup=4")
    assert spec.params == {"update": {"steps": 1, "top_k": 3}, "warmup": 4}
    base = load_search_config(EXPERIMENT, QUICK)
    config = run_config(base, spec, 3, Path("/tmp/out"), group="g")
    update = config.strategy.params["update"]
    assert update == {**base.strategy.params["update"], "steps": 1, "top_k": 3}
    assert config.strategy.params["lr"] == base.strategy.params["lr"]
    assert (
        config.seed == 3
        and config.out == "/tmp/out/runs/graphpnas_update.steps_1_update.top_k_3_warmup_4-seed3"
    )
    assert config.tracking.group == "g" and config.progress is False
    with pytest.raises(ConfigError, match="set twice"):
        parse_strategies("graphpnas:update=elite:update.steps=1")


def test_naming_another_rule_replaces_the_configs_options() -> None:
    (spec,) = parse_strategies("graphpnas:update.name=reinforce:update.steps=2")
    base = load_search_config(EXPERIMENT, QUICK)
    config = run_config(base, spec, 0, Path("/tmp/out"))
    assert config.strategy.params["update"] == {"name": "reinforce", "steps": 2}
    (same,) = parse_strategies("graphpnas:update.name=elite:update.steps=2")
    kept = run_config(base, same, 0, Path("/tmp/out")).strategy.params["update"]
    assert kept == {**base.strategy.params["update"], "steps": 2}


def test_seeds_are_a_count_or_a_list() -> None:
    assert seeds_from("3") == [0, 1, 2]
    assert seeds_from("4,7") == [4, 7]
    for bad in ("x", "0", "1,1", "-1,2"):
        with pytest.raises(ConfigError, match="--seeds"):
            seeds_from(bad)


def test_anytime_metric_follows_the_best_reward_so_far() -> None:
    entries = [
        {"status": "failed", "reward": None, "metrics": {}},
        {"status": "ok", "reward": 1.0, "metrics": {"test_accuracy": 50.0}},
        {"status": "ok", "reward": 0.5, "metrics": {"test_accuracy": 99.0}},
        {"status": "ok", "reward": 2.0, "metrics": {"test_accuracy": 60.0}},
    ]
    assert anytime_metric(entries, "test_accuracy") == [None, 50.0, 50.0, 60.0]
    assert anytime_metric(entries, None) == [None, 1.0, 1.0, 2.0]  # the reward itself


def test_comparison_runs_every_strategy_and_seed_and_writes_its_files(tmp_path) -> None:
    base = load_search_config(EXPERIMENT, QUICK)
    specs = parse_strategies(f"random,evolution:population_size=5:sample_size=2,{QUICK_GRAPHPNAS}")
    comparison = run_comparison(base, specs, [0, 1], tmp_path / "cmp", jobs=1)
    assert len(comparison.records) == 6
    for record in comparison.records:
        assert record.summary["queries"] == 12 and len(record.anytime) == 12
        assert record.found_optimum in (True, False)
        assert (tmp_path / "cmp" / "runs").is_dir()
    assert comparison.optimum is not None
    assert comparison.optimum["code"].startswith("|nor_conv_3x3~0|")
    assert comparison.checkpoints() == [3, 6, 9, 12]
    rows = comparison.rows()
    assert [r["strategy"] for r in rows] == [s.label for s in specs]
    for row in rows:
        mean, std, count = row["at_12"]
        assert count == 2 and 80.0 < mean < 95.0 and std >= 0.0
        assert row["at_3"][0] <= mean + 1e-9  # the chosen cell only improves with queries
    paths = comparison.write(tmp_path / "cmp")
    table = paths["table"].read_text()
    assert "| strategy | runs | test_accuracy @ 3 |" in table and "found optimum" in table
    assert "| random | 2/2 |" in table and "Interrupted" not in table
    assert paths["plot"].stat().st_size > 5000
    data = json.loads(paths["json"].read_text())
    assert len(data["runs"]) == 6 and data["optimum"]["reward"] == pytest.approx(91.6067, abs=1e-3)
    # Same seed, same strategy: a run is reproducible inside a comparison.
    again = run_comparison(base, specs[:1], [0], tmp_path / "again", jobs=1)
    assert again.records[0].anytime == comparison.records[0].anytime


def test_comparison_refuses_a_used_folder_and_unknown_strategies(tmp_path) -> None:
    base = load_search_config(EXPERIMENT, QUICK)
    run_comparison(base, [StrategySpec("random", "random")], [0], tmp_path, jobs=1)
    with pytest.raises(ConfigError, match="already holds a comparison; continue it with --resume"):
        run_comparison(base, [StrategySpec("random", "random")], [0], tmp_path, jobs=1)
    with pytest.raises(Exception, match="unknown strategy"):
        run_comparison(base, [StrategySpec("rnd", "rnd")], [0], tmp_path / "b", jobs=1)


def test_compare_command_runs_in_parallel_processes(tmp_path, capsys) -> None:
    out = tmp_path / "cli"
    status = main(
        [
            "compare",
            "--config",
            str(EXPERIMENT),
            "--strategies",
            "random,evolution",
            "--seeds",
            "2",
            "--jobs",
            "2",
            "--out",
            str(out),
            *QUICK,
            "dataset=cifar100",
        ]
    )
    assert status == 0
    printed = capsys.readouterr().out
    assert "| random | 2/2 |" in printed and "Optimum of the evaluator: |" in printed
    data = json.loads((out / "compare.json").read_text())
    assert data["optimum"]["reward"] == pytest.approx(73.26, abs=1e-2)  # the CIFAR-100 reward
    assert {r["strategy"] for r in data["runs"]} == {"random", "evolution"}


def test_compare_command_errors_are_one_line(tmp_path, capsys) -> None:
    status = main(
        ["compare", "--config", str(EXPERIMENT), "--strategies", "nope", "--out", str(tmp_path)]
    )
    assert status == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unknown strategy 'nope'" in err[0]


PLUGIN = """
from graphnas.evaluators.nb201_table import NB201TableEvaluator
from graphnas.evaluators.registry import EVALUATORS


@EVALUATORS.register("compare_plugin_named")
class Named(NB201TableEvaluator):
    reward_name = "score"
    report_metric = None  # compare then reports the reward, under its name
"""


def test_compare_workers_import_plug_ins_and_the_table_uses_the_evaluators_names(
    tmp_path, monkeypatch, capsys
) -> None:
    """--import in the compare process reaches its spawned workers; reward name, reported
    value and optimum all come from the evaluator."""
    (tmp_path / "compare_plugin.py").write_text(textwrap.dedent(PLUGIN))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr("graphnas.plugins._LOADED", [])  # no leak into later tests
    out = tmp_path / "cmp"
    args = ["--strategies", "random", "--seeds", "2", "--jobs", "2", "--out", str(out)]
    status = main(
        [
            "--import",
            "compare_plugin",
            "compare",
            "--config",
            str(EXPERIMENT),
            *args,
            *QUICK,
            "evaluator.name=compare_plugin_named",
        ]
    )
    assert status == 0, capsys.readouterr().err
    table = (out / "table.md").read_text()
    assert "| strategy | runs | score @ 3 |" in table and "test_accuracy" not in table
    data = json.loads((out / "compare.json").read_text())
    assert data["metric"] == data["reward_name"] == "score"
    assert data["optimum"]["reward"] == pytest.approx(91.6067, abs=1e-3)
    for run in data["runs"]:
        assert (
            run["status"] == "finished" and run["anytime"][-1] == run["summary"]["best"]["reward"]
        )


def test_resume_continues_only_this_comparison(tmp_path, capsys) -> None:
    base = load_search_config(EXPERIMENT, QUICK)
    specs = [StrategySpec("random", "random")]
    first = run_comparison(base, specs, [0], tmp_path, jobs=1)
    plan = json.loads((tmp_path / "plan.json").read_text())
    # A finished comparison resumed: every run is read back, nothing runs again.
    ledger = tmp_path / "runs" / "random-seed0" / "ledger.jsonl"
    before = ledger.read_bytes()
    again = run_comparison(base, specs, [0], tmp_path, jobs=1, resume=True)
    assert ledger.read_bytes() == before and again.records[0].anytime == first.records[0].anytime
    assert json.loads((tmp_path / "plan.json").read_text())["group"] == plan["group"]
    for other, needle in (
        (([StrategySpec("evolution", "evolution")], [0]), "strategies"),
        ((specs, [0, 1]), "seeds"),
    ):
        with pytest.raises(ConfigError, match=f"holds another comparison .*{needle}"):
            run_comparison(base, *other, tmp_path, jobs=1, resume=True)
    changed = load_search_config(EXPERIMENT, [*QUICK, "dataset=cifar100"])
    with pytest.raises(ConfigError, match=r"config\.evaluator\.params\.dataset"):
        run_comparison(changed, specs, [0], tmp_path, jobs=1, resume=True)
    with pytest.raises(Exception, match="holds no comparison"):
        run_comparison(base, specs, [0], tmp_path / "empty", jobs=1, resume=True)
    assert not (tmp_path / "empty").exists()
