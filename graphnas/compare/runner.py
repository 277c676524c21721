"""Running a comparison: every (strategy, seed) search, in worker processes, stoppable as a whole.

With `jobs > 1` each run executes in one of `jobs` spawned worker processes (single-threaded
torch; the parent's plug-ins imported first). Workers live in their own process group and die
with the parent (Linux PR_SET_PDEATHSIG), so Ctrl-C in a terminal reaches only the compare
process and a killed compare leaves no search behind. The first SIGINT or SIGTERM the compare
process receives stops the comparison: no new run starts, the signal is forwarded once to every
busy worker, whose search stops the way `graphnas search` does (checkpoint written, run marked
"interrupted by SIG..."), and the workers exit; a worker still busy after `GRACE_S` seconds, or
every worker on a second signal, is killed with its process group. A failing run stops the
others the same way, then its error is raised. `--resume` continues a comparison: finished runs
are read back, interrupted (or killed) ones resumed, the others started.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing as mp
import os
import signal
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from graphnas.compare.plan import ComparePlan, RunTask, run_start, strategy_params
from graphnas.compare.records import RunRecord, record_of
from graphnas.compare.specs import StrategySpec
from graphnas.compare.table import Comparison
from graphnas.config import SearchConfig
from graphnas.errors import ConfigError, GraphnasError

GRACE_S = 60.0  # how long a stopped run may take to write its checkpoint before it is killed
STOP_SIGNALS = ("SIGINT", "SIGTERM")


class StopFlag:
    """The first SIGINT/SIGTERM received while `installed` (`signal`), and whether a second
    one followed (`forced`)."""

    def __init__(self) -> None:
        self.signal: str | None = None
        self.forced = False

    def request(self, name: str) -> None:
        if self.signal is None:
            self.signal = name
        else:
            self.forced = True

    @contextlib.contextmanager
    def installed(self) -> Iterator[StopFlag]:
        if threading.current_thread() is not threading.main_thread():
            yield self
            return

        def handler(signum: int, frame: Any) -> None:
            self.request(signal.Signals(signum).name)

        previous = {name: signal.signal(getattr(signal, name), handler) for name in STOP_SIGNALS}
        try:
            yield self
        finally:
            for name, old in previous.items():
                signal.signal(getattr(signal, name), old)


def run_comparison(
    base: SearchConfig,
    specs: Sequence[StrategySpec],
    seeds: Sequence[int],
    out: str | Path,
    jobs: int = 2,
    metric: str | None = None,
    resume: bool = False,
) -> Comparison:
    """Run (or with `resume` continue) every (strategy, seed) and gather the results.

    Everything is checked before anything is written: the config, every strategy (built once
    here), the evaluator (built here from the same recipe as in the runs: its names and optimum
    label the table) and, on resume, that `out` holds this very comparison."""
    from graphnas.evaluators.base import optimum_of, report_metric_of, reward_name_of
    from graphnas.plugins import load_plugins, loaded_plugins

    base.check()
    load_plugins(base.imports)
    if not specs:
        raise ConfigError("--strategies: name at least one strategy")
    evaluator = _check_components(base, specs)
    if metric is None:
        metric = report_metric_of(evaluator)
    out = Path(out)
    plan = ComparePlan.new(base, specs, seeds)
    if resume:
        plan = plan.resumed(out)
    elif (out / "runs").exists() and any((out / "runs").iterdir()):
        raise ConfigError(
            f"--out: {out} already holds a comparison; continue it with --resume or choose "
            "another folder"
        )
    out.mkdir(parents=True, exist_ok=True)
    plan.write(out)
    tasks = plan.tasks(out, metric)
    stop = StopFlag()
    with stop.installed():
        if jobs <= 1:
            done = _run_here(tasks, stop)
        else:
            done = _run_in_workers(tasks, jobs, loaded_plugins(), stop)
    records = [done.get(t.index) or RunRecord(t.label, t.seed, status="not started") for t in tasks]
    optimum = optimum_of(evaluator)
    if optimum is not None:
        for record in records:
            best = record.summary.get("best") or {}
            record.found_optimum = best.get("hash") == optimum["hash"]
    return Comparison(
        list(specs),
        list(seeds),
        metric,
        reward_name_of(evaluator),
        base.budget.queries,
        records,
        optimum,
        stop.signal,
    )


def _check_components(base: SearchConfig, specs: Sequence[StrategySpec]) -> Any:
    """Build every strategy once and the evaluator (returned) as the runs will."""
    from graphnas.evaluators.recipe import EvaluatorRecipe
    from graphnas.seeding import component_seed
    from graphnas.spaces import load_space
    from graphnas.strategies import STRATEGIES

    space = load_space(base.space)
    for spec in specs:
        context = {"space": space, "seed": 0, "device": "cpu"}
        STRATEGIES.build(spec.name, strategy_params(base, spec), context)
    seed = component_seed(base.seed, "evaluator")
    recipe = EvaluatorRecipe.of(base.evaluator, space, seed=seed, run_seed=base.seed)
    return recipe.build("cpu", space=space)


def execute(task: RunTask, stop: StopFlag) -> RunRecord:
    """Run (start, resume or read back) one run in this process; a stop already requested makes
    it stop at once, resumable."""
    from graphnas.search import build_search, resume_search, run_loop

    start = run_start(task.folder)
    if start != "finished":
        loop = resume_search(task.folder) if start == "resume" else build_search(task.config)
        if stop.signal is not None:
            loop.request_stop(stop.signal)
        run_loop(loop)
    return record_of(task.folder, task.label, task.seed, task.metric)


def _run_here(tasks: Sequence[RunTask], stop: StopFlag) -> dict[int, RunRecord]:
    """jobs=1: the runs one after the other in this process (a run's own signal handling
    applies while it runs; an interrupted run stops the comparison)."""
    records: dict[int, RunRecord] = {}
    for task in tasks:
        if stop.signal is not None:
            break
        records[task.index] = record = execute(task, stop)
        if record.status == "interrupted" and stop.signal is None:
            stop.request(_signal_of(record))
    return records


def _signal_of(record: RunRecord) -> str:
    note = record.note or ""
    return next((name for name in STOP_SIGNALS if note.endswith(name)), "SIGTERM")


# ---------------------------------------------------------------------- worker processes
def _worker_main(conn: Connection, plugins: tuple[str, ...], parent: int) -> None:
    """A compare worker: run the tasks it is sent until None, a stop, or a run that stopped."""
    os.setpgrp()  # a terminal's Ctrl-C reaches the compare process only; it forwards one signal
    _exit_with_parent(parent)
    import torch

    from graphnas.plugins import load_plugins

    torch.set_num_threads(1)
    stop = StopFlag()
    with stop.installed():
        while stop.signal is None:
            try:
                task = conn.recv()
            except EOFError:
                return
            if task is None:
                return
            try:
                load_plugins(plugins)
                record = execute(task, stop)
            except GraphnasError as err:
                conn.send(("error", task.index, _first_line(err)))
                return
            except Exception:
                conn.send(("bug", task.index, traceback.format_exc()))
                return
            conn.send(("done", task.index, record.to_dict()))
            if record.status != "finished":
                return


def _exit_with_parent(parent: int) -> None:
    """Ask the kernel for SIGTERM when the compare process dies (Linux), so no run outlives it."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # it died before the request was made
        os._exit(143)


@dataclass
class _Worker:
    process: Any
    conn: Connection
    task: RunTask | None = None

    def send(self, task: RunTask | None) -> None:
        self.task = task
        with contextlib.suppress(OSError, ValueError):
            self.conn.send(task)

    def signal(self, name: str) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.process.pid, getattr(signal, name))

    def kill(self) -> None:
        """SIGKILL the worker and everything in its process group (its evaluation workers)."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)

    def close(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.conn.send(None)
        self.process.join(timeout=10)
        self.kill()  # a worker that did not exit, and anything it left behind
        self.process.join(timeout=10)
        self.conn.close()


def _run_in_workers(
    tasks: Sequence[RunTask], jobs: int, plugins: tuple[str, ...], stop: StopFlag
) -> dict[int, RunRecord]:
    """The runs in `jobs` worker processes; see the module docstring."""
    context = mp.get_context("spawn")

    def start() -> _Worker:
        parent_end, child_end = context.Pipe(duplex=True)
        process = context.Process(
            target=_worker_main, args=(child_end, plugins, os.getpid()), name="graphnas-compare"
        )
        process.start()
        child_end.close()
        return _Worker(process, parent_end)

    queue = deque(tasks)
    records: dict[int, RunRecord] = {}
    failure: BaseException | None = None
    forwarded_at: float | None = None
    workers: list[_Worker] = []
    try:
        workers = [start() for _ in range(min(jobs, len(tasks)))]
        while True:
            stopping = stop.signal is not None or failure is not None
            for worker in workers:
                if not stopping and worker.task is None and queue:
                    worker.send(queue.popleft())
            busy = [w for w in workers if w.task is not None]
            if not busy and (stopping or not queue):
                break
            if stopping and forwarded_at is None:
                for worker in busy:
                    worker.signal(stop.signal or "SIGTERM")
                forwarded_at = time.monotonic()
            if forwarded_at is not None and (
                stop.forced or time.monotonic() - forwarded_at > GRACE_S
            ):
                for worker in busy:
                    worker.kill()
            wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout=0.2)
            for index, worker in enumerate(workers):
                if worker.task is None:
                    continue
                failure = _receive(worker, records, stop) or failure
                if worker.task is not None and not worker.process.is_alive():
                    _receive(worker, records, stop)  # a record sent just before exiting
                if worker.task is not None and not worker.process.is_alive():
                    task, code = worker.task, worker.process.exitcode
                    records[task.index] = RunRecord(
                        task.label,
                        task.seed,
                        status="interrupted",
                        note=f"its worker process ended (exit code {code})",
                    )
                    worker.task = None
                    worker.close()
                    if stop.signal is None and failure is None:
                        workers[index] = start()  # e.g. the OOM killer: the other runs go on
    finally:
        for worker in workers:
            worker.close()
    if failure is not None:
        raise failure
    return records


def _receive(worker: _Worker, records: dict[int, RunRecord], stop: StopFlag) -> Exception | None:
    """Read the worker's messages; the error a failed run reports, if any."""
    task = worker.task
    assert task is not None
    try:
        while worker.conn.poll():
            kind, index, payload = worker.conn.recv()
            worker.task = None
            if kind == "done":
                records[index] = record = RunRecord.from_dict(payload)
                if record.status == "interrupted" and stop.signal is None:
                    stop.request(_signal_of(record))  # not a second request: never forces
                continue
            where = f"compare run {task.label} seed {task.seed}"
            if kind == "error":
                return GraphnasError(f"{where}: {payload}")
            return RuntimeError(f"{where} failed:\n{payload}")
    except (EOFError, OSError):
        pass
    return None


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__
