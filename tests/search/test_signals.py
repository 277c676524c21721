"""`stop_on_signals`: handlers installed for the block and restored; ignored signals stay so."""

from __future__ import annotations

import os
import signal

from graphnas.search.signals import StopRequests, stop_on_signals


def test_a_signal_in_the_block_becomes_a_stop_request_and_handlers_are_restored() -> None:
    outer = signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        stops = StopRequests()
        with stop_on_signals(stops):
            os.kill(os.getpid(), signal.SIGTERM)
            assert stops.signal == "SIGTERM"
        assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
    finally:
        signal.signal(signal.SIGTERM, outer)


def test_a_signal_ignored_at_the_start_stays_ignored() -> None:
    outer = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        stops = StopRequests()
        with stop_on_signals(stops):
            assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN
            assert signal.getsignal(signal.SIGTERM) not in (signal.SIG_IGN, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGINT)
            assert stops.signal is None
        assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, outer)
