"""The shipped NAS-Bench-201 table and the nb201_table evaluator."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from graphnas.errors import ConfigError
from graphnas.evaluators.nb201_table import (
    NB201TableEvaluator,
    load_nb201_table,
    time_table_load,
)
from graphnas.graph import ArchGraph, Edge, Node
from graphnas.spaces import load_space

BEST_C10 = (
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|"
    "+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|"
)


@pytest.fixture(scope="module")
def space():
    return load_space("nb201")


def test_table_loads_well_under_a_second() -> None:
    seconds = min(time_table_load() for _ in range(3))
    assert seconds < 0.5, f"table load took {seconds:.3f} s"


def test_every_cell_of_the_space_has_exactly_one_row(space) -> None:
    table = load_nb201_table()
    rows = [table.row_of[space.encode(arch)] for arch in space.enumerate()]
    assert sorted(rows) == list(range(15_625))
    for name, column in table.columns.items():
        assert column.dtype == np.float32 and column.shape == (15_625,), name
        assert not column.flags.writeable


def test_rewards_and_metrics_follow_the_dataset(space) -> None:
    best = space.decode(BEST_C10)
    c10 = NB201TableEvaluator(space, dataset="cifar10").evaluate([best])[0]
    assert c10.ok and c10.reward == pytest.approx(91.606667, abs=1e-3)
    assert c10.metrics["test_accuracy"] == pytest.approx(94.373333, abs=1e-3)
    assert c10.metrics["nb201_index"] == 6111 and c10.metrics["params"] == 1_073_466
    c100 = NB201TableEvaluator(space, dataset="CIFAR-100").evaluate([best])[0]
    assert c100.metrics["test_accuracy"] == c10.metrics["test_cifar100"]
    assert c100.metrics["params"] == 1_073_466 + 5_850
    in16 = NB201TableEvaluator(space, dataset="ImageNet16-120").evaluate([best])[0]
    assert in16.metrics["test_accuracy"] == c10.metrics["test_imagenet16"]
    assert in16.metrics["params"] == 1_073_466 + 7_150
    assert len({c10.reward, c100.reward, in16.reward}) == 3


def test_table_maxima_are_the_published_cells() -> None:
    table = load_nb201_table()
    assert int(np.argmax(table.columns["test_cifar10"])) == 6111
    assert int(np.argmax(table.columns["test_cifar100"])) == 9930
    assert int(np.argmax(table.columns["test_imagenet16"])) == 857


def test_simulated_time_rule(space) -> None:
    evaluator = NB201TableEvaluator(space, seconds_per_query=10.0, seconds_per_mparam=100.0)
    result = evaluator.evaluate([space.decode(BEST_C10)])[0]
    assert result.cost_s == pytest.approx(10.0 + 100.0 * 1.073466)
    free = NB201TableEvaluator(space).evaluate([space.decode(BEST_C10)])[0]
    assert free.cost_s == 0.0


def test_invalid_cell_is_a_failed_result_not_an_exception(space) -> None:
    wrong = ArchGraph(
        (Node(None, "input"), Node(None, "output")), (Edge(0, 1, "nor_conv_3x3"),), "nb201"
    )
    (result,) = NB201TableEvaluator(space).evaluate([wrong])
    assert result.status == "failed" and not result.ok and "NB201" in (result.error or "")


def test_bad_options_are_config_errors(space) -> None:
    with pytest.raises(ConfigError, match="dataset"):
        NB201TableEvaluator(space, dataset="mnist")
    with pytest.raises(ConfigError, match="seconds_per_query"):
        NB201TableEvaluator(space, seconds_per_query=-1.0)
    with pytest.raises(ConfigError, match="nb201 space"):
        NB201TableEvaluator(load_space("nb101"))


def test_table_matches_the_source_csv_for_every_cell(shared_data: Path, space) -> None:
    source = shared_data / "nb201" / "nb201_merged.csv"
    table = load_nb201_table()
    columns = {
        "val_cifar10": "nw_c10valid_valid",
        "test_cifar10": "test_c10",
        "val_cifar100": "naslib_val_c100",
        "test_cifar100": "test_c100",
        "val_imagenet16": "naslib_val_in16",
        "test_imagenet16": "test_in16",
    }
    with source.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 15_625
    for row in rows:
        index = int(row["nb201_index"])
        assert table.arch_str(index) == row["arch_str"]
        assert table.row_of[row["arch_str"]] == index
        assert int(table.params_cifar10[index]) == round(float(row["params_c10_M"]) * 1e6)
    for name, column in columns.items():
        expected = np.array([float(r[column]) for r in rows], dtype=np.float64)
        order = np.array([int(r["nb201_index"]) for r in rows])
        np.testing.assert_allclose(table.columns[name][order], expected, atol=1e-4, err_msg=name)
