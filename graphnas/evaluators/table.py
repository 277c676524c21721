"""A generic benchmark-table evaluator: look every architecture up by its code in a table file.

```yaml
evaluator:
  name: table
  params:
    path: tables/my_bench.csv   # CSV, JSON lines, parquet, or JSON keyed by code (table_files)
    key: arch                   # the column holding space.encode(arch)
    reward: val_acc             # the column maximised; may hold a list of trials
    trial: seed                 # seed | query | mean, for a list-valued column
    metrics: [test_acc, params] # copied into results (default: every other column)
    optimum_metric: test_acc    # what `compare` reports as "found optimum" (default: reward)
```

Trials: a noisy benchmark stores several trainings per architecture. `trial: seed` takes element
`run_seed % n` (the run's own `seed`, as written in the config), so a search sees one training
per architecture, as a real search would, and runs with different seeds see different trials;
`query` takes an element drawn per architecture from the evaluator's seed (NAS-Bench-101's
`query`); `mean` averages them. List-valued metric columns follow the same trial. A code missing
from the table (or with no reward there) is a failed result naming the code. `cost` names a
column of seconds charged per query (a simulated training time), added to `seconds_per_query`.
"""

from __future__ import annotations

import functools
import hashlib
import math
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from graphnas.errors import ConfigError, GraphnasError
from graphnas.evaluators.base import EvalResult, NamedRewardMixin, PerArchitectureMixin
from graphnas.evaluators.registry import EVALUATORS
from graphnas.evaluators.table_files import Column, Table, is_numeric, is_trials, read_table
from graphnas.graph import ArchGraph
from graphnas.spaces.base import SearchSpace

TRIALS = ("seed", "query", "mean")


@functools.lru_cache(maxsize=8)
def _cached_table(path: str, stamp: tuple[int, int], key: str, value_column: str) -> Table:
    del stamp  # part of the cache key only: an edited file is read again
    return read_table(Path(path), key, value_column)


def load_table(path: str | Path, key: str = "arch", value_column: str = "reward") -> Table:
    """The table at `path`, read once per process (again after the file changes)."""
    resolved = Path(path).expanduser().resolve()
    try:
        stat = resolved.stat()
    except OSError:
        return read_table(resolved, key, value_column)  # names the missing file
    return _cached_table(str(resolved), (stat.st_mtime_ns, stat.st_size), key, value_column)


@EVALUATORS.register("table")
class TableEvaluator(NamedRewardMixin, PerArchitectureMixin):
    """Reward and metrics of each architecture from a table keyed by the space's codes."""

    context_fields: ClassVar[tuple[str, ...]] = ("space", "seed", "run_seed")

    def __init__(
        self,
        space: SearchSpace,
        path: str,
        reward: str = "reward",
        key: str = "arch",
        trial: str = "seed",
        metrics: list[str] | None = None,
        optimum_metric: str | None = None,
        cost: str | None = None,
        seconds_per_query: float = 0.0,
        seed: int = 0,
        run_seed: int = 0,
    ) -> None:
        if trial not in TRIALS:
            raise ConfigError(f"evaluator table: trial must be one of {', '.join(TRIALS)}")
        if not (math.isfinite(seconds_per_query) and seconds_per_query >= 0):
            raise ConfigError(
                f"evaluator table: seconds_per_query must be >= 0, got {seconds_per_query}"
            )
        self.space = space
        self.table = load_table(path, key, reward)
        self.reward_name = reward
        self.trial = trial
        self.seed = int(seed)
        self.run_seed = int(run_seed)
        self.seconds_per_query = float(seconds_per_query)
        self.rewards = self._numbers(reward, "reward")
        names = [n for n in self.table.columns if n != reward] if metrics is None else metrics
        self.metric_columns = {name: self.table.column(name, "metrics") for name in names}
        self.costs = self._numbers(cost, "cost") if cost is not None else None
        self.optimum_metric = optimum_metric or reward
        self._numbers(self.optimum_metric, "optimum_metric")
        self._check_codes_fit_the_space()

    def _numbers(self, name: str, role: str) -> Column:
        column = self.table.column(name, role)
        if not (is_numeric(column) or is_trials(column)):
            raise ConfigError(f"{self.table.path}: column {name!r} ({role}) must hold numbers")
        return column

    def _check_codes_fit_the_space(self) -> None:
        """The first code must decode in the space: a wrong `key` or space fails at build."""
        code = next(iter(self.table.row_of))
        try:
            self.space.decode(code)
        except GraphnasError as err:
            raise ConfigError(
                f"{self.table.path}: code {code!r} of column {self.table.key!r} is not a code of "
                f"space {self.space.name!r} ({err})"
            ) from None

    # ---------------------------------------------------------------- evaluation
    def evaluate_one(self, arch: ArchGraph) -> EvalResult:
        problems = self.space.problems(arch)
        if problems:
            return EvalResult.failure(f"not in space {self.space.name!r}: {'; '.join(problems)}")
        code = self.space.encode(arch)
        row = self.table.row_of.get(code)
        if row is None:
            return EvalResult.failure(f"code {code} is not in table {self.table.path.name}")
        reward = self._value(self.rewards, row, code)
        if not math.isfinite(reward):
            return EvalResult.failure(
                f"code {code}: no {self.reward_name} value in table {self.table.path.name}"
            )
        metrics = {name: self._value(col, row, code) for name, col in self.metric_columns.items()}
        if is_trials(self.rewards) and self.trial != "mean":
            metrics["trial"] = self._trial(code, len(self.rewards[row]))
        cost = self.seconds_per_query
        if self.costs is not None:
            cost += self._value(self.costs, row, code)
        return EvalResult(reward, metrics, cost_s=cost)

    def _trial(self, code: str, count: int) -> int:
        if self.trial == "seed":
            return self.run_seed % count
        digest = hashlib.blake2b(f"{self.seed}/{code}".encode(), digest_size=8).digest()
        return int.from_bytes(digest, "little") % count

    def _value(self, column: Column, row: int, code: str) -> Any:
        if is_numeric(column):
            return float(column[row])
        if is_trials(column):
            trials = column[row]
            if self.trial == "mean":
                return float(np.mean(trials))
            return float(trials[self._trial(code, len(trials))])
        return column[row]

    # ---------------------------------------------------------------- the table's best
    def optimum(self, metric: str | None = None) -> dict[str, Any] | None:
        """The best row by `metric` (default `optimum_metric`; trial lists by their mean), with
        its code, canonical hash, and this evaluator's result for it. Rows whose code is not a
        valid member of the space are passed over; None when no row has a value."""
        metric = metric or self.optimum_metric
        scores = self._scores(self._numbers(metric, "optimum metric"))
        codes = list(self.table.row_of)
        for row in np.argsort(-scores, kind="stable"):
            if not math.isfinite(scores[row]):
                return None
            code = codes[row]
            try:
                arch = self.space.decode(code)
            except GraphnasError:
                continue
            result = self.evaluate_one(arch)
            return {
                "code": code,
                "hash": self.space.canonical_hash(arch),
                "reward": result.reward,
                "metrics": dict(result.metrics),
                "metric": metric,
                "value": float(scores[row]),
            }
        return None

    def metric_values(self, metric: str | None = None) -> np.ndarray | None:
        """Every row's value of `metric` (None: the reward; trial lists by their mean) [rows];
        None for a column of texts or one the table lacks."""
        column = self.table.columns.get(metric or self.reward_name)
        if column is None or not (is_numeric(column) or is_trials(column)):
            return None
        return self._scores(column)

    @staticmethod
    def _scores(column: Column) -> np.ndarray:
        if isinstance(column, np.ndarray):  # numbers [rows], or trials [rows, n]
            return column if column.ndim == 1 else column.mean(axis=1)
        return np.fromiter((sum(t) / len(t) for t in column), dtype=np.float64, count=len(column))
