"""A local process pool: one worker process per GPU, or CPU workers that split the cores.

Each worker (spawn context) builds its own evaluator from a registered name, options, the space's
config and the evaluator seed, on its own device, and evaluates one architecture at a time.
Architectures travel as JSON dicts and results as `EvalResult.to_dict()`, so nothing but plain
data crosses process boundaries. Evaluators seed every evaluation from (seed, architecture), so
results equal those of a sequential run with the same seed, whichever worker runs them (on CPU,
bit for bit when the sequential run uses the same number of torch threads as a worker).

A worker that dies (segfault, OOM kill) is replaced and its architecture retried `max_retries`
times; after that the architecture gets a failed result saying so. With `timeout_s`, a worker
still busy with one architecture that long (counted from when its evaluator was ready) is killed
and replaced, and the architecture gets a failed result (a timeout is not retried). Workers
ignore SIGINT: the parent decides when they stop (Ctrl-C in a terminal reaches them too).
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import signal
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

import torch

from graphnas.errors import ConfigError, GraphnasError
from graphnas.evaluators.base import EvalResult
from graphnas.evaluators.deadline import timeout_reason
from graphnas.evaluators.pool import POOLS, evaluate_safely
from graphnas.graph import ArchGraph
from graphnas.spaces.base import SearchSpace


@dataclass(frozen=True)
class EvaluatorRecipe:
    """Everything a worker needs to build the evaluator: plain data only (picklable)."""

    name: str
    params: dict[str, Any]
    space: dict[str, Any]
    seed: int

    def build(self, device: torch.device) -> Any:
        import graphnas.evaluators  # noqa: F401  (registers the built-in evaluators)
        from graphnas.evaluators.registry import EVALUATORS
        from graphnas.spaces.loading import space_from_config

        space = space_from_config(self.space, source="pool worker space")
        return EVALUATORS.build(
            self.name, self.params, {"space": space, "device": device, "seed": self.seed}
        )


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
    task: tuple[int, int, dict] | None = None  # (ticket, attempt, arch dict) in progress
    ready: bool = False  # the evaluator is built
    started: float | None = None  # monotonic time the task began (its evaluator ready)


@POOLS.register("process")
class ProcessPool:
    """Evaluates in spawned worker processes; see the module docstring.

    Devices: `devices` (e.g. ["cuda:0", "cuda:1"]) gives one worker per entry. Otherwise, on a
    CUDA `device` one worker per visible GPU; on CPU `workers` processes (default: the CPU count,
    at most 8) with `threads` torch threads each (default: CPUs // workers, at least 1).
    The evaluator is rebuilt in each worker from `evaluator_config` ({name, params}), the
    `space` and `evaluator_seed` (default: the built `evaluator`'s `seed` attribute, else 0).
    A built `evaluator` with a `prepare()` method has it called first, in this process.
    `timeout_s`: per-evaluation limit (see the module docstring).
    """

    def __init__(
        self,
        evaluator_config: Any,
        space: SearchSpace,
        device: torch.device | str = "cpu",
        workers: int | None = None,
        devices: Sequence[str] | None = None,
        threads: int | None = None,
        evaluator_seed: int | None = None,
        evaluator: Any = None,
        max_retries: int = 1,
        timeout_s: float | None = None,
    ) -> None:
        name, params = name_and_params(evaluator_config)
        seed = evaluator_seed if evaluator_seed is not None else getattr(evaluator, "seed", 0)
        self.recipe = EvaluatorRecipe(name, params, space.to_config(), int(seed))
        prepare = getattr(evaluator, "prepare", None)
        if callable(prepare):  # e.g. build a dataset's tensor cache once, not in every worker
            prepare()
        self.devices = _worker_devices(torch.device(device), workers, devices)
        cpu_workers = sum(1 for d in self.devices if d.startswith("cpu"))
        self.threads = threads or max(1, cpu_count() // max(1, cpu_workers))
        self.max_retries = max_retries
        self.timeout_s = timeout_s
        self._context = mp.get_context("spawn")
        self._queue: deque[tuple[int, dict]] = deque()
        self._done: list[tuple[int, EvalResult]] = []
        self._crashes: dict[int, int] = {}  # ticket -> crashes while evaluating it
        self._tickets: set[int] = set()
        self._closed = False
        self._workers = [self._start(d) for d in self.devices]

    # ------------------------------------------------------------------ pool interface
    def submit(self, ticket: int, arch: ArchGraph) -> None:
        if self._closed:
            raise GraphnasError("process pool: submit after close")
        if ticket in self._tickets:
            raise ValueError(f"ticket {ticket} is already pending")
        self._tickets.add(ticket)
        self._queue.append((ticket, arch.to_dict()))
        self._dispatch()

    def collect(self, block: bool = True) -> list[tuple[int, EvalResult]]:
        timeout: float | None = 0.0
        while True:
            self._poll(timeout)
            self._dispatch()
            if self._done or not block or not self.pending():
                break
            timeout = None  # wait for a message or a worker's exit
        done, self._done = self._done, []
        for ticket, _ in done:
            self._tickets.discard(ticket)
            self._crashes.pop(ticket, None)  # callers reuse tickets: count crashes per task
        return done

    def pending(self) -> int:
        return len(self._tickets)

    def wait_ready(self) -> None:
        """Block until every worker has built its evaluator (the pool's start-up is over)."""
        while not all(worker.ready for worker in self._workers):
            self._poll(timeout=None)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for worker in self._workers:
            if worker.task is not None:  # busy: its work is abandoned, do not wait for it
                worker.process.terminate()
            with contextlib.suppress(OSError, ValueError):
                worker.conn.send(None)
        for worker in self._workers:
            worker.process.join(timeout=5)
            if worker.process.is_alive():
                worker.process.terminate()
                worker.process.join(timeout=5)
            worker.conn.close()
        self._queue.clear()
        self._tickets.clear()

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
            if worker.task is None and self._queue:
                ticket, arch_dict = self._queue.popleft()
                worker.task = (ticket, self._crashes.get(ticket, 0), arch_dict)
                worker.started = time.monotonic() if worker.ready else None
                # If the worker died, the send fails and _poll retries the task elsewhere.
                with contextlib.suppress(OSError, ValueError):
                    worker.conn.send(worker.task)

    def _poll(self, timeout: float | None) -> None:
        """Receive finished results and replace dead workers, waiting up to `timeout` seconds."""
        waitables = [w.conn for w in self._workers] + [w.process.sentinel for w in self._workers]
        until_deadline = self._until_next_deadline()
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
            elif self._past_deadline(worker):
                self._workers[index] = self._time_out(worker)

    def _until_next_deadline(self) -> float | None:
        """Seconds until the earliest running task's deadline (None: no deadline pending)."""
        if self.timeout_s is None:
            return None
        starts = [w.started for w in self._workers if w.task is not None and w.started is not None]
        if not starts:
            return None
        return max(0.0, min(starts) + self.timeout_s - time.monotonic())

    def _past_deadline(self, worker: _Worker) -> bool:
        return (
            self.timeout_s is not None
            and worker.task is not None
            and worker.started is not None
            and time.monotonic() - worker.started >= self.timeout_s
        )

    def _time_out(self, worker: _Worker) -> _Worker:
        """Kill a worker past its deadline; its task fails (not retried); start a new worker."""
        assert worker.task is not None and self.timeout_s is not None
        ticket = worker.task[0]
        worker.task = None
        worker.process.kill()
        self._done.append(
            (ticket, EvalResult.failure(timeout_reason(self.timeout_s), cost_s=self.timeout_s))
        )
        return self._replace(worker)

    def _receive(self, worker: _Worker) -> bool:
        """Read every message waiting from `worker`; False when its pipe is closed."""
        try:
            while worker.conn.poll():
                kind, key, payload = worker.conn.recv()
                if kind == "ready":
                    worker.ready = True
                    if worker.task is not None:  # dispatched while the evaluator was built
                        worker.started = time.monotonic()
                    continue
                if kind == "error":
                    self.close()
                    raise GraphnasError(
                        f"process pool: a worker could not build the evaluator ({payload})"
                    )
                if worker.task is not None and tuple(key) == worker.task[:2]:
                    self._done.append((key[0], EvalResult.from_dict(payload)))
                    worker.task = None
        except (EOFError, OSError):
            return False
        return True

    def _replace(self, worker: _Worker) -> _Worker:
        worker.process.join(timeout=5)
        code = worker.process.exitcode
        worker.conn.close()
        if worker.task is not None:
            ticket, _, arch_dict = worker.task
            crashes = self._crashes.get(ticket, 0) + 1
            self._crashes[ticket] = crashes
            if crashes > self.max_retries:
                times = "once" if crashes == 1 else f"{crashes} times"
                reason = f"evaluation worker crashed (exit code {code}) {times}"
                self._done.append((ticket, EvalResult.failure(reason)))
            else:
                self._queue.appendleft((ticket, arch_dict))
        return self._start(worker.device)


def name_and_params(config: Any) -> tuple[str, dict[str, Any]]:
    if isinstance(config, str):
        return config, {}
    if isinstance(config, Mapping):
        name, params = config.get("name"), config.get("params") or {}
    else:  # graphnas.config.ComponentConfig or any object with name/params
        name, params = getattr(config, "name", None), getattr(config, "params", None) or {}
    if not isinstance(name, str) or not name:
        raise ConfigError(
            "pool process: needs the evaluator's registered name and options "
            "(evaluator_config) to rebuild it in each worker"
        )
    return name, dict(params)


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
