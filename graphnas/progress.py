"""Progress reporting: a tqdm bar on a terminal, periodic plain lines anywhere else.

A log file or a pipe gets one readable line every `interval_s` seconds (and a last one at the
end) instead of a bar's carriage-return frames. Callers only say where they are (`update_to`) and
what to show next to it (`postfix`); `progress_reporter` picks the form for the stream.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Mapping
from typing import Protocol, TextIO

DEFAULT_INTERVAL_S = 10.0


class ProgressReporter(Protocol):
    """Where a long loop stands: `position` out of `total` units (None: no known end)."""

    def update_to(self, position: float, postfix: Mapping[str, str] | None = None) -> None: ...

    def close(self) -> None: ...


class SilentProgress:
    """Reports nothing (progress switched off)."""

    def update_to(self, position: float, postfix: Mapping[str, str] | None = None) -> None:
        del position, postfix

    def close(self) -> None:
        pass


class BarProgress:
    """A tqdm bar (for terminals)."""

    def __init__(
        self, total: float | None, unit: str, *, initial: float = 0, stream: TextIO
    ) -> None:
        from tqdm import tqdm

        self._bar = tqdm(total=total, initial=initial, unit=unit, file=stream, dynamic_ncols=True)

    def update_to(self, position: float, postfix: Mapping[str, str] | None = None) -> None:
        self._bar.n = position
        if postfix:
            self._bar.set_postfix(postfix, refresh=False)
        self._bar.refresh()

    def close(self) -> None:
        self._bar.close()


class LineProgress:
    """One plain line at most every `interval_s` seconds, and one at `close` if anything moved:
    `progress: 40/100 query (40%)  best 0.91  12 s`."""

    def __init__(
        self,
        total: float | None,
        unit: str,
        *,
        initial: float = 0,
        stream: TextIO,
        interval_s: float = DEFAULT_INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total = total
        self.unit = unit
        self.stream = stream
        self.interval_s = interval_s
        self.clock = clock
        self.start = clock()
        self.position = initial
        self.postfix: dict[str, str] = {}
        self._last_line_at = self.start
        self._printed_position: float | None = initial

    def update_to(self, position: float, postfix: Mapping[str, str] | None = None) -> None:
        self.position = position
        if postfix:
            self.postfix.update(postfix)
        if self.clock() - self._last_line_at >= self.interval_s:
            self._print()

    def close(self) -> None:
        if self.position != self._printed_position:
            self._print()

    def line(self) -> str:
        """The current state as one line."""
        done = _amount(self.position)
        if self.total:
            share = 100.0 * self.position / self.total
            where = f"{done}/{_amount(self.total)} {self.unit} ({share:.0f}%)"
        else:
            where = f"{done} {self.unit}"
        extra = "".join(f"  {key} {value}" for key, value in self.postfix.items())
        return f"progress: {where}{extra}  {self.clock() - self.start:.0f} s"

    def _print(self) -> None:
        print(self.line(), file=self.stream, flush=True)
        self._last_line_at = self.clock()
        self._printed_position = self.position


def progress_reporter(
    total: float | None,
    unit: str,
    *,
    initial: float = 0,
    enabled: bool = True,
    stream: TextIO | None = None,
    interval_s: float = DEFAULT_INTERVAL_S,
) -> ProgressReporter:
    """A bar when `stream` (default stderr, as tqdm) is a terminal, plain lines otherwise."""
    if not enabled:
        return SilentProgress()
    stream = stream if stream is not None else sys.stderr
    if _is_terminal(stream):
        return BarProgress(total, unit, initial=initial, stream=stream)
    return LineProgress(total, unit, initial=initial, stream=stream, interval_s=interval_s)


def _is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if callable(isatty) else False
    except (OSError, ValueError):  # a closed or detached stream
        return False


def _amount(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"
