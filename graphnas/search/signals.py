"""Stop signals: SIGINT/SIGTERM stop a search cleanly; the exit status says which one did.

The first signal asks the loop to stop: at once while evaluations are in flight (they are
abandoned by raising `SearchInterrupted`), else at the next step boundary; the loop then writes its
checkpoint and exits 130 (SIGINT) or 143 (SIGTERM). A second signal stops at once
(KeyboardInterrupt, exit 130), except inside a `critical` section (a checkpoint or ledger write),
which it never tears: there it is deferred to the section's end.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Any

# Exit statuses of a search stopped by a signal (after its checkpoint is written): 128 + signal.
STOP_SIGNALS = {"SIGINT": 130, "SIGTERM": 143}


class SearchInterrupted(BaseException):
    """Raised by the stop-signal handler to abandon the evaluations in flight (a BaseException,
    so that no `except Exception` in an evaluator or pool turns it into a failed result)."""

    def __init__(self, signal_name: str) -> None:
        super().__init__(signal_name)
        self.signal_name = signal_name


class StopRequests:
    """The stop requests one search received, and where they may interrupt it."""

    def __init__(self) -> None:
        self.signal: str | None = None  # the first stop signal received
        self._evaluating = False
        self._critical = 0
        self._forced = False  # a second request arrived inside a critical section

    def request(self, signal_name: str) -> None:
        """Called from a signal handler (see the module docstring)."""
        if self.signal is not None:
            if self._critical:
                self._forced = True
                return
            raise KeyboardInterrupt
        self.signal = signal_name
        if self._evaluating:
            self._evaluating = False
            raise SearchInterrupted(signal_name)

    @contextlib.contextmanager
    def evaluating(self) -> Iterator[None]:
        """A section a first request interrupts at once (evaluations in flight)."""
        if self.signal is not None:  # arrived while the strategy was asked
            raise SearchInterrupted(self.signal)
        self._evaluating = True
        try:
            yield
        finally:
            self._evaluating = False

    @contextlib.contextmanager
    def critical(self) -> Iterator[None]:
        """A section no request interrupts (a second one is raised when it ends)."""
        self._critical += 1
        try:
            yield
        finally:
            self._critical -= 1
        if not self._critical and self._forced:
            self._forced = False
            raise KeyboardInterrupt


@contextlib.contextmanager
def stop_on_signals(stops: StopRequests) -> Iterator[None]:
    """While the block runs, SIGINT and SIGTERM call `stops.request` (main thread only); a
    signal ignored when the block starts (e.g. SIGINT of a job started with `&` or `nohup`)
    stays ignored."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        stops.request(signal.Signals(signum).name)

    watched = [
        name for name in STOP_SIGNALS if signal.getsignal(getattr(signal, name)) != signal.SIG_IGN
    ]
    previous = {name: signal.signal(getattr(signal, name), handler) for name in watched}
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
