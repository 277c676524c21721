"""The RandWire Tiny ImageNet recipes: valid configs whose proxy evaluation runs on the compiler."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from graphnas.config import load_search_config
from graphnas.data.replica import write_tiny_imagenet_replica
from graphnas.evaluators import EVALUATORS
from graphnas.spaces import load_space

EXPERIMENTS = Path(__file__).resolve().parents[2] / "experiments"


@pytest.mark.parametrize("recipe", ["randwire_tinyimagenet.yaml", "randwire_tinyimagenet_cpu.yaml"])
def test_recipe_loads(recipe: str) -> None:
    config = load_search_config(EXPERIMENTS / recipe)
    assert config.space == "randwire_tiny" and config.strategy.name == "graphpnas"
    assert config.evaluator.name == "train" and config.pool.name == "process"
    assert config.evaluator.params["data"].startswith("tiny-imagenet:")
    baseline = load_search_config(
        EXPERIMENTS / recipe, ["strategy=prior", "strategy.params.model=ba"]
    )
    assert baseline.strategy.params == {"model": "ba"}


def test_cpu_recipe_proxy_evaluation_runs(tmp_path: Path) -> None:
    config = load_search_config(EXPERIMENTS / "randwire_tinyimagenet_cpu.yaml")
    replica = write_tiny_imagenet_replica(
        tmp_path, num_classes=3, train_per_class=8, val_per_class=1, test_images=0
    )
    params = {
        **config.evaluator.params,
        "data": f"tiny-imagenet:{replica}",
        "epochs": 1,
        "train_per_class": 4,
        "val_per_class": 2,
        "cache_dir": str(tmp_path / "cache"),
    }
    space = load_space(config.space)
    evaluator = EVALUATORS.build("train", params, {"space": space, "device": "cpu", "seed": 0})
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        result = evaluator.evaluate([space.sample_prior(np.random.default_rng(0))])[0]
    finally:
        torch.set_num_threads(threads)
    assert result.ok, result.error
    assert result.metrics["epochs"] == 1 and 0 <= result.reward <= 100
    assert result.metrics["params"] < 200_000  # the narrowed proxy network, not C=78
