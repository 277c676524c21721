"""Strategies side by side: every strategy x seed on one experiment, under the identical loop.

`graphnas compare --config FILE --strategies graphpnas,random,evolution --seeds 10` runs each
(strategy, seed) as an ordinary search (its own run directory under OUT/runs/) in worker
processes, then writes to OUT:
- `table.md`: per strategy, mean ± std over seeds of the reported value of the chosen
  architecture (the best-by-reward one so far) at the budget and at intermediate budgets, named as
  the evaluator names it (its `report_metric`, else its reward's `reward_name`); how many seeds
  found the evaluator's optimum (when it knows one: tables do); the median search overhead per
  query; runs that did not finish are counted apart and listed;
- `anytime.png`: that value against the number of queries, mean with a ±1 std band;
- `compare.json`: the table plus every run's status, summary and anytime curve;
- `plan.json`: what the comparison is, so that `--resume` continues it.

Where things are: `specs` (strategy specs and seeds), `plan` (the runs' configs, plan.json),
`records` (one run read back), `table` (the report), `runner` (worker processes and signals).
A strategy is written `name` or `name:key=value:key=value` (values are YAML), e.g.
`evolution:population_size=10:sample_size=3`. A strategy named like the config's own strategy
starts from the config's params.
"""

from graphnas.compare.plan import ComparePlan, RunTask, run_config
from graphnas.compare.records import RunRecord, anytime_metric, median_gap, record_of
from graphnas.compare.runner import run_comparison
from graphnas.compare.specs import StrategySpec, parse_strategies, seeds_from
from graphnas.compare.table import Comparison

__all__ = [
    "ComparePlan",
    "Comparison",
    "RunRecord",
    "RunTask",
    "StrategySpec",
    "anytime_metric",
    "median_gap",
    "parse_strategies",
    "record_of",
    "run_comparison",
    "run_config",
    "seeds_from",
]
