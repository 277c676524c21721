"""nb201_table's names and optimum (interface 3): what compare reports and calls "found optimum"."""

from __future__ import annotations

import numpy as np
import pytest

from graphnas.errors import ConfigError
from graphnas.evaluators import EVALUATORS
from graphnas.evaluators.base import optimum_of, report_metric_of, reward_name_of
from graphnas.evaluators.nb201_table import load_nb201_table
from graphnas.spaces import load_space

SPACE = load_space("nb201")


def _evaluator(dataset: str = "cifar10"):
    return EVALUATORS.build("nb201_table", {"dataset": dataset}, {"space": SPACE})


def test_names() -> None:
    evaluator = _evaluator()
    assert reward_name_of(evaluator) == "val_accuracy"
    assert report_metric_of(evaluator) == "test_accuracy"


@pytest.mark.parametrize("dataset", ["cifar10", "cifar100", "imagenet16"])
def test_the_optimum_by_reward_is_no_worse_than_any_cell(dataset: str) -> None:
    """An independent oracle: evaluate a random sample of cells; none beats the optimum, and
    the optimum's own evaluation reproduces it."""
    evaluator = _evaluator(dataset)
    best = optimum_of(evaluator)
    assert set(best) == {"code", "hash", "reward", "metrics"}
    arch = SPACE.decode(best["code"])
    (again,) = evaluator.evaluate([arch])
    assert again.reward == best["reward"] and again.metrics == best["metrics"]
    assert SPACE.canonical_hash(arch) == best["hash"]
    rng = np.random.default_rng(0)
    sample = [SPACE.sample_prior(rng) for _ in range(300)]
    assert max(r.reward for r in evaluator.evaluate(sample)) <= best["reward"]


def test_the_optimum_by_a_metric_is_the_published_test_maximum() -> None:
    table = load_nb201_table()
    for dataset, row in (("cifar10", 6111), ("cifar100", 9930), ("imagenet16", 857)):
        best = _evaluator(dataset).optimum("test_accuracy")
        assert best["code"] == table.arch_str(row)
        assert best["metrics"]["nb201_index"] == row
    by_c100 = _evaluator("cifar10").optimum("test_cifar100")
    assert by_c100["metrics"]["nb201_index"] == 9930
    assert _evaluator().optimum("val_accuracy") == _evaluator().optimum()
    assert _evaluator().optimum("params")["metrics"]["params"] == int(table.params_cifar10.max())


def test_an_unknown_metric_is_one_line() -> None:
    with pytest.raises(ConfigError, match="no metric 'latency' to rank by; expected val_accuracy"):
        _evaluator().optimum("latency")
