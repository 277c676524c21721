"""A time limit for an in-process call, enforced with SIGALRM (POSIX, main thread).

The alarm raises `EvaluationTimeout` wherever the call is when its time is up: in Python code, or
as soon as a long native call (one big tensor op) returns. `EvaluationTimeout` derives from
BaseException so that an evaluator's own `except Exception` cannot swallow it. Parallel pools do
not use this: they kill the worker process instead (a hard limit).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from graphnas.errors import ConfigError

T = TypeVar("T")


class EvaluationTimeout(BaseException):
    """The call ran past its deadline."""


def timeout_reason(seconds: float) -> str:
    """The failure reason recorded for an evaluation stopped after `seconds`."""
    return f"timed out after {seconds:g} s (eval_timeout_s)"


def call_with_deadline(call: Callable[[], T], seconds: float) -> T:
    """`call()`, or EvaluationTimeout once `seconds` of wall time have passed."""
    if not hasattr(signal, "setitimer"):
        raise ConfigError("eval_timeout_s: this system has no SIGALRM; use pool: process")
    if threading.current_thread() is not threading.main_thread():
        raise ConfigError(
            "eval_timeout_s: the serial pool enforces timeouts in the main thread only; "
            "use pool: process"
        )

    def on_alarm(signum: int, frame: Any) -> None:
        raise EvaluationTimeout

    previous = signal.signal(signal.SIGALRM, on_alarm)
    try:
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            return call()
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    finally:
        signal.signal(signal.SIGALRM, previous)
