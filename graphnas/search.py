"""SearchLoop: ask -> dedupe by canonical hash -> evaluate -> tell -> track -> write, to budget.

This is the only module that wires spaces, evaluators, pools, strategies and trackers together.
Semantics:
- Each step asks the strategy for up to `batch_size` architectures (never more than the unique
  queries left) and tells it one result per asked architecture, in order.
- An architecture whose `space.canonical_hash` was seen before (earlier, or earlier in the same
  batch) is answered from the cache: it costs no budget and writes no ledger line.
- Every new architecture is one query: one ledger line, whether it succeeded or failed (an invalid
  proposal is a failed query; an evaluator fault is a failed result, never a crash).
- The budget is `budget.queries` unique evaluations and/or `budget.seconds` of evaluation cost
  (the evaluators' `cost_s`, simulated or measured); the seconds budget is checked after each step.
- The loop itself draws no random numbers: runs are deterministic given the seed, which each
  component turns into its own stream (`component_seed`).
"""

from __future__ import annotations

import hashlib
import time
import zlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from graphnas.config import BudgetConfig, SearchConfig, as_dict, dump_config, resolve_device
from graphnas.evaluators import EVALUATORS, POOLS
from graphnas.evaluators.base import EvalResult
from graphnas.evaluators.pool import EvalPool
from graphnas.graph import ArchGraph
from graphnas.rundir import RunDir
from graphnas.spaces import SearchSpace, load_space
from graphnas.strategies import STRATEGIES
from graphnas.strategies.base import Strategy
from graphnas.tracking import Tracker, TrackerGroup, build_trackers

# A strategy that proposes only already-evaluated architectures this many times in a row has
# nothing new to offer (e.g. a converged population or an exhausted space): the search stops.
DEFAULT_STALL_LIMIT = 2000


def component_seed(seed: int, component: str) -> int:
    """An independent 32-bit seed for one component (strategy, evaluator, ...) of a run."""
    sequence = np.random.SeedSequence([int(seed), zlib.crc32(component.encode())])
    return int(sequence.generate_state(1)[0])


@dataclass
class LoopCounters:
    """Progress of a search; everything a resumed run needs besides the cache and the strategy."""

    step: int = 0
    queries: int = 0
    failed: int = 0
    duplicates: int = 0
    cost_s: float = 0.0
    stale: int = 0
    best: dict[str, Any] | None = None
    curve: list[dict[str, Any]] = field(default_factory=list)


class SearchLoop:
    """Runs one search; see the module docstring for the exact semantics."""

    def __init__(
        self,
        space: SearchSpace,
        strategy: Strategy,
        pool: EvalPool,
        budget: BudgetConfig,
        *,
        batch_size: int = 1,
        seed: int = 0,
        run_dir: RunDir | None = None,
        tracker: Tracker | None = None,
        progress: bool = False,
        stall_limit: int = DEFAULT_STALL_LIMIT,
        info: dict[str, Any] | None = None,
    ) -> None:
        if budget.queries is None and budget.seconds is None:
            raise ValueError("budget needs queries and/or seconds")
        self.space = space
        self.strategy = strategy
        self.pool = pool
        self.budget = budget
        self.batch_size = int(batch_size)
        self.seed = int(seed)
        self.run_dir = run_dir
        self.tracker = tracker or TrackerGroup([])
        self.progress = progress
        self.stall_limit = int(stall_limit)
        self.info = dict(info or {})
        self.counters = LoopCounters()
        self.cache: dict[str, EvalResult] = {}
        self.stopped: str | None = None
        self.timing = {"wall_s": 0.0, "eval_wall_s": 0.0, "strategy_wall_s": 0.0}

    # ------------------------------------------------------------------ budget
    def queries_left(self) -> int | None:
        if self.budget.queries is None:
            return None
        return max(0, self.budget.queries - self.counters.queries)

    def budget_reason(self) -> str | None:
        """Why the budget is spent (None while it is not)."""
        if self.budget.queries is not None and self.counters.queries >= self.budget.queries:
            return "budget.queries"
        if self.budget.seconds is not None and self.counters.cost_s >= self.budget.seconds:
            return "budget.seconds"
        return None

    # ------------------------------------------------------------------ running
    def run(self) -> dict[str, Any]:
        """Search until the budget is spent (or the strategy stalls); return the summary."""
        start = time.perf_counter()
        ledger = self.run_dir.open_ledger() if self.run_dir else None
        bar = self._progress_bar()
        try:
            while self.stopped is None:
                self.stopped = self.budget_reason()
                if self.stopped is None:
                    self._step(ledger, bar, start)
        except KeyboardInterrupt:
            self.stopped = "interrupted"
            raise
        finally:
            self.timing["wall_s"] = time.perf_counter() - start
            bar.close()
            if ledger is not None:
                ledger.close()
            summary = self.summary()
            if self.run_dir is not None:
                self.run_dir.write_summary(summary)
        self.tracker.finish(summary)
        return summary

    def _step(self, ledger: Any, bar: tqdm, start: float) -> None:
        """One ask -> dedupe -> evaluate -> tell -> track round."""
        counters = self.counters
        left = self.queries_left()
        n = self.batch_size if left is None else min(self.batch_size, left)
        t0 = time.perf_counter()
        archs = list(self.strategy.ask(n))
        self.timing["strategy_wall_s"] += time.perf_counter() - t0
        if len(archs) > n:
            raise RuntimeError(f"strategy returned {len(archs)} architectures for ask({n})")
        if not archs:
            self.stopped = "strategy proposed nothing"
            return
        counters.step += 1

        hashes, new = self._evaluate_new(archs, ledger, start)
        told = [self.cache[digest] for digest in hashes]
        counters.duplicates += len(archs) - len(new)
        counters.stale = 0 if new else counters.stale + len(archs)
        if counters.stale >= self.stall_limit:
            self.stopped = f"stalled: {counters.stale} proposals in a row were already evaluated"

        t0 = time.perf_counter()
        self.strategy.tell(archs, told)
        self.timing["strategy_wall_s"] += time.perf_counter() - t0
        self._report([told[i] for i in new], bar)

    def _evaluate_new(
        self, archs: list[ArchGraph], ledger: Any, start: float
    ) -> tuple[list[str], list[int]]:
        """Evaluate the archs not seen before (first occurrence only) and record them.

        Returns every arch's hash and the indices of the new ones; afterwards every hash is in
        the cache. Results are recorded in proposal order whatever order the pool finishes in.
        """
        results: dict[int, EvalResult] = {}
        hashes: list[str] = []
        first_in_step: set[str] = set()
        new: list[int] = []
        t0 = time.perf_counter()
        for i, arch in enumerate(archs):
            digest, problem = self._identify(arch)
            hashes.append(digest)
            if digest in self.cache or digest in first_in_step:
                continue
            first_in_step.add(digest)
            new.append(i)
            if problem is None:
                self.pool.submit(i, arch)
            else:
                results[i] = EvalResult.failure(problem)
        while self.pool.pending():
            results.update(self.pool.collect(block=True))
        self.timing["eval_wall_s"] += time.perf_counter() - t0
        for i in new:
            if i not in results:
                raise RuntimeError(f"evaluation pool returned no result for ticket {i}")
            self._record(archs[i], hashes[i], results[i], ledger, start)
        return hashes, new

    def _report(self, new_results: list[EvalResult], bar: tqdm) -> None:
        """Best-so-far curve, tracker scalars and the progress bar after a step."""
        counters = self.counters
        best_reward = counters.best["reward"] if counters.best else None
        counters.curve.append(
            {
                "step": counters.step,
                "queries": counters.queries,
                "cost_s": counters.cost_s,
                "best_reward": best_reward,
            }
        )
        metrics: dict[str, float] = {"queries": counters.queries, "failed": counters.failed}
        if best_reward is not None:
            metrics["best_reward"] = best_reward
        step_rewards = [r.reward for r in new_results if r.ok]
        if step_rewards:
            metrics["reward"] = max(step_rewards)
        if self.budget.seconds is not None:
            metrics["cost_s"] = counters.cost_s
        self.tracker.log(metrics, counters.step)
        if self.budget.queries is not None:
            bar.update(len(new_results))
        else:
            bar.n = min(counters.cost_s, self.budget.seconds or 0.0)
            bar.refresh()
        if best_reward is not None:
            bar.set_postfix(best=f"{best_reward:.4g}", refresh=False)

    def _identify(self, arch: ArchGraph) -> tuple[str, str | None]:
        """(canonical hash, problem or None). Invalid archs get a hash of their exact JSON."""
        problems = self.space.problems(arch)
        if problems:
            raw = hashlib.sha256(arch.to_json().encode()).hexdigest()[:32]
            return f"invalid:{raw}", "invalid architecture: " + "; ".join(problems)
        return self.space.canonical_hash(arch), None

    def _record(
        self, arch: ArchGraph, digest: str, result: EvalResult, ledger: Any, start: float
    ) -> None:
        """Account for one new evaluation: counters, cache, best, ledger line."""
        counters = self.counters
        counters.queries += 1
        counters.cost_s += float(result.cost_s)
        self.cache[digest] = result
        if not result.ok:
            counters.failed += 1
        elif counters.best is None or result.reward > counters.best["reward"]:
            counters.best = {
                "arch": arch.to_dict(),
                "code": self.space.encode(arch),
                "hash": digest,
                "reward": result.reward,
                "metrics": dict(result.metrics),
                "query": counters.queries,
                "step": counters.step,
            }
        if ledger is not None:
            ledger.append(
                {
                    "query": counters.queries,
                    "step": counters.step,
                    "seed": self.seed,
                    "hash": digest,
                    "arch": arch.to_dict(),
                    **result.to_dict(),
                    "elapsed_s": round(time.perf_counter() - start, 6),
                }
            )

    def _progress_bar(self) -> tqdm:
        if self.budget.queries is not None:
            return tqdm(total=self.budget.queries, unit="query", disable=not self.progress)
        return tqdm(total=self.budget.seconds, unit="s", disable=not self.progress)

    # ------------------------------------------------------------------ results
    def summary(self) -> dict[str, Any]:
        """What summary.json holds: best, counts, timings, the per-step best curve."""
        c = self.counters
        wall = self.timing["wall_s"]
        overhead = wall - self.timing["eval_wall_s"]
        return {
            **self.info,
            "best": c.best,
            "queries": c.queries,
            "failed": c.failed,
            "duplicates": c.duplicates,
            "steps": c.step,
            "cost_s": c.cost_s,
            "wall_s": wall,
            "eval_wall_s": self.timing["eval_wall_s"],
            "strategy_wall_s": self.timing["strategy_wall_s"],
            "overhead_s_per_query": overhead / c.queries if c.queries else None,
            "stopped": self.stopped,
            "run_dir": str(self.run_dir.path) if self.run_dir else None,
            "curve": c.curve,
        }


def build_search(config: SearchConfig, *, out: str | Path | None = None) -> SearchLoop:
    """Build every component named in `config`, create the run directory and write config.yaml."""
    config.check()
    device = resolve_device(config.device)
    space = load_space(config.space)
    evaluator = EVALUATORS.build(
        config.evaluator.name,
        config.evaluator.params,
        {"space": space, "device": device, "seed": component_seed(config.seed, "evaluator")},
    )
    pool = POOLS.build(
        config.pool.name,
        config.pool.params,
        {
            "evaluator": evaluator,
            "evaluator_config": config.evaluator,
            "space": space,
            "device": device,
            "seed": component_seed(config.seed, "pool"),
        },
    )
    strategy = STRATEGIES.build(
        config.strategy.name,
        config.strategy.params,
        {"space": space, "seed": component_seed(config.seed, "strategy"), "device": device},
    )
    run_path = Path(out or config.out or RunDir.default_path(config.name, config.seed))
    run_dir = RunDir.create(run_path)
    resolved = replace(config, out=str(run_path))
    dump_config(resolved, run_dir.config)
    tracker = build_trackers(
        config.tracking.backends,
        run_dir=run_dir.path,
        config=as_dict(resolved),
        project=config.tracking.project,
        name=run_path.name,
        mode=config.tracking.wandb_mode,
        every=config.tracking.log_every,
    )
    info = {
        "name": config.name,
        "space": space.name,
        "strategy": config.strategy.name,
        "evaluator": config.evaluator.name,
        "seed": config.seed,
        "device": str(device),
    }
    return SearchLoop(
        space,
        strategy,
        pool,
        config.budget,
        batch_size=config.batch_size,
        seed=config.seed,
        run_dir=run_dir,
        tracker=tracker,
        progress=config.progress,
        info=info,
    )


def run_search(config: SearchConfig) -> dict[str, Any]:
    """Build and run a search from a config; the pool is closed afterwards."""
    loop = build_search(config)
    try:
        return loop.run()
    finally:
        loop.pool.close()
