"""NAS-Bench-201 table lookup: the shipped 15,625-cell table as an evaluator.

The table (graphnas/assets/nb201_table.npz, built by scripts/build_nb201_table.py) holds, per cell
in official index order, the six edge ops, validation and test accuracy (%) for CIFAR-10,
CIFAR-100 and ImageNet16-120, and the CIFAR-10 parameter count. The reward is the validation
accuracy (CIFAR-10: the cifar10-valid split's valid accuracy; CIFAR-100 and ImageNet16-120:
NASLib's 200-epoch validation accuracy); the metrics carry the test accuracies and parameters.

Simulated training time: a lookup is free, but a search on a time budget should pay for what it
stands for. Each query is charged `seconds_per_query + seconds_per_mparam * params_M` seconds
(`params_M`: the cell's parameter count in millions for the chosen dataset), so larger networks can
be made to cost more. Both default to 0 (a pure query-count budget).

`latency_s` makes each lookup really take that long (a sleep): a stand-in for slow evaluations when
testing pools, timeouts, interruption and resuming. It changes no result.
"""

from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass
from importlib import resources
from typing import Any, ClassVar

import numpy as np

from graphnas.errors import ConfigError
from graphnas.evaluators.base import EvalResult, NamedRewardMixin, PerArchitectureMixin
from graphnas.evaluators.registry import EVALUATORS
from graphnas.graph import ArchGraph
from graphnas.spaces.base import SearchSpace

# Parameters added to the CIFAR-10 count by the larger classifiers (64 features x extra classes).
EXTRA_CLASSIFIER_PARAMS = {"cifar10": 0, "cifar100": 5_850, "imagenet16": 7_150}
# Accepted spellings, compared lower-case without "-" and "_" (so "CIFAR-100" works too).
DATASET_ALIASES = {
    "cifar10": "cifar10",
    "cifar10valid": "cifar10",
    "c10": "cifar10",
    "cifar100": "cifar100",
    "c100": "cifar100",
    "imagenet16": "imagenet16",
    "imagenet16120": "imagenet16",
    "in16": "imagenet16",
}
NUM_CELLS = 15_625


@dataclass(frozen=True)
class NB201Table:
    """The read-only table: `columns[name]` is a [15625] array; `row_of[arch_str]` its row."""

    op_names: tuple[str, ...]
    ops: np.ndarray  # [15625, 6] uint8 op index per edge, official string order
    columns: dict[str, np.ndarray]  # val_/test_{cifar10,cifar100,imagenet16} float32 [15625]
    params_cifar10: np.ndarray  # [15625] int32
    row_of: dict[str, int]

    def arch_str(self, row: int) -> str:
        """The official arch string of a row."""
        names = iter(self.op_names[i] for i in self.ops[row])
        return "+".join(
            "|" + "|".join(f"{next(names)}~{j}" for j in range(t)) + "|" for t in (1, 2, 3)
        )

    def params(self, row: int, dataset: str) -> int:
        return int(self.params_cifar10[row]) + EXTRA_CLASSIFIER_PARAMS[dataset]


@functools.cache
def load_nb201_table() -> NB201Table:
    """Load the shipped table once per process (about 20 ms)."""
    source = resources.files("graphnas") / "assets" / "nb201_table.npz"
    with source.open("rb") as handle, np.load(handle, allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files}
    for array in arrays.values():
        array.setflags(write=False)
    op_names = tuple(str(op) for op in arrays.pop("op_names"))
    ops = arrays.pop("ops")
    params = arrays.pop("params_cifar10")
    table = NB201Table(op_names, ops, arrays, params, {})
    table.row_of.update((table.arch_str(row), row) for row in range(len(ops)))
    if len(table.row_of) != NUM_CELLS:
        raise RuntimeError(f"{source}: expected {NUM_CELLS} distinct cells")
    return table


def canonical_dataset(name: str) -> str:
    key = name.strip().lower().replace("-", "").replace("_", "")
    if key not in DATASET_ALIASES:
        raise ConfigError(
            f"nb201_table dataset {name!r}: expected one of cifar10, cifar100, imagenet16-120"
        )
    return DATASET_ALIASES[key]


@EVALUATORS.register("nb201_table")
class NB201TableEvaluator(NamedRewardMixin, PerArchitectureMixin):
    """Looks cells up in the NAS-Bench-201 table. Reward: validation accuracy (%) on `dataset`.

    `optimum(metric)`: the table's best cell by the reward (metric None or "val_accuracy") or by
    a metric of its results (`test_accuracy`, `test_cifar10`, ..., `params`); compare reports
    `test_accuracy` by default.
    """

    reward_name = "val_accuracy"
    report_metric = "test_accuracy"

    context_fields: ClassVar[tuple[str, ...]] = ("space",)

    def __init__(
        self,
        space: SearchSpace,
        dataset: str = "cifar10",
        seconds_per_query: float = 0.0,
        seconds_per_mparam: float = 0.0,
        latency_s: float = 0.0,
    ) -> None:
        if getattr(space, "kind", None) != "nb201":
            raise ConfigError(
                f"evaluator nb201_table needs an nb201 space, got {getattr(space, 'name', space)!r}"
            )
        for option, value in (
            ("seconds_per_query", seconds_per_query),
            ("seconds_per_mparam", seconds_per_mparam),
            ("latency_s", latency_s),
        ):
            if not (math.isfinite(value) and value >= 0):
                raise ConfigError(f"nb201_table {option}: must be >= 0, got {value}")
        self.space = space
        self.dataset = canonical_dataset(dataset)
        self.seconds_per_query = float(seconds_per_query)
        self.seconds_per_mparam = float(seconds_per_mparam)
        self.latency_s = float(latency_s)
        self.table = load_nb201_table()

    def evaluate_one(self, arch: ArchGraph) -> EvalResult:
        if self.latency_s:
            time.sleep(self.latency_s)
        problems = self.space.problems(arch)
        if problems:
            return EvalResult.failure(f"not an NB201 cell: {'; '.join(problems)}")
        arch_str = self.space.encode(arch)
        row = self.table.row_of.get(arch_str)
        if row is None:
            return EvalResult.failure(f"cell {arch_str} is not in the NB201 table")
        return self.result(row)

    def result(self, row: int) -> EvalResult:
        """The EvalResult of table row `row` for this evaluator's dataset."""
        columns = self.table.columns
        params = self.table.params(row, self.dataset)
        metrics: dict[str, Any] = {
            "test_accuracy": _pct(columns[f"test_{self.dataset}"][row]),
            "params": params,
            "nb201_index": row,
            "test_cifar10": _pct(columns["test_cifar10"][row]),
            "test_cifar100": _pct(columns["test_cifar100"][row]),
            "test_imagenet16": _pct(columns["test_imagenet16"][row]),
        }
        cost = self.seconds_per_query + self.seconds_per_mparam * params / 1e6
        return EvalResult(_pct(columns[f"val_{self.dataset}"][row]), metrics, cost_s=cost)

    def metric_column(self, metric: str | None) -> np.ndarray:
        """[15625] values of the reward (None) or of one of the results' metrics, per row."""
        columns = self.table.columns
        if metric in (None, self.reward_name):
            return columns[f"val_{self.dataset}"]
        if metric == "test_accuracy":
            return columns[f"test_{self.dataset}"]
        if metric in ("test_cifar10", "test_cifar100", "test_imagenet16"):
            return columns[metric]
        if metric == "params":
            return self.table.params_cifar10 + EXTRA_CLASSIFIER_PARAMS[self.dataset]
        valid = f"{self.reward_name}, test_accuracy, test_cifar10, test_cifar100, "
        raise ConfigError(f"nb201_table: no metric {metric!r} to rank by; expected {valid}params")

    def metric_values(self, metric: str | None = None) -> np.ndarray | None:
        """[15625] values of `metric` per row (see `metric_column`); None for other metrics."""
        try:
            return self.metric_column(metric)
        except ConfigError:
            return None

    def optimum(self, metric: str | None = None) -> dict[str, Any]:
        """The best cell of the table by `metric` (None: the reward); the first row wins ties
        (isomorphic cells share their values and their canonical hash)."""
        row = int(np.argmax(self.metric_column(metric)))
        arch = self.space.decode(self.table.arch_str(row))
        result = self.result(row)
        return {
            "code": self.space.encode(arch),
            "hash": self.space.canonical_hash(arch),
            "reward": result.reward,
            "metrics": result.metrics,
        }


def _pct(value: np.floating) -> float:
    """A float32 percentage as a Python float with the table's 4-decimal precision."""
    return round(float(value), 4)


def time_table_load() -> float:
    """Seconds to load the table from package data in a fresh state (for tests and benchmarks)."""
    load_nb201_table.cache_clear()
    start = time.perf_counter()
    load_nb201_table()
    return time.perf_counter() - start
