"""EvaluatorRecipe: plain data that rebuilds the same evaluator anywhere, plug-ins included."""

from __future__ import annotations

import pickle
import sys
import textwrap

import pytest
import torch

from graphnas.config import ComponentConfig
from graphnas.errors import ConfigError
from graphnas.evaluators.recipe import EvaluatorRecipe, name_and_params
from graphnas.plugins import load_plugins
from graphnas.spaces import load_space

SPACE = load_space("nb201")


def test_a_recipe_is_plain_picklable_data_that_rebuilds_the_same_evaluator() -> None:
    recipe = EvaluatorRecipe.of(
        ComponentConfig("nb201_table", {"dataset": "cifar100"}), SPACE, seed=3, plugins=()
    )
    assert recipe == pickle.loads(pickle.dumps(recipe))
    assert recipe.space == SPACE.to_config() and recipe.seed == 3
    here, rebuilt = (
        recipe.build("cpu", space=SPACE),
        pickle.loads(pickle.dumps(recipe)).build("cpu"),
    )
    arch = SPACE.example()
    assert here.evaluate([arch]) == rebuilt.evaluate([arch])
    assert rebuilt.dataset == "cifar100"


def test_config_forms_and_a_missing_name() -> None:
    assert name_and_params("naswot") == ("naswot", {})
    assert name_and_params({"name": "train", "params": {"epochs": 1}}) == ("train", {"epochs": 1})
    assert name_and_params(ComponentConfig("x", {"a": 1})) == ("x", {"a": 1})
    with pytest.raises(ConfigError, match="registered name"):
        name_and_params({"params": {}})


def test_the_recipe_carries_the_loaded_plug_ins_and_imports_them_first(
    tmp_path, monkeypatch
) -> None:
    (tmp_path / "recipe_plugin_edges.py").write_text(
        textwrap.dedent(
            """
            from graphnas.evaluators.base import EvalResult
            from graphnas.evaluators.registry import EVALUATORS

            @EVALUATORS.register("recipe_plugin_edges")
            class Edges:
                context_fields = ("space", "seed")

                def __init__(self, space, seed=0):
                    self.seed = seed

                def evaluate(self, archs):
                    return [EvalResult(float(a.num_edges + self.seed)) for a in archs]
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr("graphnas.plugins._LOADED", [])  # no leak into later tests
    load_plugins(["recipe_plugin_edges"], entry_points=False)
    recipe = EvaluatorRecipe.of("recipe_plugin_edges", SPACE, seed=1)
    assert "recipe_plugin_edges" in recipe.plugins
    # A fresh process would not know the module yet: forget it, the recipe imports it again.
    from graphnas.evaluators.registry import EVALUATORS

    monkeypatch.delitem(sys.modules, "recipe_plugin_edges")
    monkeypatch.setattr(EVALUATORS, "_entries", dict(EVALUATORS._entries))
    del EVALUATORS._entries["recipe_plugin_edges"]
    monkeypatch.setattr("graphnas.plugins._LOADED", [])
    evaluator = recipe.build(torch.device("cpu"))
    (result,) = evaluator.evaluate([SPACE.example()])
    assert result.reward == SPACE.example().num_edges + 1
