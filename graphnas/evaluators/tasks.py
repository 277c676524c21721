"""The bookkeeping every parallel pool shares: tickets, queue, results, crashes, retries, deadlines.

A `TaskBook` knows nothing of processes or Ray; a pool asks it for the next task, tells it when a
task started, finished, crashed its worker or ran past its deadline, and hands `collect()` to the
search loop. Crashes are counted per task (a ticket number reused after its result was collected
starts again from zero); a task whose worker died `max_retries + 1` times gets a failed result
saying so, and a task past `timeout_s` gets a timeout failure (never retried: it would time out
again). Each dispatch of a task carries its `attempt`, so a late message from a replaced worker
can be told apart from the current attempt's.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from graphnas.errors import GraphnasError
from graphnas.evaluators.base import EvalResult
from graphnas.evaluators.deadline import timeout_reason
from graphnas.graph import ArchGraph


@dataclass
class Task:
    """One architecture to evaluate: `arch` is `ArchGraph.to_dict()` (plain data for workers)."""

    ticket: int
    arch: dict[str, Any]
    attempt: int = 0
    started: float | None = None  # monotonic time its evaluation began (None: not yet)

    @property
    def key(self) -> tuple[int, int]:
        """What a worker sends back with the result: (ticket, attempt)."""
        return (self.ticket, self.attempt)


class TaskBook:
    """Tickets submitted to a pool and what became of them; see the module docstring."""

    def __init__(self, pool: str, max_retries: int = 1, timeout_s: float | None = None) -> None:
        if max_retries < 0:
            raise GraphnasError(f"pool {pool}: max_retries must be >= 0, got {max_retries}")
        self.pool = pool
        self.max_retries = int(max_retries)
        self.timeout_s = timeout_s
        self.closed = False
        self._queue: deque[Task] = deque()
        self._done: list[tuple[int, EvalResult]] = []
        self._crashes: dict[int, int] = {}  # ticket -> crashes while evaluating it
        self._tickets: set[int] = set()

    # ------------------------------------------------------------------ the caller's side
    def submit(self, ticket: int, arch: ArchGraph) -> None:
        if self.closed:
            raise GraphnasError(f"{self.pool} pool: submit after close")
        if ticket in self._tickets:
            raise ValueError(f"ticket {ticket} is already pending")
        self._tickets.add(ticket)
        self._queue.append(Task(ticket, arch.to_dict()))

    def collect(self) -> list[tuple[int, EvalResult]]:
        """The finished results, forgotten by the book (their tickets may be reused)."""
        done, self._done = self._done, []
        for ticket, _ in done:
            self._tickets.discard(ticket)
            self._crashes.pop(ticket, None)
        return done

    def pending(self) -> int:
        """Submitted tickets whose results have not been collected."""
        return len(self._tickets)

    def has_results(self) -> bool:
        return bool(self._done)

    def close(self) -> None:
        """Forget everything; later submits are refused."""
        self.closed = True
        self._queue.clear()
        self._done.clear()
        self._tickets.clear()
        self._crashes.clear()

    # ------------------------------------------------------------------ the workers' side
    def next_task(self) -> Task | None:
        """The next queued task (retried tasks first), or None."""
        return self._queue.popleft() if self._queue else None

    def start(self, task: Task) -> None:
        """Its evaluation begins now (the deadline counts from here)."""
        task.started = time.monotonic()

    def finish(self, task: Task, result: EvalResult) -> None:
        self._done.append((task.ticket, result))

    def crashed(self, task: Task, cause: str) -> None:
        """Its worker died (`cause`: e.g. "evaluation worker crashed (exit code -9)"): queue it
        again, or after too many crashes record a failure naming the cause and the count."""
        crashes = self._crashes.get(task.ticket, 0) + 1
        self._crashes[task.ticket] = crashes
        if crashes > self.max_retries:
            times = "once" if crashes == 1 else f"{crashes} times"
            self._done.append((task.ticket, EvalResult.failure(f"{cause} {times}")))
        else:
            self._queue.appendleft(Task(task.ticket, task.arch, attempt=crashes))

    def overdue(self, task: Task) -> bool:
        """The task has run `timeout_s` or longer."""
        return (
            self.timeout_s is not None
            and task.started is not None
            and time.monotonic() - task.started >= self.timeout_s
        )

    def time_out(self, task: Task) -> None:
        """Record the timeout failure of an overdue task (its worker is killed by the pool)."""
        assert self.timeout_s is not None
        failure = EvalResult.failure(timeout_reason(self.timeout_s), cost_s=self.timeout_s)
        self._done.append((task.ticket, failure))

    def until_deadline(self, running: Iterable[Task]) -> float | None:
        """Seconds until the earliest deadline among `running` (None: no deadline pending)."""
        if self.timeout_s is None:
            return None
        starts = [task.started for task in running if task.started is not None]
        if not starts:
            return None
        return max(0.0, min(starts) + self.timeout_s - time.monotonic())
