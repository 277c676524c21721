"""Progress reporting: plain periodic lines off a terminal, a bar on one, nothing when off."""

from __future__ import annotations

import io

from graphnas.progress import BarProgress, LineProgress, SilentProgress, progress_reporter


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_lines_come_at_most_once_per_interval_and_once_at_the_end() -> None:
    stream, clock = io.StringIO(), FakeClock()
    progress = LineProgress(100, "query", stream=stream, interval_s=10, clock=clock)
    for step in range(1, 101):
        clock.now = step * 0.5  # 50 s in all: a line at 10, 20, 30, 40 and 50 s
        progress.update_to(step, {"best": f"{step / 100:.2f}"})
    progress.close()
    lines = stream.getvalue().splitlines()
    assert lines == [
        "progress: 20/100 query (20%)  best 0.20  10 s",
        "progress: 40/100 query (40%)  best 0.40  20 s",
        "progress: 60/100 query (60%)  best 0.60  30 s",
        "progress: 80/100 query (80%)  best 0.80  40 s",
        "progress: 100/100 query (100%)  best 1.00  50 s",
    ]
    assert "\r" not in stream.getvalue()


def test_a_last_line_only_when_something_moved_since_the_previous_one() -> None:
    stream, clock = io.StringIO(), FakeClock()
    progress = LineProgress(None, "s", initial=3, stream=stream, clock=clock)
    progress.close()
    assert stream.getvalue() == ""  # resumed at 3 and nothing happened
    progress.update_to(4.25)
    progress.close()
    assert stream.getvalue() == "progress: 4.2 s  0 s\n"


def test_the_form_follows_the_stream() -> None:
    assert isinstance(progress_reporter(10, "query", stream=io.StringIO()), LineProgress)
    assert isinstance(progress_reporter(10, "query", enabled=False), SilentProgress)
    terminal = Terminal()
    bar = progress_reporter(10, "query", stream=terminal)
    assert isinstance(bar, BarProgress)
    bar.update_to(5, {"best": "0.5"})
    bar.close()
    assert "5/10" in terminal.getvalue() and "best=0.5" in terminal.getvalue()
