"""A local process pool: one worker process per GPU, or CPU workers that split the cores.

Each worker (spawn context) rebuilds the evaluator from the search's `EvaluatorRecipe` (plug-ins
imported first) on its own device, and evaluates one architecture at a time. Architectures travel
as JSON dicts and results as `EvalResult.to_dict()`, so nothing but plain data crosses process
boundaries. Evaluators seed every evaluation from (seed, architecture), so results equal those of
a sequential run with the same seed, whichever worker runs them (on CPU, bit for bit when the
sequential run uses the same number of torch threads as a worker).

A worker that dies (segfault, OOM kill) is replaced and its architecture retried `max_retries`
times; after that the architecture gets a failed result saying so. With `timeout_s`, a worker
still busy with one architecture that long (counted from when its evaluator was ready) is killed
and replaced, and the architecture gets a failed result (a timeout is not retried). The
bookkeeping is `tasks.TaskBook`, shared with the Ray pool. Workers ignore SIGINT: the parent
decides when they stop (Ctrl-C in a terminal reaches them too).
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import signal
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any, ClassVar

import torch

from graphnas.errors import ConfigError, GraphnasError
from graphnas.evaluators.base import EvalResult, Evaluator, prepare_evaluator
from graphnas.evaluators.pool import POOLS, evaluate_safely
from graphnas.evaluators.recipe import EvaluatorRecipe
from graphnas.evaluators.tasks import Task, TaskBook
from graphnas.graph import ArchGraph


def cpu_count() -> int:
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _worker_main(recipe: EvaluatorRecipe, device: str, threads: int, conn: Connection) -> None:
    """Worker loop: build the evaluator, then evaluate (ticket, attempt, arch dict) until None."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    torch.set_num_threads(threads)
    dev = torch.device(device)
    if dev.type == "cuda":
        torch.cuda.set_device(dev)
    try:
        evaluator = recipe.build(dev)
    except Exception as err:  # reported to the parent, which stops the pool with this message
        conn.send(("error", None, f"{type(err).__name__}: {err}"))
        return
    conn.send(("ready", None, None))
    while True:
        task = conn.recv()
        if task is None:
            return
        ticket, attempt, arch_dict = task
        (result,) = evaluate_safely(evaluator, [ArchGraph.from_dict(arch_dict)])
        conn.send(("result", (ticket, attempt), result.to_dict()))


@dataclass
class _Worker:
    """A worker process and the parent's end of its pipe."""

    process: Any
    conn: Connection
    device: str
    task: Task | None = None  # in progress
    ready: bool = False  # the evaluator is built


@POOLS.register("process")
class ProcessPool:
    """Evaluates in spawned worker processes; see the module docstring.

    Devices: `devices` (e.g. ["cuda:0", "cuda:1"]) gives one worker per entry. Otherwise, on a
    CUDA `device` one worker per visible GPU; on CPU `workers` processes (default: the CPU count,
    at most 8) with `threads` torch threads each (default: CPUs // workers, at least 1).
    Every worker rebuilds the evaluator from `recipe`; `evaluator` is the parent's copy (built
    from the same recipe when not given), whose `prepare()` runs here once before the workers
    start. `timeout_s`: per-evaluation limit (see the module docstring).
    """

    context_fields: ClassVar[tuple[str, ...]] = ("recipe", "evaluator", "device", "timeout_s")

    def __init__(
        self,
        recipe: EvaluatorRecipe,
        evaluator: Evaluator | None = None,
        device: torch.device | str = "cpu",
        workers: int | None = None,
        devices: Sequence[str] | None = None,
        threads: int | None = None,
        max_retries: int = 1,
        timeout_s: float | None = None,
    ) -> None:
        self.recipe = recipe
        self.book = TaskBook("process", max_retries, timeout_s)
        self.devices = _worker_devices(torch.device(device), workers, devices)
        # e.g. build a dataset's tensor cache once, not in every worker at the same time
        prepare_evaluator(evaluator if evaluator is not None else recipe.build(device))
        cpu_workers = sum(1 for d in self.devices if d.startswith("cpu"))
        self.threads = threads or max(1, cpu_count() // max(1, cpu_workers))
        self._context = mp.get_context("spawn")
        self._workers = [self._start(d) for d in self.devices]

    # ------------------------------------------------------------------ pool interface
    def submit(self, ticket: int, arch: ArchGraph) -> None:
        self.book.submit(ticket, arch)
        self._dispatch()

    def collect(self, block: bool = True) -> list[tuple[int, EvalResult]]:
        timeout: float | None = 0.0
        while True:
            self._poll(timeout)
            self._dispatch()
            if self.book.has_results() or not block or not self.pending():
                break
            timeout = None  # wait for a message or a worker's exit
        return self.book.collect()

    def pending(self) -> int:
        return self.book.pending()

    def wait_ready(self) -> None:
        """Block until every worker has built its evaluator (the pool's start-up is over)."""
        while not all(worker.ready for worker in self._workers):
            self._poll(timeout=None)

    def close(self) -> None:
        if self.book.closed:
            return
        self.book.close()
        for worker in self._workers:
            if worker.task is not None:  # busy: its work is abandoned, do not wait for it
                worker.process.terminate()
            with contextlib.suppress(OSError, ValueError):
                worker.conn.send(None)
        for worker in self._workers:
            worker.process.join(timeout=5)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join(timeout=5)
            worker.conn.close()

    def __enter__(self) -> ProcessPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ internals
    def _start(self, device: str) -> _Worker:
        parent_end, child_end = self._context.Pipe(duplex=True)
        process = self._context.Process(
            target=_worker_main,
            args=(self.recipe, device, self.threads, child_end),
            name="graphnas-eval",
            daemon=True,
        )
        process.start()
        child_end.close()
        return _Worker(process, parent_end, device)

    def _dispatch(self) -> None:
        for worker in self._workers:
            if worker.task is not None:
                continue
            task = self.book.next_task()
            if task is None:
                return
            worker.task = task
            if worker.ready:
                self.book.start(task)
            # If the worker died, the send fails and _poll retries the task elsewhere.
            with contextlib.suppress(OSError, ValueError):
                worker.conn.send((task.ticket, task.attempt, task.arch))

    def _poll(self, timeout: float | None) -> None:
        """Receive finished results and replace dead workers, waiting up to `timeout` seconds."""
        waitables = [w.conn for w in self._workers] + [w.process.sentinel for w in self._workers]
        running = [w.task for w in self._workers if w.task is not None]
        until_deadline = self.book.until_deadline(running)
        if until_deadline is not None:
            timeout = until_deadline if timeout is None else min(timeout, until_deadline)
        wait(waitables, timeout)
        for index, worker in enumerate(self._workers):
            alive = self._receive(worker)
            if not alive or not worker.process.is_alive():
                self._receive(worker)  # a result sent just before exiting still counts
                if not worker.ready:
                    worker.process.join(timeout=5)
                    self.close()
                    raise GraphnasError(
                        f"process pool: a worker exited while starting (exit code "
                        f"{worker.process.exitcode}); in a script, create pools under "
                        "`if __name__ == '__main__':`"
                    )
                self._workers[index] = self._replace(worker)
            elif worker.task is not None and self.book.overdue(worker.task):
                self.book.time_out(worker.task)
                worker.task = None
                worker.process.kill()
                self._workers[index] = self._replace(worker)

    def _receive(self, worker: _Worker) -> bool:
        """Read every message waiting from `worker`; False when its pipe is closed."""
        try:
            while worker.conn.poll():
                kind, key, payload = worker.conn.recv()
                if kind == "ready":
                    worker.ready = True
                    if worker.task is not None:  # dispatched while the evaluator was built
                        self.book.start(worker.task)
                    continue
                if kind == "error":
                    self.close()
                    raise GraphnasError(
                        f"process pool: a worker could not build the evaluator ({payload})"
                    )
                if worker.task is not None and tuple(key) == worker.task.key:
                    self.book.finish(worker.task, EvalResult.from_dict(payload))
                    worker.task = None
        except (EOFError, OSError):
            return False
        return True

    def _replace(self, worker: _Worker) -> _Worker:
        """A new worker on the same device; the dead one's task is retried or failed."""
        worker.process.join(timeout=5)
        worker.conn.close()
        if worker.task is not None:
            cause = f"evaluation worker crashed (exit code {worker.process.exitcode})"
            self.book.crashed(worker.task, cause)
        return self._start(worker.device)


def _worker_devices(
    device: torch.device, workers: int | None, devices: Sequence[str] | None
) -> list[str]:
    if devices:
        return [str(torch.device(d)) for d in devices]
    if device.type == "cuda":
        count = workers or torch.cuda.device_count()
        if count < 1:
            raise ConfigError("pool process: device is CUDA but no GPU is visible")
        visible = max(1, torch.cuda.device_count())
        return [f"cuda:{i % visible}" for i in range(count)]
    count = workers or min(8, cpu_count())
    if count < 1:
        raise ConfigError(f"pool process: workers must be >= 1, got {count}")
    return [str(device)] * count
