"""`graphnas compare` and `graphnas sample`: tables, plots, raw runs, reports, one-line errors."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from graphnas.cli import main
from graphnas.compare import (
    StrategySpec,
    anytime_metric,
    parse_strategies,
    run_comparison,
    seeds_from,
)
from graphnas.config import load_search_config
from graphnas.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]
EXPERIMENT = REPO / "experiments" / "nb201.yaml"
QUICK = ["budget.queries=12", "tracking.backends=[]", "checkpoint_every_s=0"]
QUICK_GRAPHPNAS = "graphpnas:warmup=4:steps=1:pool=8"


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
    assert "test_accuracy @ 12" in table and "found best-by-reward" in table
    assert paths["plot"].stat().st_size > 5000
    data = json.loads(paths["json"].read_text())
    assert len(data["runs"]) == 6 and data["optimum"]["reward"] == pytest.approx(91.6067, abs=1e-3)
    # Same seed, same strategy: a run is reproducible inside a comparison.
    again = run_comparison(base, specs[:1], [0], tmp_path / "again", jobs=1)
    assert again.records[0].anytime == comparison.records[0].anytime


def test_comparison_refuses_a_used_folder_and_unknown_strategies(tmp_path) -> None:
    base = load_search_config(EXPERIMENT, QUICK)
    run_comparison(base, [StrategySpec("random", "random")], [0], tmp_path, jobs=1)
    with pytest.raises(ConfigError, match="already holds"):
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
    assert "| random |" in printed and "best-by-reward in the space" in printed
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


# ---------------------------------------------------------------------- sample
def test_sample_from_a_trained_run_reports_quality_against_the_prior(tmp_path, capsys) -> None:
    run = tmp_path / "run"
    overrides = [
        f"out={run}",
        "strategy=graphpnas",
        "strategy.params={warmup: 4, steps: 2, pool: 8}",
        "budget.queries=12",
        "tracking.backends=[]",
    ]
    assert main(["search", "--config", str(EXPERIMENT), *overrides]) == 0
    capsys.readouterr()
    out = tmp_path / "archs.jsonl"
    assert main(["sample", str(run), "-n", "60", "--out", str(out), "--seed", "1"]) == 0
    lines = out.read_text().splitlines()
    assert len(lines) == 60 and all(json.loads(line)["space"] == "nb201" for line in lines)
    assert all(math.isfinite(json.loads(line)["meta"]["log_prob"]) for line in lines)
    report = json.loads(out.with_suffix(".report.json").read_text())
    assert report["validity"] == 1.0 and 0 < report["uniqueness"] <= 1.0
    assert 0.0 <= report["novelty"] <= 1.0
    assert 80 < report["prior_test_accuracy"]["mean"] < 92
    assert report["space_mean_test_accuracy"] == pytest.approx(87.06, abs=0.01)
    printed = capsys.readouterr().out
    assert "novelty:" in printed and "test acc (cifar10, prior)" in printed


def test_sample_from_a_space_prior(tmp_path, capsys) -> None:
    out = tmp_path / "prior.jsonl"
    assert main(["sample", "randwire_small", "-n", "3", "--out", str(out)]) == 0
    assert len(out.read_text().splitlines()) == 3
    report = json.loads(out.with_suffix(".report.json").read_text())
    assert report["validity"] == 1.0 and "novelty" not in report


def test_sample_errors_are_one_line(tmp_path, capsys) -> None:
    run = tmp_path / "evo"
    overrides = [f"out={run}", "strategy=random", "budget.queries=3", "tracking.backends=[]"]
    assert main(["search", "--config", str(EXPERIMENT), *overrides]) == 0
    capsys.readouterr()
    for args, needle in (
        ([str(run)], "has no generator"),
        (["no-such-space"], "unknown space"),
        (["nb201", "-n", "0"], "-n"),
        ([str(tmp_path)], "not a run directory"),
    ):
        status = main(["sample", *args, "--out", str(tmp_path / "x.jsonl")])
        err = capsys.readouterr().err.strip().splitlines()
        assert status == 2 and len(err) == 1 and needle in err[0], (args, err)
