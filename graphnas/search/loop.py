"""SearchLoop: ask -> identify and dedupe -> evaluate -> tell -> track -> write, to budget.

Semantics:
- Each step asks the strategy for up to `batch_size` architectures (never more than the unique
  queries left) and tells it one result per asked architecture, in order.
- Each proposal is identified once (`SearchSpace.identify`: problems, canonical hash, code), and
  the strategy is told each canonical hash with its result (`Strategy.tell`), never hashing it
  again. One whose network was seen before (earlier, or earlier in the same batch) is answered
  from the cache: it costs no budget and writes no ledger line. Where the hash is approximate
  (WL), a match is confirmed by exact isomorphism, and a non-isomorphic graph on a taken hash
  gets its own key (`hash#2`, ...), so two different networks never share a reward.
- Every new architecture is one query: one ledger line, whether it succeeded or failed (an invalid
  proposal is a failed query; an evaluator fault is a failed result, never a crash).
- The budget is `budget.queries` unique evaluations and/or `budget.seconds` of evaluation cost
  (the evaluators' `cost_s`, simulated or measured); the seconds budget is checked after each step.
- The loop draws no random numbers; evaluations run with the global RNG states saved and restored
  around them (`seeding.preserved_global_rngs`), so they cannot shift what the strategy draws.
- Failed evaluations: the ledger records the failure; the strategy is told it as is, or, with
  `failed_reward`, as a result with that reward ("worst": the lowest successful reward so far).
- Checkpoints are written every `checkpoint_every_s` seconds between steps, at the end, and on
  SIGINT/SIGTERM (`graphnas.search.signals`), which stop the search at once (evaluations in flight
  are abandoned, never recorded) and checkpoint the step in progress with its proposals.
- A resumed loop (`restore`) first answers from the ledger lines after its checkpoint
  (`graphnas.search.replay`); it writes no file (ledger, checkpoint, summary, config, trackers)
  until that replay is over, so a replay that disagrees leaves the run directory as it was.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from graphnas.config import BudgetConfig
from graphnas.evaluators.base import EvalResult
from graphnas.evaluators.pool import EvalPool
from graphnas.graph import ArchGraph
from graphnas.progress import ProgressReporter, progress_reporter
from graphnas.search.cache import Proposal, ResultCache
from graphnas.search.checkpoint import save_checkpoint
from graphnas.search.ledger import LedgerEntry, LedgerWriter, ledger_line
from graphnas.search.replay import Replay
from graphnas.search.reports import finish_tracking, run_summary, step_metrics
from graphnas.search.resume import loop_state, restore_loop
from graphnas.search.rundir import RunDir, RunLock
from graphnas.search.signals import SearchInterrupted, StopRequests
from graphnas.seeding import preserved_global_rngs
from graphnas.spaces import SearchSpace
from graphnas.strategies.base import Strategy
from graphnas.tracking import Tracker, TrackerGroup

# A strategy that proposes only already-evaluated architectures this many times in a row has
# nothing new to offer (e.g. a converged population or an exhausted space): the search stops.
DEFAULT_STALL_LIMIT = 2000


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
    worst: float | None = None  # the lowest successful reward (for failed_reward: worst)
    ledger_digest: str = ""  # digest of the last ledger line (`ledger.line_digest`)


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
        failed_reward: float | str | None = None,
        checkpoint_every_s: float | None = None,
        config: dict[str, Any] | None = None,
        chain_start: str = "",
        evaluator: object | None = None,
    ) -> None:
        if budget.queries is None and budget.seconds is None:
            raise ValueError("budget needs queries and/or seconds")
        self.space, self.strategy, self.pool, self.budget = space, strategy, pool, budget
        self.batch_size = int(batch_size)
        self.seed = int(seed)
        self.run_dir = run_dir
        self.tracker: Tracker = tracker or TrackerGroup([])
        self.progress = progress
        self.stall_limit = int(stall_limit)
        self.info = dict(info or {})
        self.failed_reward = failed_reward
        # None: no periodic checkpoints (still one at the end when there is a run directory).
        self.checkpoint_every_s = checkpoint_every_s
        self.config = dict(config or {})  # the run's config identity, kept in checkpoints
        self.evaluator = evaluator  # a stateful evaluator: checkpointed with it after each step
        self.counters = LoopCounters(ledger_digest=chain_start)
        self.cache = ResultCache(space)
        self.stopped: str | None = None
        self.timing = {"wall_s": 0.0, "eval_wall_s": 0.0, "strategy_wall_s": 0.0}
        self.proposals: list[ArchGraph] | None = None  # asked, not yet told (the step in progress)
        self.replay = Replay()
        self.stops = StopRequests()
        self.lock: RunLock | None = None  # held from the build until the run ends
        self.valid_ledger_bytes: int | None = None  # where a resumed ledger's torn tail starts
        self.before_writing: list[Callable[[], None]] = []  # run once, when writing begins
        self._writing = False
        self._new_best = False  # the best changed in this step (logged with the step)
        self._ledger: LedgerWriter | None = None

    # ------------------------------------------------------------------ budget
    def queries_left(self) -> int | None:
        if self.budget.queries is None:
            return None
        return max(0, self.budget.queries - self.counters.queries)

    def budget_reason(self) -> str | None:
        """Why the budget is spent (None while it is not)."""
        if self.budget.queries is not None and self.counters.queries >= self.budget.queries:
            return "budget.queries"
        if self.budget.seconds is not None and self.spent_s() >= self.budget.seconds:
            return "budget.seconds"
        return None

    def spent_s(self) -> float:
        """The cost the seconds budget counts: the evaluations' `cost_s` plus the strategy's own
        `search_cost_s()` (e.g. a supernet trained inside `ask`)."""
        own = self.strategy.search_cost_s() if isinstance(self.strategy, Strategy) else 0.0
        return self.counters.cost_s + float(own)

    # ------------------------------------------------------------------ running
    def run(self) -> dict[str, Any]:
        """Search until the budget is spent, the strategy stalls or a stop signal arrives;
        return the summary. The run directory stays locked until then."""
        if self.run_dir is not None and self.lock is None:
            self.lock = self.run_dir.lock()
        try:
            return self._run()
        finally:
            self.release()

    def release(self) -> None:
        """Give up the run directory's lock (the run is over, or was never started)."""
        if self.lock is not None:
            self.lock.release()
            self.lock = None

    def request_stop(self, signal_name: str) -> None:
        """Stop the search (see `graphnas.search.signals.StopRequests.request`)."""
        self.stops.request(signal_name)

    def _run(self) -> dict[str, Any]:
        start = time.perf_counter()
        wall_before = self.timing["wall_s"]
        if self.stopped is not None and self.stopped.startswith("budget."):
            self.stopped = self.budget_reason()  # a resumed run whose budget was raised goes on
        bar = self._progress_bar()
        last_checkpoint = time.perf_counter()
        keep_files = True
        try:
            while self.stopped is None:
                if not self.replay:
                    self._begin_writing()
                self.stopped = self.budget_reason()
                if self.stopped is None and self.stops.signal is not None:
                    self.stopped = f"interrupted by {self.stops.signal}"
                if self.stopped is None:
                    self._step(bar, start)
                    every = 0.0 if self.evaluator is not None else self.checkpoint_every_s
                    if every is not None and time.perf_counter() - last_checkpoint >= every:
                        self.timing["wall_s"] = wall_before + time.perf_counter() - start
                        self.save_checkpoint()
                        last_checkpoint = time.perf_counter()
            self._begin_writing()
        except SearchInterrupted as stop:  # evaluations abandoned: the step stays in progress
            self.stopped = f"interrupted by {stop.signal_name}"
        except KeyboardInterrupt:  # a second signal, mid-step: the last checkpoint and the
            self.stopped = "interrupted"  # ledger stay the record
            keep_files = False
            raise
        except BaseException:  # a replay mismatch, a full disk: no further file is written
            keep_files = False
            raise
        finally:
            self.timing["wall_s"] = wall_before + time.perf_counter() - start
            bar.close()
            self._close_ledger()
            summary = self.summary()
            if keep_files and self.stopped is not None:
                self.save_checkpoint()
            if keep_files or self.stopped == "interrupted":
                self._write_summary(summary)
        finish_tracking(self, summary)  # the ledger table, then finish
        return summary

    def _begin_writing(self) -> None:
        """From here on the run directory is written: the pending writes, then the ledger."""
        if self._writing:
            return
        self._writing = True
        for write in self.before_writing:
            write()
        self.before_writing = []
        if self.run_dir is not None:
            self._ledger = self.run_dir.open_ledger(self.valid_ledger_bytes)

    def _close_ledger(self) -> None:
        if self._ledger is not None:
            self._ledger.close()
            self._ledger = None

    def _step(self, bar: ProgressReporter, start: float) -> None:
        """One ask -> dedupe -> evaluate -> tell -> track round (resuming a step in progress)."""
        counters = self.counters
        if self.proposals is None:
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
            self.proposals = archs
        proposals = self.cache.propose(self.proposals)
        new = self._evaluate_new(proposals, start)
        self.proposals = None
        told = [self._as_told(self.cache[p.key]) for p in proposals]
        counters.duplicates += len(proposals) - len(new)
        counters.stale = 0 if new else counters.stale + len(proposals)
        if counters.stale >= self.stall_limit:
            self.stopped = f"stalled: {counters.stale} proposals in a row were already evaluated"
        t0 = time.perf_counter()
        hashes = [p.identity.hash if p.identity.valid else None for p in proposals]
        self.strategy.tell([p.arch for p in proposals], told, hashes)
        self.timing["strategy_wall_s"] += time.perf_counter() - t0
        self._report([self.cache[p.key] for p in new], bar)

    def _evaluate_new(self, proposals: list[Proposal], start: float) -> list[Proposal]:
        """Evaluate the proposals not seen before (first occurrence only) and record them, in
        proposal order whatever order the pool finishes in; the ledger lines being replayed, if
        any are left, answer first. Returns the new proposals; their keys are then cached."""
        results: dict[int, tuple[EvalResult, LedgerEntry | None]] = {}
        new: list[int] = []
        submit: dict[int, ArchGraph] = {}
        for i, proposal in enumerate(proposals):
            if proposal.key in self.cache or any(proposals[j].key == proposal.key for j in new):
                continue
            new.append(i)
            if self.replay:
                results[i] = self.replay.answer(proposal.key, self.counters.step)
            elif proposal.identity.valid:
                submit[i] = proposal.arch
            else:
                problems = "; ".join(proposal.identity.problems)
                results[i] = (EvalResult.failure("invalid architecture: " + problems), None)
        if submit or any(results[i][1] is None for i in results):
            self._begin_writing()
        if submit:
            results.update({i: (r, None) for i, r in self._evaluate(submit).items()})
        for i in new:
            if i not in results:
                raise RuntimeError(f"evaluation pool returned no result for ticket {i}")
            self._record(proposals[i], *results[i], start)
        return [proposals[i] for i in new]

    def _evaluate(self, archs: dict[int, ArchGraph]) -> dict[int, EvalResult]:
        """Results of the pool for `archs` by ticket; a stop signal abandons them."""
        results: dict[int, EvalResult] = {}
        t0 = time.perf_counter()
        try:
            with preserved_global_rngs(), self.stops.evaluating():
                for ticket, arch in archs.items():
                    self.pool.submit(ticket, arch)
                while self.pool.pending():
                    results.update(self.pool.collect(block=True))
        except SearchInterrupted:
            self.pool.close()  # abandon what is in flight; nothing of this step is recorded
            raise
        finally:
            self.timing["eval_wall_s"] += time.perf_counter() - t0
        return results

    def _as_told(self, result: EvalResult) -> EvalResult:
        """What the strategy is told for `result`: failures get `failed_reward` if one is set."""
        if result.ok or self.failed_reward is None:
            return result
        reward = self.counters.worst if self.failed_reward == "worst" else self.failed_reward
        if reward is None:  # "worst" before any success: the failure as it is
            return result
        return replace(result, reward=float(reward), status="ok")

    def _report(self, new_results: list[EvalResult], bar: ProgressReporter) -> None:
        """Best-so-far curve, tracker scalars (the strategy's metrics as strategy/<key>) and the
        progress bar after a step."""
        counters = self.counters
        best_reward = counters.best["reward"] if counters.best else None
        point = {"step": counters.step, "queries": counters.queries, "cost_s": counters.cost_s}
        counters.curve.append({**point, "best_reward": best_reward})
        self.tracker.log(step_metrics(self, new_results), counters.step)
        if self._new_best and isinstance(self.tracker, TrackerGroup):
            self.tracker.log_best(counters.best, counters.step)
        self._new_best = False
        position = counters.queries if self.budget.queries is not None else self.spent_s()
        bar.update_to(position, {"best": f"{best_reward:.4g}"} if best_reward is not None else None)

    def _record(
        self, proposal: Proposal, result: EvalResult, replayed: LedgerEntry | None, start: float
    ) -> None:
        """Account for one new evaluation: counters, cache, best, ledger line (unless replayed)."""
        counters = self.counters
        counters.queries += 1
        counters.cost_s += float(result.cost_s)
        self.cache.add(proposal.key, result, proposal.arch, proposal.identity.exact)
        if not result.ok:
            counters.failed += 1
        else:
            if counters.worst is None or result.reward < counters.worst:
                counters.worst = result.reward
            if counters.best is None or result.reward > counters.best["reward"]:
                self._new_best = True
                counters.best = {
                    "arch": proposal.arch.to_dict(),
                    "code": proposal.identity.code,
                    "hash": proposal.key,
                    "reward": result.reward,
                    "metrics": dict(result.metrics),
                    "query": counters.queries,
                    "step": counters.step,
                }
        if replayed is not None:
            counters.ledger_digest = replayed.digest
            return
        line = ledger_line(
            counters.ledger_digest,
            query=counters.queries,
            step=counters.step,
            seed=self.seed,
            hash=proposal.key,
            exact=proposal.identity.exact,
            arch=proposal.arch.to_dict(),
            result=result,
            elapsed_s=time.perf_counter() - start,
        )
        counters.ledger_digest = line["digest"]
        if self._ledger is not None:
            with self.stops.critical():
                self._ledger.append(line)

    def _progress_bar(self) -> ProgressReporter:
        if self.budget.queries is not None:
            total, unit, initial = self.budget.queries, "query", self.counters.queries
        else:
            total, unit, initial = self.budget.seconds, "s", self.spent_s()
        return progress_reporter(total, unit, initial=initial, enabled=self.progress)

    # ------------------------------------------------------------------ files
    def _write_summary(self, summary: dict[str, Any]) -> None:
        if self.run_dir is not None and self._writing:
            with self.stops.critical():
                self.run_dir.write_summary(summary)

    def save_checkpoint(self) -> None:
        """Write checkpoint.pt atomically (no-op without a run directory, or while a resumed
        run's replay is pending: until then the checkpoint on disk is the record)."""
        if self.run_dir is not None and not self.replay:
            with self.stops.critical():
                save_checkpoint(self.run_dir.checkpoint, loop_state(self))

    def restore(
        self, state: dict[str, Any] | None, entries: Sequence[LedgerEntry], source: Path
    ) -> None:
        """Continue from a checkpoint `state` and the ledger (`resume.restore_loop`)."""
        restore_loop(self, state, entries, source)

    # ------------------------------------------------------------------ results
    def summary(self) -> dict[str, Any]:
        """What summary.json holds (`reports.run_summary`)."""
        return run_summary(self)
