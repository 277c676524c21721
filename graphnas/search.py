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
  component turns into its own stream (`component_seed`). Evaluations run with the global RNG
  states saved and restored around them, so they cannot shift what the strategy draws.
- Failed evaluations: the ledger records the failure; the strategy is told it as is, or, with
  `failed_reward`, as a result with that reward ("worst": the lowest successful reward so far).
- Checkpoints (`graphnas.resume`) are written every `checkpoint_every_s` seconds between steps, at
  the end, and on SIGINT/SIGTERM (`stop_on_signals`), which stop the search at once (evaluations
  in flight are abandoned, never recorded) and checkpoint the step in progress with its proposals.
- Resuming (`resume_search`): the checkpoint's state is restored and the ledger lines recorded
  after it are replayed: the strategy is asked again, each new proposal must match the next
  line (hash and step) and is told that line's result instead of being evaluated. So a run killed
  at any point ends with the same ledger and best as an uninterrupted one; nothing is evaluated
  twice except the evaluations that were in flight (and never recorded) when it was killed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import inspect
import signal
import threading
import time
import zlib
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from graphnas.config import (
    BudgetConfig,
    SearchConfig,
    as_dict,
    dump_config,
    load_search_config,
    resolve_device,
)
from graphnas.errors import ConfigError, GraphnasError, InputFileError
from graphnas.evaluators import EVALUATORS, POOLS
from graphnas.evaluators.base import EvalResult
from graphnas.evaluators.pool import EvalPool
from graphnas.graph import ArchGraph
from graphnas.resume import (
    RESUMABLE_KEYS,
    LedgerEntry,
    changed_keys,
    config_identity,
    global_rng_states,
    ledger_digest,
    load_checkpoint,
    read_ledger_entries,
    remove_stale_temp_files,
    save_checkpoint,
    set_global_rng_states,
)
from graphnas.rundir import RunDir
from graphnas.spaces import SearchSpace, load_space
from graphnas.strategies import STRATEGIES
from graphnas.strategies.base import Strategy
from graphnas.tracking import Tracker, TrackerGroup, build_trackers

# A strategy that proposes only already-evaluated architectures this many times in a row has
# nothing new to offer (e.g. a converged population or an exhausted space): the search stops.
DEFAULT_STALL_LIMIT = 2000
# Exit statuses of a search stopped by a signal (after its checkpoint is written): 128 + signal.
STOP_SIGNALS = {"SIGINT": 130, "SIGTERM": 143}


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
    worst: float | None = None  # the lowest successful reward (for failed_reward: worst)
    ledger_digest: str = ""  # running digest of the recorded hashes (`resume.ledger_digest`)


class SearchInterrupted(BaseException):
    """Raised by the stop-signal handler to abandon the evaluations in flight (a BaseException,
    so that no `except Exception` in an evaluator or pool turns it into a failed result)."""

    def __init__(self, signal_name: str) -> None:
        super().__init__(signal_name)
        self.signal_name = signal_name


class ReplayMismatchError(InputFileError):
    """The resumed search proposed something other than what the ledger recorded next."""


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
        self.failed_reward = failed_reward
        # None: no periodic checkpoints (still one at the end when there is a run directory).
        self.checkpoint_every_s = checkpoint_every_s
        self.config = dict(config or {})  # the run's config identity, kept in checkpoints
        self.counters = LoopCounters()
        self.cache: dict[str, EvalResult] = {}
        self.stopped: str | None = None
        self.timing = {"wall_s": 0.0, "eval_wall_s": 0.0, "strategy_wall_s": 0.0}
        self.proposals: list[ArchGraph] | None = None  # asked, not yet told (the step in progress)
        self.replay: deque[LedgerEntry] = deque()  # ledger lines to tell instead of evaluating
        self.valid_ledger_bytes: int | None = None  # where a resumed ledger's torn tail starts
        self.stop_request: str | None = None  # the stop signal received, if any
        self.config_update: SearchConfig | None = None  # written to config.yaml when run starts
        self._evaluating = False  # evaluations in flight may be abandoned right now

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
        """Search until the budget is spent, the strategy stalls or a stop signal arrives;
        return the summary. The run directory is locked meanwhile."""
        with self.run_dir.locked() if self.run_dir else contextlib.nullcontext():
            if self.run_dir is not None and self.config_update is not None:
                dump_config(self.config_update, self.run_dir.config)
                self.config_update = None
            return self._run()

    def _run(self) -> dict[str, Any]:
        start = time.perf_counter()
        wall_before = self.timing["wall_s"]
        if self.stopped is not None and self.stopped.startswith("budget."):
            self.stopped = self.budget_reason()  # a resumed run whose budget was raised goes on
        ledger = self.run_dir.open_ledger(self.valid_ledger_bytes) if self.run_dir else None
        bar = self._progress_bar()
        last_checkpoint = time.perf_counter()
        write_files = self.run_dir is not None
        try:
            while self.stopped is None:
                self.stopped = self.budget_reason()
                if self.stopped is None and self.stop_request is not None:
                    self.stopped = f"interrupted by {self.stop_request}"
                if self.stopped is None:
                    self._step(ledger, bar, start)
                    every = self.checkpoint_every_s
                    if every is not None and time.perf_counter() - last_checkpoint >= every:
                        self.timing["wall_s"] = wall_before + time.perf_counter() - start
                        self.save_checkpoint()
                        last_checkpoint = time.perf_counter()
        except SearchInterrupted as stop:  # evaluations abandoned: the step stays in progress
            self.stopped = f"interrupted by {stop.signal_name}"
        except KeyboardInterrupt:
            self.stopped = "interrupted"
            write_files = False  # mid-step: the last checkpoint and the ledger stay the record
            raise
        except ReplayMismatchError:
            write_files = False  # the run directory is left as it was found
            raise
        finally:
            self.timing["wall_s"] = wall_before + time.perf_counter() - start
            bar.close()
            if ledger is not None:
                ledger.close()
            summary = self.summary()
            if write_files and self.stopped is not None:
                self.save_checkpoint()
            if self.run_dir is not None and (write_files or self.stopped == "interrupted"):
                self.run_dir.write_summary(summary)
        self.tracker.finish(summary)
        return summary

    def _step(self, ledger: Any, bar: tqdm, start: float) -> None:
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
        archs = self.proposals

        hashes, new = self._evaluate_new(archs, ledger, start)
        self.proposals = None
        told = [self._as_told(self.cache[digest]) for digest in hashes]
        counters.duplicates += len(archs) - len(new)
        counters.stale = 0 if new else counters.stale + len(archs)
        if counters.stale >= self.stall_limit:
            self.stopped = f"stalled: {counters.stale} proposals in a row were already evaluated"

        t0 = time.perf_counter()
        self.strategy.tell(archs, told)
        self.timing["strategy_wall_s"] += time.perf_counter() - t0
        self._report([self.cache[hashes[i]] for i in new], bar)

    def _evaluate_new(
        self, archs: list[ArchGraph], ledger: Any, start: float
    ) -> tuple[list[str], list[int]]:
        """Evaluate the archs not seen before (first occurrence only) and record them.

        Returns every arch's hash and the indices of the new ones; afterwards every hash is in
        the cache. Results are recorded in proposal order whatever order the pool finishes in.
        New archs are first answered from the ledger lines being replayed, if any are left.
        """
        results: dict[int, EvalResult] = {}
        replayed: set[int] = set()
        hashes: list[str] = []
        first_in_step: set[str] = set()
        new: list[int] = []
        submit: list[int] = []
        for i, arch in enumerate(archs):
            digest, problem = self._identify(arch)
            hashes.append(digest)
            if digest in self.cache or digest in first_in_step:
                continue
            first_in_step.add(digest)
            new.append(i)
            if self.replay:
                results[i] = self._replayed(digest)
                replayed.add(i)
            elif problem is None:
                submit.append(i)
            else:
                results[i] = EvalResult.failure(problem)
        if submit:
            results.update(self._evaluate({i: archs[i] for i in submit}))
        for i in new:
            if i not in results:
                raise RuntimeError(f"evaluation pool returned no result for ticket {i}")
            self._record(archs[i], hashes[i], results[i], None if i in replayed else ledger, start)
        return hashes, new

    def _evaluate(self, archs: dict[int, ArchGraph]) -> dict[int, EvalResult]:
        """Results of the pool for `archs` by ticket; a stop signal abandons them."""
        results: dict[int, EvalResult] = {}
        t0 = time.perf_counter()
        try:
            with preserved_global_rngs():
                self._evaluating = True
                if self.stop_request is not None:  # arrived while the strategy was asked
                    raise SearchInterrupted(self.stop_request)
                for ticket, arch in archs.items():
                    self.pool.submit(ticket, arch)
                while self.pool.pending():
                    results.update(self.pool.collect(block=True))
                self._evaluating = False
        except SearchInterrupted:
            self._evaluating = False
            self.pool.close()  # abandon what is in flight; nothing of this step is recorded
            raise
        finally:
            self.timing["eval_wall_s"] += time.perf_counter() - t0
        return results

    def _replayed(self, digest: str) -> EvalResult:
        """The next ledger line being replayed, which must record `digest` at this step."""
        entry = self.replay.popleft()
        if entry.hash != digest or entry.step != self.counters.step:
            ledger = self.run_dir.ledger if self.run_dir else "ledger"
            raise ReplayMismatchError(
                f"{ledger}: line {entry.line} records {entry.hash} at step {entry.step}, but the "
                f"resumed search proposed {digest} at step {self.counters.step}; this run cannot "
                "be resumed exactly here (another graphnas/torch version or device, a "
                "nondeterministic strategy, or an edited ledger)"
            )
        return entry.result

    def _as_told(self, result: EvalResult) -> EvalResult:
        """What the strategy is told for `result`: failures get `failed_reward` if one is set."""
        if result.ok or self.failed_reward is None:
            return result
        reward = self.counters.worst if self.failed_reward == "worst" else self.failed_reward
        if reward is None:  # "worst" before any success: the failure as it is
            return result
        return replace(result, reward=float(reward), status="ok")

    def request_stop(self, signal_name: str) -> None:
        """Stop the search: at once if evaluations are in flight (they are abandoned), else at
        the next step boundary. Called from a signal handler; a second request stops at once."""
        if self.stop_request is not None:
            raise KeyboardInterrupt
        self.stop_request = signal_name
        if self._evaluating:
            self._evaluating = False
            raise SearchInterrupted(signal_name)

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
        """Account for one new evaluation: counters, cache, best, ledger line (unless replayed)."""
        counters = self.counters
        counters.queries += 1
        counters.cost_s += float(result.cost_s)
        counters.ledger_digest = ledger_digest(counters.ledger_digest, digest)
        self.cache[digest] = result
        if not result.ok:
            counters.failed += 1
        else:
            if counters.worst is None or result.reward < counters.worst:
                counters.worst = result.reward
            if counters.best is None or result.reward > counters.best["reward"]:
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
            return tqdm(
                total=self.budget.queries,
                initial=self.counters.queries,
                unit="query",
                disable=not self.progress,
            )
        return tqdm(total=self.budget.seconds, unit="s", disable=not self.progress)

    # ------------------------------------------------------------------ checkpoints
    def checkpoint_state(self) -> dict[str, Any]:
        """Everything `restore` needs besides the ledger (see `graphnas.resume`)."""
        counters = dataclasses.asdict(self.counters)
        return {
            "config": self.config,
            "counters": counters,
            "proposals": None if self.proposals is None else [a.to_dict() for a in self.proposals],
            "strategy": self.strategy.state_dict(),
            "rng": global_rng_states(),
            "timing": dict(self.timing),
            "stopped": self.stopped,
        }

    def save_checkpoint(self) -> None:
        """Write checkpoint.pt atomically (no-op without a run directory)."""
        if self.run_dir is not None:
            save_checkpoint(self.run_dir.checkpoint, self.checkpoint_state())

    def restore(
        self, state: dict[str, Any] | None, entries: Sequence[LedgerEntry], source: Path
    ) -> None:
        """Continue from a checkpoint `state` (None: from the start) and the ledger `entries`:
        lines up to the checkpoint fill the cache, later ones are replayed. Raises
        InputFileError naming `source` when they do not fit together or the strategy."""
        counters = LoopCounters()
        if state is not None:
            fields = {f.name for f in dataclasses.fields(LoopCounters)}
            counters = LoopCounters(**{k: v for k, v in state["counters"].items() if k in fields})
        covered = list(entries[: counters.queries])
        if len(covered) < counters.queries:
            raise InputFileError(
                f"{source}: records {counters.queries} evaluations but the ledger holds only "
                f"{len(entries)}"
            )
        digest = ""
        for entry in covered:
            digest = ledger_digest(digest, entry.hash)
            self.cache[entry.hash] = entry.result
        if digest != counters.ledger_digest:
            raise InputFileError(f"{source}: does not match the ledger (another run's files?)")
        self.counters = counters
        self.replay = deque(entries[counters.queries :])
        if state is None:
            return
        try:
            self.strategy.load_state_dict(state["strategy"])
        except GraphnasError:
            raise
        except Exception as err:  # a state another strategy or version wrote
            raise InputFileError(
                f"{source}: the strategy state does not fit this strategy "
                f"({type(err).__name__}: {err})"
            ) from None
        try:
            proposals = state.get("proposals")
            if proposals is not None:
                proposals = [ArchGraph.from_dict(a, source=str(source)) for a in proposals]
            set_global_rng_states(state["rng"])
            timing = {k: float(v) for k, v in state["timing"].items() if k in self.timing}
        except GraphnasError:
            raise
        except Exception as err:  # hand-made or damaged contents that passed the format checks
            raise InputFileError(
                f"{source}: malformed search checkpoint ({type(err).__name__}: {err})"
            ) from None
        self.proposals = proposals
        self.timing.update(timing)
        stopped = state.get("stopped")
        self.stopped = None if stopped is None or stopped.startswith("interrupted") else stopped

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


@contextlib.contextmanager
def preserved_global_rngs() -> Iterator[None]:
    """Restore the global Python/numpy/torch RNG states afterwards (evaluations that draw from
    them or reseed them cannot shift what the strategy draws, so a replayed step matches)."""
    states = global_rng_states()
    try:
        yield
    finally:
        set_global_rng_states(states)


@contextlib.contextmanager
def stop_on_signals(loop: SearchLoop) -> Iterator[None]:
    """While running `loop`, SIGINT and SIGTERM call `loop.request_stop` (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        loop.request_stop(signal.Signals(signum).name)

    previous = {name: signal.signal(getattr(signal, name), handler) for name in STOP_SIGNALS}
    try:
        yield
    finally:
        for name, old in previous.items():
            signal.signal(getattr(signal, name), old)


def exit_status(summary: dict[str, Any]) -> int:
    """0, or 128 + the signal number when a stop signal ended the search (130, 143)."""
    stopped = summary.get("stopped") or ""
    for name, status in STOP_SIGNALS.items():
        if stopped == f"interrupted by {name}":
            return status
    return 0


def build_search(config: SearchConfig, *, out: str | Path | None = None) -> SearchLoop:
    """Build every component named in `config`, create the run directory and write config.yaml."""
    config.check()
    components = _build_components(config)
    try:
        run_path = Path(out or config.out or RunDir.default_path(config.name, config.seed))
        run_dir = RunDir.create(run_path)
        resolved = replace(config, out=str(run_path))
        dump_config(resolved, run_dir.config)
        return _make_loop(resolved, run_dir, components)
    except BaseException:
        components.pool.close()
        raise


def resume_search(path: str | Path, overrides: Sequence[str] = ()) -> SearchLoop:
    """The loop of the run in `path`, restored to continue where it stopped or was killed.

    `overrides` may change only `RESUMABLE_KEYS` (budget, pool, eval_timeout_s, ...). Every file
    is checked before anything is written; a problem is a GraphnasError naming the file.
    """
    run_dir = RunDir(path)
    if not run_dir.path.is_dir():
        raise InputFileError(f"{run_dir.path}: no such run directory")
    if not run_dir.config.is_file():
        raise InputFileError(
            f"{run_dir.path}: not a graphnas run directory (no {run_dir.config.name}); "
            "start the search again with graphnas search --config FILE"
        )
    for item in overrides:
        key = item.partition("=")[0].strip()
        if key.split(".")[0] not in RESUMABLE_KEYS:
            raise ConfigError(
                f"override {item!r}: a resumed run keeps its config; only "
                f"{', '.join(k for k in RESUMABLE_KEYS if k != 'out')} may change"
            )
    saved = load_search_config(run_dir.config)
    config = replace(load_search_config(run_dir.config, overrides), out=str(run_dir.path))
    state = None
    if run_dir.checkpoint.exists():
        state = load_checkpoint(run_dir.checkpoint)
        changed = changed_keys(state["config"], config_identity(saved))
        if changed:
            raise InputFileError(
                f"{run_dir.config}: differs from the config {run_dir.checkpoint.name} was written "
                f"with ({', '.join(changed[:5])}); resume needs the original config"
            )
    entries, valid_bytes = read_ledger_entries(run_dir.ledger, config.seed)
    components = _build_components(config)
    try:
        loop = _make_loop(config, run_dir, components)
        loop.restore(state, entries, run_dir.checkpoint)
    except BaseException:
        components.pool.close()
        raise
    loop.valid_ledger_bytes = valid_bytes
    remove_stale_temp_files(run_dir.checkpoint)
    if overrides:
        loop.config_update = config  # written once the run directory is locked
    return loop


@dataclass
class _Components:
    space: SearchSpace
    strategy: Strategy
    pool: EvalPool
    device: Any


def _build_components(config: SearchConfig) -> _Components:
    """Space, evaluator (inside its pool) and strategy of `config`, each seeded from config.seed."""
    device = resolve_device(config.device)
    space = load_space(config.space)
    evaluator = EVALUATORS.build(
        config.evaluator.name,
        config.evaluator.params,
        {"space": space, "device": device, "seed": component_seed(config.seed, "evaluator")},
    )
    _check_pool_timeout(config)
    pool = POOLS.build(
        config.pool.name,
        config.pool.params,
        {
            "evaluator": evaluator,
            "evaluator_config": config.evaluator,
            "space": space,
            "device": device,
            "seed": component_seed(config.seed, "pool"),
            "timeout_s": config.eval_timeout_s,
        },
    )
    try:
        strategy = STRATEGIES.build(
            config.strategy.name,
            config.strategy.params,
            {"space": space, "seed": component_seed(config.seed, "strategy"), "device": device},
        )
    except BaseException:
        pool.close()
        raise
    return _Components(space, strategy, pool, device)


def _make_loop(config: SearchConfig, run_dir: RunDir, parts: _Components) -> SearchLoop:
    """The loop over `parts` writing to `run_dir`, with the trackers `config` asks for."""
    tracker = build_trackers(
        config.tracking.backends,
        run_dir=run_dir.path,
        config=as_dict(config),
        project=config.tracking.project,
        name=run_dir.path.name,
        mode=config.tracking.wandb_mode,
        every=config.tracking.log_every,
    )
    info = {
        "name": config.name,
        "space": parts.space.name,
        "strategy": config.strategy.name,
        "evaluator": config.evaluator.name,
        "seed": config.seed,
        "device": str(parts.device),
    }
    return SearchLoop(
        parts.space,
        parts.strategy,
        parts.pool,
        config.budget,
        batch_size=config.batch_size,
        seed=config.seed,
        run_dir=run_dir,
        tracker=tracker,
        progress=config.progress,
        info=info,
        failed_reward=config.failed_reward,
        checkpoint_every_s=config.checkpoint_every_s,
        config=config_identity(config),
    )


def _check_pool_timeout(config: SearchConfig) -> None:
    """A per-evaluation timeout needs a pool that enforces it."""
    if config.eval_timeout_s is None:
        return
    factory = POOLS.get(config.pool.name)
    try:
        accepted = inspect.signature(factory).parameters
    except (TypeError, ValueError):
        accepted = {}
    if "timeout_s" not in accepted:
        raise ConfigError(
            f"eval_timeout_s: pool {config.pool.name!r} cannot enforce a per-evaluation timeout"
        )


def run_search(config: SearchConfig) -> dict[str, Any]:
    """Build and run a search from a config (SIGINT/SIGTERM stop it cleanly); the pool is closed
    afterwards."""
    return run_loop(build_search(config))


def run_loop(loop: SearchLoop) -> dict[str, Any]:
    """Run a built (or resumed) loop with stop signals handled, then close its pool."""
    try:
        with stop_on_signals(loop):
            return loop.run()
    finally:
        loop.pool.close()
