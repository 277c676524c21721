"""The weight-sharing recipes: valid configs that run end to end and stop on budget.seconds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from graphnas.config import load_search_config
from graphnas.data.replica import write_tiny_imagenet_replica
from graphnas.search import run_search

EXPERIMENTS = Path(__file__).resolve().parents[2] / "experiments"
RECIPES = {
    "nb201_spos.yaml": ("nb201", "evolution", "uniform"),
    "nb201_rsws.yaml": ("nb201", "random", "uniform"),
    "nb201_enas.yaml": ("nb201", "reinforce_lstm", "proposals"),
    "randwire_tinyimagenet_supernet.yaml": ("randwire_tiny", "graphpnas", "uniform"),
}
# Shrinks a recipe to seconds: a few replica images, the narrowest networks, a few steps.
TINY = {
    "nb201": "{channels: 2, cells_per_stage: 1}",
    "randwire_tiny": "{channels: 2, head_channels: 8}",
}


@pytest.mark.parametrize("recipe", sorted(RECIPES))
def test_recipe_loads(recipe: str) -> None:
    config = load_search_config(EXPERIMENTS / recipe)
    space, strategy, training = RECIPES[recipe]
    assert (config.space, config.strategy.name) == (space, strategy)
    params = config.evaluator.params
    assert config.evaluator.name == "supernet" and params["training"] == training
    assert params["data"].startswith("tiny-imagenet:") and params["resolution"] == 32
    assert config.budget.seconds is not None and config.pool.name == "serial"
    assert config.checkpoint_every_s == 0  # stateful evaluator: a checkpoint after every step


@pytest.fixture(scope="module")
def replica(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tiny")
    return write_tiny_imagenet_replica(root, num_classes=2, train_per_class=10, test_images=0)


@pytest.mark.parametrize("recipe", sorted(RECIPES))
def test_recipe_runs_and_honours_budget_seconds(recipe: str, replica: Path, tmp_path: Path) -> None:
    space = RECIPES[recipe][0]
    out = tmp_path / "run"
    config = load_search_config(
        EXPERIMENTS / recipe,
        [
            f"out={out}",
            "progress=false",
            "tracking.backends=[]",
            f"evaluator.params.data=tiny-imagenet:{replica}",
            "evaluator.params.val_per_class=2",
            "evaluator.params.resolution=16",
            f"evaluator.params.network={TINY[space]}",
            "evaluator.params.warmup_steps=2",
            "evaluator.params.train={batch_size: 4, calib_batches: 1}",
            f"evaluator.params.cache_dir={tmp_path / 'cache'}",
            "budget.seconds=0.001",
            "budget.queries=50",
        ],
    )
    summary = run_search(config)
    assert summary["stopped"] == "budget.seconds"
    lines = [json.loads(line) for line in (out / "ledger.jsonl").read_text().splitlines()]
    assert 1 <= len(lines) <= config.batch_size  # the first step spends the budget
    assert all(line["status"] == "ok" for line in lines), lines
