"""TaskBook: the ticket, crash, retry and deadline bookkeeping both parallel pools share."""

from __future__ import annotations

import time

import pytest

from graphnas.errors import GraphnasError
from graphnas.evaluators.base import EvalResult
from graphnas.evaluators.tasks import TaskBook
from graphnas.spaces import load_space

SPACE = load_space("nb201")
ARCHS = [arch for arch, _ in zip(SPACE.enumerate(), range(3), strict=False)]


def test_tasks_come_out_in_order_and_results_free_their_tickets() -> None:
    book = TaskBook("test")
    for ticket, arch in zip((5, 2, 9), ARCHS, strict=True):
        book.submit(ticket, arch)
    with pytest.raises(ValueError, match="already pending"):
        book.submit(2, ARCHS[0])
    tasks = [book.next_task() for _ in range(3)]
    assert [t.ticket for t in tasks] == [5, 2, 9] and book.next_task() is None
    assert tasks[0].arch == ARCHS[0].to_dict() and tasks[0].key == (5, 0)
    book.finish(tasks[1], EvalResult(1.0))
    assert book.pending() == 3 and book.has_results()
    assert [t for t, _ in book.collect()] == [2]
    assert book.pending() == 2 and not book.has_results()
    book.submit(2, ARCHS[1])  # a collected ticket may be reused
    assert book.pending() == 3


def test_a_crash_is_retried_first_then_failed_with_its_count() -> None:
    book = TaskBook("test", max_retries=1)
    book.submit(1, ARCHS[0])
    book.submit(2, ARCHS[1])
    first = book.next_task()
    book.crashed(first, "evaluation worker crashed (exit code -9)")
    retry = book.next_task()
    assert retry.ticket == 1 and retry.attempt == 1 and retry.key == (1, 1)  # ahead of ticket 2
    book.crashed(retry, "evaluation worker crashed (exit code -9)")
    ((ticket, result),) = book.collect()
    assert ticket == 1 and result.status == "failed"
    assert result.error == "evaluation worker crashed (exit code -9) 2 times"
    assert book.next_task().ticket == 2


def test_crashes_are_counted_per_task_not_per_reused_ticket() -> None:
    book = TaskBook("test", max_retries=1)
    for _ in range(3):  # each use of ticket 7 crashes once, then succeeds: never a failure
        book.submit(7, ARCHS[0])
        book.crashed(book.next_task(), "died")
        retry = book.next_task()
        assert retry.attempt == 1
        book.finish(retry, EvalResult(2.0))
        ((_, result),) = book.collect()
        assert result.ok


def test_no_retries_fails_at_the_first_crash() -> None:
    book = TaskBook("test", max_retries=0)
    book.submit(0, ARCHS[0])
    book.crashed(book.next_task(), "evaluation actor died (killed)")
    ((_, result),) = book.collect()
    assert result.error == "evaluation actor died (killed) once"
    with pytest.raises(GraphnasError, match="max_retries"):
        TaskBook("test", max_retries=-1)


def test_deadlines_count_from_the_start_of_the_evaluation() -> None:
    book = TaskBook("test", timeout_s=0.2)
    book.submit(0, ARCHS[0])
    task = book.next_task()
    assert not book.overdue(task) and book.until_deadline([task]) is None  # not started
    book.start(task)
    left = book.until_deadline([task])
    assert left is not None and 0.0 < left <= 0.2
    time.sleep(0.25)
    assert book.overdue(task) and book.until_deadline([task]) == 0.0
    book.time_out(task)
    ((_, result),) = book.collect()
    assert result.error == "timed out after 0.2 s (eval_timeout_s)" and result.cost_s == 0.2
    assert not TaskBook("test").overdue(task)  # no timeout: never overdue


def test_close_forgets_everything_and_refuses_new_work() -> None:
    book = TaskBook("ray")
    book.submit(0, ARCHS[0])
    book.close()
    assert book.pending() == 0 and book.next_task() is None and book.closed
    with pytest.raises(GraphnasError, match="ray pool: submit after close"):
        book.submit(1, ARCHS[1])
