"""SearchLoop: dedupe, budgets, run directory files, determinism, faults, stalls."""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from graphnas.config import BudgetConfig, load_search_config
from graphnas.errors import ConfigError
from graphnas.evaluators.base import EvalResult
from graphnas.evaluators.nb201_table import NB201TableEvaluator
from graphnas.evaluators.pool import SerialPool, evaluate_safely
from graphnas.graph import ArchGraph, Edge, Node
from graphnas.search import RunDir, SearchLoop, build_search, run_search
from graphnas.seeding import component_seed
from graphnas.spaces import load_space
from graphnas.strategies.random_search import RandomSearch

SPACE = load_space("nb201")
EXPERIMENT = Path(__file__).resolve().parents[2] / "experiments" / "nb201.yaml"


class ScriptedStrategy:
    """Proposes a fixed sequence (cycled); records what it was told."""

    def __init__(self, archs: Sequence[ArchGraph]) -> None:
        self.source = itertools.cycle(archs)
        self.told: list[tuple[ArchGraph, EvalResult]] = []

    def ask(self, n: int) -> list[ArchGraph]:
        return [next(self.source) for _ in range(n)]

    def tell(self, archs, results, hashes=None) -> None:
        assert len(archs) == len(results)
        self.told += list(zip(archs, results, strict=True))

    def state_dict(self):
        return {}

    def load_state_dict(self, state) -> None:
        pass


class CountingEvaluator:
    """The NB201 table, counting every architecture it is asked to score."""

    def __init__(self, fail_every: int = 0) -> None:
        self.table = NB201TableEvaluator(SPACE, seconds_per_query=1.0)
        self.seen: list[str] = []
        self.fail_every = fail_every

    def evaluate(self, archs):
        results = []
        for arch in archs:
            self.seen.append(SPACE.encode(arch))
            if self.fail_every and len(self.seen) % self.fail_every == 0:
                raise RuntimeError("simulated crash")
            results.append(self.table.evaluate([arch])[0])
        return results


def isomorphic_pairs(limit: int) -> list[tuple[ArchGraph, ArchGraph]]:
    """Pairs of distinct NB201 encodings with the same canonical hash."""
    first: dict[str, ArchGraph] = {}
    pairs = []
    for arch in SPACE.enumerate():
        digest = SPACE.canonical_hash(arch)
        if digest in first:
            pairs.append((first[digest], arch))
            if len(pairs) == limit:
                return pairs
        else:
            first[digest] = arch
    return pairs


def make_loop(strategy, evaluator, tmp_path: Path | None, **kwargs) -> SearchLoop:
    budget = kwargs.pop("budget", BudgetConfig(queries=20))
    run_dir = RunDir.create(tmp_path / "run") if tmp_path is not None else None
    return SearchLoop(SPACE, strategy, SerialPool(evaluator), budget, run_dir=run_dir, **kwargs)


def ledger(path: Path) -> list[dict]:
    return [json.loads(line) for line in (path / "ledger.jsonl").read_text().splitlines()]


def test_repeated_and_isomorphic_architectures_never_cost_budget(tmp_path: Path) -> None:
    pairs = isomorphic_pairs(3)
    assert all(SPACE.encode(a) != SPACE.encode(b) for a, b in pairs)
    archs = [arch for pair in pairs for arch in pair]  # a, a', b, b', c, c' (cycled)
    strategy = ScriptedStrategy(archs)
    evaluator = CountingEvaluator()
    loop = make_loop(strategy, evaluator, tmp_path, budget=BudgetConfig(queries=3), stall_limit=50)
    summary = loop.run()
    # Only the first member of each isomorphism class was evaluated; the budget is 3 queries,
    # and the loop stopped as soon as it was spent.
    assert summary["queries"] == 3 and summary["stopped"] == "budget.queries"
    assert evaluator.seen == [SPACE.encode(a) for a, _ in pairs]
    assert summary["duplicates"] == 2
    # Every proposal was told a result; a repeat is told the cached result of its class.
    told = {SPACE.encode(a): r for a, r in strategy.told}
    for a, b in pairs[:2]:
        assert told[SPACE.encode(a)] is told[SPACE.encode(b)]


def test_duplicates_inside_one_batch_are_evaluated_once(tmp_path: Path) -> None:
    ((a, b),) = isomorphic_pairs(1)
    other = SPACE.sample_prior(__import__("numpy").random.default_rng(0))
    strategy = ScriptedStrategy([a, a, b, other])
    evaluator = CountingEvaluator()
    summary = make_loop(
        strategy, evaluator, tmp_path, budget=BudgetConfig(queries=2), batch_size=4
    ).run()
    assert summary["queries"] == 2 and summary["duplicates"] == 2
    assert evaluator.seen == [SPACE.encode(a), SPACE.encode(other)]
    assert [r.reward for _, r in strategy.told][:3] == [strategy.told[0][1].reward] * 3


def test_stall_stops_a_strategy_that_only_repeats(tmp_path: Path) -> None:
    arch = SPACE.decode(SPACE.encode(next(SPACE.enumerate())))
    loop = make_loop(ScriptedStrategy([arch]), CountingEvaluator(), tmp_path, stall_limit=25)
    summary = loop.run()
    assert summary["queries"] == 1 and summary["stopped"].startswith("stalled")
    assert summary["duplicates"] == 25


@pytest.mark.parametrize("batch_size", [1, 3, 7])
def test_query_budget_is_exact_and_ledger_has_one_line_per_query(
    tmp_path: Path, batch_size: int
) -> None:
    evaluator = CountingEvaluator()
    loop = make_loop(
        RandomSearch(SPACE, seed=1),
        evaluator,
        tmp_path,
        budget=BudgetConfig(queries=25),
        batch_size=batch_size,
    )
    summary = loop.run()
    lines = ledger(tmp_path / "run")
    assert summary["queries"] == len(lines) == len(evaluator.seen) == 25
    assert [line["query"] for line in lines] == list(range(1, 26))
    assert len({line["hash"] for line in lines}) == 25
    for line in lines:
        assert set(line) >= {"hash", "arch", "reward", "metrics", "cost_s", "status", "error"}
        assert set(line) >= {"step", "seed", "query"}
        arch = ArchGraph.from_dict(line["arch"])
        assert SPACE.canonical_hash(arch) == line["hash"]


def test_seconds_budget_counts_evaluation_cost(tmp_path: Path) -> None:
    loop = make_loop(
        RandomSearch(SPACE, seed=2),
        CountingEvaluator(),  # one simulated second per query
        tmp_path,
        budget=BudgetConfig(queries=None, seconds=9.5),
    )
    summary = loop.run()
    assert summary["queries"] == 10 and summary["cost_s"] == pytest.approx(10.0)
    assert summary["stopped"] == "budget.seconds"


def test_summary_best_is_the_best_ok_ledger_line(tmp_path: Path) -> None:
    summary = make_loop(
        RandomSearch(SPACE, seed=4), CountingEvaluator(), tmp_path, budget=BudgetConfig(40)
    ).run()
    lines = ledger(tmp_path / "run")
    best_line = max((x for x in lines if x["status"] == "ok"), key=lambda x: x["reward"])
    saved = json.loads((tmp_path / "run" / "summary.json").read_text())
    for data in (summary, saved):
        best = data["best"]
        assert best["hash"] == best_line["hash"] and best["reward"] == best_line["reward"]
        assert best["metrics"] == best_line["metrics"] and best["arch"] == best_line["arch"]
        assert best["code"] == SPACE.encode(ArchGraph.from_dict(best_line["arch"]))
        assert data["queries"] == 40 and data["wall_s"] > 0
    curve = [point["best_reward"] for point in saved["curve"]]
    assert curve == sorted(curve) and curve[-1] == best_line["reward"]
    assert saved["curve"][-1]["queries"] == 40


def test_failed_evaluations_are_recorded_and_the_search_goes_on(tmp_path: Path) -> None:
    evaluator = CountingEvaluator(fail_every=4)
    summary = make_loop(
        RandomSearch(SPACE, seed=5), evaluator, tmp_path, budget=BudgetConfig(queries=20)
    ).run()
    lines = ledger(tmp_path / "run")
    failed = [line for line in lines if line["status"] == "failed"]
    assert summary["queries"] == 20 and summary["failed"] == len(failed) == 5
    assert all(line["reward"] is None and "simulated crash" in line["error"] for line in failed)
    assert summary["best"] is not None


def test_invalid_proposals_are_failed_queries(tmp_path: Path) -> None:
    broken = ArchGraph((Node(None, "input"), Node(None, "output")), (Edge(0, 1, "conv"),), "nb201")
    good = next(SPACE.enumerate())
    summary = make_loop(
        ScriptedStrategy([broken, good]), CountingEvaluator(), tmp_path, budget=BudgetConfig(2)
    ).run()
    lines = ledger(tmp_path / "run")
    assert summary["queries"] == 2 and summary["failed"] == 1
    assert lines[0]["status"] == "failed" and "invalid architecture" in lines[0]["error"]


def run_config(tmp_path: Path, name: str, *overrides: str) -> tuple[dict, list[dict]]:
    config = load_search_config(
        EXPERIMENT,
        [f"out={tmp_path / name}", "progress=false", "tracking.backends=[]", *overrides],
    )
    summary = run_search(config)
    return summary, ledger(tmp_path / name)


def strip_timing(lines: list[dict]) -> list[dict]:
    return [{k: v for k, v in line.items() if k != "elapsed_s"} for line in lines]


@pytest.mark.parametrize("strategy", ["random", "evolution"])
def test_runs_are_deterministic_under_a_seed(tmp_path: Path, strategy: str) -> None:
    args = (f"strategy={strategy}", "budget.queries=60")
    first, lines_a = run_config(tmp_path, "a", "seed=7", *args)
    second, lines_b = run_config(tmp_path, "b", "seed=7", *args)
    _, lines_c = run_config(tmp_path, "c", "seed=8", *args)
    assert strip_timing(lines_a) == strip_timing(lines_b)
    assert first["best"] == second["best"]
    assert [x["hash"] for x in lines_a] != [x["hash"] for x in lines_c]


def test_run_directory_holds_the_resolved_config(tmp_path: Path) -> None:
    summary, _ = run_config(tmp_path, "run", "seed=2", "budget.queries=10")
    run = tmp_path / "run"
    names = sorted(p.name for p in run.iterdir())
    assert names == ["checkpoint.pt", "config.yaml", "ledger.jsonl", "summary.json"]
    reloaded = load_search_config(run / "config.yaml")
    assert reloaded.out == str(run) and reloaded.seed == 2 and reloaded.budget.queries == 10
    assert summary["run_dir"] == str(run)
    # Nothing is overwritten: the same out directory is refused.
    with pytest.raises(ConfigError, match="already holds a run"):
        build_search(reloaded)


def test_component_seeds_are_distinct_and_stable() -> None:
    assert component_seed(0, "strategy") == component_seed(0, "strategy")
    assert component_seed(0, "strategy") != component_seed(0, "evaluator")
    assert component_seed(0, "strategy") != component_seed(1, "strategy")


class LifoPool:
    """Finishes one evaluation per collect, the most recently submitted first."""

    def __init__(self, evaluator) -> None:
        self.evaluator = evaluator
        self.queue: list[tuple[int, ArchGraph]] = []

    def submit(self, ticket: int, arch: ArchGraph) -> None:
        self.queue.append((ticket, arch))

    def collect(self, block: bool = True):
        if not self.queue:
            return []
        ticket, arch = self.queue.pop()
        return [(ticket, evaluate_safely(self.evaluator, [arch])[0])]

    def pending(self) -> int:
        return len(self.queue)

    def close(self) -> None:
        self.queue.clear()


def test_ledger_order_does_not_depend_on_completion_order(tmp_path: Path) -> None:
    evaluators = {"serial": CountingEvaluator(), "lifo": CountingEvaluator()}
    pools = {"serial": SerialPool(evaluators["serial"]), "lifo": LifoPool(evaluators["lifo"])}
    for name, pool in pools.items():
        SearchLoop(
            SPACE,
            RandomSearch(SPACE, seed=9),
            pool,
            BudgetConfig(queries=23),
            batch_size=5,
            run_dir=RunDir.create(tmp_path / name),
        ).run()
    assert evaluators["serial"].seen != evaluators["lifo"].seen  # finished in another order
    assert sorted(evaluators["serial"].seen) == sorted(evaluators["lifo"].seen)
    assert strip_timing(ledger(tmp_path / "serial")) == strip_timing(ledger(tmp_path / "lifo"))


def test_a_strategy_that_over_answers_is_refused(tmp_path: Path) -> None:
    class Greedy(RandomSearch):
        def ask(self, n: int):
            return super().ask(n + 1)

    loop = make_loop(Greedy(SPACE, seed=0), CountingEvaluator(), tmp_path)
    with pytest.raises(RuntimeError, match="returned 2 architectures for ask"):
        loop.run()
